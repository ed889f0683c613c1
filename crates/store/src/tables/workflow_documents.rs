//! The workflow's JSON documents (migration 0004): `consultation_records`,
//! `prescription_documents`, `prescription_templates`, `credentials`, `regulator_reports`.
//! The workstation owns their shape; this module stores and audits them. Contents are
//! patient data or secrets: never logged, never in an error.

use rusqlite::{OptionalExtension, params};

use crate::audit::Action;
use crate::error::Result;
use crate::{Reader, Writer};

pub const RECORD: &str = "consultation_record";
pub const PRESCRIPTION: &str = "prescription";
pub const TEMPLATE: &str = "prescription_template";
pub const CREDENTIAL: &str = "credential";
pub const REPORT: &str = "regulator_report";

// ---- consultation_records ------------------------------------------------------------

pub fn put_intake(w: &mut Writer<'_>, consultation_id: &str, intake_json: &str) -> Result<()> {
    w.conn().prepare_cached("INSERT INTO consultation_records(consultation_id, intake, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(consultation_id) DO UPDATE SET intake = excluded.intake, updated_at = excluded.updated_at")?
        .execute(
        params![consultation_id, intake_json, w.now_ms()],
    )?;
    w.audit(Action::Create, RECORD, consultation_id)
}

pub fn put_record(
    w: &mut Writer<'_>,
    consultation_id: &str,
    record_json: &str,
    by: &str,
) -> Result<()> {
    let n = w
        .conn()
        .prepare_cached(
            "UPDATE consultation_records SET record = ?2, updated_by = ?3, updated_at = ?4
         WHERE consultation_id = ?1",
        )?
        .execute(params![consultation_id, record_json, by, w.now_ms()])?;
    if n == 0 {
        return Err(super::not_found(RECORD, consultation_id));
    }
    w.audit(Action::Update, RECORD, consultation_id)
}

