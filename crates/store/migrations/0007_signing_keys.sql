-- Electronic signatures (R-RX-10, issue 12): each physician's and pharmacist's signing key
-- on this workstation. The private key (the Ed25519 seed) is sealed field-level with the
-- profile's field key on top of SQLCipher — the database key itself lives in the OS keychain
-- (or is passphrase-wrapped) — so the seed is never on disk in the clear and a locked
-- workstation holds neither. The certificate is the platform's (JSON), once issued.
CREATE TABLE signing_keys (
    user_id     TEXT PRIMARY KEY NOT NULL,
    key_id      TEXT NOT NULL,
    seed        BLOB NOT NULL,
    certificate TEXT,
    created_at  INTEGER NOT NULL
) STRICT;
