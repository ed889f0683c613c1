//! `settings`: small key/value settings of the profile (backup folder, retention, idle lock).

use rusqlite::{Connection, OptionalExtension, params};

use crate::Writer;
use crate::audit::Action;
use crate::error::Result;

pub const RECORD: &str = "setting";

/// Where backups go (absolute path; default: the profile's `backups/`).
pub const BACKUP_FOLDER: &str = "backup.folder";
/// How long backups are kept, in days (at least the 3-year minimum).
pub const RETENTION_DAYS: &str = "backup.retention_days";

pub fn set(w: &mut Writer<'_>, key: &str, value: &str) -> Result<()> {
    set_unaudited(w, key, value)?;
    w.audit(Action::Update, RECORD, key)
}

/// Machine bookkeeping that is itself about the audit trail (the last outside anchor of the
/// chain): written without an audit entry, because auditing the write would move the very
/// chain head it records. Never for anything a person sets.
pub fn set_unaudited(w: &mut Writer<'_>, key: &str, value: &str) -> Result<()> {
    w.conn()
        .prepare_cached(
            "INSERT INTO settings(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![key, value])?;
    Ok(())
}

/// Settings hold no patient data: read without an audit entry.
pub fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}
