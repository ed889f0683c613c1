-- MedDesk local cache, first schema. Forward-only: never edit a shipped migration, add one.
-- Times are Unix milliseconds (UTC). Ids are the platform's (text).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- Users and their roles, cached from the platform for offline sign-in checks (R-ROLE-1..4).
CREATE TABLE users (
    id                             TEXT PRIMARY KEY NOT NULL,
    display_name                   TEXT NOT NULL,
    org_id                         TEXT NOT NULL,
    prescribing_rights_reviewed_at INTEGER,
    updated_at                     INTEGER NOT NULL
) STRICT;

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role    TEXT NOT NULL CHECK (role IN ('physician', 'pharmacist', 'administrator')),
    PRIMARY KEY (user_id, role)
) STRICT;

-- Patients: display fields are de-identified (R-REC-1); identifiers (full name, ID number,
-- phone) are an AEAD-encrypted blob on top of the page encryption (R-REC-2, R-SEC-3).
CREATE TABLE patients (
    id                TEXT PRIMARY KEY NOT NULL,
    masked_name       TEXT NOT NULL,
    age_years         INTEGER,
    sex               TEXT CHECK (sex IN ('female', 'male')),
    identity_verified INTEGER NOT NULL DEFAULT 0 CHECK (identity_verified IN (0, 1)),
    identifiers       BLOB,
    demo              INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1)),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;

-- Consultations (R-TRI-1..3, R-REC-1). priority: 0 emergency, 1 urgent, 2 normal.
CREATE TABLE consultations (
    id              TEXT PRIMARY KEY NOT NULL,
    patient_id      TEXT NOT NULL REFERENCES patients(id),
    physician_id    TEXT, -- no foreign key: the users cache may lag behind the platform
    channel         TEXT NOT NULL CHECK (channel IN ('text', 'voice', 'video')),
    status          TEXT NOT NULL CHECK (status IN ('waiting', 'claimed', 'completed', 'cancelled')),
    priority        INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 2),
    route_kind      TEXT NOT NULL CHECK (route_kind IN ('emergency', 'specialist', 'general')),
    route_specialty TEXT,
    complaint       TEXT NOT NULL,
    arrived_at      INTEGER NOT NULL,
    sla_deadline    INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX consultations_patient ON consultations(patient_id);
CREATE INDEX consultations_physician ON consultations(physician_id, status);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY NOT NULL,
    consultation_id TEXT NOT NULL REFERENCES consultations(id),
    sender          TEXT NOT NULL CHECK (sender IN ('patient', 'physician', 'system')),
    body            TEXT NOT NULL,
    sent_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_consultation ON messages(consultation_id, sent_at);

-- Prescriptions (R-RX-1, R-RX-6): signed_at is set only by the physician's own signature.
CREATE TABLE prescriptions (
    id              TEXT PRIMARY KEY NOT NULL,
    consultation_id TEXT NOT NULL REFERENCES consultations(id),
    physician_id    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'signed', 'approved', 'rejected', 'revoked')),
    diagnosis       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    signed_at       INTEGER,
    updated_at      INTEGER NOT NULL,
    CHECK (status IN ('draft', 'revoked') OR signed_at IS NOT NULL)
) STRICT;
CREATE INDEX prescriptions_consultation ON prescriptions(consultation_id);

-- R-RX-2 lines; at most 5 per prescription (R-RX-4).
CREATE TABLE prescription_lines (
    prescription_id TEXT NOT NULL REFERENCES prescriptions(id) ON DELETE CASCADE,
    line_no         INTEGER NOT NULL CHECK (line_no BETWEEN 1 AND 5),
    generic_name    TEXT NOT NULL,
    strength        TEXT NOT NULL,
    dose            TEXT NOT NULL,
    route           TEXT NOT NULL,
    frequency       TEXT NOT NULL,
    course_days     INTEGER NOT NULL CHECK (course_days > 0),
    quantity        TEXT NOT NULL,
    notes           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (prescription_id, line_no)
) STRICT;

