//! `finding_overrides`: a warning overridden with a recorded reason; a block never (R-RX-7,
//! enforced by a trigger in the schema as well as here).

use rusqlite::params;

use crate::audit::Action;
use crate::error::{Result, StoreError};
use crate::{Reader, Writer};

pub const RECORD: &str = "finding_override";

pub fn insert(
    w: &mut Writer<'_>,
    finding_id: &str,
    physician_id: &str,
    reason: &str,
) -> Result<()> {
    if reason.trim().is_empty() {
        return Err(StoreError::Constraint(
            "an override needs a reason (R-RX-7)".into(),
        ));
    }
    w.conn()
        .prepare_cached(
            "INSERT INTO finding_overrides(finding_id, physician_id, reason, overridden_at)
         VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![finding_id, physician_id, reason, w.now_ms()])?;
    w.audit(Action::Override, RECORD, finding_id)
}

/// The override reason of a finding, if it was overridden.
pub fn reason(r: &Reader<'_>, finding_id: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(r.conn()
        .prepare_cached("SELECT reason FROM finding_overrides WHERE finding_id = ?1")?
        .query_row([finding_id], |row| row.get(0))
        .optional()?)
}
