//! `users`: the platform's accounts cached for offline work (R-ROLE-1..4).

use rusqlite::{OptionalExtension, params};

use crate::audit::Action;
use crate::error::Result;
use crate::{Reader, Writer};

pub const RECORD: &str = "user";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub display_name: String,
    pub org_id: String,
    /// Unix ms of the last review of prescribing rights (R-ROLE-4).
    pub prescribing_rights_reviewed_at: Option<i64>,
}

pub fn upsert(w: &mut Writer<'_>, u: &User) -> Result<()> {
    w.conn().prepare_cached("INSERT INTO users(id, display_name, org_id, prescribing_rights_reviewed_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name,
             org_id = excluded.org_id,
             prescribing_rights_reviewed_at = excluded.prescribing_rights_reviewed_at,
             updated_at = excluded.updated_at")?
        .execute(
        params![
            u.id,
            u.display_name,
            u.org_id,
            u.prescribing_rights_reviewed_at,
            w.now_ms()
        ],
    )?;
    w.audit(Action::Update, RECORD, &u.id)
}

pub fn get(r: &Reader<'_>, id: &str) -> Result<Option<User>> {
    Ok(r.conn()
        .prepare_cached(
            "SELECT display_name, org_id, prescribing_rights_reviewed_at FROM users WHERE id = ?1",
        )?
        .query_row([id], |row| {
            Ok(User {
                id: id.to_owned(),
                display_name: row.get(0)?,
                org_id: row.get(1)?,
                prescribing_rights_reviewed_at: row.get(2)?,
            })
        })
        .optional()?)
}
