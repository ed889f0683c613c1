//! The wire contract between a workstation and the platform (docs/platform-api.yaml,
//! docs/sync-protocol.md). Clients send *operations* (commands the platform validates), never
//! row copies; the platform answers with per-operation outcomes and a gap-free change feed
//! of record snapshots.

use std::collections::BTreeMap;

use meddesk_domain::{Channel, ConsultationKind, Priority};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::hlc::Hlc;

/// Position in the platform's global change sequence: the `seq` of the last change pulled.
pub type Cursor = u64;

/// Who an account is on the platform. `Intake` is the platform's own channel (app,
/// mini-program, web and the simulator) that files consultation requests and complaints
/// (R-TRI-1, R-CMP-1); it is not a workstation role, so it is not in `meddesk_domain::Role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    Physician,
    Pharmacist,
    Administrator,
    Intake,
}

/// One client change. `op_id` (UUIDv7) is also the idempotency key, bound to the user and
/// the operation's body digest (another body under a used id is a `conflict`): pushing the same
/// operation twice yields the same outcome and applies it once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    #[ts(type = "string")]
    pub op_id: Uuid,
    pub user: String,
    pub device: String,
    /// The version of the target record the user saw when making the change (0: none).
    #[ts(type = "number")]
    pub base_version: u64,
    pub hlc: Hlc,
    pub kind: OpKind,
}

/// The workflow commands the platform validates (R-TRI-1, R-RX-1, R-RX-6, R-ROLE-1…4,
/// R-FU-2, R-CMP-1/2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OpKind {
    /// A consultation request from a patient channel (intake only).
    CreateConsultation { request: NewConsultation },
    /// Take a waiting consultation; the first claim wins (R-TRI-3, R-ROLE-4).
    ClaimConsultation {
        #[ts(type = "string")]
        consultation_id: Uuid,
    },
    /// Edit free-text fields of the record; merged per field, losers kept in history.
    UpdateRecord {
        #[ts(type = "string")]
        consultation_id: Uuid,
        fields: BTreeMap<RecordField, String>,
    },
    /// The treating physician sets the consultation type (常见病 / 急诊 / 慢性病 / 专科): the
    /// course limits of its prescriptions follow it (R-RX-4, R-RX-8). A change needs a reason;
    /// every earlier setting stays in the record's history.
    SetConsultationType {
        #[ts(type = "string")]
        consultation_id: Uuid,
        consultation_type: ConsultationKind,
        reason: String,
    },
    /// Create or revise a draft (also after a pharmacist's rejection, R-RX-6).
    SavePrescriptionDraft {
        #[ts(type = "string")]
        prescription_id: Uuid,
        #[ts(type = "string")]
        consultation_id: Uuid,
        diagnosis: String,
        lines: Vec<PrescriptionLine>,
    },
    /// The treating physician's own signature over the version they saw (R-RX-1).
    SignPrescription {
        #[ts(type = "string")]
        prescription_id: Uuid,
        /// What the physician signed as their workstation showed it (lines with drug ids, the
        /// checker's findings, the override reasons), for a pharmacist on another
        /// workstation to review (R-RX-6). Older clients send none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        signed: Option<SignedDocument>,
    },
    /// A pharmacist's decision; a rejection carries reasons (R-RX-6). `signature` is the
    /// pharmacist's electronic signature over the physician's signature and the decision
    /// (R-RX-10): `{"review": …, "certificate": … | null}` (meddesk-signature's `Review`).
    ReviewPrescription {
        #[ts(type = "string")]
        prescription_id: Uuid,
        decision: ReviewDecision,
        reasons: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "unknown")]
        signature: Option<serde_json::Value>,
    },
    /// An administrator suspends a physician's privileges (R-CMP-2).
    SuspendPhysician {
        physician_id: String,
        reason: String,
    },
    /// An administrator lifts a suspension (R-CMP-2: after the complaint is resolved).
    ReinstatePhysician { physician_id: String },
    /// A follow-up contact (R-FU-2).
    AddFollowUpRecord {
        #[ts(type = "string")]
        consultation_id: Uuid,
        #[ts(type = "string")]
        follow_up_id: Uuid,
        taken_as_prescribed: Option<bool>,
        symptoms_improved: Option<bool>,
        revisit_advice: String,
        notes: String,
    },
    /// A message in the consultation's thread (R-SVC-1, text; kept ≥ 3 years, R-REC-3):
    /// the treating physician's, or the patient's through the intake channel.
    PostMessage {
        #[ts(type = "string")]
        consultation_id: Uuid,
        #[ts(type = "string")]
        message_id: Uuid,
        body: String,
    },
    /// A patient's complaint about a consultation (intake only, R-CMP-1).
    FileComplaint {
        #[ts(type = "string")]
        complaint_id: Uuid,
        #[ts(type = "string")]
        consultation_id: Uuid,
        text: String,
    },
}

