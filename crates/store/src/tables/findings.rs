//! `findings`: what the checker said about a prescription (R-RX-3, R-RX-7).

use rusqlite::params;

use super::unknown;
use crate::audit::Action;
use crate::error::Result;
use crate::{Reader, Writer};

pub const RECORD: &str = "finding";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Block,
    Warn,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Warn => "warn",
            Self::Info => "info",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: String,
    pub prescription_id: String,
    pub line_no: Option<u32>,
    pub rule_id: String,
    pub severity: Severity,
    pub reason: String,
    pub source: String,
}

pub fn insert(w: &mut Writer<'_>, f: &Finding) -> Result<()> {
    w.conn()
        .prepare_cached(
            "INSERT INTO findings(id, prescription_id, line_no, rule_id, severity, reason, source,
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            f.id,
            f.prescription_id,
            f.line_no,
            f.rule_id,
            f.severity.as_str(),
            f.reason,
            f.source,
            w.now_ms()
        ])?;
    w.audit(Action::Create, RECORD, &f.id)
}

pub fn of_prescription(r: &mut Reader<'_>, prescription_id: &str) -> Result<Vec<Finding>> {
    let rows: Vec<Finding> = r
        .conn()
        .prepare_cached(
            "SELECT id, line_no, rule_id, severity, reason, source FROM findings
             WHERE prescription_id = ?1 ORDER BY created_at, id",
        )?
        .query_map([prescription_id], |row| {
            let sev: String = row.get(3)?;
            Ok(Finding {
                id: row.get(0)?,
                prescription_id: prescription_id.to_owned(),
                line_no: row.get(1)?,
                rule_id: row.get(2)?,
                severity: match sev.as_str() {
                    "block" => Severity::Block,
                    "warn" => Severity::Warn,
                    "info" => Severity::Info,
                    other => return Err(unknown("severity", other)),
                },
                reason: row.get(4)?,
                source: row.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    r.touched(super::prescriptions::RECORD, prescription_id);
    Ok(rows)
}
