//! `sync_outbox` (R-SEC-1): local changes waiting for the platform, in order. `op_id` is
//! unique so a retried push is idempotent on the platform side. An entry is settled once:
//! acknowledged (`sent_at` + `acked_seq`) or rejected for good (`sent_at` + `rejection`).
//! Settled entries are kept: they are the history behind a record's sync status and the
//! user's kept draft of a rejected change.

use rusqlite::{OptionalExtension, params};

use crate::error::Result;
use crate::tables::not_found;
use crate::{Reader, Writer};

pub const RECORD: &str = "sync_operation";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxOp {
    pub seq: i64,
    pub op_id: String,
    /// The kind of record the operation changes (`consultation`, `prescription`, …).
    pub entity: String,
    pub entity_id: String,
    /// "upsert" or "delete".
    pub op: String,
    /// JSON (the whole operation as it is pushed).
    pub payload: String,
}

/// Where an entry stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Pending,
    Acked {
        seq: i64,
    },
    /// The rejection as JSON (`{"code":…,"message":…}`).
    Rejected {
        rejection: String,
    },
}

/// A rejected entry, for the sync screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedOp {
    pub op: OutboxOp,
    pub rejection: String,
    pub created_at: i64,
    pub settled_at: i64,
}

/// Queue a change in the caller's transaction (so it commits with the change). Not audited
/// separately: the change it carries already is. Queuing the same `op_id` again is a no-op.
#[allow(clippy::too_many_arguments)]
pub fn enqueue(
    w: &mut Writer<'_>,
    op_id: &str,
    user_id: &str,
    entity: &str,
    entity_id: &str,
    op: &str,
    payload: &str,
) -> Result<i64> {
    w.conn()
        .prepare_cached(
            "INSERT INTO sync_outbox(op_id, user_id, entity, entity_id, op, payload, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(op_id) DO NOTHING",
        )?
        .execute(params![
            op_id,
            user_id,
            entity,
            entity_id,
            op,
            payload,
            w.now_ms()
        ])?;
    Ok(w.conn().last_insert_rowid())
}

fn op_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxOp> {
    Ok(OutboxOp {
        seq: row.get(0)?,
        op_id: row.get(1)?,
        entity: row.get(2)?,
        entity_id: row.get(3)?,
        op: row.get(4)?,
        payload: row.get(5)?,
    })
}

/// The oldest unsettled operations of `user_id` (R-SEC-7: only they are pushed, under
/// their token; another user's wait for their owner).
pub fn pending(r: &Reader<'_>, user_id: &str, limit: u32) -> Result<Vec<OutboxOp>> {
    let rows: Vec<OutboxOp> = r
        .conn()
        .prepare_cached(
            "SELECT seq, op_id, entity, entity_id, op, payload FROM sync_outbox
             WHERE sent_at IS NULL AND user_id = ?1 ORDER BY seq LIMIT ?2",
        )?
        .query_map(params![user_id, limit], op_from)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The platform applied `op_id` as change `seq`. Idempotent: an entry already settled
/// keeps its first settlement. Unknown `op_id`: not found.
pub fn mark_acked(w: &mut Writer<'_>, op_id: &str, seq: i64) -> Result<()> {
    settle(w, op_id, Some(seq), None)
}

/// The platform refused `op_id` for good; `rejection` is its JSON.
/// The operation (JSON) an outbox entry holds, to act on its refusal where the work is.
pub fn payload_of(w: &Writer<'_>, op_id: &str) -> Result<Option<String>> {
    Ok(w.conn()
        .prepare_cached("SELECT payload FROM sync_outbox WHERE op_id = ?1")?
        .query_row([op_id], |r| r.get(0))
        .optional()?)
}

pub fn mark_rejected(w: &mut Writer<'_>, op_id: &str, rejection: &str) -> Result<()> {
    settle(w, op_id, None, Some(rejection))
}

fn settle(
    w: &mut Writer<'_>,
    op_id: &str,
    seq: Option<i64>,
    rejection: Option<&str>,
) -> Result<()> {
    let n = w
        .conn()
        .prepare_cached(
            "UPDATE sync_outbox SET sent_at = ?2, acked_seq = ?3, rejection = ?4
         WHERE op_id = ?1 AND sent_at IS NULL",
        )?
        .execute(params![op_id, w.now_ms(), seq, rejection])?;
    if n == 0 {
        let known: Option<i64> = w
            .conn()
            .prepare_cached("SELECT seq FROM sync_outbox WHERE op_id = ?1")?
            .query_row([op_id], |r| r.get(0))
            .optional()?;
        if known.is_none() {
            return Err(not_found(RECORD, op_id));
        }
    }
    Ok(())
}

/// How many of `user_id`'s entries are pending and how many were rejected.
pub fn counts(r: &Reader<'_>, user_id: &str) -> Result<(u32, u32)> {
    Ok(r.conn()
        .prepare_cached(
            "SELECT (SELECT count(*) FROM sync_outbox WHERE sent_at IS NULL AND user_id = ?1),
                (SELECT count(*) FROM sync_outbox WHERE rejection IS NOT NULL AND user_id = ?1)",
        )?
        .query_row([user_id], |row| Ok((row.get(0)?, row.get(1)?)))?)
}

/// `user_id`'s newest rejected entries (their payloads are the user's kept work: audited
/// as read). Nobody sees another user's refusals.
pub fn rejected(r: &mut Reader<'_>, user_id: &str, limit: u32) -> Result<Vec<RejectedOp>> {
    let rows: Vec<RejectedOp> = r
        .conn()
        .prepare_cached(
            "SELECT seq, op_id, entity, entity_id, op, payload, rejection, created_at, sent_at
             FROM sync_outbox WHERE rejection IS NOT NULL AND user_id = ?1
             ORDER BY seq DESC LIMIT ?2",
        )?
        .query_map(params![user_id, limit], |row| {
            Ok(RejectedOp {
                op: op_from(row)?,
                rejection: row.get(6)?,
                created_at: row.get(7)?,
                settled_at: row.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    for op in &rows {
        r.touched(RECORD, &op.op.op_id);
    }
    Ok(rows)
}

/// The settlement of every operation on one record, oldest first.
pub fn settlements_of(r: &Reader<'_>, entity: &str, entity_id: &str) -> Result<Vec<Settlement>> {
    settlements_of_conn(r.conn(), entity, entity_id)
}

/// [`settlements_of`] inside a write transaction.
pub fn settlements_of_conn(
    conn: &rusqlite::Connection,
    entity: &str,
    entity_id: &str,
) -> Result<Vec<Settlement>> {
    let rows: Vec<Settlement> = conn
        .prepare_cached(
            "SELECT sent_at, acked_seq, rejection FROM sync_outbox
             WHERE entity = ?1 AND entity_id = ?2 ORDER BY seq",
        )?
        .query_map(params![entity, entity_id], |row| {
            let sent: Option<i64> = row.get(0)?;
            let seq: Option<i64> = row.get(1)?;
            let rejection: Option<String> = row.get(2)?;
            Ok(match (sent, rejection) {
                (None, _) => Settlement::Pending,
                (Some(_), Some(rejection)) => Settlement::Rejected { rejection },
                (Some(_), None) => Settlement::Acked {
                    seq: seq.unwrap_or(0),
                },
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
