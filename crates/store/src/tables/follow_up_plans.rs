//! `follow_up_plans` (R-FU-1): created for chronic-disease consultations; due and overdue
//! plans are listed (R-FU-2).

use meddesk_domain::{ConsultationId, PatientId};
use rusqlite::params;

use crate::audit::Action;
use crate::error::Result;
use crate::{Reader, Writer};

pub const RECORD: &str = "follow_up_plan";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpPlan {
    pub id: String,
    pub consultation_id: ConsultationId,
    pub patient_id: PatientId,
    pub condition: String,
    pub first_due_at: i64,
    pub revisit_at: Option<i64>,
    pub active: bool,
}

pub fn insert(w: &mut Writer<'_>, p: &FollowUpPlan) -> Result<()> {
    w.conn()
        .prepare_cached(
            "INSERT INTO follow_up_plans(id, consultation_id, patient_id, condition, first_due_at,
             revisit_at, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            p.id,
            p.consultation_id.0.to_string(),
            p.patient_id.0,
            p.condition,
            p.first_due_at,
            p.revisit_at,
            if p.active { "active" } else { "closed" },
            w.now_ms()
        ])?;
    w.audit(Action::Create, RECORD, &p.id)
}

/// Active plans due at or before `now_ms` (due and overdue), earliest first.
pub fn due(r: &mut Reader<'_>, now_ms: i64) -> Result<Vec<FollowUpPlan>> {
    let rows: Vec<FollowUpPlan> = r
        .conn()
        .prepare_cached(
            "SELECT id, consultation_id, patient_id, condition, first_due_at, revisit_at
             FROM follow_up_plans WHERE status = 'active' AND first_due_at <= ?1
             ORDER BY first_due_at, id",
        )?
        .query_map([now_ms], |row| {
            let cid: String = row.get(1)?;
            let cid = uuid::Uuid::parse_str(&cid)
                .map_err(|_| super::unknown("consultation_id", "<not a uuid>"))?;
            Ok(FollowUpPlan {
                id: row.get(0)?,
                consultation_id: ConsultationId(cid),
                patient_id: PatientId(row.get(2)?),
                condition: row.get(3)?,
                first_due_at: row.get(4)?,
                revisit_at: row.get(5)?,
                active: true,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    for p in &rows {
        r.touched(RECORD, &p.id);
    }
    Ok(rows)
}

/// The consultation a plan belongs to (no patient data).
pub fn consultation_of(conn: &rusqlite::Connection, plan_id: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT consultation_id FROM follow_up_plans WHERE id = ?1")?
        .query_row([plan_id], |row| row.get(0))
        .optional()?)
}
