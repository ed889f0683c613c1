//! A consultation as its physician works on it (R-REC-1, R-REC-2, R-ROLE-1): the
//! de-identified patient header, what triage found, the record (complaint, history,
//! medication history, allergies, ICD-10 diagnoses, advice, the clinical context the checker
//! needs) and its prescriptions. A physician sees only their own encounters.

use chrono::{DateTime, Utc};
use meddesk_clinical::check::request::{Allergy, HepaticImpairment};
use meddesk_clinical::triage::{Flag, Reason};
use meddesk_domain::{
    Channel, ConsultationId, ConsultationStatus, MaskedName, Priority, Role, Sensitive, Sex,
    TriageRoute,
};
use meddesk_store::Store;
use meddesk_store::tables::{
    consultations, messages, patients, prescriptions, workflow_documents as docs,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::knowledge::Icd10Code;
use crate::session::SignedIn;
use crate::{ApiError, Command, ErrorCode, Workstation};

/// What the physician records (R-REC-1). Free text is patient data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct ConsultationRecord {
    pub chief_complaint: String,
    pub history: String,
    pub medication_history: String,
    /// `None`: not asked yet; empty: no known allergies.
    #[ts(optional)]
    pub allergies: Option<Vec<Allergy>>,
    /// ICD-10 codes.
    pub diagnoses: Vec<String>,
    pub advice: String,
    pub clinical: ClinicalContext,
}

/// What the prescription checker needs to know about the patient.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct ClinicalContext {
    #[ts(optional)]
    pub weight_kg: Option<f64>,
    #[ts(optional)]
    pub pregnant: Option<bool>,
    #[ts(optional)]
    pub lactating: Option<bool>,
    /// mL/min/1.73 m².
    #[ts(optional)]
    pub egfr: Option<f64>,
    #[ts(optional)]
    pub hepatic_impairment: Option<HepaticImpairment>,
    /// ICD-10 codes of chronic conditions.
    pub conditions: Vec<String>,
    /// `None`: not asked yet.
    #[ts(optional)]
    pub current_medications: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PatientHeader {
    pub masked_name: MaskedName,
    pub age_years: Option<f64>,
    pub sex: Option<Sex>,
    /// Real-name verification by the platform (R-REC-2); the ID number is never shown.
    pub identity_verified: bool,
    pub guardian_present: Option<bool>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PrescriptionSummary {
    pub id: String,
    pub status: meddesk_clinical::lifecycle::RxStatus,
    pub lines: usize,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ConsultationView {
    pub id: ConsultationId,
    pub status: ConsultationStatus,
    pub channel: Channel,
    pub priority: Priority,
    pub route: TriageRoute,
    #[ts(type = "string")]
    pub complaint: Sensitive<String>,
    #[ts(type = "string")]
    pub arrived_at: DateTime<Utc>,
    pub patient: PatientHeader,
    pub reasons: Vec<Reason>,
    pub flags: Vec<Flag>,
    pub kind: meddesk_clinical::triage::ConsultationKind,
    /// The prescription kind this consultation implies (course limits, R-RX-4): chronic for
    /// a chronic follow-up, emergency after emergency triage, else ordinary.
    pub prescription_kind: meddesk_clinical::check::request::ConsultationKind,
    /// Why the treating physician set the type; `None` while the intake's default applies.
    pub prescription_kind_reason: Option<String>,
    pub record: ConsultationRecord,
    pub prescriptions: Vec<PrescriptionSummary>,
    /// The signed-in physician treats this patient.
    pub mine: bool,
    /// Where the record stands with the platform (R-SEC-1): never `synced` before the
    /// platform acknowledged every change to it.
    pub sync: meddesk_sync::SyncStatus,
    /// The consultation's message thread, oldest first (R-SVC-1 text, R-REC-3).
    pub messages: Vec<ThreadMessage>,
}

/// Who wrote a message of the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MessageFrom {
    Patient,
    Physician,
    System,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ThreadMessage {
    pub id: String,
    pub from: MessageFrom,
    #[ts(type = "string")]
    pub body: Sensitive<String>,
    #[ts(type = "string")]
    pub sent_at: DateTime<Utc>,
}

/// Longest message a physician sends (the platform refuses longer ones).
pub const MAX_MESSAGE_CHARS: usize = 2_000;

pub(crate) fn load_record(
    store: &Store,
    who: &SignedIn,
    now: DateTime<Utc>,
    id: &str,
) -> Result<ConsultationRecord, ApiError> {
    let row = store.read(&who.actor(), now, |r| docs::get_record(r, id))?;
    match row.and_then(|(_, record)| record) {
        None => Ok(ConsultationRecord::default()),
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("stored record of {id} is unreadable: {e}"),
            )
        }),
    }
}

