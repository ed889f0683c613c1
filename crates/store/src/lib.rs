//! The encrypted local cache: SQLCipher database, forward-only migrations, one module per
//! table, the sync outbox and the tamper-evident audit trail.
//!
//! Must never: hold a decrypted key longer than the session is unlocked, write patient data
//! to logs or error messages, or know about Tauri, HTTP or the UI.
