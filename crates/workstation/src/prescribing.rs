//! Writing prescriptions (R-RX-1…7): drug search, the checker as the physician types, drafts,
//! templates, signing by the treating physician with override reasons for warnings, and
//! revision after a pharmacist's rejection. The lifecycle rules live in
//! `meddesk_clinical::lifecycle`; this module applies them to the store.

use chrono::{DateTime, Duration, Utc};
use meddesk_clinical::check::check;
use meddesk_clinical::check::request::{
    CheckRequest, CheckResponse, Consultation as CheckConsultation, ConsultationKind as RxKind,
    Finding, Item, Patient as CheckPatient, Severity as CheckSeverity,
};
use meddesk_clinical::lifecycle::{self, Event, Override, RxStatus};
use meddesk_clinical::triage::ConsultationKind;
use meddesk_domain::{ConsultationId, Role, Sensitive, UserId};
use meddesk_formulary::Target;
use meddesk_store::tables::{
    consultations, finding_overrides, findings, pharmacist_reviews, prescription_lines,
    prescriptions, workflow_documents as docs,
};
use meddesk_store::{Actor, Store};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::consultation::ConsultationRecord;
use crate::intake::IntakeDoc;
use crate::session::SignedIn;
use crate::{ApiError, Command, ErrorCode, Workstation};

/// What the physician is writing: the lines, and optionally the consultation kind and the
/// diagnoses (defaults: from triage and from the record). Defined once in `clinical`, the
/// content the platform and the pharmacist re-validate.
pub use meddesk_clinical::check::request::RxDraft;

/// The course limit follows the consultation (R-RX-4): a chronic follow-up is chronic, an
/// emergency-triaged consultation is an emergency, anything else ordinary.
pub(crate) fn default_kind(intake: Option<&IntakeDoc>) -> RxKind {
    match intake {
        Some(d) => meddesk_clinical::check::validity::default_consultation_kind(
            d.kind == ConsultationKind::ChronicFollowup,
            d.triage.priority,
        ),
        None => RxKind::default(),
    }
}

pub(crate) fn check_request(
    id: &str,
    kind: RxKind,
    intake: Option<&IntakeDoc>,
    sex: Option<meddesk_domain::Sex>,
    identity_verified: Option<bool>,
    record: &ConsultationRecord,
    draft: &RxDraft,
) -> CheckRequest {
    let mut conditions = record.clinical.conditions.clone();
    if let Some(d) = intake {
        for c in &d.conditions {
            if !conditions.contains(c) {
                conditions.push(c.clone());
            }
        }
    }
    CheckRequest {
        id: id.to_owned(),
        consultation: Some(CheckConsultation { kind }),
        patient: CheckPatient {
            age_years: intake.and_then(|d| d.age_years),
            sex,
            weight_kg: record.clinical.weight_kg,
            pregnant: record.clinical.pregnant,
            lactating: record.clinical.lactating,
            egfr: record.clinical.egfr,
            hepatic_impairment: record.clinical.hepatic_impairment,
            allergies: record.allergies.clone(),
            conditions,
            current_medications: record.clinical.current_medications.clone(),
            // R-REC-2, R-RX-8: what the platform verified of the patient's real name.
            identity_verified,
            // The consultation record has no genotype field yet (issue 14: record form).
            genotypes: None,
        },
        diagnoses: if draft.diagnoses.is_empty() {
            record.diagnoses.clone()
        } else {
            draft.diagnoses.clone()
        },
        items: draft.items.clone(),
    }
}

/// Everything the checker needs about a consultation, for its treating physician.
struct Context {
    who: SignedIn,
    store: std::sync::Arc<Store>,
    consultation: consultations::Consultation,
    /// The type the treating physician set; `None`: the intake's default.
    consultation_type: Option<consultations::ConsultationType>,
    intake: Option<IntakeDoc>,
    record: ConsultationRecord,
    sex: Option<meddesk_domain::Sex>,
    identity_verified: bool,
}

