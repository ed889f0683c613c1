//! `complaints` (R-CMP-1, R-CMP-2): answered within 24 hours; the outcome is recorded.

use meddesk_domain::ConsultationId;
use rusqlite::params;

use crate::audit::Action;
use crate::error::Result;
use crate::{Reader, Writer};

pub const RECORD: &str = "complaint";

/// R-CMP-1: the platform responds within 24 hours.
pub const RESPONSE_LIMIT_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    FactsMismatch,
    ServiceTimeout,
    ComplianceViolation,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FactsMismatch => "facts_mismatch",
            Self::ServiceTimeout => "service_timeout",
            Self::ComplianceViolation => "compliance_violation",
        }
    }
}

pub fn open(
    w: &mut Writer<'_>,
    id: &str,
    consultation_id: &ConsultationId,
    received_at: i64,
) -> Result<()> {
    w.conn()
        .prepare_cached(
            "INSERT INTO complaints(id, consultation_id, received_at, respond_by, status)
         VALUES (?1, ?2, ?3, ?4, 'open')",
        )?
        .execute(params![
            id,
            consultation_id.0.to_string(),
            received_at,
            received_at + RESPONSE_LIMIT_MS
        ])?;
    w.audit(Action::Create, RECORD, id)
}

pub fn close(w: &mut Writer<'_>, id: &str, outcome: Outcome, notes: &str) -> Result<()> {
    let n = w
        .conn()
        .prepare_cached(
            "UPDATE complaints SET status = 'closed', outcome = ?2, notes = ?3 WHERE id = ?1",
        )?
        .execute(params![id, outcome.as_str(), notes])?;
    if n == 0 {
        return Err(super::not_found(RECORD, id));
    }
    w.audit(Action::Update, RECORD, id)
}

/// Open complaints past their response deadline.
pub fn overdue(r: &mut Reader<'_>, now_ms: i64) -> Result<Vec<String>> {
    let ids: Vec<String> = r
        .conn()
        .prepare_cached(
            "SELECT id FROM complaints WHERE status = 'open' AND respond_by < ?1 ORDER BY respond_by",
        )?
        .query_map([now_ms], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        r.touched(RECORD, id);
    }
    Ok(ids)
}
