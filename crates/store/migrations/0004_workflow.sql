-- The consultation workflow (issue 5). Rich content the workstation owns is kept as JSON
-- documents inside the encrypted database; the legal record (prescription lines, findings,
-- overrides, reviews) stays in the normalised tables of 0001.

-- The record of an encounter (R-REC-1) and what triage decided at arrival (R-TRI-2..7).
CREATE TABLE consultation_records (
    consultation_id TEXT PRIMARY KEY NOT NULL REFERENCES consultations(id),
    intake          TEXT NOT NULL,
    record          TEXT,
    updated_by      TEXT,
    updated_at      INTEGER NOT NULL
) STRICT;

-- A prescription's structured draft, its latest check result, the overrides given at
-- signing and the chosen validity (R-RX-4, R-RX-7).
CREATE TABLE prescription_documents (
    prescription_id TEXT PRIMARY KEY NOT NULL REFERENCES prescriptions(id) ON DELETE CASCADE,
    draft           TEXT NOT NULL,
    check_result    TEXT NOT NULL,
    overrides       TEXT NOT NULL DEFAULT '[]',
    validity_days   INTEGER NOT NULL DEFAULT 3 CHECK (validity_days BETWEEN 1 AND 3),
    review_rounds   INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL
) STRICT;

-- Saved prescriptions per physician and per diagnosis that pre-fill lines (R-RX-2).
CREATE TABLE prescription_templates (
    id           TEXT PRIMARY KEY NOT NULL,
    physician_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    diagnosis    TEXT,
    draft        TEXT NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX prescription_templates_owner ON prescription_templates(physician_id, diagnosis);

-- Local credentials for offline sign-in (R-ROLE-1..4): an Argon2id verifier, the sealed
-- TOTP secret of administrators and the last accepted step (no replay), credentialed
-- specialties, suspension after a compliance violation (R-CMP-2).
CREATE TABLE credentials (
    user_id           TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    password_verifier TEXT NOT NULL,
    totp_secret       BLOB,
    last_totp_step    INTEGER,
    specialties       TEXT NOT NULL DEFAULT '[]',
    suspended_at      INTEGER,
    suspended_reason  TEXT
) STRICT;

-- Complaints carry the record as it was (R-CMP-1) and the physician concerned.
ALTER TABLE complaints ADD COLUMN physician_id TEXT;
ALTER TABLE complaints ADD COLUMN record_snapshot TEXT;
ALTER TABLE complaints ADD COLUMN text TEXT NOT NULL DEFAULT '';

-- Reports to the regulator after a compliance violation (R-CMP-2).
CREATE TABLE regulator_reports (
    id           TEXT PRIMARY KEY NOT NULL,
    complaint_id TEXT NOT NULL REFERENCES complaints(id),
    report       TEXT NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
