//! `prescriptions` (R-RX-1, R-RX-6). A draft is written with its lines; only the treating
//! physician signs it (never automatically); a pharmacist decision then approves or rejects
//! it (see `pharmacist_reviews`). Signing is durable when `Store::write` returns (FULL sync).

use rusqlite::{OptionalExtension, params};

use super::{not_found, prescription_lines, unknown};
use crate::audit::Action;
use crate::error::{Result, StoreError};
use crate::{Reader, Writer};
use meddesk_domain::{ConsultationId, Sensitive};

pub const RECORD: &str = "prescription";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxStatus {
    Draft,
    Signed,
    Approved,
    Rejected,
    Revoked,
}

impl RxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Signed => "signed",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Revoked => "revoked",
        }
    }
    fn parse(s: &str) -> rusqlite::Result<Self> {
        Ok(match s {
            "draft" => Self::Draft,
            "signed" => Self::Signed,
            "approved" => Self::Approved,
            "rejected" => Self::Rejected,
            "revoked" => Self::Revoked,
            other => return Err(unknown("prescription status", other)),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prescription {
    pub id: String,
    pub consultation_id: ConsultationId,
    pub physician_id: String,
    pub status: RxStatus,
    pub diagnosis: Sensitive<String>,
    pub created_at: i64,
    pub signed_at: Option<i64>,
    pub lines: Vec<prescription_lines::Line>,
}

/// A new draft with its lines (1–5, R-RX-4).
pub fn insert_draft(
    w: &mut Writer<'_>,
    id: &str,
    consultation_id: &ConsultationId,
    physician_id: &str,
    diagnosis: &Sensitive<String>,
    lines: &[prescription_lines::Line],
) -> Result<()> {
    w.conn()
        .prepare_cached(
            "INSERT INTO prescriptions(id, consultation_id, physician_id, status, diagnosis,
             created_at, updated_at) VALUES (?1, ?2, ?3, 'draft', ?4, ?5, ?5)",
        )?
        .execute(params![
            id,
            consultation_id.0.to_string(),
            physician_id,
            diagnosis.expose(),
            w.now_ms()
        ])?;
    w.audit(Action::Create, RECORD, id)?;
    prescription_lines::insert_all(w, id, lines)
}

/// The treating physician signs their own draft (R-RX-1). Anyone else: `constraint_violation`.
pub fn sign(w: &mut Writer<'_>, id: &str, physician_id: &str) -> Result<()> {
    let current: Option<(String, String)> = w
        .conn()
        .prepare_cached("SELECT status, physician_id FROM prescriptions WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (status, author) = current.ok_or_else(|| not_found(RECORD, id))?;
    if author != physician_id {
        return Err(StoreError::Constraint(
            "only the prescribing physician signs a prescription (R-RX-1)".into(),
        ));
    }
    if status != "draft" {
        return Err(StoreError::Constraint(format!(
            "a {status} prescription cannot be signed"
        )));
    }
    w.conn().prepare_cached("UPDATE prescriptions SET status = 'signed', signed_at = ?2, updated_at = ?2 WHERE id = ?1")?
        .execute(
        params![id, w.now_ms()],
    )?;
    w.audit(Action::Sign, RECORD, id)
}

/// The platform refused the signature (R-RX-8): the prescription is the physician's draft
/// again — never "awaiting the pharmacist" for something the platform does not hold as
/// signed. Only a signed prescription goes back; anything else is left as it is.
pub fn return_to_draft(w: &mut Writer<'_>, id: &str) -> Result<bool> {
    let n = w
        .conn()
        .prepare_cached(
            "UPDATE prescriptions SET status = 'draft', signed_at = NULL, updated_at = ?2
             WHERE id = ?1 AND status = 'signed'",
        )?
        .execute(params![id, w.now_ms()])?;
    if n > 0 {
        w.audit(Action::Update, RECORD, id)?;
    }
    Ok(n > 0)
}

/// The treating physician edits a draft or revises a rejected prescription (R-RX-6): the
/// lines are replaced and it is a draft again, to be re-checked and signed anew.
pub fn revise(
    w: &mut Writer<'_>,
    id: &str,
    physician_id: &str,
    diagnosis: &Sensitive<String>,
    lines: &[prescription_lines::Line],
) -> Result<()> {
    let (status, author) = status_and_author(w, id)?;
    if author != physician_id {
        return Err(StoreError::Constraint(
            "only the prescribing physician edits a prescription (R-RX-1)".into(),
        ));
    }
    if status != "draft" && status != "rejected" {
        return Err(StoreError::Constraint(format!(
            "a {status} prescription cannot be edited"
        )));
    }
    w.conn()
        .prepare_cached(
            "UPDATE prescriptions SET status = 'draft', signed_at = NULL, diagnosis = ?2,
             updated_at = ?3 WHERE id = ?1",
        )?
        .execute(params![id, diagnosis.expose(), w.now_ms()])?;
    w.conn()
        .prepare_cached("DELETE FROM prescription_lines WHERE prescription_id = ?1")?
        .execute([id])?;
    w.audit(Action::Update, RECORD, id)?;
    prescription_lines::insert_all(w, id, lines)
}

/// The treating physician withdraws a prescription that has not taken effect.
pub fn revoke(w: &mut Writer<'_>, id: &str, physician_id: &str) -> Result<()> {
    let (status, author) = status_and_author(w, id)?;
    if author != physician_id {
        return Err(StoreError::Constraint(
            "only the prescribing physician revokes a prescription (R-RX-1)".into(),
        ));
    }
    if !matches!(status.as_str(), "draft" | "signed" | "rejected") {
        return Err(StoreError::Constraint(format!(
            "a {status} prescription cannot be revoked"
        )));
    }
    w.conn()
        .prepare_cached(
            "UPDATE prescriptions SET status = 'revoked', updated_at = ?2 WHERE id = ?1",
        )?
        .execute(params![id, w.now_ms()])?;
    w.audit(Action::Update, RECORD, id)
}

/// A prescription signed on another workstation, as the platform delivered it, for a
/// pharmacist here to review (R-RX-6). Not here yet: inserted as signed. Here as a draft or
/// a rejected copy (the physician revised it and signed again elsewhere): its lines are
/// replaced and it is signed again. The signature is the physician's, made at `signed_at`
/// (Unix ms, their workstation's clock), never this workstation's.
pub fn record_signed_elsewhere(
    w: &mut Writer<'_>,
    id: &str,
    consultation_id: &ConsultationId,
    physician_id: &str,
    diagnosis: &Sensitive<String>,
    lines: &[prescription_lines::Line],
    signed_at: i64,
) -> Result<()> {
    match status_of(w, id)? {
        None => {
            w.conn()
                .prepare_cached(
                    "INSERT INTO prescriptions(id, consultation_id, physician_id, status, diagnosis,
                     created_at, updated_at, signed_at) VALUES (?1, ?2, ?3, 'signed', ?4, ?5, ?5, ?6)",
                )?
                .execute(params![
                    id,
                    consultation_id.0.to_string(),
                    physician_id,
                    diagnosis.expose(),
                    w.now_ms(),
                    signed_at
                ])?;
            w.audit(Action::Create, RECORD, id)?;
        }
        Some((status, author)) => {
            if author != physician_id {
                return Err(StoreError::Constraint(
                    "a prescription keeps its prescribing physician (R-RX-1)".into(),
                ));
            }
            if !matches!(status, RxStatus::Draft | RxStatus::Rejected) {
                return Err(StoreError::Constraint(format!(
                    "a {} prescription cannot be signed again",
                    status.as_str()
                )));
            }
            w.conn()
                .prepare_cached(
                    "UPDATE prescriptions SET status = 'signed', signed_at = ?2, diagnosis = ?3,
                     updated_at = ?4 WHERE id = ?1",
                )?
                .execute(params![id, signed_at, diagnosis.expose(), w.now_ms()])?;
            w.conn()
                .prepare_cached("DELETE FROM prescription_lines WHERE prescription_id = ?1")?
                .execute([id])?;
            w.audit(Action::Sign, RECORD, id)?;
        }
    }
    prescription_lines::insert_all(w, id, lines)
}

/// The status and prescribing physician of a prescription, inside a write (no audit entry:
/// neither says anything about a patient).
pub fn status_of(w: &Writer<'_>, id: &str) -> Result<Option<(RxStatus, String)>> {
    w.conn()
        .prepare_cached("SELECT status, physician_id FROM prescriptions WHERE id = ?1")?
        .query_row([id], |r| {
            Ok((RxStatus::parse(&r.get::<_, String>(0)?)?, r.get(1)?))
        })
        .optional()
        .map_err(Into::into)
}

fn status_and_author(w: &Writer<'_>, id: &str) -> Result<(String, String)> {
    w.conn()
        .prepare_cached("SELECT status, physician_id FROM prescriptions WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| not_found(RECORD, id))
}

/// Set by the pharmacist decision (same transaction).
pub(crate) fn set_reviewed(w: &mut Writer<'_>, id: &str, approved: bool) -> Result<()> {
    let status: Option<String> = w
        .conn()
        .prepare_cached("SELECT status FROM prescriptions WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    match status.as_deref() {
        None => return Err(not_found(RECORD, id)),
        Some("signed") => {}
        Some(other) => {
            return Err(StoreError::Constraint(format!(
                "a {other} prescription cannot be reviewed; it must be signed first (R-RX-6)"
            )));
        }
    }
    let to = if approved { "approved" } else { "rejected" };
    w.conn()
        .prepare_cached("UPDATE prescriptions SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, to, w.now_ms()])?;
    Ok(())
}

pub fn get(r: &mut Reader<'_>, id: &str) -> Result<Prescription> {
    let head = r
        .conn()
        .prepare_cached(
            "SELECT consultation_id, physician_id, status, diagnosis, created_at, signed_at
             FROM prescriptions WHERE id = ?1",
        )?
        .query_row([id], |row| {
            let cid: String = row.get(0)?;
            let cid = uuid::Uuid::parse_str(&cid)
                .map_err(|_| unknown("consultation_id", "<not a uuid>"))?;
            Ok(Prescription {
                id: id.to_owned(),
                consultation_id: ConsultationId(cid),
                physician_id: row.get(1)?,
                status: RxStatus::parse(&row.get::<_, String>(2)?)?,
                diagnosis: Sensitive::new(row.get(3)?),
                created_at: row.get(4)?,
                signed_at: row.get(5)?,
                lines: Vec::new(),
            })
        })
        .optional()?
        .ok_or_else(|| not_found(RECORD, id))?;
    let lines = prescription_lines::list(r, id)?;
    r.touched(RECORD, id);
    Ok(Prescription { lines, ..head })
}

/// Whether a prescription exists (no audit: it reveals nothing about a patient).
pub fn exists(r: &Reader<'_>, id: &str) -> Result<bool> {
    Ok(r.conn()
        .prepare_cached("SELECT 1 FROM prescriptions WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}
