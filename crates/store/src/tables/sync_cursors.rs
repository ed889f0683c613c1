//! `sync_cursors`: how far each platform stream has been pulled (R-SEC-1).

use rusqlite::{OptionalExtension, params};

use crate::error::Result;
use crate::{Reader, Writer};

pub fn set(w: &mut Writer<'_>, stream: &str, cursor: &str) -> Result<()> {
    w.conn().prepare_cached("INSERT INTO sync_cursors(stream, cursor, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at")?
        .execute(
        params![stream, cursor, w.now_ms()],
    )?;
    Ok(())
}

pub fn get(r: &Reader<'_>, stream: &str) -> Result<Option<String>> {
    Ok(r.conn()
        .prepare_cached("SELECT cursor FROM sync_cursors WHERE stream = ?1")?
        .query_row([stream], |row| row.get(0))
        .optional()?)
}
