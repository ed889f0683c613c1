//! `sync_records`: the platform's records as last pulled (R-SEC-1). A record here is known
//! to the platform; changes to it travel as operations. Bodies are JSON snapshots.

use rusqlite::{OptionalExtension, params};

use crate::Writer;
use crate::error::Result;

/// Store a pulled snapshot unless a newer version is already here; true when stored.
/// `body` `None`: the platform deleted the record. Audited by the caller once per page.
pub fn upsert(
    w: &mut Writer<'_>,
    kind: &str,
    id: &str,
    version: i64,
    seq: i64,
    body: Option<&str>,
) -> Result<bool> {
    let n = w
        .conn()
        .prepare_cached(
            "INSERT INTO sync_records(kind, id, version, seq, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(kind, id) DO UPDATE SET version = excluded.version, seq = excluded.seq,
             body = excluded.body
         WHERE excluded.version >= sync_records.version",
        )?
        .execute(params![kind, id, version, seq, body])?;
    Ok(n > 0)
}

/// The body of a record as last pulled from the platform; `None`: not known to it (or
/// deleted there).
pub fn body(conn: &rusqlite::Connection, kind: &str, id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT body FROM sync_records WHERE kind = ?1 AND id = ?2")?
        .query_row(params![kind, id], |row| row.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// The version of a record on the platform as last pulled; `None`: not known to it.
pub fn version(conn: &rusqlite::Connection, kind: &str, id: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT version FROM sync_records WHERE kind = ?1 AND id = ?2")?
        .query_row(params![kind, id], |row| row.get(0))
        .optional()?)
}