/// R-ROLE-1: the treating physician, or an administrator (complaint review), sees the whole
/// consultation; anyone else gets `not_found`, which does not confirm that it exists.
pub(crate) fn view(
    ws: &Workstation,
    who: &SignedIn,
    store: &Store,
    id: &ConsultationId,
) -> Result<ConsultationView, ApiError> {
    let now = ws.now();
    let actor = who.actor();
    let c = store
        .read(&actor, now, |r| consultations::get(r, id))
        .map_err(|_| ApiError::not_found("consultation"))?;
    let mine = c.physician_id.as_deref() == Some(who.id.0.as_str());
    let admin = who.roles.contains(&Role::Administrator);
    if !mine && !admin {
        return Err(ApiError::not_found("consultation"));
    }
    let key = id.0.to_string();
    // One snapshot and one audit commit for the whole view.
    let (row, patient, rows, sync, thread, set_type) = store.read(&actor, now, |r| {
        let sync = crate::sync::record_status(r, &meddesk_sync::RecordKey::consultation(id.0))?;
        let set_type = consultations::type_of(r, id)?;
        let thread = messages::of_consultation(r, id)?;
        let row = docs::get_record(r, &key)?;
        let patient = patients::get(r, &c.patient_id)?;
        let mut rows = Vec::new();
        for rx in docs::prescriptions_of_consultation(r, &key)? {
            let p = prescriptions::get(r, &rx)?;
            let validity = docs::get_prescription(r, &rx)?.map(|d| d.validity_days);
            rows.push((p, validity));
        }
        Ok((row, patient, rows, sync, thread, set_type))
    })?;
    let (intake, record) = match row {
        None => (None, ConsultationRecord::default()),
        Some((intake, record)) => (
            serde_json::from_str::<crate::intake::IntakeDoc>(&intake).ok(),
            record
                .map(|r| serde_json::from_str(&r))
                .transpose()
                .map_err(|e| {
                    ApiError::new(
                        ErrorCode::Internal,
                        format!("stored record of {key} is unreadable: {e}"),
                    )
                })?
                .unwrap_or_default(),
        ),
    };
    let summaries = rows
        .into_iter()
        .map(|(p, validity)| {
            let status = crate::prescribing::lifecycle_of(&p, validity).status_at(now);
            PrescriptionSummary {
                lines: p.lines.len(),
                id: p.id,
                status,
            }
        })
        .collect();
    Ok(ConsultationView {
        id: c.id,
        status: c.status,
        channel: c.channel,
        priority: c.priority,
        route: c.route,
        complaint: c.complaint,
        arrived_at: DateTime::from_timestamp_millis(c.arrived_at).unwrap_or(now),
        patient: PatientHeader {
            masked_name: patient.masked_name,
            age_years: intake
                .as_ref()
                .and_then(|d| d.age_years)
                .or(patient.age_years.map(f64::from)),
            sex: patient.sex,
            identity_verified: patient.identity_verified,
            guardian_present: intake.as_ref().and_then(|d| d.guardian_present),
        },
        reasons: intake
            .as_ref()
            .map(|d| d.triage.reasons.clone())
            .unwrap_or_default(),
        flags: intake
            .as_ref()
            .map(|d| d.triage.flags.clone())
            .unwrap_or_default(),
        kind: intake.as_ref().map(|d| d.kind).unwrap_or_default(),
        prescription_kind: crate::prescribing::consultation_kind(
            set_type.as_ref(),
            intake.as_ref(),
        ),
        prescription_kind_reason: set_type.map(|t| t.reason),
        record,
        prescriptions: summaries,
        mine,
        sync,
        messages: thread
            .into_iter()
            .map(|m| ThreadMessage {
                from: match m.sender.as_str() {
                    "patient" => MessageFrom::Patient,
                    "physician" => MessageFrom::Physician,
                    _ => MessageFrom::System,
                },
                id: m.id,
                body: m.body,
                sent_at: DateTime::from_timestamp_millis(m.sent_at).unwrap_or(now),
            })
            .collect(),
    })
}

