//! `follow_up_records` (R-FU-2): what a follow-up found.

use rusqlite::params;

use crate::audit::Action;
use crate::error::Result;
use crate::{Reader, Writer};

pub const RECORD: &str = "follow_up_record";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpRecord {
    pub id: String,
    pub plan_id: String,
    pub recorded_at: i64,
    pub taken_as_prescribed: Option<bool>,
    pub symptoms_improved: Option<bool>,
    pub revisit_advice: String,
    pub notes: String,
}

pub fn insert(w: &mut Writer<'_>, f: &FollowUpRecord) -> Result<()> {
    w.conn()
        .prepare_cached(
            "INSERT INTO follow_up_records(id, plan_id, recorded_at, taken_as_prescribed,
             symptoms_improved, revisit_advice, notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            f.id,
            f.plan_id,
            f.recorded_at,
            f.taken_as_prescribed,
            f.symptoms_improved,
            f.revisit_advice,
            f.notes
        ])?;
    w.audit(Action::Create, RECORD, &f.id)
}

pub fn of_plan(r: &mut Reader<'_>, plan_id: &str) -> Result<Vec<FollowUpRecord>> {
    let rows: Vec<FollowUpRecord> = r
        .conn()
        .prepare_cached(
            "SELECT id, recorded_at, taken_as_prescribed, symptoms_improved, revisit_advice, notes
             FROM follow_up_records WHERE plan_id = ?1 ORDER BY recorded_at, id",
        )?
        .query_map([plan_id], |row| {
            Ok(FollowUpRecord {
                id: row.get(0)?,
                plan_id: plan_id.to_owned(),
                recorded_at: row.get(1)?,
                taken_as_prescribed: row.get(2)?,
                symptoms_improved: row.get(3)?,
                revisit_advice: row.get(4)?,
                notes: row.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    r.touched(super::follow_up_plans::RECORD, plan_id);
    Ok(rows)
}