/// Everything the checker needs about the consultation, read in ONE audited snapshot (one
/// transaction, one durable commit): it runs on every keystroke of the line editor, and four
/// separate audited reads cost four fsyncs per keystroke.
fn context(ws: &Workstation, consultation_id: &ConsultationId) -> Result<Context, ApiError> {
    let (who, store) = ws.acting_as(Role::Physician)?;
    let now = ws.now();
    let key = consultation_id.0.to_string();
    let (consultation, consultation_type, row, patient) = store
        .read(&who.actor(), now, |r| {
            let c = consultations::get(r, consultation_id)?;
            let t = consultations::type_of(r, consultation_id)?;
            let row = docs::get_record(r, &key)?;
            let patient = meddesk_store::tables::patients::get(r, &c.patient_id)?;
            Ok((c, t, row, patient))
        })
        .map_err(|_| ApiError::not_found("consultation"))?;
    if consultation.physician_id.as_deref() != Some(who.id.0.as_str()) {
        return Err(ApiError::not_found("consultation"));
    }
    let (intake, record) = match row {
        None => (None, ConsultationRecord::default()),
        Some((intake, record)) => (
            Some(serde_json::from_str::<IntakeDoc>(&intake).map_err(|e| {
                ApiError::new(
                    ErrorCode::Internal,
                    format!("stored intake of {key} is unreadable: {e}"),
                )
            })?),
            match record {
                None => ConsultationRecord::default(),
                Some(json) => serde_json::from_str(&json).map_err(|e| {
                    ApiError::new(
                        ErrorCode::Internal,
                        format!("stored record of {key} is unreadable: {e}"),
                    )
                })?,
            },
        ),
    };
    Ok(Context {
        who,
        store,
        consultation,
        consultation_type,
        intake,
        record,
        sex: patient.sex,
        identity_verified: patient.identity_verified,
    })
}

fn run_check(ws: &Workstation, cx: &Context, id: &str, draft: &RxDraft) -> CheckResponse {
    check(&ws.knowledge().pack, &request_of(cx, id, draft))
}

impl Context {
    /// The consultation type whose course limit applies (R-RX-4).
    fn kind(&self) -> RxKind {
        consultation_kind(self.consultation_type.as_ref(), self.intake.as_ref())
    }
}

/// The consultation's type: the treating physician's setting, else the intake's default.
/// A draft never chooses its own: the consultation's type is what is checked and signed.
pub(crate) fn consultation_kind(
    set: Option<&consultations::ConsultationType>,
    intake: Option<&IntakeDoc>,
) -> RxKind {
    set.map(|t| t.kind).unwrap_or_else(|| default_kind(intake))
}

fn request_of(cx: &Context, id: &str, draft: &RxDraft) -> CheckRequest {
    check_request(
        id,
        cx.kind(),
        cx.intake.as_ref(),
        cx.sex,
        Some(cx.identity_verified),
        &cx.record,
        draft,
    )
}

fn amount_text(value: f64, unit: &str) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value} {unit}")
    }
}

fn enum_text<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The R-RX-2 line as stored in the legal record.
pub(crate) fn store_line(ws: &Workstation, item: &Item) -> prescription_lines::Line {
    let pack = &ws.knowledge().pack;
    let generic = pack
        .resolve_drug(&item.drug)
        .and_then(|i| pack.drugs.get(i))
        .map(|d| format!("{} ({})", d.zh, d.inn))
        .unwrap_or_else(|| item.drug.clone());
    prescription_lines::Line {
        generic_name: generic,
        strength: item.strength.clone().unwrap_or_default(),
        dose: item
            .dose
            .map(|d| amount_text(d.value, &enum_text(&d.unit)))
            .unwrap_or_default(),
        route: item.route.as_ref().map(enum_text).unwrap_or_default(),
        frequency: item.frequency.as_ref().map(enum_text).unwrap_or_default(),
        course_days: item.days.map(|d| d.ceil().max(1.0) as u32).unwrap_or(1),
        quantity: item.quantity.map(|q| q.to_string()).unwrap_or_default(),
        notes: String::new(),
    }
}

/// The longest 禁忌说明 a line carries (a label's list fits well within it).
const MAX_CONTRAINDICATION_CHARS: usize = 1_000;

