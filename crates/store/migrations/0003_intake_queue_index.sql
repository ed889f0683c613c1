-- The intake queue (R-TRI-2, R-TRI-3): waiting consultations, most urgent first, then the
-- nearest response deadline. A partial index keeps it small: only waiting rows are in it.
CREATE INDEX consultations_intake_queue
    ON consultations(priority, sla_deadline)
    WHERE status = 'waiting';