impl OpKind {
    /// The wire name, for logs and metrics (never the payload: it may hold patient data).
    pub fn name(&self) -> &'static str {
        match self {
            OpKind::CreateConsultation { .. } => "create_consultation",
            OpKind::ClaimConsultation { .. } => "claim_consultation",
            OpKind::UpdateRecord { .. } => "update_record",
            OpKind::SetConsultationType { .. } => "set_consultation_type",
            OpKind::SavePrescriptionDraft { .. } => "save_prescription_draft",
            OpKind::SignPrescription { .. } => "sign_prescription",
            OpKind::ReviewPrescription { .. } => "review_prescription",
            OpKind::SuspendPhysician { .. } => "suspend_physician",
            OpKind::ReinstatePhysician { .. } => "reinstate_physician",
            OpKind::AddFollowUpRecord { .. } => "add_follow_up_record",
            OpKind::PostMessage { .. } => "post_message",
            OpKind::FileComplaint { .. } => "file_complaint",
        }
    }

    /// The record this operation changes (for per-record sync status).
    pub fn target(&self) -> RecordKey {
        match self {
            OpKind::CreateConsultation { request } => RecordKey::consultation(request.id),
            OpKind::ClaimConsultation { consultation_id }
            | OpKind::UpdateRecord {
                consultation_id, ..
            }
            | OpKind::SetConsultationType {
                consultation_id, ..
            }
            | OpKind::AddFollowUpRecord {
                consultation_id, ..
            }
            | OpKind::FileComplaint {
                consultation_id, ..
            } => RecordKey::consultation(*consultation_id),
            // A message is its own record (a thread is not re-sent with every message).
            OpKind::PostMessage { message_id, .. } => RecordKey::message(*message_id),
            OpKind::SavePrescriptionDraft {
                prescription_id, ..
            }
            | OpKind::SignPrescription {
                prescription_id, ..
            }
            | OpKind::ReviewPrescription {
                prescription_id, ..
            } => RecordKey::prescription(*prescription_id),
            OpKind::SuspendPhysician { physician_id, .. }
            | OpKind::ReinstatePhysician { physician_id } => RecordKey {
                kind: RecordKind::Physician,
                id: physician_id.clone(),
            },
        }
    }
}

/// Free-text fields of the consultation record (R-REC-1), merged one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RecordField {
    History,
    MedicationHistory,
    Allergies,
    Diagnosis,
    Advice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approve,
    Reject,
}

/// A consultation request as the patient channel files it (R-TRI-1, R-REC-1, R-TRI-7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct NewConsultation {
    #[ts(type = "string")]
    pub id: Uuid,
    pub org_id: String,
    pub patient: PatientSummary,
    pub channel: Channel,
    pub priority: Priority,
    /// The specialty whose physicians see it in their queue (R-ROLE-4).
    pub specialty: String,
    pub complaint: String,
    pub vitals: Vitals,
    /// ICD-10 code of a chronic condition this is a follow-up for (e.g. I10, E11).
    pub chronic_icd10: Option<String>,
    #[ts(type = "number")]
    pub arrived_at_ms: i64,
}

