-- A shared clinic workstation (R-SEC-7, issue 13): each outbox entry belongs to the user who
-- made it. A user's sync pushes only that user's operations (under that user's token);
-- others wait, safe, for their owner; the header and the sync screen count only the
-- signed-in user's. Existing entries take their owner from the operation itself, so no
-- pending operation is lost or sent under another identity.
ALTER TABLE sync_outbox ADD COLUMN user_id TEXT;
UPDATE sync_outbox SET user_id = json_extract(payload, '$.user') WHERE user_id IS NULL;
CREATE INDEX sync_outbox_user_pending ON sync_outbox(user_id, seq) WHERE sent_at IS NULL;