fn validate_draft(draft: &RxDraft) -> Result<(), ApiError> {
    if draft.items.is_empty() {
        return Err(ApiError::invalid_value(
            "draft.items",
            "a prescription needs at least one medicine",
        ));
    }
    if draft.items.len() > 5 {
        return Err(ApiError::new(
            ErrorCode::RuleViolation,
            format!(
                "at most 5 medicines per prescription (R-RX-4), not {}",
                draft.items.len()
            ),
        ));
    }
    for (i, item) in draft.items.iter().enumerate() {
        if item.drug.trim().is_empty() {
            return Err(ApiError::invalid_value(
                &format!("draft.items[{i}].drug"),
                "must not be empty",
            ));
        }
        if item
            .contraindications
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_CONTRAINDICATION_CHARS)
        {
            return Err(ApiError::invalid_value(
                &format!("draft.items[{i}].contraindications"),
                "must be at most 1,000 characters",
            ));
        }
        if item
            .dose
            .is_some_and(|d| !(d.value.is_finite() && d.value > 0.0))
        {
            return Err(ApiError::invalid_value(
                &format!("draft.items[{i}].dose.value"),
                "must be above 0",
            ));
        }
        if item
            .days
            .is_some_and(|d| !(d.is_finite() && d > 0.0 && d <= 366.0))
        {
            return Err(ApiError::invalid_value(
                &format!("draft.items[{i}].days"),
                "must be 1 to 366",
            ));
        }
    }
    Ok(())
}

// ---- views -----------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, TS)]
pub struct ReviewEntry {
    pub pharmacist: String,
    pub approved: bool,
    pub reasons: Vec<lifecycle::RejectionReason>,
    pub note: String,
}

/// The platform's refusal of a signature, on the prescription itself (R-RX-8): the stable
/// code and the validity findings it named (`code@lines`), for the UI to localise — never
/// the platform's raw text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Refusal {
    pub code: meddesk_sync::RejectionCode,
    pub findings: Vec<String>,
    /// Unix ms when the refusal reached this workstation.
    #[ts(type = "number")]
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PrescriptionView {
    pub id: String,
    pub consultation_id: ConsultationId,
    pub physician_id: String,
    pub status: RxStatus,
    pub draft: RxDraft,
    pub check: CheckResponse,
    pub overrides: Vec<Override>,
    pub validity_days: i64,
    #[ts(type = "string | null")]
    pub signed_at: Option<DateTime<Utc>>,
    #[ts(type = "string | null")]
    pub valid_until: Option<DateTime<Utc>>,
    pub reviews: Vec<ReviewEntry>,
    /// Set when the platform refused the last signature; the prescription is a draft again.
    pub refusal: Option<Refusal>,
    /// The clinical picture the prescription was checked against (R-RX-9: what the
    /// pharmacist reviews with); none for prescriptions stored before it was kept.
    pub context: Option<CheckPatient>,
    /// The electronic signatures as verified here (R-RX-10); none for a draft.
    pub signature: Option<crate::signing::SignatureCheck>,
}

fn status_of(s: prescriptions::RxStatus) -> RxStatus {
    match s {
        prescriptions::RxStatus::Draft => RxStatus::Draft,
        prescriptions::RxStatus::Signed => RxStatus::Signed,
        prescriptions::RxStatus::Approved => RxStatus::Approved,
        prescriptions::RxStatus::Rejected => RxStatus::Rejected,
        prescriptions::RxStatus::Revoked => RxStatus::Revoked,
    }
}

/// Stored reasons of a review: `{"reasons":[…],"note":"…"}`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredReasons {
    pub reasons: Vec<lifecycle::RejectionReason>,
    pub note: String,
}

pub(crate) struct Loaded {
    pub row: prescriptions::Prescription,
    pub doc: docs::PrescriptionDocument,
    pub lifecycle: lifecycle::Prescription,
}

pub(crate) fn load(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
) -> Result<Loaded, ApiError> {
    let (row, doc) = store
        .read(actor, now, |r| {
            Ok((prescriptions::get(r, id)?, docs::get_prescription(r, id)?))
        })
        .map_err(|e| match e {
            meddesk_store::StoreError::NotFound { .. } => ApiError::not_found("prescription"),
            other => other.into(),
        })?;
    let doc = doc.ok_or_else(|| ApiError::not_found("prescription document"))?;
    let lifecycle = lifecycle_of(&row, Some(doc.validity_days));
    Ok(Loaded {
        row,
        doc,
        lifecycle,
    })
}

/// The lifecycle view of a stored prescription (validity 3 days when not recorded).
pub(crate) fn lifecycle_of(
    p: &prescriptions::Prescription,
    validity_days: Option<i64>,
) -> lifecycle::Prescription {
    lifecycle::Prescription {
        status: status_of(p.status),
        treating_physician: UserId(p.physician_id.clone()),
        signed_at: p.signed_at.and_then(DateTime::from_timestamp_millis),
        validity_days: validity_days.unwrap_or(lifecycle::MAX_VALIDITY_DAYS),
    }
}

