//! `prescription_lines` (R-RX-2): one medicine each, at most five per prescription (R-RX-4).

use rusqlite::params;

use crate::error::{Result, StoreError};
use crate::{Reader, Writer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub generic_name: String,
    pub strength: String,
    pub dose: String,
    pub route: String,
    pub frequency: String,
    pub course_days: u32,
    pub quantity: String,
    pub notes: String,
}

/// Lines are numbered 1.. in order. More than five is refused (R-RX-4).
pub(crate) fn insert_all(w: &mut Writer<'_>, prescription_id: &str, lines: &[Line]) -> Result<()> {
    if lines.is_empty() || lines.len() > 5 {
        return Err(StoreError::Constraint(format!(
            "a prescription has 1 to 5 lines (R-RX-4), not {}",
            lines.len()
        )));
    }
    let mut stmt = w.conn().prepare_cached(
        "INSERT INTO prescription_lines(prescription_id, line_no, generic_name, strength, dose,
             route, frequency, course_days, quantity, notes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (i, l) in lines.iter().enumerate() {
        stmt.execute(params![
            prescription_id,
            i as i64 + 1,
            l.generic_name,
            l.strength,
            l.dose,
            l.route,
            l.frequency,
            l.course_days,
            l.quantity,
            l.notes
        ])?;
    }
    Ok(())
}

/// The lines of one prescription; the caller (prescriptions::get) audits the read.
pub(crate) fn list(r: &Reader<'_>, prescription_id: &str) -> Result<Vec<Line>> {
    let rows = r
        .conn()
        .prepare_cached(
            "SELECT generic_name, strength, dose, route, frequency, course_days, quantity, notes
             FROM prescription_lines WHERE prescription_id = ?1 ORDER BY line_no",
        )?
        .query_map([prescription_id], |row| {
            Ok(Line {
                generic_name: row.get(0)?,
                strength: row.get(1)?,
                dose: row.get(2)?,
                route: row.get(3)?,
                frequency: row.get(4)?,
                course_days: row.get(5)?,
                quantity: row.get(6)?,
                notes: row.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
