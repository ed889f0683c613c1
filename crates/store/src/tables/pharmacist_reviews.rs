//! `pharmacist_reviews` (R-RX-6): the decision and the prescription's new status commit in
//! one transaction, durable when the call returns (FULL sync).

use rusqlite::params;

use super::prescriptions;
use crate::audit::Action;
use crate::error::Result;
use crate::{Reader, Writer};

pub const RECORD: &str = "pharmacist_review";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: String,
    pub prescription_id: String,
    pub pharmacist_id: String,
    pub approved: bool,
    /// Required when rejecting.
    pub reasons: String,
}

pub fn record(w: &mut Writer<'_>, r: &Review) -> Result<()> {
    prescriptions::set_reviewed(w, &r.prescription_id, r.approved)?;
    w.conn()
        .prepare_cached(
            "INSERT INTO pharmacist_reviews(id, prescription_id, pharmacist_id, decision, reasons,
             decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            r.id,
            r.prescription_id,
            r.pharmacist_id,
            if r.approved { "approved" } else { "rejected" },
            r.reasons,
            w.now_ms()
        ])?;
    w.audit(Action::Review, prescriptions::RECORD, &r.prescription_id)
}

/// The platform refused `pharmacist_id`'s latest decision on the prescription (R-RX-8, one
/// truth on screen): it did not take effect, so it is withdrawn here and the prescription
/// awaits review again. The withdrawal is audited; `false` when there was nothing to withdraw.
pub fn withdraw_latest(
    w: &mut Writer<'_>,
    prescription_id: &str,
    pharmacist_id: &str,
) -> Result<bool> {
    let n = w
        .conn()
        .prepare_cached(
            "DELETE FROM pharmacist_reviews WHERE id = (SELECT id FROM pharmacist_reviews
             WHERE prescription_id = ?1 AND pharmacist_id = ?2 ORDER BY decided_at DESC, id DESC
             LIMIT 1)",
        )?
        .execute(params![prescription_id, pharmacist_id])?;
    if n == 0 {
        return Ok(false);
    }
    w.conn()
        .prepare_cached(
            "UPDATE prescriptions SET status = 'signed', updated_at = ?2
             WHERE id = ?1 AND status IN ('approved', 'rejected')",
        )?
        .execute(params![prescription_id, w.now_ms()])?;
    w.audit(Action::Update, prescriptions::RECORD, prescription_id)?;
    Ok(true)
}

pub fn of_prescription(r: &mut Reader<'_>, prescription_id: &str) -> Result<Vec<Review>> {
    let rows: Vec<Review> = r
        .conn()
        .prepare_cached(
            "SELECT id, pharmacist_id, decision, reasons FROM pharmacist_reviews
             WHERE prescription_id = ?1 ORDER BY decided_at, id",
        )?
        .query_map([prescription_id], |row| {
            Ok(Review {
                id: row.get(0)?,
                prescription_id: prescription_id.to_owned(),
                pharmacist_id: row.get(1)?,
                approved: row.get::<_, String>(2)? == "approved",
                reasons: row.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    r.touched(prescriptions::RECORD, prescription_id);
    Ok(rows)
}