pub(crate) fn view(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
) -> Result<PrescriptionView, ApiError> {
    let l = load(store, actor, now, id)?;
    let reviews = store.read(actor, now, |r| pharmacist_reviews::of_prescription(r, id))?;
    Ok(PrescriptionView {
        id: l.row.id.clone(),
        consultation_id: l.row.consultation_id,
        physician_id: l.row.physician_id.clone(),
        status: l.lifecycle.status_at(now),
        draft: serde_json::from_str(&l.doc.draft).map_err(ApiError::internal)?,
        check: serde_json::from_str(&l.doc.check_result).map_err(ApiError::internal)?,
        overrides: serde_json::from_str(&l.doc.overrides).map_err(ApiError::internal)?,
        validity_days: l.doc.validity_days,
        signed_at: l.lifecycle.signed_at,
        valid_until: l.lifecycle.valid_until(),
        refusal: l
            .doc
            .refusal
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok()),
        context: l
            .doc
            .context
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok()),
        signature: match l.doc.signature.as_deref() {
            None => None,
            Some(doc) => Some(crate::signing::check(store, Some(doc))?),
        },
        reviews: reviews
            .into_iter()
            .map(|r| {
                let stored: StoredReasons =
                    serde_json::from_str(&r.reasons).unwrap_or(StoredReasons {
                        reasons: Vec::new(),
                        note: r.reasons.clone(),
                    });
                ReviewEntry {
                    pharmacist: r.pharmacist_id,
                    approved: r.approved,
                    reasons: stored.reasons,
                    note: stored.note,
                }
            })
            .collect(),
    })
}