/// De-identified patient basics (R-REC-1, R-REC-2): never the full name or ID number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct PatientSummary {
    pub patient_id: String,
    pub masked_name: String,
    pub age_years: u32,
    pub sex: meddesk_domain::Sex,
    pub identity_verified: bool,
    /// For children under 6 (R-TRI-7): the guardian's relation and masked name.
    pub guardian: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Vitals {
    pub temperature_c: Option<f32>,
    pub systolic_mmhg: Option<u16>,
    pub diastolic_mmhg: Option<u16>,
    pub heart_rate_bpm: Option<u16>,
    pub glucose_mmol_l: Option<f32>,
}

/// R-RX-2
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionLine {
    pub generic_name: String,
    pub strength: String,
    pub dose: String,
    pub route: String,
    pub frequency: String,
    pub course_days: u32,
    pub quantity: String,
    pub notes: String,
}

// ---------------------------------------------------------------------------------------
// Records: the platform's state, as snapshots in the change feed.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Consultation,
    Prescription,
    Physician,
    Message,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Consultation => "consultation",
            RecordKind::Prescription => "prescription",
            RecordKind::Physician => "physician",
            RecordKind::Message => "message",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "consultation" => Some(RecordKind::Consultation),
            "prescription" => Some(RecordKind::Prescription),
            "physician" => Some(RecordKind::Physician),
            "message" => Some(RecordKind::Message),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
pub struct RecordKey {
    pub kind: RecordKind,
    pub id: String,
}