/// The treating physician, and the consultation, for a write.
pub(crate) fn treating(
    ws: &Workstation,
    id: &ConsultationId,
) -> Result<(SignedIn, std::sync::Arc<Store>, consultations::Consultation), ApiError> {
    let (who, store) = ws.acting_as(Role::Physician)?;
    let now = ws.now();
    let c = store
        .read(&who.actor(), now, |r| consultations::get(r, id))
        .map_err(|_| ApiError::not_found("consultation"))?;
    if c.physician_id.as_deref() != Some(who.id.0.as_str()) {
        return Err(ApiError::not_found("consultation"));
    }
    Ok((who, store, c))
}

/// [`treating`], for a change that only an open (claimed) consultation takes: `what` says
/// which, in the `conflict` error.
pub(crate) fn treating_open(
    ws: &Workstation,
    id: &ConsultationId,
    what: &str,
) -> Result<(SignedIn, std::sync::Arc<Store>, consultations::Consultation), ApiError> {
    let (who, store, c) = treating(ws, id)?;
    if c.status != ConsultationStatus::Claimed {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("only an open consultation {what}"),
        ));
    }
    Ok((who, store, c))
}

// ---- commands --------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ConsultationGetRequest {
    pub consultation_id: ConsultationId,
}

impl Command for ConsultationGetRequest {
    const NAME: &'static str = "consultation_get";
    type Output = ConsultationView;
    async fn run(self, ws: &Workstation) -> Result<ConsultationView, ApiError> {
        let (who, store) = ws.active()?;
        view(ws, &who, &store, &self.consultation_id)
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct MyConsultationsRequest {}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MyConsultation {
    pub id: ConsultationId,
    pub masked_name: MaskedName,
    pub status: ConsultationStatus,
    pub priority: Priority,
    #[ts(type = "string")]
    pub arrived_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct MyConsultations {
    pub consultations: Vec<MyConsultation>,
}

impl Command for MyConsultationsRequest {
    const NAME: &'static str = "consultation_list_mine";
    type Output = MyConsultations;
    async fn run(self, ws: &Workstation) -> Result<MyConsultations, ApiError> {
        let (who, store) = ws.acting_as(Role::Physician)?;
        let now = ws.now();
        let actor = who.actor();
        let rows = store.read(&actor, now, |r| consultations::of_physician(r, &who.id.0))?;
        let mut out = Vec::with_capacity(rows.len());
        for c in rows {
            let p = store.read(&actor, now, |r| patients::get(r, &c.patient_id))?;
            out.push(MyConsultation {
                id: c.id,
                masked_name: p.masked_name,
                status: c.status,
                priority: c.priority,
                arrived_at: DateTime::from_timestamp_millis(c.arrived_at).unwrap_or(now),
            });
        }
        Ok(MyConsultations { consultations: out })
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RecordSaveRequest {
    pub consultation_id: ConsultationId,
    pub record: ConsultationRecord,
}

impl Command for RecordSaveRequest {
    const NAME: &'static str = "record_save";
    type Output = ConsultationView;
    async fn run(self, ws: &Workstation) -> Result<ConsultationView, ApiError> {
        let (who, store, _) = treating_open(ws, &self.consultation_id, "can be edited")?;
        validate_record(&self.record)?;
        let json = serde_json::to_string(&self.record)
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        let key = self.consultation_id.0.to_string();
        let before: Option<ConsultationRecord> = store
            .read(&who.actor(), ws.now(), |r| docs::get_record(r, &key))?
            .and_then(|(_, record)| record)
            .and_then(|j| serde_json::from_str(&j).ok());
        let fields = changed_fields(before.as_ref(), &self.record);
        store.write(&who.actor(), ws.now(), |w| {
            docs::put_record(w, &key, &json, &who.id.0)?;
            if !fields.is_empty() {
                // Per-field merge on the platform: only what changed travels, so an edit of
                // one field never overwrites another device's edit of a different one.
                crate::sync::enqueue(
                    ws,
                    w,
                    &who,
                    Some(&self.consultation_id.0),
                    meddesk_sync::OpKind::UpdateRecord {
                        consultation_id: self.consultation_id.0,
                        fields: fields.clone(),
                    },
                )?;
            }
            Ok(())
        })?;
        view(ws, &who, &store, &self.consultation_id)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct MessageSendRequest {
    pub consultation_id: ConsultationId,
    pub body: String,
}

impl Command for MessageSendRequest {
    const NAME: &'static str = "message_send";
    type Output = ConsultationView;
    /// The treating physician writes to the patient in the consultation's thread (R-SVC-1):
    /// kept here at once (R-REC-3), and queued for the platform, which delivers it to the
    /// patient's channel.
    async fn run(self, ws: &Workstation) -> Result<ConsultationView, ApiError> {
        let (who, store, _) = treating_open(ws, &self.consultation_id, "takes messages")?;
        let body = self.body.trim();
        if body.is_empty() {
            return Err(ApiError::invalid_value("body", "must not be empty"));
        }
        if body.chars().count() > MAX_MESSAGE_CHARS {
            return Err(ApiError::invalid_value(
                "body",
                "must be at most 2,000 characters",
            ));
        }
        let message_id = uuid::Uuid::now_v7();
        let now = ws.now();
        store.write(&who.actor(), now, |w| {
            messages::insert(
                w,
                &messages::Message {
                    id: message_id.to_string(),
                    consultation_id: self.consultation_id,
                    sender: "physician".into(),
                    body: Sensitive::new(body.to_owned()),
                    sent_at: now.timestamp_millis(),
                },
            )?;
            crate::sync::enqueue(
                ws,
                w,
                &who,
                Some(&self.consultation_id.0),
                meddesk_sync::OpKind::PostMessage {
                    consultation_id: self.consultation_id.0,
                    message_id,
                    body: body.to_owned(),
                },
            )?;
            Ok(())
        })?;
        view(ws, &who, &store, &self.consultation_id)
    }
}

/// The record's free-text fields as the platform merges them.
fn platform_fields(
    r: &ConsultationRecord,
) -> std::collections::BTreeMap<meddesk_sync::RecordField, String> {
    use meddesk_sync::RecordField as F;
    let allergies = match &r.allergies {
        None => String::new(),
        Some(list) if list.is_empty() => "NKDA".to_owned(),
        Some(list) => list
            .iter()
            .map(|a| match &a.reaction {
                Some(reaction) => format!("{} ({reaction})", a.substance),
                None => a.substance.clone(),
            })
            .collect::<Vec<_>>()
            .join("; "),
    };
    [
        (F::History, r.history.clone()),
        (F::MedicationHistory, r.medication_history.clone()),
        (F::Allergies, allergies),
        (F::Diagnosis, r.diagnoses.join(", ")),
        (F::Advice, r.advice.clone()),
    ]
    .into_iter()
    .collect()
}

/// The record with the platform's merged free-text fields (another device's edits, R-REC-1),
/// or `None` when nothing differs. Only fields the platform has a value for are taken; a
/// diagnosis that does not read as ICD-10 codes or an allergy list that does not read back
/// is left as it is here (the platform keeps every value in its history either way).
pub(crate) fn with_platform_fields(
    local: &ConsultationRecord,
    platform: &std::collections::BTreeMap<meddesk_sync::RecordField, meddesk_sync::FieldValue>,
) -> Option<ConsultationRecord> {
    use meddesk_sync::RecordField as F;
    let ours = platform_fields(local);
    let mut merged = local.clone();
    for (field, value) in platform {
        let value = value.value.as_str();
        if ours.get(field).map(String::as_str) == Some(value) {
            continue;
        }
        match field {
            F::History => merged.history = value.to_owned(),
            F::MedicationHistory => merged.medication_history = value.to_owned(),
            F::Advice => merged.advice = value.to_owned(),
            F::Diagnosis => {
                let codes: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect();
                if codes
                    .iter()
                    .all(|c| meddesk_clinical::icd10::Icd10Range::parse(c).is_ok())
                {
                    merged.diagnoses = codes;
                }
            }
            F::Allergies => {
                if let Some(list) = allergies_from_text(value) {
                    merged.allergies = list;
                }
            }
        }
    }
    (merged != *local).then_some(merged)
}

/// The allergy list back from its platform text (`platform_fields`): "" = not asked,
/// "NKDA" = none known, else "substance (reaction); substance".
fn allergies_from_text(
    text: &str,
) -> Option<Option<Vec<meddesk_clinical::check::request::Allergy>>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(None);
    }
    if text == "NKDA" {
        return Some(Some(Vec::new()));
    }
    let mut list = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let allergy = match part.strip_suffix(')').and_then(|p| p.split_once(" (")) {
            Some((substance, reaction)) => meddesk_clinical::check::request::Allergy {
                substance: substance.trim().to_owned(),
                reaction: Some(reaction.trim().to_owned()),
            },
            None => meddesk_clinical::check::request::Allergy {
                substance: part.to_owned(),
                reaction: None,
            },
        };
        if allergy.substance.is_empty() {
            return None;
        }
        list.push(allergy);
    }
    Some(Some(list))
}

/// The fields that differ from the record as it was (all non-empty ones for a first save).
pub(crate) fn changed_fields(
    before: Option<&ConsultationRecord>,
    after: &ConsultationRecord,
) -> std::collections::BTreeMap<meddesk_sync::RecordField, String> {
    let old = before.map(platform_fields).unwrap_or_default();
    platform_fields(after)
        .into_iter()
        .filter(|(k, v)| match old.get(k) {
            Some(o) => o != v,
            None => !v.is_empty(),
        })
        .collect()
}

fn validate_record(r: &ConsultationRecord) -> Result<(), ApiError> {
    for (i, d) in r.diagnoses.iter().enumerate() {
        meddesk_clinical::icd10::Icd10Range::parse(d).map_err(|_| {
            ApiError::invalid_value(&format!("record.diagnoses[{i}]"), "not an ICD-10 code")
        })?;
    }
    let c = &r.clinical;
    if c.weight_kg.is_some_and(|w| !(0.3..=400.0).contains(&w)) {
        return Err(ApiError::invalid_value(
            "record.clinical.weight_kg",
            "must be 0.3 to 400",
        ));
    }
    if c.egfr.is_some_and(|e| !(0.0..=250.0).contains(&e)) {
        return Err(ApiError::invalid_value(
            "record.clinical.egfr",
            "must be 0 to 250",
        ));
    }
    Ok(())
}

/// The treating physician sets the consultation type (常见病 / 急诊 / 慢性病 / 专科) with a
/// reason: an audited change, synced to the platform, which holds every prescription
/// signature to it (R-RX-4, R-RX-8).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SetTypeRequest {
    pub consultation_id: ConsultationId,
    pub consultation_type: meddesk_domain::ConsultationKind,
    pub reason: String,
}

/// The longest reason for a consultation-type change (the platform's limit too).
const MAX_TYPE_REASON_CHARS: usize = 500;

impl Command for SetTypeRequest {
    const NAME: &'static str = "consultation_set_type";
    type Output = ConsultationView;
    async fn run(self, ws: &Workstation) -> Result<ConsultationView, ApiError> {
        let (who, store, _) = treating_open(ws, &self.consultation_id, "changes its type")?;
        let reason = self.reason.trim();
        if reason.is_empty() {
            return Err(ApiError::invalid_value(
                "reason",
                "a change of the consultation type needs a reason",
            ));
        }
        if reason.chars().count() > MAX_TYPE_REASON_CHARS {
            return Err(ApiError::invalid_value(
                "reason",
                "must be at most 500 characters",
            ));
        }
        let now = ws.now();
        store.write(&who.actor(), now, |w| {
            consultations::set_type(
                w,
                &self.consultation_id,
                Some(&consultations::ConsultationType {
                    kind: self.consultation_type,
                    reason: reason.to_owned(),
                }),
            )?;
            crate::sync::enqueue(
                ws,
                w,
                &who,
                Some(&self.consultation_id.0),
                meddesk_sync::OpKind::SetConsultationType {
                    consultation_id: self.consultation_id.0,
                    consultation_type: self.consultation_type,
                    reason: reason.to_owned(),
                },
            )?;
            Ok(())
        })?;
        view(ws, &who, &store, &self.consultation_id)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct CompleteRequest {
    pub consultation_id: ConsultationId,
}

impl Command for CompleteRequest {
    const NAME: &'static str = "consultation_complete";
    type Output = ConsultationView;
    async fn run(self, ws: &Workstation) -> Result<ConsultationView, ApiError> {
        let (who, store, c) = treating_open(ws, &self.consultation_id, "can be completed")?;
        let now = ws.now();
        let record = load_record(&store, &who, now, &self.consultation_id.0.to_string())?;
        if record.diagnoses.is_empty() {
            return Err(ApiError::invalid_value(
                "record.diagnoses",
                "a completed consultation needs a diagnosis",
            ));
        }
        store.write(&who.actor(), now, |w| {
            consultations::set_status(
                w,
                &self.consultation_id,
                ConsultationStatus::Completed,
                None,
            )
        })?;
        // R-FU-1: chronic-disease consultations get their follow-up plan now.
        crate::follow_up::plan_for(ws, &who, &store, &c, &record)?;
        view(ws, &who, &store, &self.consultation_id)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Icd10SearchRequest {
    pub query: String,
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Icd10Hits {
    pub hits: Vec<Icd10Code>,
}

impl Command for Icd10SearchRequest {
    const NAME: &'static str = "icd10_search";
    type Output = Icd10Hits;
    async fn run(self, ws: &Workstation) -> Result<Icd10Hits, ApiError> {
        ws.active()?;
        let limit = self.limit.unwrap_or(20).clamp(1, 100);
        Ok(Icd10Hits {
            hits: ws.knowledge().search_icd10(&self.query, limit),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meddesk_clinical::check::request::Allergy;
    use meddesk_sync::{FieldValue, Hlc, RecordField};
    use std::collections::BTreeMap;

    fn platform(values: &[(RecordField, &str)]) -> BTreeMap<RecordField, FieldValue> {
        values
            .iter()
            .map(|(f, v)| {
                (
                    *f,
                    FieldValue {
                        value: (*v).to_owned(),
                        hlc: Hlc::default(),
                        by: "dr.a".into(),
                        version: 1,
                    },
                )
            })
            .collect()
    }

    fn allergy(substance: &str, reaction: Option<&str>) -> Allergy {
        Allergy {
            substance: substance.into(),
            reaction: reaction.map(str::to_owned),
        }
    }

    #[test]
    fn a_record_merged_with_its_own_platform_text_is_unchanged() {
        let cases = [
            None,
            Some(vec![]),
            Some(vec![
                allergy("penicillins", Some("皮疹")),
                allergy("磺胺", None),
            ]),
        ];
        for allergies in cases {
            let local = ConsultationRecord {
                history: "咳嗽三天".into(),
                allergies,
                diagnoses: vec!["J06.9".into(), "I10".into()],
                ..ConsultationRecord::default()
            };
            let text: Vec<(RecordField, String)> = platform_fields(&local).into_iter().collect();
            let refs: Vec<(RecordField, &str)> =
                text.iter().map(|(f, v)| (*f, v.as_str())).collect();
            assert_eq!(with_platform_fields(&local, &platform(&refs)), None);
        }
    }

    #[test]
    fn platform_values_replace_only_what_reads_back() {
        let local = ConsultationRecord {
            chief_complaint: "咳嗽".into(),
            history: "old".into(),
            diagnoses: vec!["J06.9".into()],
            ..ConsultationRecord::default()
        };
        let merged = with_platform_fields(
            &local,
            &platform(&[
                (RecordField::Advice, "多饮水"),
                (RecordField::Allergies, "penicillins (皮疹); aspirin"),
                // Not ICD-10 codes: the local diagnoses stay.
                (RecordField::Diagnosis, "上呼吸道感染"),
            ]),
        )
        .expect("changed");
        assert_eq!(merged.advice, "多饮水");
        assert_eq!(
            merged.history, "old",
            "a field the platform did not send stays"
        );
        assert_eq!(merged.chief_complaint, "咳嗽");
        assert_eq!(merged.diagnoses, vec!["J06.9".to_owned()]);
        assert_eq!(
            merged.allergies,
            Some(vec![
                allergy("penicillins", Some("皮疹")),
                allergy("aspirin", None)
            ])
        );
        let none_known =
            with_platform_fields(&local, &platform(&[(RecordField::Allergies, "NKDA")]))
                .expect("changed");
        assert_eq!(none_known.allergies, Some(vec![]));
    }
}
