//! `guidance_sheets`: the medication guidance handed to the patient (R-GUIDE-1, R-GUIDE-2).

use rusqlite::params;

use crate::audit::Action;
use crate::error::Result;
use crate::{Reader, Writer};

pub const RECORD: &str = "guidance_sheet";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuidanceSheet {
    pub id: String,
    pub prescription_id: String,
    pub line_no: u32,
    /// The rendered sheet (JSON from the clinical crate).
    pub content: String,
}

pub fn insert(w: &mut Writer<'_>, g: &GuidanceSheet) -> Result<()> {
    w.conn()
        .prepare_cached(
            "INSERT INTO guidance_sheets(id, prescription_id, line_no, content, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            g.id,
            g.prescription_id,
            g.line_no,
            g.content,
            w.now_ms()
        ])?;
    w.audit(Action::Create, RECORD, &g.id)
}

pub fn of_prescription(r: &mut Reader<'_>, prescription_id: &str) -> Result<Vec<GuidanceSheet>> {
    let rows: Vec<GuidanceSheet> = r
        .conn()
        .prepare_cached(
            "SELECT id, line_no, content FROM guidance_sheets WHERE prescription_id = ?1
             ORDER BY line_no, id",
        )?
        .query_map([prescription_id], |row| {
            Ok(GuidanceSheet {
                id: row.get(0)?,
                prescription_id: prescription_id.to_owned(),
                line_no: row.get(1)?,
                content: row.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    r.touched(super::prescriptions::RECORD, prescription_id);
    Ok(rows)
}