-- Checker findings and their overrides (R-RX-7).
CREATE TABLE findings (
    id              TEXT PRIMARY KEY NOT NULL,
    prescription_id TEXT NOT NULL REFERENCES prescriptions(id) ON DELETE CASCADE,
    line_no         INTEGER,
    rule_id         TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('block', 'warn', 'info')),
    reason          TEXT NOT NULL,
    source          TEXT NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX findings_prescription ON findings(prescription_id);

CREATE TABLE finding_overrides (
    finding_id   TEXT PRIMARY KEY NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    physician_id TEXT NOT NULL,
    reason       TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    overridden_at INTEGER NOT NULL
) STRICT;

-- A block can never be overridden (R-RX-7), whatever the caller does.
CREATE TRIGGER finding_overrides_no_block BEFORE INSERT ON finding_overrides
WHEN (SELECT severity FROM findings WHERE id = NEW.finding_id) = 'block'
BEGIN
    SELECT RAISE(ABORT, 'a block finding cannot be overridden');
END;

-- R-RX-6
CREATE TABLE pharmacist_reviews (
    id              TEXT PRIMARY KEY NOT NULL,
    prescription_id TEXT NOT NULL REFERENCES prescriptions(id),
    pharmacist_id   TEXT NOT NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    reasons         TEXT NOT NULL DEFAULT '',
    decided_at      INTEGER NOT NULL,
    CHECK (decision = 'approved' OR length(trim(reasons)) > 0)
) STRICT;
CREATE INDEX pharmacist_reviews_prescription ON pharmacist_reviews(prescription_id);

-- R-GUIDE-1, R-GUIDE-2: content is the rendered sheet (JSON).
CREATE TABLE guidance_sheets (
    id              TEXT PRIMARY KEY NOT NULL,
    prescription_id TEXT NOT NULL REFERENCES prescriptions(id) ON DELETE CASCADE,
    line_no         INTEGER NOT NULL,
    content         TEXT NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;

-- R-FU-1, R-FU-2
CREATE TABLE follow_up_plans (
    id              TEXT PRIMARY KEY NOT NULL,
    consultation_id TEXT NOT NULL REFERENCES consultations(id),
    patient_id      TEXT NOT NULL REFERENCES patients(id),
    condition       TEXT NOT NULL,
    first_due_at    INTEGER NOT NULL,
    revisit_at      INTEGER,
    status          TEXT NOT NULL CHECK (status IN ('active', 'closed')),
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX follow_up_plans_due ON follow_up_plans(status, first_due_at);

CREATE TABLE follow_up_records (
    id                  TEXT PRIMARY KEY NOT NULL,
    plan_id             TEXT NOT NULL REFERENCES follow_up_plans(id),
    recorded_at         INTEGER NOT NULL,
    taken_as_prescribed INTEGER CHECK (taken_as_prescribed IN (0, 1)),
    symptoms_improved   INTEGER CHECK (symptoms_improved IN (0, 1)),
    revisit_advice      TEXT NOT NULL DEFAULT '',
    notes               TEXT NOT NULL DEFAULT ''
) STRICT;

-- R-CMP-1, R-CMP-2
CREATE TABLE complaints (
    id              TEXT PRIMARY KEY NOT NULL,
    consultation_id TEXT NOT NULL REFERENCES consultations(id),
    received_at     INTEGER NOT NULL,
    respond_by      INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
    outcome         TEXT CHECK (outcome IN ('facts_mismatch', 'service_timeout', 'compliance_violation')),
    notes           TEXT NOT NULL DEFAULT ''
) STRICT;

-- Sync (R-SEC-1): local changes waiting for the platform, and per-stream pull cursors.
CREATE TABLE sync_outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id      TEXT NOT NULL UNIQUE,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER
) STRICT;
CREATE INDEX sync_outbox_pending ON sync_outbox(seq) WHERE sent_at IS NULL;

CREATE TABLE sync_cursors (
    stream     TEXT PRIMARY KEY NOT NULL,
    cursor     TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- The audit trail (R-SEC-5): a SHA-256 hash chain, see src/audit.rs for the encoding.
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY NOT NULL,
    at          INTEGER NOT NULL,
    who         TEXT NOT NULL,
    action      TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    device      TEXT NOT NULL,
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL
) STRICT;