impl RecordKey {
    pub fn consultation(id: Uuid) -> Self {
        Self {
            kind: RecordKind::Consultation,
            id: id.to_string(),
        }
    }
    pub fn prescription(id: Uuid) -> Self {
        Self {
            kind: RecordKind::Prescription,
            id: id.to_string(),
        }
    }
    pub fn physician(id: &str) -> Self {
        Self {
            kind: RecordKind::Physician,
            id: id.to_owned(),
        }
    }
    pub fn message(id: Uuid) -> Self {
        Self {
            kind: RecordKind::Message,
            id: id.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordBody {
    Consultation(Box<ConsultationRecord>),
    Prescription(Box<PrescriptionRecord>),
    Physician(PhysicianRecord),
    Message(Box<MessageRecord>),
}

/// One message of a consultation's thread (R-SVC-1), a record of its own: posting a message
/// writes only the message, never the whole consultation again. Who sees it follows the
/// consultation when it was posted (its organisation, its specialty while waiting, its
/// treating physician once claimed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct MessageRecord {
    #[ts(type = "string")]
    pub consultation_id: Uuid,
    pub org_id: String,
    pub specialty: String,
    /// The treating physician when it was posted (none while the consultation waited).
    pub physician_id: Option<String>,
    pub entry: MessageEntry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    Waiting,
    Claimed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConsultationRecord {
    pub request: NewConsultation,
    pub status: QueueStatus,
    pub physician_id: Option<String>,
    /// The current value of each free-text field.
    pub fields: BTreeMap<RecordField, FieldValue>,
    /// Values that lost a concurrent edit: kept, never dropped.
    pub field_history: Vec<FieldHistoryEntry>,
    pub follow_ups: Vec<FollowUpEntry>,
    pub complaints: Vec<ComplaintEntry>,
    /// The consultation's thread, oldest first (absent in records written before it).
    #[serde(default)]
    pub messages: Vec<MessageEntry>,
    /// The consultation type the treating physician set, newest last; empty while it follows
    /// the intake (`meddesk_clinical::check::validity::default_consultation_kind`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consultation_types: Vec<ConsultationTypeEntry>,
    /// How the platform triaged the request when it arrived (absent in records written
    /// before the platform triaged): `request.specialty` and `request.priority` are its
    /// answer, and workstations show these reasons rather than deciding again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triage: Option<PlatformTriage>,
}

/// The platform's triage of an arriving request: the clinical triage rules
/// (`assets/triage/rules.toml`, the file workstations load) by version, and every rule that
/// fired. The route is `request.specialty`, the priority `request.priority`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct PlatformTriage {
    pub rules_version: String,
    /// What the intake asked for before triage (the route when no rule fired).
    pub requested_specialty: String,
    pub requested_priority: Priority,
    pub reasons: Vec<TriageReason>,
}

/// One triage rule that fired, as the rules file states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct TriageReason {
    pub rule: String,
    pub zh: String,
    pub en: String,
    pub source: String,
}

/// The platform's name of a triage route, the specialty whose queue it fills:
/// `general_practice`, `emergency` or the specialist's specialty. The one mapping both sides
/// use (see [`route_of_specialty`]).
pub fn specialty_of_route(route: &meddesk_domain::TriageRoute) -> String {
    match route {
        meddesk_domain::TriageRoute::General => "general_practice".to_owned(),
        meddesk_domain::TriageRoute::Emergency => "emergency".to_owned(),
        meddesk_domain::TriageRoute::Specialist { specialty } => specialty.clone(),
    }
}

/// The triage route of a platform specialty (`general` is accepted for general practice).
pub fn route_of_specialty(specialty: &str) -> meddesk_domain::TriageRoute {
    match specialty {
        "general_practice" | "general" => meddesk_domain::TriageRoute::General,
        "emergency" => meddesk_domain::TriageRoute::Emergency,
        other => meddesk_domain::TriageRoute::Specialist {
            specialty: other.to_owned(),
        },
    }
}

/// One setting of the consultation type by the treating physician, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ConsultationTypeEntry {
    pub consultation_type: ConsultationKind,
    pub reason: String,
    pub by: String,
    pub hlc: Hlc,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FieldValue {
    pub value: String,
    pub hlc: Hlc,
    pub by: String,
    /// The record version at which this value was written.
    #[ts(type = "number")]
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FieldHistoryEntry {
    pub field: RecordField,
    pub value: String,
    pub hlc: Hlc,
    pub by: String,
    #[ts(type = "string")]
    pub op_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FollowUpEntry {
    #[ts(type = "string")]
    pub id: Uuid,
    pub by: String,
    pub taken_as_prescribed: Option<bool>,
    pub symptoms_improved: Option<bool>,
    pub revisit_advice: String,
    pub notes: String,
    pub hlc: Hlc,
}

/// Who wrote a message of the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MessageSender {
    Patient,
    Physician,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MessageEntry {
    #[ts(type = "string")]
    pub id: Uuid,
    pub sender: MessageSender,
    /// The account that posted it (the physician, or the intake channel for the patient).
    pub by: String,
    pub body: String,
    /// When the platform received it.
    #[ts(type = "number")]
    pub received_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ComplaintEntry {
    #[ts(type = "string")]
    pub id: Uuid,
    pub text: String,
    #[ts(type = "number")]
    pub received_at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PrescriptionStatus {
    Draft,
    Signed,
    Approved,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PrescriptionRecord {
    #[ts(type = "string")]
    pub consultation_id: Uuid,
    pub physician_id: String,
    pub org_id: String,
    pub status: PrescriptionStatus,
    pub diagnosis: String,
    pub lines: Vec<PrescriptionLine>,
    pub reviews: Vec<ReviewEntry>,
    /// The consultation request the prescription answers (de-identified, R-REC-2), so a
    /// pharmacist who never saw the consultation reviews it with the patient's basics,
    /// complaint and vitals (R-RX-6). Set from the consultation when the draft is saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub consultation: Option<NewConsultation>,
    /// The consultation type when the draft was last saved: a signature must name it, and its
    /// course limit is the one validity applies (R-RX-4). Absent in records before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub consultation_type: Option<ConsultationKind>,
    /// The signed document as the physician's workstation sent it with the signature; none
    /// while a draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub signed: Option<SignedDocument>,
}

/// A signed prescription as the signing workstation showed it, kept verbatim by the
/// platform (it checks the lifecycle, not the content): the draft (lines with the
/// knowledge pack's drug ids), the checker's result at signing (findings with their
/// sources, the pack version and hash), the physician's override reasons, the validity
/// chosen and when it was signed (R-RX-1, R-RX-5, R-RX-6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SignedDocument {
    pub draft: serde_json::Value,
    pub check: serde_json::Value,
    pub overrides: serde_json::Value,
    pub validity_days: u32,
    #[ts(type = "number")]
    pub signed_at_ms: i64,
    /// The clinical picture the check ran against (the check request's patient: age, sex,
    /// weight, allergies, renal/hepatic/pregnancy/lactation status, conditions, current
    /// medicines), so the pharmacist reviews with it on any workstation (R-RX-9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub patient: Option<serde_json::Value>,
    /// The physician's electronic signature over [`prescription_content`] (R-RX-10): a
    /// meddesk-signature `SignedPrescription`; the platform adds its timestamp, the
    /// certificate, and later the pharmacist's review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    pub signature: Option<serde_json::Value>,
}

/// Exactly what a physician signs (R-RX-10): the prescription's ids, the organisation, the
/// pseudonymous patient id, and the signed document's draft (diagnosis, lines with drug
/// ids), the checker's findings with the pack version and hash, the override reasons, the
/// validity, the signing time and the clinical picture checked against. Defined once, so
/// the workstation that signs and the platform that verifies build the same content.
pub fn prescription_content(
    prescription_id: Uuid,
    consultation_id: Uuid,
    org_id: &str,
    patient_id: &str,
    physician_id: &str,
    doc: &SignedDocument,
) -> serde_json::Value {
    serde_json::json!({
        "prescription_id": prescription_id.to_string(),
        "consultation_id": consultation_id.to_string(),
        "org_id": org_id,
        "patient_id": patient_id,
        "physician_id": physician_id,
        "draft": doc.draft,
        "check": doc.check,
        "overrides": doc.overrides,
        "validity_days": doc.validity_days,
        "signed_at_ms": doc.signed_at_ms,
        "patient": doc.patient,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewEntry {
    pub pharmacist_id: String,
    pub decision: ReviewDecision,
    pub reasons: Vec<String>,
    pub hlc: Hlc,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PhysicianRecord {
    pub suspended: bool,
    pub reason: String,
    /// The physician's organisation (the platform's account): whose administrators see and
    /// change the record. Empty in records made before organisations were scoped.
    #[serde(default)]
    pub org_id: String,
}

// ---------------------------------------------------------------------------------------
// Requests and answers.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub ops: Vec<Operation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PushResponse {
    pub outcomes: Vec<OpOutcome>,
    /// The platform's clock, so clients can keep their HLC close (never trusted for order).
    pub server_hlc: Hlc,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OpOutcome {
    #[ts(type = "string")]
    pub op_id: Uuid,
    pub result: OpResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OpResult {
    /// Applied (now or by an earlier delivery of the same op): the change `seq` and the
    /// record's new version.
    Acked {
        #[ts(type = "number")]
        seq: u64,
        #[ts(type = "number")]
        version: u64,
    },
    /// Refused for good; the client keeps the user's work as a draft and shows the reason.
    Rejected { rejection: Rejection },
}

/// Why the platform refused an operation. `code` is stable (the UI branches on it);
/// `message` never quotes patient data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Rejection {
    pub code: RejectionCode,
    pub message: String,
    /// For `invalid_prescription`: the validity findings as `code` or `code@lines`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    /// Another physician claimed it first.
    AlreadyClaimed,
    /// The role or relationship does not allow it (R-ROLE-1…4).
    NotPermitted,
    /// The physician's privileges are suspended (R-CMP-2).
    Suspended,
    NotFound,
    /// The record changed since the user saw it (signing what you did not see is refused).
    StaleVersion,
    /// The record is not in a state that allows this (e.g. review of a draft).
    InvalidState,
    /// Missing or malformed content; the message names the field.
    InvalidInput,
    /// The id is already used by another record.
    DuplicateId,
    /// The operation's clock stamp is too far ahead of the platform's clock.
    ClockSkew,
    /// The operation names a user or device other than the signed-in one.
    WrongIdentity,
    /// The prescription may not exist (R-RX-8): `findings` lists the validity codes with
    /// their lines (`unknown_drug@1`), from the same rule the workstation runs.
    InvalidPrescription,
    /// An electronic signature does not verify (R-RX-10): `findings` holds the verifier's
    /// code (`signature_missing`, `content_changed`, `certificate_revoked`, …).
    SignatureInvalid,
    /// The operation id was already used by another operation (another body or another
    /// user): ids are idempotency keys bound to (user, id, body digest), never reused.
    Conflict,
}

impl Rejection {
    pub fn new(code: RejectionCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            findings: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Resume here; ≥ every `seq` in `changes` (pages may skip changes you may not see).
    #[ts(type = "number")]
    pub next_cursor: Cursor,
    /// The last seq the platform has; `next_cursor < head` means there is more.
    #[ts(type = "number")]
    pub head: Cursor,
}

impl PullResponse {
    pub fn has_more(&self) -> bool {
        self.next_cursor < self.head
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Change {
    #[ts(type = "number")]
    pub seq: u64,
    pub key: RecordKey,
    #[ts(type = "number")]
    pub version: u64,
    /// `None`: the record left your view (e.g. another physician claimed it): delete it.
    pub body: Option<RecordBody>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
    /// Required for administrators (R-ROLE-3).
    pub totp: Option<String>,
    pub device_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TokenResponse {
    pub access_token: String,
    #[ts(type = "number")]
    pub access_expires_in_s: u64,
    pub refresh_token: String,
    pub account: AccountInfo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AccountInfo {
    pub user_id: String,
    pub role: AccountRole,
    pub org_id: String,
    pub specialties: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    pub device_id: String,
    pub name: String,
}

/// A workstation's audit chain as it stands (R-SEC-5): handed to the platform on every sync,
/// which keeps each one, so a tail cut or a rewrite by someone holding the database key shows
/// against what the platform recorded (issue 13 §4). No patient data: a count and a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct AuditAnchor {
    /// The profile's audit chain (a random id made once per profile).
    pub chain_id: String,
    #[ts(type = "number")]
    pub entries: u64,
    /// SHA-256 of the newest entry, hex.
    pub head: String,
}

/// The newest anchor the platform holds for a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct AnchoredAudit {
    #[ts(type = "number")]
    pub entries: u64,
    pub head: String,
    #[ts(type = "number")]
    pub anchored_at_ms: i64,
}

/// `GET /v1/audit-anchors?chain_id=…` and the answer to a new anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct AnchorAnswer {
    pub latest: Option<AnchoredAudit>,
}

/// Every non-2xx answer: `{ code, message }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApiErrorBody {
    pub code: String,
    pub message: String,
}

/// What the notification channel (`GET /v1/events`, Server-Sent Events) says: there are
/// changes up to `head`; pull to see those you may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HeadEvent {
    #[ts(type = "number")]
    pub head: Cursor,
}

/// Per-record sync status the UI shows (R-SEC-1). Never `Synced` before the platform
/// acknowledged every operation on the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Made on this workstation and never pushed (e.g. a draft not yet queued).
    LocalOnly,
    /// Queued or in flight; the platform has not acknowledged it.
    Pending,
    Synced,
    /// The platform refused an operation on it; the local work is kept as a draft.
    Rejected,
}

/// One account to provision on a platform node at start (the demo's embedded platform and
/// tests; a deployment imports its own). The platform's `--accounts FILE` format.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSeed {
    pub username: String,
    pub password: String,
    pub user_id: String,
    pub role: AccountRole,
    pub org_id: String,
    #[serde(default)]
    pub specialties: Vec<String>,
    /// RFC 6238 secret, hex.
    #[serde(default)]
    pub totp_secret_hex: Option<String>,
}