// ---- commands --------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct DrugSearchRequest {
    pub query: String,
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DrugForm {
    pub form: String,
    pub strength: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DrugHit {
    pub id: String,
    pub inn: String,
    pub zh: String,
    /// The name that matched (synonym, pinyin initials …).
    pub matched: String,
    pub forms: Vec<DrugForm>,
    pub routes: Vec<meddesk_formulary::schema::Route>,
    /// Narcotic or psychotropic: not prescribable online (R-RX-5).
    pub controlled: bool,
    /// The label's contraindications as the pack sources them: what a new line's 禁忌说明
    /// starts from (R-RX-2).
    pub contraindications: meddesk_clinical::contraindications::ContraindicationNotes,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DrugHits {
    pub hits: Vec<DrugHit>,
}

impl Command for DrugSearchRequest {
    const NAME: &'static str = "drug_search";
    type Output = DrugHits;
    async fn run(self, ws: &Workstation) -> Result<DrugHits, ApiError> {
        ws.active()?;
        let pack = &ws.knowledge().pack;
        let limit = self.limit.unwrap_or(10).clamp(1, 50);
        let mut seen = std::collections::HashSet::new();
        let hits = pack
            .index
            .search(&self.query, limit * 3)
            .into_iter()
            .filter_map(|h| match h.target {
                Target::Drug(i) if seen.insert(i) => pack.drugs.get(i).map(|d| (d, h.matched)),
                _ => None,
            })
            .take(limit)
            .map(|(d, matched)| DrugHit {
                id: d.id.clone(),
                inn: d.inn.clone(),
                zh: d.zh.clone(),
                matched,
                forms: d
                    .forms
                    .iter()
                    .map(|f| DrugForm {
                        form: f.form.clone(),
                        strength: f.strength.as_str().to_owned(),
                    })
                    .collect(),
                routes: d.routes.clone(),
                controlled: d.controlled.is_some(),
                contraindications: meddesk_clinical::contraindications::contraindication_notes(d),
            })
            .collect();
        Ok(DrugHits { hits })
    }
}

/// The checker as the physician types (nothing is stored).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RxCheckRequest {
    pub consultation_id: ConsultationId,
    pub draft: RxDraft,
}

impl Command for RxCheckRequest {
    const NAME: &'static str = "rx_check";
    type Output = CheckResponse;
    async fn run(self, ws: &Workstation) -> Result<CheckResponse, ApiError> {
        let cx = context(ws, &self.consultation_id)?;
        Ok(run_check(ws, &cx, "draft", &self.draft))
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RxSaveRequest {
    pub consultation_id: ConsultationId,
    /// Absent: a new prescription. Present: edit a draft or revise a rejected one.
    #[serde(default)]
    pub prescription_id: Option<String>,
    pub draft: RxDraft,
}

impl Command for RxSaveRequest {
    const NAME: &'static str = "rx_save";
    type Output = PrescriptionView;
    async fn run(self, ws: &Workstation) -> Result<PrescriptionView, ApiError> {
        validate_draft(&self.draft)?;
        let cx = context(ws, &self.consultation_id)?;
        let now = ws.now();
        let actor = cx.who.actor();
        if cx.consultation.status != meddesk_domain::ConsultationStatus::Claimed {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "prescribe within an open consultation",
            ));
        }
        // The course limit is the consultation's type (R-RX-4); a draft does not choose its
        // own. The treating physician changes it on the consultation, with a reason.
        if let Some(kind) = self.draft.kind
            && kind != cx.kind()
        {
            return Err(ApiError::invalid_value(
                "draft.kind",
                format!(
                    "the consultation's type is {}; change it on the consultation \
                     (consultation_set_type) with a reason",
                    cx.kind().as_str()
                ),
            ));
        }
        let lines: Vec<_> = self.draft.items.iter().map(|i| store_line(ws, i)).collect();
        let draft_json = serde_json::to_string(&self.draft).map_err(ApiError::internal)?;
        let (id, review_rounds) = match &self.prescription_id {
            None => (uuid::Uuid::now_v7().to_string(), 0),
            Some(id) => {
                let l = load(&cx.store, &actor, now, id)?;
                if l.row.consultation_id != self.consultation_id {
                    return Err(ApiError::not_found("prescription"));
                }
                l.lifecycle
                    .apply(&cx.who.lifecycle_actor(Role::Physician), &Event::Edit, now)?;
                (id.clone(), l.doc.review_rounds)
            }
        };
        let req = request_of(&cx, &id, &self.draft);
        let result = check(&ws.knowledge().pack, &req);
        let check_json = serde_json::to_string(&result).map_err(ApiError::internal)?;
        let context_json = serde_json::to_string(&req.patient).map_err(ApiError::internal)?;
        let diagnosis = Sensitive::new(result_diagnoses(&cx.record, &self.draft).join(","));
        let is_new = self.prescription_id.is_none();
        cx.store.write(&actor, now, |w| {
            if is_new {
                prescriptions::insert_draft(
                    w,
                    &id,
                    &self.consultation_id,
                    &cx.who.id.0,
                    &diagnosis,
                    &lines,
                )?;
            } else {
                prescriptions::revise(w, &id, &cx.who.id.0, &diagnosis, &lines)?;
            }
            docs::put_prescription(
                w,
                &id,
                &docs::PrescriptionDocument {
                    draft: draft_json.clone(),
                    check_result: check_json.clone(),
                    overrides: "[]".into(),
                    validity_days: lifecycle::MAX_VALIDITY_DAYS,
                    review_rounds,
                    refusal: None,
                    context: Some(context_json.clone()),
                    signature: None,
                },
            )
        })?;
        view(&cx.store, &actor, now, &id)
    }
}

fn result_diagnoses(record: &ConsultationRecord, draft: &RxDraft) -> Vec<String> {
    if draft.diagnoses.is_empty() {
        record.diagnoses.clone()
    } else {
        draft.diagnoses.clone()
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RxSignRequest {
    pub prescription_id: String,
    /// One per warning: the finding's code and lines, and the physician's reason (R-RX-7).
    #[serde(default)]
    pub overrides: Vec<Override>,
    /// 1 to 3 days (R-RX-4); 3 when absent.
    #[serde(default)]
    pub validity_days: Option<i64>,
}

impl Command for RxSignRequest {
    const NAME: &'static str = "rx_sign";
    type Output = PrescriptionView;
    async fn run(self, ws: &Workstation) -> Result<PrescriptionView, ApiError> {
        let (who, store) = ws.acting_as(Role::Physician)?;
        let now = ws.now();
        let actor = who.actor();
        let l = load(&store, &actor, now, &self.prescription_id)?;
        if l.row.physician_id != who.id.0 {
            return Err(ApiError::not_found("prescription"));
        }
        // Re-check at signing: the record or the pack may have changed since the draft.
        let cx = context(ws, &l.row.consultation_id)?;
        let draft: RxDraft = serde_json::from_str(&l.doc.draft).map_err(ApiError::internal)?;
        // What is signed is self-contained: the consultation type and the diagnoses the
        // check used are written into the draft, so the platform and the pharmacist
        // re-validate exactly what the physician saw (R-RX-8), not defaults of their own.
        let draft = RxDraft {
            kind: Some(cx.kind()),
            diagnoses: result_diagnoses(&cx.record, &draft),
            items: draft.items,
        };
        let draft_json = serde_json::to_string(&draft).map_err(ApiError::internal)?;
        let req = request_of(&cx, &self.prescription_id, &draft);
        let result = check(&ws.knowledge().pack, &req);
        let patient = serde_json::to_value(&req.patient).map_err(ApiError::internal)?;
        let validity = self.validity_days.unwrap_or(lifecycle::MAX_VALIDITY_DAYS);
        let event = Event::Sign {
            findings: &result.findings,
            overrides: &self.overrides,
            validity_days: validity,
        };
        l.lifecycle
            .apply(&who.lifecycle_actor(Role::Physician), &event, now)?;
        let check_json = serde_json::to_string(&result).map_err(ApiError::internal)?;
        let overrides_json = serde_json::to_string(&self.overrides).map_err(ApiError::internal)?;
        // The document as signed travels with the signature: a pharmacist on another
        // workstation reviews what the physician saw (R-RX-6).
        let mut signed = meddesk_sync::SignedDocument {
            draft: serde_json::to_value(&draft).map_err(ApiError::internal)?,
            check: serde_json::to_value(&result).map_err(ApiError::internal)?,
            overrides: serde_json::to_value(&self.overrides).map_err(ApiError::internal)?,
            validity_days: u32::try_from(validity).unwrap_or(0),
            signed_at_ms: now.timestamp_millis(),
            patient: Some(patient.clone()),
            signature: None,
        };
        // R-RX-10: the physician's electronic signature over exactly this content.
        let signature = physician_signature(
            &store,
            &actor,
            now,
            &who,
            &self.prescription_id,
            &l.row.consultation_id,
            &cx.consultation.patient_id.0,
            &signed,
        )?;
        let signature_json = serde_json::to_string(&signature).map_err(ApiError::internal)?;
        signed.signature = Some(signature);
        let id = self.prescription_id.clone();
        store.write(&actor, now, |w| {
            prescriptions::sign(w, &id, &who.id.0)?;
            store_signed_findings(w, &id, &who.id.0, &result, &self.overrides)?;
            docs::put_prescription(
                w,
                &id,
                &docs::PrescriptionDocument {
                    draft: draft_json.clone(),
                    check_result: check_json.clone(),
                    overrides: overrides_json.clone(),
                    validity_days: validity,
                    review_rounds: l.doc.review_rounds,
                    refusal: None,
                    context: Some(patient.to_string()),
                    signature: Some(signature_json.clone()),
                },
            )?;
            // The platform gets the lines as signed, then the signature (R-RX-1).
            if let Ok(prescription_id) = uuid::Uuid::parse_str(&id) {
                let consultation = l.row.consultation_id.0;
                let gate = Some(&consultation);
                crate::sync::enqueue(
                    ws,
                    w,
                    &who,
                    gate,
                    meddesk_sync::OpKind::SavePrescriptionDraft {
                        prescription_id,
                        consultation_id: consultation,
                        // The diagnoses the prescription answers: the draft's own, else
                        // the record's (as stored with the prescription).
                        diagnosis: result_diagnoses(&cx.record, &draft).join(", "),
                        lines: draft.items.iter().map(platform_line).collect(),
                    },
                )?;
                crate::sync::enqueue_following(
                    ws,
                    w,
                    &who,
                    gate,
                    meddesk_sync::OpKind::SignPrescription {
                        prescription_id,
                        signed: Some(signed.clone()),
                    },
                    1,
                )?;
            }
            Ok(())
        })?;
        view(&store, &actor, now, &self.prescription_id)
    }
}

/// The physician's signature document over [`meddesk_sync::prescription_content`] of
/// `signed` (R-RX-10), by their certificate when this workstation has it, else pending the
/// certificate the platform attaches on acceptance.
#[allow(clippy::too_many_arguments)]
fn physician_signature(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    who: &SignedIn,
    prescription_id: &str,
    consultation_id: &ConsultationId,
    patient_id: &str,
    signed: &meddesk_sync::SignedDocument,
) -> Result<serde_json::Value, ApiError> {
    let rx = uuid::Uuid::parse_str(prescription_id)
        .map_err(|_| ApiError::invalid_value("prescription_id", "is not a UUID"))?;
    let content = meddesk_sync::prescription_content(
        rx,
        consultation_id.0,
        &who.org_id,
        patient_id,
        &who.id.0,
        signed,
    );
    let id = crate::signing::identity(store, actor, now, &who.id.0)?;
    let at = signed.signed_at_ms;
    let doc = match &id.certificate {
        Some(cert) => meddesk_signature::sign_prescription(content.clone(), cert, &id.signer, at)
            .or_else(|_| meddesk_signature::sign_prescription_pending(content, &id.signer, at)),
        None => meddesk_signature::sign_prescription_pending(content, &id.signer, at),
    }
    .map_err(|e| ApiError::new(ErrorCode::Internal, format!("signing failed: {}", e.code())))?;
    serde_json::to_value(&doc).map_err(ApiError::internal)
}

/// A wire enum value as plain text (`"po"` → `po`).
fn wire_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// A prescription line as the platform stores it.
fn platform_line(item: &Item) -> meddesk_sync::PrescriptionLine {
    let number = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            v.to_string()
        }
    };
    meddesk_sync::PrescriptionLine {
        generic_name: item.drug.clone(),
        strength: item.strength.clone().unwrap_or_default(),
        dose: item
            .dose
            .map(|d| format!("{} {}", number(d.value), wire_text(&d.unit)))
            .unwrap_or_default(),
        route: item.route.as_ref().map(wire_text).unwrap_or_default(),
        frequency: item.frequency.as_ref().map(wire_text).unwrap_or_default(),
        course_days: item.days.map(|d| d.ceil().max(0.0) as u32).unwrap_or(0),
        quantity: item.quantity.map(number).unwrap_or_default(),
        notes: String::new(),
    }
}

/// The findings a signature was made over, and the physician's reason for each warning
/// they overrode (R-RX-7), in the signing transaction (or its copy on a pharmacist's
/// workstation).
pub(crate) fn store_signed_findings(
    w: &mut meddesk_store::Writer<'_>,
    prescription_id: &str,
    physician_id: &str,
    result: &CheckResponse,
    overrides: &[Override],
) -> meddesk_store::Result<()> {
    for f in &result.findings {
        let finding_id = uuid::Uuid::now_v7().to_string();
        findings::insert(w, &stored_finding(&finding_id, prescription_id, f))?;
        if let Some(o) = overrides
            .iter()
            .find(|o| o.code == f.code && o.items == f.items)
        {
            finding_overrides::insert(w, &finding_id, physician_id, &o.reason)?;
        }
    }
    Ok(())
}

fn stored_finding(id: &str, prescription_id: &str, f: &Finding) -> findings::Finding {
    findings::Finding {
        id: id.to_owned(),
        prescription_id: prescription_id.to_owned(),
        line_no: f.items.first().map(|i| *i as u32 + 1),
        rule_id: format!("{}:{}", enum_text(&f.code), f.rule),
        severity: match f.severity {
            CheckSeverity::Block => findings::Severity::Block,
            CheckSeverity::Warn => findings::Severity::Warn,
            CheckSeverity::Info => findings::Severity::Info,
        },
        reason: f.message.zh.clone(),
        source: f.source.clone(),
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RxGetRequest {
    pub prescription_id: String,
}

impl Command for RxGetRequest {
    const NAME: &'static str = "rx_get";
    type Output = PrescriptionView;
    async fn run(self, ws: &Workstation) -> Result<PrescriptionView, ApiError> {
        let (who, store) = ws.active()?;
        let now = ws.now();
        let actor = who.actor();
        let l = load(&store, &actor, now, &self.prescription_id)?;
        let own = l.row.physician_id == who.id.0;
        // Pharmacists review every signed prescription; administrators handle complaints.
        let reviewer =
            who.roles.contains(&Role::Pharmacist) && l.lifecycle.status != RxStatus::Draft;
        if !(own || reviewer || who.roles.contains(&Role::Administrator)) {
            return Err(ApiError::not_found("prescription"));
        }
        view(&store, &actor, now, &self.prescription_id)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RxRevokeRequest {
    pub prescription_id: String,
}

impl Command for RxRevokeRequest {
    const NAME: &'static str = "rx_revoke";
    type Output = PrescriptionView;
    async fn run(self, ws: &Workstation) -> Result<PrescriptionView, ApiError> {
        let (who, store) = ws.acting_as(Role::Physician)?;
        let now = ws.now();
        let actor = who.actor();
        let l = load(&store, &actor, now, &self.prescription_id)?;
        l.lifecycle
            .apply(&who.lifecycle_actor(Role::Physician), &Event::Revoke, now)?;
        store.write(&actor, now, |w| {
            prescriptions::revoke(w, &self.prescription_id, &who.id.0)
        })?;
        view(&store, &actor, now, &self.prescription_id)
    }
}

// ---- templates -------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct TemplateSaveRequest {
    pub name: String,
    #[serde(default)]
    pub diagnosis: Option<String>,
    pub draft: RxDraft,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub diagnosis: Option<String>,
    pub draft: RxDraft,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Templates {
    pub templates: Vec<Template>,
}

impl Command for TemplateSaveRequest {
    const NAME: &'static str = "template_save";
    type Output = Template;
    async fn run(self, ws: &Workstation) -> Result<Template, ApiError> {
        let (who, store) = ws.acting_as(Role::Physician)?;
        if self.name.trim().is_empty() {
            return Err(ApiError::invalid_value("name", "must not be empty"));
        }
        if self.draft.items.is_empty() || self.draft.items.len() > 5 {
            return Err(ApiError::invalid_value(
                "draft.items",
                "1 to 5 medicines (R-RX-4)",
            ));
        }
        let now = ws.now();
        let t = docs::Template {
            id: uuid::Uuid::now_v7().to_string(),
            physician_id: who.id.0.clone(),
            name: self.name.trim().to_owned(),
            diagnosis: self.diagnosis.clone(),
            draft: serde_json::to_string(&self.draft).map_err(ApiError::internal)?,
            created_at: now.timestamp_millis(),
        };
        store.write(&who.actor(), now, |w| docs::insert_template(w, &t))?;
        Ok(Template {
            id: t.id,
            name: t.name,
            diagnosis: t.diagnosis,
            draft: self.draft,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct TemplateListRequest {
    /// Only templates for this diagnosis (ICD-10 prefix match) or for no diagnosis.
    #[serde(default)]
    pub diagnosis: Option<String>,
}

impl Command for TemplateListRequest {
    const NAME: &'static str = "template_list";
    type Output = Templates;
    async fn run(self, ws: &Workstation) -> Result<Templates, ApiError> {
        let (who, store) = ws.acting_as(Role::Physician)?;
        let rows = store.read(&who.actor(), ws.now(), |r| docs::templates_of(r, &who.id.0))?;
        let templates = rows
            .into_iter()
            .filter(|t| match (&self.diagnosis, &t.diagnosis) {
                (None, _) | (_, None) => true,
                (Some(want), Some(has)) => {
                    meddesk_clinical::icd10::matches_any(want, std::slice::from_ref(has))
                }
            })
            .filter_map(|t| {
                Some(Template {
                    draft: serde_json::from_str(&t.draft).ok()?,
                    id: t.id,
                    name: t.name,
                    diagnosis: t.diagnosis,
                })
            })
            .collect();
        Ok(Templates { templates })
    }
}

/// For follow-up plans: the longest course of a consultation's approved prescriptions.
pub(crate) fn longest_course_days(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    consultation_id: &str,
) -> Result<Option<i64>, ApiError> {
    let ids = store.read(actor, now, |r| {
        docs::prescriptions_of_consultation(r, consultation_id)
    })?;
    let mut longest = None;
    for id in ids {
        let l = load(store, actor, now, &id)?;
        if l.lifecycle.status != RxStatus::Approved {
            continue;
        }
        let draft: RxDraft = serde_json::from_str(&l.doc.draft).map_err(ApiError::internal)?;
        for item in draft.items {
            if let Some(d) = item.days {
                let d = d.ceil() as i64;
                longest = Some(longest.map_or(d, |l: i64| l.max(d)));
            }
        }
    }
    Ok(longest)
}

pub(crate) fn revisit_after(days: i64) -> Duration {
    Duration::days(days)
}
