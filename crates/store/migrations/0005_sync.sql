-- Sync with the platform (issue 6, R-SEC-1). An outbox entry is settled once: acknowledged
-- (`sent_at` and `acked_seq` set) or rejected for good (`sent_at` and `rejection` set; the
-- user's local work stays where it was, as a draft). Pending = neither.
ALTER TABLE sync_outbox ADD COLUMN acked_seq INTEGER;
ALTER TABLE sync_outbox ADD COLUMN rejection TEXT;
DROP INDEX sync_outbox_pending;
CREATE INDEX sync_outbox_pending ON sync_outbox(seq) WHERE sent_at IS NULL;
CREATE INDEX sync_outbox_rejected ON sync_outbox(seq) WHERE rejection IS NOT NULL;
CREATE INDEX sync_outbox_entity ON sync_outbox(entity, entity_id);

-- The platform's records as last pulled: kind ('consultation' | 'prescription' |
-- 'physician'), id, the platform's version and change sequence, and the snapshot (JSON;
-- NULL once the platform deleted it). A record here is known to the platform, so local
-- changes to it travel as operations; a record only in the local tables is local-only.
CREATE TABLE sync_records (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    version INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    body    TEXT,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;
