//! `sync_outbox` (R-SEC-1): local changes waiting for the platform, in order. `op_id` is
//! unique so a retried push is idempotent on the platform side.

use rusqlite::params;

use crate::error::Result;
use crate::{Reader, Writer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxOp {
    pub seq: i64,
    pub op_id: String,
    pub entity: String,
    pub entity_id: String,
    /// "upsert" or "delete".
    pub op: String,
    /// JSON.
    pub payload: String,
}

/// Queue a change in the caller's transaction (so it commits with the change). Not audited
/// separately: the change it carries already is.
pub fn enqueue(
    w: &mut Writer<'_>,
    op_id: &str,
    entity: &str,
    entity_id: &str,
    op: &str,
    payload: &str,
) -> Result<i64> {
    w.conn().execute(
        "INSERT INTO sync_outbox(op_id, entity, entity_id, op, payload, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![op_id, entity, entity_id, op, payload, w.now_ms()],
    )?;
    Ok(w.conn().last_insert_rowid())
}

/// The oldest unsent operations.
pub fn pending(r: &Reader<'_>, limit: u32) -> Result<Vec<OutboxOp>> {
    let rows: Vec<OutboxOp> = r
        .conn()
        .prepare_cached(
            "SELECT seq, op_id, entity, entity_id, op, payload FROM sync_outbox
             WHERE sent_at IS NULL ORDER BY seq LIMIT ?1",
        )?
        .query_map([limit], |row| {
            Ok(OutboxOp {
                seq: row.get(0)?,
                op_id: row.get(1)?,
                entity: row.get(2)?,
                entity_id: row.get(3)?,
                op: row.get(4)?,
                payload: row.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Mark everything up to and including `seq` as accepted by the platform.
pub fn mark_sent_through(w: &mut Writer<'_>, seq: i64) -> Result<usize> {
    Ok(w.conn().execute(
        "UPDATE sync_outbox SET sent_at = ?2 WHERE seq <= ?1 AND sent_at IS NULL",
        params![seq, w.now_ms()],
    )?)
}