/// The record JSON inside a write that is about to replace it (sync merging another
/// device's edits): the replacing `put_record` is the audited change.
pub fn record_for_update(w: &Writer<'_>, consultation_id: &str) -> Result<Option<String>> {
    Ok(w.conn()
        .prepare_cached("SELECT record FROM consultation_records WHERE consultation_id = ?1")?
        .query_row([consultation_id], |row| row.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// (intake JSON, record JSON if written yet).
pub fn get_record(
    r: &mut Reader<'_>,
    consultation_id: &str,
) -> Result<Option<(String, Option<String>)>> {
    let row = r
        .conn()
        .prepare_cached(
            "SELECT intake, record FROM consultation_records WHERE consultation_id = ?1",
        )?
        .query_row([consultation_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    if row.is_some() {
        r.touched(RECORD, consultation_id);
    }
    Ok(row)
}

// ---- prescription_documents ----------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrescriptionDocument {
    pub draft: String,
    pub check_result: String,
    pub overrides: String,
    pub validity_days: i64,
    pub review_rounds: i64,
    /// The platform's refusal of the last signature (JSON), until it is saved or signed
    /// again.
    pub refusal: Option<String>,
    /// The check request's patient (JSON) the prescription was checked against (R-RX-9).
    pub context: Option<String>,
    /// The electronic signature document (JSON, R-RX-10), once signed.
    pub signature: Option<String>,
}

pub fn put_prescription(
    w: &mut Writer<'_>,
    prescription_id: &str,
    d: &PrescriptionDocument,
) -> Result<()> {
    w.conn()
        .prepare_cached(
            "INSERT INTO prescription_documents(prescription_id, draft, check_result, overrides,
             validity_days, review_rounds, updated_at, refusal, context, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(prescription_id) DO UPDATE SET draft = excluded.draft,
             check_result = excluded.check_result, overrides = excluded.overrides,
             validity_days = excluded.validity_days, review_rounds = excluded.review_rounds,
             updated_at = excluded.updated_at, refusal = excluded.refusal,
             context = excluded.context, signature = excluded.signature",
        )?
        .execute(params![
            prescription_id,
            d.draft,
            d.check_result,
            d.overrides,
            d.validity_days,
            d.review_rounds,
            w.now_ms(),
            d.refusal,
            d.context,
            d.signature
        ])?;
    w.audit(Action::Update, PRESCRIPTION, prescription_id)
}

/// One more review round on a prescription's document (a decision pulled from the platform,
/// recorded with `pharmacist_reviews::record` in the same transaction).
pub fn add_review_round(w: &mut Writer<'_>, prescription_id: &str) -> Result<()> {
    w.conn()
        .prepare_cached(
            "UPDATE prescription_documents SET review_rounds = review_rounds + 1, updated_at = ?2
             WHERE prescription_id = ?1",
        )?
        .execute(params![prescription_id, w.now_ms()])?;
    w.audit(Action::Update, PRESCRIPTION, prescription_id)
}

/// A prescription's document inside a write (e.g. when a refusal settles); the write is
/// audited by its caller.
pub fn prescription_in_write(
    w: &Writer<'_>,
    prescription_id: &str,
) -> Result<Option<PrescriptionDocument>> {
    prescription_in(w.conn(), prescription_id)
}

fn prescription_in(
    conn: &rusqlite::Connection,
    prescription_id: &str,
) -> Result<Option<PrescriptionDocument>> {
    Ok(conn
        .prepare_cached(
            "SELECT draft, check_result, overrides, validity_days, review_rounds, refusal, context,
                    signature
             FROM prescription_documents WHERE prescription_id = ?1",
        )?
        .query_row([prescription_id], |row| {
            Ok(PrescriptionDocument {
                draft: row.get(0)?,
                check_result: row.get(1)?,
                overrides: row.get(2)?,
                validity_days: row.get(3)?,
                review_rounds: row.get(4)?,
                refusal: row.get(5)?,
                context: row.get(6)?,
                signature: row.get(7)?,
            })
        })
        .optional()?)
}

/// Every prescription with an electronic signature document: (id, document JSON), by id.
pub fn signed_documents(r: &mut Reader<'_>) -> Result<Vec<(String, String)>> {
    let rows: Vec<(String, String)> = r
        .conn()
        .prepare_cached(
            "SELECT prescription_id, signature FROM prescription_documents
             WHERE signature IS NOT NULL ORDER BY prescription_id",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, _) in &rows {
        r.touched(PRESCRIPTION, id);
    }
    Ok(rows)
}

pub fn get_prescription(
    r: &mut Reader<'_>,
    prescription_id: &str,
) -> Result<Option<PrescriptionDocument>> {
    let doc = prescription_in(r.conn(), prescription_id)?;
    if doc.is_some() {
        r.touched(PRESCRIPTION, prescription_id);
    }
    Ok(doc)
}

// ---- prescription_templates ----------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub id: String,
    pub physician_id: String,
    pub name: String,
    pub diagnosis: Option<String>,
    pub draft: String,
    pub created_at: i64,
}

pub fn insert_template(w: &mut Writer<'_>, t: &Template) -> Result<()> {
    w.conn().prepare_cached("INSERT INTO prescription_templates(id, physician_id, name, diagnosis, draft, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(
        params![
            t.id,
            t.physician_id,
            t.name,
            t.diagnosis,
            t.draft,
            t.created_at
        ],
    )?;
    w.audit(Action::Create, TEMPLATE, &t.id)
}

/// A physician's templates, newest first; with a diagnosis, those for it (or for none).
pub fn templates_of(r: &Reader<'_>, physician_id: &str) -> Result<Vec<Template>> {
    let mut stmt = r.conn().prepare_cached(
        "SELECT id, physician_id, name, diagnosis, draft, created_at FROM prescription_templates
         WHERE physician_id = ?1 ORDER BY created_at DESC, id",
    )?;
    let rows = stmt.query_map([physician_id], |row| {
        Ok(Template {
            id: row.get(0)?,
            physician_id: row.get(1)?,
            name: row.get(2)?,
            diagnosis: row.get(3)?,
            draft: row.get(4)?,
            created_at: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- credentials ---------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub user_id: String,
    pub password_verifier: String,
    /// Sealed with the field key (bound to the user id); `None` without a second factor.
    pub totp_secret: Option<Vec<u8>>,
    pub last_totp_step: Option<i64>,
    pub specialties: String,
    pub suspended_at: Option<i64>,
    pub suspended_reason: Option<String>,
}

pub fn put_credential(w: &mut Writer<'_>, c: &Credential) -> Result<()> {
    w.conn()
        .prepare_cached(
            "INSERT INTO credentials(user_id, password_verifier, totp_secret, last_totp_step,
             specialties, suspended_at, suspended_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(user_id) DO UPDATE SET password_verifier = excluded.password_verifier,
             totp_secret = excluded.totp_secret, last_totp_step = excluded.last_totp_step,
             specialties = excluded.specialties, suspended_at = excluded.suspended_at,
             suspended_reason = excluded.suspended_reason",
        )?
        .execute(params![
            c.user_id,
            c.password_verifier,
            c.totp_secret,
            c.last_totp_step,
            c.specialties,
            c.suspended_at,
            c.suspended_reason
        ])?;
    w.audit(Action::Update, CREDENTIAL, &c.user_id)
}

pub fn get_credential(r: &Reader<'_>, user_id: &str) -> Result<Option<Credential>> {
    Ok(r.conn()
        .prepare_cached(
            "SELECT password_verifier, totp_secret, last_totp_step, specialties, suspended_at,
                    suspended_reason
             FROM credentials WHERE user_id = ?1",
        )?
        .query_row([user_id], |row| {
            Ok(Credential {
                user_id: user_id.to_owned(),
                password_verifier: row.get(0)?,
                totp_secret: row.get(1)?,
                last_totp_step: row.get(2)?,
                specialties: row.get(3)?,
                suspended_at: row.get(4)?,
                suspended_reason: row.get(5)?,
            })
        })
        .optional()?)
}

// ---- regulator_reports ---------------------------------------------------------------

pub fn insert_report(
    w: &mut Writer<'_>,
    id: &str,
    complaint_id: &str,
    report_json: &str,
) -> Result<()> {
    w.conn().prepare_cached("INSERT INTO regulator_reports(id, complaint_id, report, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(
        params![id, complaint_id, report_json, w.now_ms()],
    )?;
    w.audit(Action::Create, REPORT, id)
}

pub fn report_of(r: &Reader<'_>, complaint_id: &str) -> Result<Option<String>> {
    Ok(r.conn()
        .prepare_cached("SELECT report FROM regulator_reports WHERE complaint_id = ?1 ORDER BY created_at DESC LIMIT 1")?
        .query_row(
            [complaint_id],
            |row| row.get(0),
        )
        .optional()?)
}

// ---- workflow queries ------------------------------------------------------------------

/// Ordinary consultations of a patient that arrived at or after `since_ms` (R-TRI-4).
pub fn ordinary_consultations_since(
    conn: &rusqlite::Connection,
    patient_id: &str,
    since_ms: i64,
) -> Result<i64> {
    Ok(conn.prepare_cached("SELECT count(*) FROM consultations c JOIN consultation_records d ON d.consultation_id = c.id
         WHERE c.patient_id = ?1 AND c.arrived_at >= ?2
           AND json_extract(d.intake, '$.kind') = 'ordinary'")?
        .query_row(
        params![patient_id, since_ms],
        |row| row.get(0),
    )?)
}

/// First claim wins: only a waiting consultation is claimed; false when someone else (or a
/// cancellation) got there first.
pub fn claim(w: &mut Writer<'_>, consultation_id: &str, physician_id: &str) -> Result<bool> {
    let n = w
        .conn()
        .prepare_cached(
            "UPDATE consultations SET status = 'claimed', physician_id = ?2, updated_at = ?3
         WHERE id = ?1 AND status = 'waiting'",
        )?
        .execute(params![consultation_id, physician_id, w.now_ms()])?;
    if n == 1 {
        w.audit(Action::Update, "consultation", consultation_id)?;
    }
    Ok(n == 1)
}

/// Prescription ids in a status, oldest signature first (the pharmacist's queue, R-RX-6).
pub fn prescriptions_in_status(r: &Reader<'_>, status: &str, limit: u32) -> Result<Vec<String>> {
    let mut stmt = r.conn().prepare_cached(
        "SELECT id FROM prescriptions WHERE status = ?1 ORDER BY signed_at, created_at, id LIMIT ?2",
    )?;
    let ids = stmt
        .query_map(params![status, limit], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Prescription ids of a consultation, newest first.
pub fn prescriptions_of_consultation(r: &Reader<'_>, consultation_id: &str) -> Result<Vec<String>> {
    let mut stmt = r.conn().prepare_cached(
        "SELECT id FROM prescriptions WHERE consultation_id = ?1 ORDER BY created_at DESC, id",
    )?;
    let ids = stmt
        .query_map([consultation_id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// One row per consultation for quality indicators (no patient data): physician, status,
/// arrival, the claim time recorded at intake, the triage route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiConsultation {
    pub id: String,
    pub physician_id: Option<String>,
    pub status: String,
    pub arrived_at: i64,
    pub claimed_at: Option<i64>,
    pub route: String,
}

pub fn kpi_consultations(r: &Reader<'_>, since_ms: i64) -> Result<Vec<KpiConsultation>> {
    let mut stmt = r.conn().prepare_cached(
        "SELECT c.id, c.physician_id, c.status, c.arrived_at,
                json_extract(d.intake, '$.claimed_at'),
                c.route_kind || coalesce(':' || c.route_specialty, '')
         FROM consultations c LEFT JOIN consultation_records d ON d.consultation_id = c.id
         WHERE c.arrived_at >= ?1 ORDER BY c.arrived_at",
    )?;
    let rows = stmt
        .query_map([since_ms], |row| {
            Ok(KpiConsultation {
                id: row.get(0)?,
                physician_id: row.get(1)?,
                status: row.get(2)?,
                arrived_at: row.get(3)?,
                claimed_at: row.get(4)?,
                route: row.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// (prescription id, physician, created_at, status, review rounds, overrides JSON).
pub type KpiPrescription = (String, String, i64, String, i64, String);

pub fn kpi_prescriptions(r: &Reader<'_>, since_ms: i64) -> Result<Vec<KpiPrescription>> {
    let mut stmt = r.conn().prepare_cached(
        "SELECT p.id, p.physician_id, p.created_at, p.status,
                coalesce(d.review_rounds, 0), coalesce(d.overrides, '[]')
         FROM prescriptions p LEFT JOIN prescription_documents d ON d.prescription_id = p.id
         WHERE p.created_at >= ?1",
    )?;
    let rows = stmt
        .query_map([since_ms], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// A complaint row for the administrator's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRow {
    pub id: String,
    pub consultation_id: String,
    pub physician_id: Option<String>,
    pub received_at: i64,
    pub respond_by: i64,
    pub status: String,
    pub outcome: Option<String>,
    pub notes: String,
    pub text: String,
}

pub fn complaints_all(r: &mut Reader<'_>) -> Result<Vec<ComplaintRow>> {
    let rows: Vec<ComplaintRow> = r
        .conn()
        .prepare_cached(
            "SELECT id, consultation_id, physician_id, received_at, respond_by, status, outcome,
                    notes, text
             FROM complaints ORDER BY status = 'closed', respond_by, id",
        )?
        .query_map([], |row| {
            Ok(ComplaintRow {
                id: row.get(0)?,
                consultation_id: row.get(1)?,
                physician_id: row.get(2)?,
                received_at: row.get(3)?,
                respond_by: row.get(4)?,
                status: row.get(5)?,
                outcome: row.get(6)?,
                notes: row.get(7)?,
                text: row.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    for c in &rows {
        r.touched("complaint", &c.id);
    }
    Ok(rows)
}

/// The complaint's text, the physician concerned and the record snapshot (R-CMP-1).
pub fn attach_complaint_details(
    w: &mut Writer<'_>,
    complaint_id: &str,
    physician_id: Option<&str>,
    text: &str,
    snapshot_json: &str,
) -> Result<()> {
    w.conn().prepare_cached("UPDATE complaints SET physician_id = ?2, text = ?3, record_snapshot = ?4 WHERE id = ?1")?
        .execute(
        params![complaint_id, physician_id, text, snapshot_json],
    )?;
    w.audit(Action::Update, "complaint", complaint_id)
}

/// One row of the detailed queue: the entry, the intake JSON, the patient's age and sex, and
/// whether the platform verified the patient's identity (R-REC-2).
pub type DetailedQueueRow = (
    super::consultations::QueueEntry,
    Option<String>,
    Option<u8>,
    Option<String>,
    bool,
);

/// The intake queue with what triage stored and the patients' display age and sex, in one
/// query and one audit entry (R-SEC-5: the whole view is one access), most urgent first.
pub fn intake_queue_detailed(r: &mut Reader<'_>, limit: u32) -> Result<Vec<DetailedQueueRow>> {
    use meddesk_domain::{ConsultationId, MaskedName, PatientId, Sensitive};
    let rows = {
        let mut stmt = r.conn().prepare_cached(
            "SELECT c.id, c.patient_id, p.masked_name, c.priority, c.channel, c.route_kind,
                    c.route_specialty, c.sla_deadline, c.complaint, c.arrived_at,
                    d.intake, p.age_years, p.sex, p.identity_verified
             FROM consultations c JOIN patients p ON p.id = c.patient_id
                  LEFT JOIN consultation_records d ON d.consultation_id = c.id
             WHERE c.status = 'waiting'
             ORDER BY c.priority, c.sla_deadline
             LIMIT ?1",
        )?;
        stmt.query_map([limit], |row| {
            let id: String = row.get(0)?;
            let id =
                uuid::Uuid::parse_str(&id).map_err(|_| super::unknown("id", "<not a uuid>"))?;
            let masked: String = row.get(2)?;
            let entry = super::consultations::QueueEntry {
                id: ConsultationId(id),
                patient_id: PatientId(row.get(1)?),
                masked_name: MaskedName::from_full_name(&masked),
                priority: super::consultations::priority_from_rank(row.get(3)?)?,
                channel: super::consultations::channel_from_str(&row.get::<_, String>(4)?)?,
                route: super::consultations::route_from_parts(
                    &row.get::<_, String>(5)?,
                    row.get(6)?,
                )?,
                sla_deadline: row.get(7)?,
                complaint: Sensitive::new(row.get(8)?),
                arrived_at: row.get(9)?,
            };
            Ok((
                entry,
                row.get(10)?,
                row.get(11)?,
                row.get(12)?,
                row.get(13)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
    };
    r.touched("intake_queue", &format!("{} consultations", rows.len()));
    Ok(rows)
}

/// Suspend or reinstate an account as the platform says (R-CMP-2); false when the user has
/// no local credential.
pub fn set_suspension(
    w: &mut Writer<'_>,
    user_id: &str,
    suspended_at: Option<i64>,
    reason: Option<&str>,
) -> Result<bool> {
    let n = w
        .conn()
        .prepare_cached(
            "UPDATE credentials SET suspended_at = ?2, suspended_reason = ?3 WHERE user_id = ?1
           AND (suspended_at IS NULL) <> (?2 IS NULL)",
        )?
        .execute(params![user_id, suspended_at, reason])?;
    if n > 0 {
        w.audit(crate::audit::Action::Update, "credential", user_id)?;
    }
    Ok(n > 0)
}
