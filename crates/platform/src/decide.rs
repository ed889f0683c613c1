//! The platform's rules, pure: whether an operation is allowed and what it changes
//! (`decide`), and who may see a record (`visibility`). The storage backends load the
//! records an operation touches, call `decide`, and write what it returns; so SQLite and
//! PostgreSQL enforce exactly the same rules.

use std::collections::BTreeMap;

use meddesk_clinical::check::request::{ConsultationKind, RxDraft};
use meddesk_clinical::check::validity;
use meddesk_formulary::Pack;
use meddesk_signature::{Certificate, RevocationList, SignedPrescription, TimestampOf, Trust};
use uuid::Uuid;

use crate::error::PlatformError;
use crate::signing::PlatformSigning;
use meddesk_sync::hlc::MAX_DRIFT_MS;
use meddesk_sync::{
    AccountRole, ComplaintEntry, ConsultationRecord, ConsultationTypeEntry, FieldHistoryEntry,
    FieldValue, FollowUpEntry, MessageEntry, MessageRecord, MessageSender, NewConsultation, OpKind,
    Operation, PhysicianRecord, PlatformTriage, PrescriptionRecord, PrescriptionStatus,
    QueueStatus, RecordBody, RecordKey, RecordKind, Rejection, RejectionCode, ReviewDecision,
    ReviewEntry, SignedDocument, TriageReason,
};

/// The signed-in account behind a request (from the access token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub role: AccountRole,
    pub org_id: String,
    pub specialties: Vec<String>,
    pub device_id: String,
}

/// Records as loaded: key → (version, body).
pub type Loaded = BTreeMap<RecordKey, (u64, RecordBody)>;

/// R-RX-4: at most five medicines per prescription.
const MAX_LINES: usize = 5;

/// A message of the thread is a chat message, not a document.
const MAX_MESSAGE_CHARS: usize = 2_000;

/// The records `decide` needs for `op`: its target, the consultation a draft belongs to,
/// and the acting physician's own record (suspension, R-CMP-2).
pub fn touches(op: &Operation, actor: &Actor) -> Vec<RecordKey> {
    let mut keys = vec![op.kind.target()];
    if let OpKind::SavePrescriptionDraft {
        consultation_id, ..
    }
    | OpKind::PostMessage {
        consultation_id, ..
    } = &op.kind
    {
        keys.push(RecordKey::consultation(*consultation_id));
    }
    if actor.role == AccountRole::Physician {
        keys.push(RecordKey::physician(&actor.user_id));
    }
    keys
}

fn reject(code: RejectionCode, message: impl Into<String>) -> Rejection {
    Rejection::new(code, message)
}

fn require_role(actor: &Actor, role: AccountRole, what: &str) -> Result<(), Rejection> {
    if actor.role == role {
        Ok(())
    } else {
        Err(reject(
            RejectionCode::NotPermitted,
            format!("{what} needs the {role:?} role"),
        ))
    }
}

fn not_suspended(actor: &Actor, loaded: &Loaded) -> Result<(), Rejection> {
    match loaded.get(&RecordKey::physician(&actor.user_id)) {
        Some((_, RecordBody::Physician(p))) if p.suspended => Err(reject(
            RejectionCode::Suspended,
            "the physician's privileges are suspended",
        )),
        _ => Ok(()),
    }
}

fn consultation<'a>(
    loaded: &'a Loaded,
    key: &RecordKey,
) -> Result<(u64, &'a ConsultationRecord), Rejection> {
    match loaded.get(key) {
        Some((v, RecordBody::Consultation(c))) => Ok((*v, c)),
        _ => Err(reject(RejectionCode::NotFound, "no such consultation")),
    }
}

fn prescription<'a>(
    loaded: &'a Loaded,
    key: &RecordKey,
) -> Result<Option<(u64, &'a PrescriptionRecord)>, Rejection> {
    match loaded.get(key) {
        Some((v, RecordBody::Prescription(p))) => Ok(Some((*v, p))),
        Some(_) => Err(reject(
            RejectionCode::DuplicateId,
            "id used by another record",
        )),
        None => Ok(None),
    }
}

fn own_consultation<'a>(
    actor: &Actor,
    loaded: &'a Loaded,
    key: &RecordKey,
) -> Result<(u64, &'a ConsultationRecord), Rejection> {
    let (v, c) = consultation(loaded, key)?;
    // R-ROLE-1: only the treating physician works on the record.
    if c.physician_id.as_deref() != Some(actor.user_id.as_str()) {
        return Err(reject(
            RejectionCode::NotPermitted,
            "not the treating physician of this consultation",
        ));
    }
    Ok((v, c))
}

fn non_empty(value: &str, field: &str) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        Err(reject(
            RejectionCode::InvalidInput,
            format!("`{field}` must not be empty"),
        ))
    } else {
        Ok(())
    }
}

/// R-RX-8, R-SEC-8: whether a prescription as signed may exist, by the SAME rule the
/// workstation's checker runs (`meddesk_clinical::check::validity`), over the signed
/// draft and what the platform verified of the patient's identity. A prescription with no
/// signed document is not signed.
/// A reason given with a consultation-type change.
const MAX_REASON_CHARS: usize = 500;

/// The consultation's type: the treating physician's last setting, else the intake's default
/// by the rule the workstation shows.
pub fn consultation_type(c: &ConsultationRecord) -> ConsultationKind {
    c.consultation_types
        .last()
        .map(|t| t.consultation_type)
        .unwrap_or_else(|| {
            validity::default_consultation_kind(
                c.request.chronic_icd10.is_some(),
                c.request.priority,
            )
        })
}

fn valid_prescription(
    pack: &Pack,
    p: &PrescriptionRecord,
    signed: Option<&SignedDocument>,
) -> Result<(), Rejection> {
    let Some(doc) = signed else {
        return Err(reject(
            RejectionCode::InvalidInput,
            "`signed` is required: a prescription is signed with its document",
        ));
    };
    let draft: RxDraft = serde_json::from_value(doc.draft.clone()).map_err(|e| {
        reject(
            RejectionCode::InvalidInput,
            format!(
                "`signed.draft` is not a prescription draft: {}",
                field_of(&e)
            ),
        )
    })?;
    // The course limit is the consultation type's (R-RX-4): a signature names the type the
    // consultation had when the draft was saved, never one of its own choosing.
    if let Some(kind) = p.consultation_type
        && draft.kind != Some(kind)
    {
        return Err(reject(
            RejectionCode::InvalidPrescription,
            format!(
                "the signed consultation type is not the consultation's ({})",
                kind.as_str()
            ),
        ));
    }
    let identity = p.consultation.as_ref().map(|c| c.patient.identity_verified);
    let findings = validity::validate_draft(pack, &draft, identity);
    if findings.is_empty() {
        return Ok(());
    }
    let codes = validity::summary(&findings);
    let mut r = reject(
        RejectionCode::InvalidPrescription,
        format!("the prescription may not exist: {}", codes.join(", ")),
    );
    r.findings = codes;
    Err(r)
}

/// A serde error's position without the offending value (it may be patient data).
fn field_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(_) if text.starts_with("unknown field") || text.starts_with("missing field") => {
            text.split(',').next().unwrap_or("malformed").to_owned()
        }
        _ => format!("malformed (line {}, column {})", e.line(), e.column()),
    }
}

/// What `decide` judges prescriptions by, besides the records: the knowledge pack the
/// workstations check against (one validity rule, R-RX-8) and the platform's signing
/// identity with the certificates and revocations a signature is verified against (R-RX-10).
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub pack: &'a Pack,
    pub signing: &'a PlatformSigning,
    /// The platform's revocation list as of this push.
    pub revocations: &'a RevocationList,
    /// Certificates the platform issued that this push's signatures name (a signature made
    /// before its certificate reached the workstation carries none).
    pub certificates: &'a BTreeMap<String, Certificate>,
    /// The organisation of each platform account this push names as a subject (user id →
    /// organisation): an administrator acts on their own organisation's people only.
    pub account_orgs: &'a BTreeMap<String, String>,
    /// The clinical triage rules (`assets/triage/rules.toml`, the file the workstations
    /// load): the platform routes arriving requests with them (issue 13 §2, R-TRI-2).
    pub triage: &'a meddesk_clinical::triage::TriageRules,
}

/// How the platform triages an arriving request, with `meddesk_clinical::triage` over the
/// rules the workstations load: a rule that fires sets the route (the most urgent one's);
/// with none, the intake's requested specialty stands. The priority is the more urgent of
/// the intake's and the rules'. Returns the request as routed and what to keep about it.
pub fn triage_arrival(
    request: &NewConsultation,
    rules: &meddesk_clinical::triage::TriageRules,
) -> (NewConsultation, PlatformTriage) {
    use meddesk_clinical::triage::{self, TriagePatient, TriageRequest};
    let kind = if request.chronic_icd10.is_some() {
        triage::ConsultationKind::ChronicFollowup
    } else {
        triage::ConsultationKind::Ordinary
    };
    let input = TriageRequest {
        id: String::new(),
        channel: request.channel,
        patient: TriagePatient {
            age_years: Some(f64::from(request.patient.age_years)),
            sex: Some(request.patient.sex),
            conditions: request.chronic_icd10.iter().cloned().collect(),
        },
        vitals: triage::Vitals {
            temperature_c: request.vitals.temperature_c.map(f64::from),
            spo2: None,
            heart_rate: request.vitals.heart_rate_bpm.map(f64::from),
        },
        complaint: request.complaint.clone(),
        kind,
        guardian_present: Some(request.patient.guardian.is_some()),
        prior_consults_today: 0,
    };
    let outcome = triage::triage(&input, rules);
    let mut routed = request.clone();
    if !outcome.reasons.is_empty() {
        routed.specialty = meddesk_sync::specialty_of_route(&outcome.route);
        routed.priority = request.priority.min(outcome.priority);
    }
    let kept = PlatformTriage {
        rules_version: rules.version.clone(),
        requested_specialty: request.specialty.clone(),
        requested_priority: request.priority,
        reasons: outcome
            .reasons
            .into_iter()
            .map(|r| TriageReason {
                rule: r.rule,
                zh: r.message.zh,
                en: r.message.en,
                source: r.source,
            })
            .collect(),
    };
    (routed, kept)
}

/// The physician `physician_id` must be an account of the administrator's organisation.
fn of_my_organisation(
    actor: &Actor,
    rules: &Rules<'_>,
    physician_id: &str,
) -> Result<(), Rejection> {
    match rules.account_orgs.get(physician_id) {
        Some(org) if *org == actor.org_id => Ok(()),
        Some(_) => Err(reject(
            RejectionCode::NotPermitted,
            "the physician belongs to another organisation",
        )),
        None => Err(reject(RejectionCode::NotFound, "no such physician")),
    }
}

fn signature_refused(code: &str, what: &str) -> Rejection {
    let mut r = reject(
        RejectionCode::SignatureInvalid,
        format!("the {what} signature does not verify: {code}"),
    );
    r.findings = vec![code.to_owned()];
    r
}

fn trust(rules: &Rules<'_>) -> Trust {
    Trust {
        platform_keys: vec![rules.signing.key().clone()],
        revocations: vec![rules.revocations.clone()],
        require_timestamp: false,
    }
}

/// Attach the certificate a signature names when the document lacks it and the platform
/// issued it (a key made offline).
fn with_certificate(doc: &mut SignedPrescription, serial: &str, rules: &Rules<'_>) {
    if doc.certificates.iter().all(|c| c.body.serial != serial)
        && let Some(cert) = rules.certificates.get(serial)
    {
        let _ = meddesk_signature::attach_certificate(doc, cert);
    }
}

/// R-RX-10: the physician's electronic signature over exactly the prescription the platform
/// holds, by a certificate it issued to the acting physician, not revoked; countersigned
/// with the platform's key and time. Returns the document to keep.
fn physician_signature(
    rules: &Rules<'_>,
    prescription_id: Uuid,
    p: &PrescriptionRecord,
    signed: &SignedDocument,
    actor: &Actor,
    now_ms: i64,
) -> Result<serde_json::Value, Rejection> {
    let Some(value) = signed.signature.as_ref() else {
        return Err(signature_refused("signature_missing", "physician's"));
    };
    let mut doc: SignedPrescription = serde_json::from_value(value.clone())
        .map_err(|_| signature_refused("malformed", "physician's"))?;
    let patient_id = p
        .consultation
        .as_ref()
        .map_or("", |c| c.patient.patient_id.as_str());
    let expected = meddesk_sync::prescription_content(
        prescription_id,
        p.consultation_id,
        &p.org_id,
        patient_id,
        &p.physician_id,
        signed,
    );
    let same = match (
        meddesk_signature::canonical::to_vec(&expected),
        meddesk_signature::canonical::to_vec(&doc.content),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same || doc.physician.signed_at_ms != signed.signed_at_ms {
        return Err(signature_refused("content_changed", "physician's"));
    }
    let serial = doc.physician.certificate.clone();
    with_certificate(&mut doc, &serial, rules);
    let verified = meddesk_signature::verify(&doc, &trust(rules))
        .map_err(|e| signature_refused(e.code(), "physician's"))?;
    if verified.physician.user_id != actor.user_id {
        return Err(signature_refused(
            "certificate_of_another_user",
            "physician's",
        ));
    }
    meddesk_signature::add_timestamp(&mut doc, TimestampOf::Sign, rules.signing.signer(), now_ms)
        .map_err(|e| signature_refused(e.code(), "physician's"))?;
    serde_json::to_value(&doc).map_err(|_| signature_refused("encoding", "physician's"))
}

/// R-RX-10: the pharmacist's signature over the physician's signature and the decision, by
/// a certificate issued to the acting pharmacist; countersigned. Returns the document.
fn review_signature(
    rules: &Rules<'_>,
    p: &PrescriptionRecord,
    submitted: Option<&serde_json::Value>,
    decision: ReviewDecision,
    reasons: &[String],
    actor: &Actor,
    now_ms: i64,
) -> Result<serde_json::Value, Rejection> {
    let stored = p
        .signed
        .as_ref()
        .and_then(|s| s.signature.as_ref())
        .ok_or_else(|| signature_refused("signature_missing", "physician's"))?;
    let mut doc: SignedPrescription = serde_json::from_value(stored.clone())
        .map_err(|_| signature_refused("malformed", "physician's"))?;
    let Some(submitted) = submitted else {
        return Err(signature_refused("signature_missing", "pharmacist's"));
    };
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Submitted {
        review: meddesk_signature::Review,
        #[serde(default)]
        certificate: Option<Certificate>,
    }
    let s: Submitted = serde_json::from_value(submitted.clone())
        .map_err(|_| signature_refused("malformed", "pharmacist's"))?;
    let decided = match s.review.decision {
        meddesk_signature::Decision::Approve => ReviewDecision::Approve,
        meddesk_signature::Decision::Reject => ReviewDecision::Reject,
    };
    if decided != decision || s.review.reasons != reasons {
        return Err(signature_refused("content_changed", "pharmacist's"));
    }
    let serial = s.review.certificate.clone();
    let physician_serial = doc.physician.certificate.clone();
    with_certificate(&mut doc, &physician_serial, rules);
    doc.review = Some(s.review);
    if let Some(cert) = s.certificate.as_ref() {
        meddesk_signature::attach_certificate(&mut doc, cert)
            .map_err(|e| signature_refused(e.code(), "pharmacist's"))?;
    }
    with_certificate(&mut doc, &serial, rules);
    let verified = meddesk_signature::verify(&doc, &trust(rules))
        .map_err(|e| signature_refused(e.code(), "pharmacist's"))?;
    if verified
        .review
        .as_ref()
        .map(|r| r.pharmacist.user_id.as_str())
        != Some(actor.user_id.as_str())
    {
        return Err(signature_refused(
            "certificate_of_another_user",
            "pharmacist's",
        ));
    }
    meddesk_signature::add_timestamp(
        &mut doc,
        TimestampOf::Review,
        rules.signing.signer(),
        now_ms,
    )
    .map_err(|e| signature_refused(e.code(), "pharmacist's"))?;
    serde_json::to_value(&doc).map_err(|_| signature_refused("encoding", "pharmacist's"))
}

/// Validate `op` by `actor` against the loaded records; on success, the new bodies of the
/// records it changes (the caller assigns versions: loaded version + 1, or 1 when new).
/// Prescriptions are judged by `rules`: the workstations' validity rule and verified
/// electronic signatures.
pub fn decide(
    op: &Operation,
    actor: &Actor,
    loaded: &Loaded,
    now_ms: i64,
    rules: &Rules<'_>,
) -> Result<Vec<(RecordKey, RecordBody)>, Rejection> {
    let pack = rules.pack;
    if op.user != actor.user_id || op.device != actor.device_id {
        return Err(reject(
            RejectionCode::WrongIdentity,
            "the operation names another user or device than the signed-in one",
        ));
    }
    // The stamp orders concurrent field edits; one from far in the future would win every
    // later conflict, so it is refused (the client shows "check the clock").
    if op.hlc.wall_ms - now_ms > MAX_DRIFT_MS {
        return Err(reject(
            RejectionCode::ClockSkew,
            "the device clock is more than an hour ahead of the platform",
        ));
    }
    let target = op.kind.target();
    match &op.kind {
        OpKind::CreateConsultation { request } => {
            require_role(actor, AccountRole::Intake, "filing a consultation request")?;
            if request.org_id != actor.org_id {
                return Err(reject(
                    RejectionCode::NotPermitted,
                    "the request belongs to another organisation",
                ));
            }
            if loaded.contains_key(&target) {
                return Err(reject(RejectionCode::DuplicateId, "consultation id in use"));
            }
            non_empty(&request.complaint, "request.complaint")?;
            non_empty(&request.specialty, "request.specialty")?;
            // R-TRI-7: children under 6 consult with a guardian present.
            if request.patient.age_years < 6 && request.patient.guardian.is_none() {
                return Err(reject(
                    RejectionCode::InvalidInput,
                    "`request.patient.guardian` is required under 6 years",
                ));
            }
            // One rule, both sides (issue 13 §2): the platform routes with the clinical rules.
            let (routed, triaged) = triage_arrival(request, rules.triage);
            Ok(vec![(
                target,
                RecordBody::Consultation(Box::new(ConsultationRecord {
                    request: routed,
                    status: QueueStatus::Waiting,
                    physician_id: None,
                    fields: BTreeMap::new(),
                    field_history: Vec::new(),
                    follow_ups: Vec::new(),
                    complaints: Vec::new(),
                    messages: Vec::new(),
                    consultation_types: Vec::new(),
                    triage: Some(triaged),
                })),
            )])
        }
        OpKind::ClaimConsultation { .. } => {
            require_role(actor, AccountRole::Physician, "claiming a consultation")?;
            not_suspended(actor, loaded)?;
            let (_, c) = consultation(loaded, &target)?;
            // Only the physician's own organisation's queue.
            if c.request.org_id != actor.org_id {
                return Err(reject(
                    RejectionCode::NotPermitted,
                    "the consultation belongs to another organisation",
                ));
            }
            // R-ROLE-4: only consultations of the physician's specialties.
            if !actor.specialties.contains(&c.request.specialty) {
                return Err(reject(
                    RejectionCode::NotPermitted,
                    "the consultation is outside the physician's specialties",
                ));
            }
            if c.status != QueueStatus::Waiting {
                // First claim wins; every later claim, even by the same physician, is refused.
                return Err(reject(
                    RejectionCode::AlreadyClaimed,
                    "the consultation was already claimed",
                ));
            }
            let mut next = c.clone();
            next.status = QueueStatus::Claimed;
            next.physician_id = Some(actor.user_id.clone());
            Ok(vec![(target, RecordBody::Consultation(Box::new(next)))])
        }
        OpKind::UpdateRecord { fields, .. } => {
            require_role(actor, AccountRole::Physician, "editing a record")?;
            not_suspended(actor, loaded)?;
            let (version, c) = own_consultation(actor, loaded, &target)?;
            if fields.is_empty() {
                return Err(reject(RejectionCode::InvalidInput, "`fields` is empty"));
            }
            let new_version = version + 1;
            let mut next = c.clone();
            for (field, value) in fields {
                let incoming = FieldValue {
                    value: value.clone(),
                    hlc: op.hlc,
                    by: op.user.clone(),
                    version: new_version,
                };
                let Some(current) = next.fields.get(field).cloned() else {
                    next.fields.insert(*field, incoming);
                    continue;
                };
                // The user saw `current` (no concurrent edit), or this edit is the later one
                // by the hybrid clock: it wins. Either way the other value goes to history.
                let wins = current.version <= op.base_version || op.hlc > current.hlc;
                let (winner, loser) = if wins {
                    (incoming, current)
                } else {
                    (current, incoming)
                };
                next.field_history.push(FieldHistoryEntry {
                    field: *field,
                    value: loser.value,
                    hlc: loser.hlc,
                    by: loser.by,
                    op_id: op.op_id,
                });
                next.fields.insert(*field, winner);
            }
            Ok(vec![(target, RecordBody::Consultation(Box::new(next)))])
        }
        OpKind::SetConsultationType {
            consultation_type,
            reason,
            ..
        } => {
            require_role(
                actor,
                AccountRole::Physician,
                "setting the consultation type",
            )?;
            not_suspended(actor, loaded)?;
            let (_, c) = own_consultation(actor, loaded, &target)?;
            non_empty(reason, "reason")?;
            if reason.chars().count() > MAX_REASON_CHARS {
                return Err(reject(
                    RejectionCode::InvalidInput,
                    "`reason` must be at most 500 characters",
                ));
            }
            let mut next = c.clone();
            next.consultation_types.push(ConsultationTypeEntry {
                consultation_type: *consultation_type,
                reason: reason.trim().to_owned(),
                by: actor.user_id.clone(),
                hlc: op.hlc,
            });
            Ok(vec![(target, RecordBody::Consultation(Box::new(next)))])
        }
        OpKind::SavePrescriptionDraft {
            consultation_id,
            diagnosis,
            lines,
            ..
        } => {
            require_role(actor, AccountRole::Physician, "writing a prescription")?;
            not_suspended(actor, loaded)?;
            let (_, c) =
                own_consultation(actor, loaded, &RecordKey::consultation(*consultation_id))?;
            non_empty(diagnosis, "diagnosis")?;
            if lines.is_empty() || lines.len() > MAX_LINES {
                return Err(reject(
                    RejectionCode::InvalidInput,
                    "`lines` must hold 1 to 5 medicines",
                ));
            }
            let reviews = match prescription(loaded, &target)? {
                None => Vec::new(),
                Some((_, p)) => {
                    if p.physician_id != actor.user_id || p.consultation_id != *consultation_id {
                        return Err(reject(
                            RejectionCode::NotPermitted,
                            "the prescription belongs to another consultation or physician",
                        ));
                    }
                    // R-RX-6: a rejected prescription is revised as a new draft.
                    if !matches!(
                        p.status,
                        PrescriptionStatus::Draft | PrescriptionStatus::Rejected
                    ) {
                        return Err(reject(
                            RejectionCode::InvalidState,
                            "a signed prescription cannot be edited",
                        ));
                    }
                    p.reviews.clone()
                }
            };
            Ok(vec![(
                target,
                RecordBody::Prescription(Box::new(PrescriptionRecord {
                    consultation_id: *consultation_id,
                    physician_id: actor.user_id.clone(),
                    org_id: c.request.org_id.clone(),
                    status: PrescriptionStatus::Draft,
                    diagnosis: diagnosis.clone(),
                    lines: lines.clone(),
                    reviews,
                    consultation: Some(c.request.clone()),
                    consultation_type: Some(consultation_type(c)),
                    signed: None,
                })),
            )])
        }
        OpKind::SignPrescription {
            signed,
            prescription_id,
        } => {
            require_role(actor, AccountRole::Physician, "signing")?;
            not_suspended(actor, loaded)?;
            let Some((version, p)) = prescription(loaded, &target)? else {
                return Err(reject(RejectionCode::NotFound, "no such prescription"));
            };
            // R-RX-1: the treating physician signs personally.
            if p.physician_id != actor.user_id {
                return Err(reject(
                    RejectionCode::NotPermitted,
                    "only the prescribing physician signs",
                ));
            }
            if p.status != PrescriptionStatus::Draft {
                return Err(reject(
                    RejectionCode::InvalidState,
                    "only a draft is signed",
                ));
            }
            // A signature covers exactly what the physician saw.
            if op.base_version != version {
                return Err(reject(
                    RejectionCode::StaleVersion,
                    "the draft changed since it was shown; review and sign again",
                ));
            }
            valid_prescription(pack, p, signed.as_ref())?;
            let mut next = p.clone();
            next.status = PrescriptionStatus::Signed;
            next.signed = signed.clone();
            if let (Some(doc), Some(out)) = (signed.as_ref(), next.signed.as_mut()) {
                out.signature = Some(physician_signature(
                    rules,
                    *prescription_id,
                    p,
                    doc,
                    actor,
                    now_ms,
                )?);
            }
            Ok(vec![(target, RecordBody::Prescription(Box::new(next)))])
        }
        OpKind::ReviewPrescription {
            decision,
            reasons,
            signature,
            ..
        } => {
            require_role(actor, AccountRole::Pharmacist, "reviewing")?;
            let Some((_, p)) = prescription(loaded, &target)? else {
                return Err(reject(RejectionCode::NotFound, "no such prescription"));
            };
            // R-ROLE-2: the review queue of the pharmacist's own organisation.
            if p.org_id != actor.org_id {
                return Err(reject(
                    RejectionCode::NotPermitted,
                    "the prescription belongs to another organisation",
                ));
            }
            if p.status != PrescriptionStatus::Signed {
                return Err(reject(
                    RejectionCode::InvalidState,
                    "only a signed prescription awaits review",
                ));
            }
            if *decision == ReviewDecision::Reject && reasons.iter().all(|r| r.trim().is_empty()) {
                return Err(reject(
                    RejectionCode::InvalidInput,
                    "`reasons` is required to reject",
                ));
            }
            // R-RX-8: nothing that may not exist is approved, whatever reached review.
            if *decision == ReviewDecision::Approve {
                valid_prescription(pack, p, p.signed.as_ref())?;
            }
            let document = review_signature(
                rules,
                p,
                signature.as_ref(),
                *decision,
                reasons,
                actor,
                now_ms,
            )?;
            let mut next = p.clone();
            if let Some(s) = next.signed.as_mut() {
                s.signature = Some(document);
            }
            next.status = match decision {
                ReviewDecision::Approve => PrescriptionStatus::Approved,
                ReviewDecision::Reject => PrescriptionStatus::Rejected,
            };
            next.reviews.push(ReviewEntry {
                pharmacist_id: actor.user_id.clone(),
                decision: *decision,
                reasons: reasons.clone(),
                hlc: op.hlc,
            });
            Ok(vec![(target, RecordBody::Prescription(Box::new(next)))])
        }
        OpKind::SuspendPhysician {
            reason,
            physician_id,
        } => {
            require_role(actor, AccountRole::Administrator, "suspending a physician")?;
            of_my_organisation(actor, rules, physician_id)?;
            non_empty(reason, "reason")?;
            if matches!(loaded.get(&target), Some((_, b)) if !matches!(b, RecordBody::Physician(_)))
            {
                return Err(reject(
                    RejectionCode::DuplicateId,
                    "id used by another record",
                ));
            }
            Ok(vec![(
                target,
                RecordBody::Physician(PhysicianRecord {
                    suspended: true,
                    reason: reason.clone(),
                    org_id: actor.org_id.clone(),
                }),
            )])
        }
        OpKind::ReinstatePhysician { physician_id } => {
            require_role(actor, AccountRole::Administrator, "reinstating a physician")?;
            of_my_organisation(actor, rules, physician_id)?;
            match loaded.get(&target) {
                Some((_, RecordBody::Physician(p))) if p.suspended => Ok(vec![(
                    target,
                    RecordBody::Physician(PhysicianRecord {
                        suspended: false,
                        reason: String::new(),
                        org_id: actor.org_id.clone(),
                    }),
                )]),
                Some((_, RecordBody::Physician(_))) | None => Err(reject(
                    RejectionCode::InvalidState,
                    "the physician is not suspended",
                )),
                Some(_) => Err(reject(
                    RejectionCode::DuplicateId,
                    "id used by another record",
                )),
            }
        }
        OpKind::AddFollowUpRecord {
            follow_up_id,
            taken_as_prescribed,
            symptoms_improved,
            revisit_advice,
            notes,
            ..
        } => {
            require_role(actor, AccountRole::Physician, "recording a follow-up")?;
            not_suspended(actor, loaded)?;
            let (_, c) = own_consultation(actor, loaded, &target)?;
            if c.follow_ups.iter().any(|f| f.id == *follow_up_id) {
                return Err(reject(RejectionCode::DuplicateId, "follow-up id in use"));
            }
            let mut next = c.clone();
            next.follow_ups.push(FollowUpEntry {
                id: *follow_up_id,
                by: actor.user_id.clone(),
                taken_as_prescribed: *taken_as_prescribed,
                symptoms_improved: *symptoms_improved,
                revisit_advice: revisit_advice.clone(),
                notes: notes.clone(),
                hlc: op.hlc,
            });
            Ok(vec![(target, RecordBody::Consultation(Box::new(next)))])
        }
        OpKind::PostMessage {
            message_id,
            body,
            consultation_id,
        } => {
            let of = RecordKey::consultation(*consultation_id);
            let (_, c) = consultation(loaded, &of)?;
            let sender = match actor.role {
                AccountRole::Physician => {
                    not_suspended(actor, loaded)?;
                    // R-ROLE-1: only the treating physician writes to the patient, and only
                    // while the consultation is theirs.
                    own_consultation(actor, loaded, &of)?;
                    MessageSender::Physician
                }
                AccountRole::Intake if c.request.org_id == actor.org_id => MessageSender::Patient,
                _ => {
                    return Err(reject(
                        RejectionCode::NotPermitted,
                        "only the treating physician or the patient's channel posts messages",
                    ));
                }
            };
            non_empty(body, "body")?;
            if body.chars().count() > MAX_MESSAGE_CHARS {
                return Err(reject(
                    RejectionCode::InvalidInput,
                    "`body` is longer than 2,000 characters",
                ));
            }
            if loaded.contains_key(&target) || c.messages.iter().any(|m| m.id == *message_id) {
                return Err(reject(RejectionCode::DuplicateId, "message id in use"));
            }
            Ok(vec![(
                target,
                RecordBody::Message(Box::new(MessageRecord {
                    consultation_id: *consultation_id,
                    org_id: c.request.org_id.clone(),
                    specialty: c.request.specialty.clone(),
                    physician_id: c.physician_id.clone(),
                    entry: MessageEntry {
                        id: *message_id,
                        sender,
                        by: actor.user_id.clone(),
                        body: body.clone(),
                        received_at_ms: now_ms,
                    },
                })),
            )])
        }
        OpKind::FileComplaint {
            complaint_id, text, ..
        } => {
            require_role(actor, AccountRole::Intake, "filing a complaint")?;
            let (_, c) = consultation(loaded, &target)?;
            if c.request.org_id != actor.org_id {
                return Err(reject(
                    RejectionCode::NotPermitted,
                    "the consultation belongs to another organisation",
                ));
            }
            non_empty(text, "text")?;
            if c.complaints.iter().any(|x| x.id == *complaint_id) {
                return Err(reject(RejectionCode::DuplicateId, "complaint id in use"));
            }
            let mut next = c.clone();
            next.complaints.push(ComplaintEntry {
                id: *complaint_id,
                text: text.clone(),
                received_at_ms: now_ms,
            });
            Ok(vec![(target, RecordBody::Consultation(Box::new(next)))])
        }
    }
}

/// What the change feed needs to decide visibility without decoding the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeMeta {
    pub org_id: String,
    pub specialty: Option<String>,
    pub physician_id: Option<String>,
    /// `waiting`/`claimed` for consultations, the prescription status, `suspended`/`active`.
    pub status: String,
}

pub fn meta(body: &RecordBody) -> ChangeMeta {
    match body {
        RecordBody::Consultation(c) => ChangeMeta {
            org_id: c.request.org_id.clone(),
            specialty: Some(c.request.specialty.clone()),
            physician_id: c.physician_id.clone(),
            status: match c.status {
                QueueStatus::Waiting => "waiting",
                QueueStatus::Claimed => "claimed",
            }
            .into(),
        },
        RecordBody::Prescription(p) => ChangeMeta {
            org_id: p.org_id.clone(),
            specialty: None,
            physician_id: Some(p.physician_id.clone()),
            status: match p.status {
                PrescriptionStatus::Draft => "draft",
                PrescriptionStatus::Signed => "signed",
                PrescriptionStatus::Approved => "approved",
                PrescriptionStatus::Rejected => "rejected",
            }
            .into(),
        },
        RecordBody::Message(m) => ChangeMeta {
            org_id: m.org_id.clone(),
            specialty: Some(m.specialty.clone()),
            physician_id: m.physician_id.clone(),
            status: if m.physician_id.is_some() {
                "claimed"
            } else {
                "waiting"
            }
            .into(),
        },
        RecordBody::Physician(p) => ChangeMeta {
            org_id: p.org_id.clone(),
            specialty: None,
            physician_id: None,
            status: if p.suspended { "suspended" } else { "active" }.into(),
        },
    }
}

/// Whether a workstation's audit anchor may follow the newest one kept for its chain
/// (issue 13 §4): never fewer entries (a cut tail), the same count only with the same head
/// (a rewrite). What a growing chain's older entries hashed to is the workstation's check.
pub fn judge_anchor(
    latest: Option<&meddesk_sync::AnchoredAudit>,
    new: &meddesk_sync::AuditAnchor,
) -> Result<(), PlatformError> {
    let chain_ok = !new.chain_id.trim().is_empty() && new.chain_id.len() <= 100;
    let head_ok = new.head.len() == 64 && new.head.bytes().all(|b| b.is_ascii_hexdigit());
    if !chain_ok || !head_ok {
        return Err(PlatformError::InvalidRequest(
            "`chain_id` must be 1–100 characters and `head` 64 hex digits".into(),
        ));
    }
    match latest {
        Some(l) if new.entries < l.entries => Err(PlatformError::AuditRegressed(format!(
            "the audit trail has {} entries; {} were anchored",
            new.entries, l.entries
        ))),
        Some(l) if new.entries == l.entries && !new.head.eq_ignore_ascii_case(&l.head) => {
            Err(PlatformError::AuditRegressed(format!(
                "entry {} differs from the one anchored",
                new.entries
            )))
        }
        _ => Ok(()),
    }
}

/// How a change appears to an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Full,
    /// The actor may hold an older version that is no longer theirs to see: delete it.
    Removed,
    /// Never theirs: not sent at all.
    Hidden,
}

/// R-ROLE-1: a physician sees their own encounters plus the open queue of their
/// specialties in their organisation; R-ROLE-2: a pharmacist the review queue of their
/// organisation; an administrator everything of their organisation, nothing of another.
pub fn visibility(actor: &Actor, kind: RecordKind, id: &str, meta: &ChangeMeta) -> View {
    let mine = meta.physician_id.as_deref() == Some(actor.user_id.as_str());
    let my_org = meta.org_id == actor.org_id;
    match (actor.role, kind) {
        (AccountRole::Administrator, _) if my_org => View::Full,
        (AccountRole::Administrator, _) => View::Hidden,
        (AccountRole::Intake, RecordKind::Consultation | RecordKind::Message) if my_org => {
            View::Full
        }
        (AccountRole::Intake, _) => View::Hidden,
        // A message goes where its consultation went when it was posted.
        (AccountRole::Physician, RecordKind::Consultation | RecordKind::Message) => {
            let of_my_specialty = my_org
                && meta
                    .specialty
                    .as_ref()
                    .is_some_and(|s| actor.specialties.contains(s));
            if mine || (of_my_specialty && meta.status == "waiting") {
                View::Full
            } else if of_my_specialty {
                // Claimed by a colleague: it leaves this physician's queue.
                View::Removed
            } else {
                View::Hidden
            }
        }
        (AccountRole::Physician, RecordKind::Prescription) if mine => View::Full,
        (AccountRole::Physician, RecordKind::Physician) if id == actor.user_id => View::Full,
        (AccountRole::Physician, _) => View::Hidden,
        (AccountRole::Pharmacist, RecordKind::Prescription) if meta.org_id == actor.org_id => {
            if meta.status == "draft" {
                // A draft under revision leaves the review queue until it is signed again.
                View::Removed
            } else {
                View::Full
            }
        }
        (AccountRole::Pharmacist, _) => View::Hidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meddesk_domain::{Channel, Priority, Sex};
    use meddesk_sync::{Hlc, NewConsultation, PatientSummary, RecordField, Vitals};
    use uuid::Uuid;

    const NOW: i64 = 1_790_000_000_000;

    static PACK: std::sync::LazyLock<Pack> = std::sync::LazyLock::new(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/formulary");
        meddesk_formulary::load_dir(&dir).expect("the shipped knowledge pack")
    });

    /// The test platform's signing identity, a physician's and a pharmacist's key with the
    /// certificates it issued them, and a second physician's ("doc2").
    struct Keys {
        platform: PlatformSigning,
        physician: meddesk_signature::Ed25519Signer,
        other_physician: meddesk_signature::Ed25519Signer,
        pharmacist: meddesk_signature::Ed25519Signer,
        certificates: BTreeMap<String, Certificate>,
        revocations: RevocationList,
    }

    static KEYS: std::sync::LazyLock<Keys> = std::sync::LazyLock::new(|| {
        use meddesk_signature::{Ed25519Signer, Role, Signer};
        let platform = PlatformSigning::from_secret(b"decide-tests");
        let physician = Ed25519Signer::from_seed([7; 32]);
        let other_physician = Ed25519Signer::from_seed([6; 32]);
        let pharmacist = Ed25519Signer::from_seed([8; 32]);
        let mut certificates = BTreeMap::new();
        for (user, role, key) in [
            ("doc", Role::Physician, &physician),
            ("doc2", Role::Physician, &other_physician),
            ("pharm", Role::Pharmacist, &pharmacist),
        ] {
            let cert = platform
                .issue(user, role, "org-1", key.algorithm(), key.public_key(), NOW)
                .expect("certificate");
            certificates.insert(cert.body.serial.clone(), cert);
        }
        let revocations = platform.revocation_list(&[], NOW).expect("revocation list");
        Keys {
            platform,
            physician,
            other_physician,
            pharmacist,
            certificates,
            revocations,
        }
    });

    fn rules() -> Rules<'static> {
        Rules {
            pack: &PACK,
            signing: &KEYS.platform,
            revocations: &KEYS.revocations,
            certificates: &KEYS.certificates,
            account_orgs: &ORGS,
            triage: &TRIAGE,
        }
    }

    static TRIAGE: std::sync::LazyLock<meddesk_clinical::triage::TriageRules> =
        std::sync::LazyLock::new(|| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../assets/triage/rules.toml");
            let text = std::fs::read_to_string(&path).expect("the shipped triage rules");
            meddesk_clinical::triage::TriageRules::from_toml(&text, "rules.toml")
                .expect("valid rules")
        });

    /// The platform accounts the tests' operations name: org-1's physicians and one of org-2.
    static ORGS: std::sync::LazyLock<BTreeMap<String, String>> = std::sync::LazyLock::new(|| {
        [("doc", "org-1"), ("peds", "org-1"), ("far", "org-2")]
            .into_iter()
            .map(|(u, o)| (u.to_owned(), o.to_owned()))
            .collect()
    });

    /// The physician's signature over the content the platform holds for `signed`.
    fn physician_signs(
        signed: &SignedDocument,
        key: &meddesk_signature::Ed25519Signer,
    ) -> serde_json::Value {
        let content = meddesk_sync::prescription_content(
            Uuid::from_u128(9),
            Uuid::from_u128(1),
            "org-1",
            "p1",
            "doc",
            signed,
        );
        serde_json::to_value(
            meddesk_signature::sign_prescription_pending(content, key, NOW).expect("signs"),
        )
        .expect("json")
    }

    /// The pharmacist's review signature over a stored signed prescription.
    fn pharmacist_reviews(
        loaded: &Loaded,
        decision: meddesk_signature::Decision,
        reasons: Vec<String>,
    ) -> serde_json::Value {
        let Some((_, RecordBody::Prescription(p))) =
            loaded.get(&RecordKey::prescription(Uuid::from_u128(9)))
        else {
            panic!("prescription")
        };
        let doc: SignedPrescription = serde_json::from_value(
            p.signed
                .as_ref()
                .and_then(|s| s.signature.clone())
                .expect("signature"),
        )
        .expect("document");
        let review =
            meddesk_signature::review_pending(&doc, &KEYS.pharmacist, decision, reasons, NOW)
                .expect("review");
        serde_json::json!({ "review": review, "certificate": null })
    }

    fn actor(user: &str, role: AccountRole, specialties: &[&str]) -> Actor {
        Actor {
            user_id: user.into(),
            role,
            org_id: "org-1".into(),
            specialties: specialties.iter().map(|s| (*s).to_owned()).collect(),
            device_id: format!("dev-{user}"),
        }
    }

    fn message(body: &str) -> OpKind {
        OpKind::PostMessage {
            consultation_id: Uuid::from_u128(1),
            message_id: Uuid::from_u128(77),
            body: body.into(),
        }
    }

    fn op(a: &Actor, base_version: u64, wall_ms: i64, kind: OpKind) -> Operation {
        Operation {
            op_id: Uuid::now_v7(),
            user: a.user_id.clone(),
            device: a.device_id.clone(),
            base_version,
            hlc: Hlc {
                wall_ms,
                logical: 0,
            },
            kind,
        }
    }

    fn request(age: u32, guardian: Option<&str>) -> NewConsultation {
        NewConsultation {
            id: Uuid::from_u128(1),
            org_id: "org-1".into(),
            patient: PatientSummary {
                patient_id: "p1".into(),
                masked_name: "李**".into(),
                age_years: age,
                sex: Sex::Male,
                identity_verified: true,
                guardian: guardian.map(str::to_owned),
            },
            channel: Channel::Text,
            priority: Priority::Normal,
            specialty: "cardiology".into(),
            complaint: "高血压复诊".into(),
            vitals: Vitals::default(),
            chronic_icd10: Some("I10".into()),
            arrived_at_ms: NOW,
        }
    }

    fn consultation(status: QueueStatus, physician: Option<&str>) -> Loaded {
        let mut loaded = Loaded::new();
        loaded.insert(
            RecordKey::consultation(Uuid::from_u128(1)),
            (
                3,
                RecordBody::Consultation(Box::new(ConsultationRecord {
                    request: request(40, None),
                    status,
                    physician_id: physician.map(str::to_owned),
                    fields: BTreeMap::new(),
                    field_history: Vec::new(),
                    follow_ups: Vec::new(),
                    complaints: Vec::new(),
                    messages: Vec::new(),
                    consultation_types: Vec::new(),
                    triage: None,
                })),
            ),
        );
        loaded
    }

    fn code(r: Result<Vec<(RecordKey, RecordBody)>, Rejection>) -> Option<RejectionCode> {
        r.err().map(|r| r.code)
    }

    #[test]
    fn decide_table() {
        let intake = actor("intake", AccountRole::Intake, &[]);
        let doc = actor("doc", AccountRole::Physician, &["cardiology"]);
        let peds = actor("peds", AccountRole::Physician, &["pediatrics"]);
        let pharm = actor("pharm", AccountRole::Pharmacist, &[]);
        let admin = actor("admin", AccountRole::Administrator, &[]);
        let far_cardio = Actor {
            org_id: "org-2".into(),
            ..actor("far", AccountRole::Physician, &["cardiology"])
        };
        let claim = OpKind::ClaimConsultation {
            consultation_id: Uuid::from_u128(1),
        };
        let mut suspended = consultation(QueueStatus::Waiting, None);
        suspended.insert(
            RecordKey::physician("doc"),
            (
                1,
                RecordBody::Physician(PhysicianRecord {
                    suspended: true,
                    reason: "违规".into(),
                    org_id: "org-1".into(),
                }),
            ),
        );
        let mut forged = op(&doc, 3, NOW, claim.clone());
        forged.user = "someone-else".into();
        let cases: Vec<(&str, Operation, Actor, Loaded, Option<RejectionCode>)> = vec![
            (
                "intake files",
                op(
                    &intake,
                    0,
                    NOW,
                    OpKind::CreateConsultation {
                        request: request(40, None),
                    },
                ),
                intake.clone(),
                Loaded::new(),
                None,
            ),
            (
                "R-TRI-7 child without guardian",
                op(
                    &intake,
                    0,
                    NOW,
                    OpKind::CreateConsultation {
                        request: request(4, None),
                    },
                ),
                intake.clone(),
                Loaded::new(),
                Some(RejectionCode::InvalidInput),
            ),
            (
                "child with guardian",
                op(
                    &intake,
                    0,
                    NOW,
                    OpKind::CreateConsultation {
                        request: request(4, Some("母亲 李**")),
                    },
                ),
                intake.clone(),
                Loaded::new(),
                None,
            ),
            (
                "duplicate consultation id",
                op(
                    &intake,
                    0,
                    NOW,
                    OpKind::CreateConsultation {
                        request: request(40, None),
                    },
                ),
                intake.clone(),
                consultation(QueueStatus::Waiting, None),
                Some(RejectionCode::DuplicateId),
            ),
            (
                "a physician cannot file",
                op(
                    &doc,
                    0,
                    NOW,
                    OpKind::CreateConsultation {
                        request: request(40, None),
                    },
                ),
                doc.clone(),
                Loaded::new(),
                Some(RejectionCode::NotPermitted),
            ),
            (
                "claim a waiting one",
                op(&doc, 3, NOW, claim.clone()),
                doc.clone(),
                consultation(QueueStatus::Waiting, None),
                None,
            ),
            (
                "first claim wins",
                op(&doc, 3, NOW, claim.clone()),
                doc.clone(),
                consultation(QueueStatus::Claimed, Some("other")),
                Some(RejectionCode::AlreadyClaimed),
            ),
            (
                "R-ROLE-4 other specialty",
                op(&peds, 3, NOW, claim.clone()),
                peds.clone(),
                consultation(QueueStatus::Waiting, None),
                Some(RejectionCode::NotPermitted),
            ),
            (
                "R-CMP-2 suspended",
                op(&doc, 3, NOW, claim.clone()),
                doc.clone(),
                suspended.clone(),
                Some(RejectionCode::Suspended),
            ),
            (
                "pharmacist cannot claim",
                op(&pharm, 3, NOW, claim.clone()),
                pharm.clone(),
                consultation(QueueStatus::Waiting, None),
                Some(RejectionCode::NotPermitted),
            ),
            (
                "clock 10 min ahead is fine",
                op(&doc, 3, NOW + 600_000, claim.clone()),
                doc.clone(),
                consultation(QueueStatus::Waiting, None),
                None,
            ),
            (
                "clock 2 h ahead is refused",
                op(&doc, 3, NOW + 7_200_000, claim.clone()),
                doc.clone(),
                consultation(QueueStatus::Waiting, None),
                Some(RejectionCode::ClockSkew),
            ),
            (
                "another user's op",
                forged,
                doc.clone(),
                consultation(QueueStatus::Waiting, None),
                Some(RejectionCode::WrongIdentity),
            ),
            (
                "R-ROLE-1 edit someone else's record",
                op(
                    &doc,
                    3,
                    NOW,
                    OpKind::UpdateRecord {
                        consultation_id: Uuid::from_u128(1),
                        fields: BTreeMap::from([(RecordField::Advice, "x".into())]),
                    },
                ),
                doc.clone(),
                consultation(QueueStatus::Claimed, Some("other")),
                Some(RejectionCode::NotPermitted),
            ),
            (
                "R-RX-4 six lines",
                op(
                    &doc,
                    0,
                    NOW,
                    OpKind::SavePrescriptionDraft {
                        prescription_id: Uuid::from_u128(9),
                        consultation_id: Uuid::from_u128(1),
                        diagnosis: "I10".into(),
                        lines: vec![line(); 6],
                    },
                ),
                doc.clone(),
                consultation(QueueStatus::Claimed, Some("doc")),
                Some(RejectionCode::InvalidInput),
            ),
            (
                "draft on own consultation",
                op(
                    &doc,
                    0,
                    NOW,
                    OpKind::SavePrescriptionDraft {
                        prescription_id: Uuid::from_u128(9),
                        consultation_id: Uuid::from_u128(1),
                        diagnosis: "I10".into(),
                        lines: vec![line()],
                    },
                ),
                doc.clone(),
                consultation(QueueStatus::Claimed, Some("doc")),
                None,
            ),
            (
                "review of a missing prescription",
                op(
                    &pharm,
                    0,
                    NOW,
                    OpKind::ReviewPrescription {
                        prescription_id: Uuid::from_u128(9),
                        decision: ReviewDecision::Approve,
                        reasons: vec![],
                        signature: None,
                    },
                ),
                pharm.clone(),
                Loaded::new(),
                Some(RejectionCode::NotFound),
            ),
            (
                "R-CMP-2 an administrator reinstates a suspended physician",
                op(
                    &admin,
                    0,
                    NOW,
                    OpKind::ReinstatePhysician {
                        physician_id: "doc".into(),
                    },
                ),
                admin.clone(),
                suspended.clone(),
                None,
            ),
            (
                "an administrator does not suspend another organisation's physician",
                op(
                    &admin,
                    0,
                    NOW,
                    OpKind::SuspendPhysician {
                        physician_id: "far".into(),
                        reason: "越权".into(),
                    },
                ),
                admin.clone(),
                Loaded::new(),
                Some(RejectionCode::NotPermitted),
            ),
            (
                "an administrator does not suspend an account that does not exist",
                op(
                    &admin,
                    0,
                    NOW,
                    OpKind::SuspendPhysician {
                        physician_id: "nobody".into(),
                        reason: "不存在".into(),
                    },
                ),
                admin.clone(),
                Loaded::new(),
                Some(RejectionCode::NotFound),
            ),
            (
                "a physician does not claim another organisation's consultation",
                op(&far_cardio, 3, NOW, claim.clone()),
                far_cardio.clone(),
                consultation(QueueStatus::Waiting, None),
                Some(RejectionCode::NotPermitted),
            ),
            (
                "reinstating a physician who is not suspended",
                op(
                    &admin,
                    0,
                    NOW,
                    OpKind::ReinstatePhysician {
                        physician_id: "doc".into(),
                    },
                ),
                admin.clone(),
                Loaded::new(),
                Some(RejectionCode::InvalidState),
            ),
            (
                "a physician does not reinstate anyone",
                op(
                    &peds,
                    0,
                    NOW,
                    OpKind::ReinstatePhysician {
                        physician_id: "doc".into(),
                    },
                ),
                peds.clone(),
                suspended.clone(),
                Some(RejectionCode::NotPermitted),
            ),
            (
                "R-SVC-1 the treating physician writes to the patient",
                op(&doc, 0, NOW, message("请多饮水")),
                doc.clone(),
                consultation(QueueStatus::Claimed, Some("doc")),
                None,
            ),
            (
                "a colleague does not write in another's consultation",
                op(&peds, 0, NOW, message("您好")),
                peds.clone(),
                consultation(QueueStatus::Claimed, Some("doc")),
                Some(RejectionCode::NotPermitted),
            ),
            (
                "no message to a waiting patient before the claim",
                op(&doc, 0, NOW, message("您好")),
                doc.clone(),
                consultation(QueueStatus::Waiting, None),
                Some(RejectionCode::NotPermitted),
            ),
            (
                "the patient's channel writes to a waiting consultation",
                op(&intake, 0, NOW, message("还要等多久？")),
                intake.clone(),
                consultation(QueueStatus::Waiting, None),
                None,
            ),
            (
                "pharmacists do not post in the thread",
                op(&pharm, 0, NOW, message("您好")),
                pharm.clone(),
                consultation(QueueStatus::Claimed, Some("doc")),
                Some(RejectionCode::NotPermitted),
            ),
            (
                "an empty message",
                op(&doc, 0, NOW, message("  ")),
                doc.clone(),
                consultation(QueueStatus::Claimed, Some("doc")),
                Some(RejectionCode::InvalidInput),
            ),
            (
                "a message longer than 2,000 characters",
                op(&doc, 0, NOW, message(&"咳".repeat(2_001))),
                doc.clone(),
                consultation(QueueStatus::Claimed, Some("doc")),
                Some(RejectionCode::InvalidInput),
            ),
        ];
        for (name, o, a, loaded, expected) in cases {
            assert_eq!(
                code(decide(&o, &a, &loaded, NOW, &rules())),
                expected,
                "case: {name}"
            );
        }
    }

    #[derive(serde::Deserialize)]
    struct ValidityTable {
        cases: Vec<ValidityCase>,
    }

    #[derive(serde::Deserialize)]
    struct ValidityCase {
        name: String,
        identity_verified: bool,
        draft: serde_json::Value,
        expect: Vec<String>,
    }

    fn validity_cases() -> Vec<ValidityCase> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/validity-cases.json");
        let text = std::fs::read_to_string(&path).expect("validity table");
        let table: ValidityTable = serde_json::from_str(&text).expect("validity table parses");
        assert!(table.cases.len() >= 8, "the shared table is not empty");
        table.cases
    }

    /// A signed-draft prescription record on the platform, with the patient's identity as
    /// the platform verified it.
    fn signed_record(case: &ValidityCase, status: PrescriptionStatus) -> Loaded {
        let mut request = request(40, None);
        request.patient.identity_verified = case.identity_verified;
        let mut signed = SignedDocument {
            draft: case.draft.clone(),
            check: serde_json::json!({}),
            overrides: serde_json::json!([]),
            validity_days: 3,
            signed_at_ms: NOW,
            patient: None,
            signature: None,
        };
        signed.signature = Some(physician_signs(&signed, &KEYS.physician));
        let mut loaded = Loaded::new();
        loaded.insert(
            RecordKey::prescription(Uuid::from_u128(9)),
            (
                2,
                RecordBody::Prescription(Box::new(PrescriptionRecord {
                    consultation_id: Uuid::from_u128(1),
                    physician_id: "doc".into(),
                    org_id: "org-1".into(),
                    status,
                    diagnosis: "x".into(),
                    lines: vec![line()],
                    reviews: vec![],
                    consultation: Some(request),
                    consultation_type: None,
                    signed: (status != PrescriptionStatus::Draft).then_some(signed),
                })),
            ),
        );
        loaded
    }

    fn refusal_findings(r: Result<Vec<(RecordKey, RecordBody)>, Rejection>) -> Vec<String> {
        match r {
            Ok(_) => Vec::new(),
            Err(r) => {
                assert_eq!(r.code, RejectionCode::InvalidPrescription, "{}", r.message);
                r.findings
            }
        }
    }

    /// R-RX-8: the platform accepts a signature and an approval exactly when the clinical
    /// validity rule finds nothing — the same table the workstation's signing test runs.
    #[test]
    fn the_platform_applies_the_one_validity_rule() {
        let doc = actor("doc", AccountRole::Physician, &["cardiology"]);
        let pharm = actor("pharm", AccountRole::Pharmacist, &[]);
        for case in validity_cases() {
            let draft = signed_record(&case, PrescriptionStatus::Draft);
            let signed_doc = match signed_record(&case, PrescriptionStatus::Signed)
                .remove(&RecordKey::prescription(Uuid::from_u128(9)))
            {
                Some((_, RecordBody::Prescription(p))) => p.signed.clone(),
                _ => None,
            };
            let sign = op(
                &doc,
                2,
                NOW,
                OpKind::SignPrescription {
                    prescription_id: Uuid::from_u128(9),
                    signed: signed_doc,
                },
            );
            assert_eq!(
                refusal_findings(decide(&sign, &doc, &draft, NOW, &rules())),
                case.expect,
                "sign: {}",
                case.name
            );
            let awaiting = signed_record(&case, PrescriptionStatus::Signed);
            let approve = op(
                &pharm,
                2,
                NOW,
                OpKind::ReviewPrescription {
                    prescription_id: Uuid::from_u128(9),
                    decision: ReviewDecision::Approve,
                    reasons: vec![],
                    signature: Some(pharmacist_reviews(
                        &awaiting,
                        meddesk_signature::Decision::Approve,
                        vec![],
                    )),
                },
            );
            assert_eq!(
                refusal_findings(decide(&approve, &pharm, &awaiting, NOW, &rules())),
                case.expect,
                "approve: {}",
                case.name
            );
        }
    }

    /// The consultation type is the treating physician's call, with a reason; the draft
    /// takes it, and a signature naming another type is refused (R-RX-4, R-RX-8).
    #[test]
    fn the_consultation_type_is_the_physicians_and_a_signature_follows_it() {
        let doc = actor("doc", AccountRole::Physician, &["cardiology"]);
        let other = actor("other", AccountRole::Physician, &["cardiology"]);
        let pharm = actor("pharm", AccountRole::Pharmacist, &[]);
        let set = |a: &Actor, reason: &str| {
            op(
                a,
                3,
                NOW,
                OpKind::SetConsultationType {
                    consultation_id: Uuid::from_u128(1),
                    consultation_type: ConsultationKind::Emergency,
                    reason: reason.into(),
                },
            )
        };
        let mine = consultation(QueueStatus::Claimed, Some("doc"));
        assert_eq!(
            code(decide(&set(&doc, "  "), &doc, &mine, NOW, &rules())),
            Some(RejectionCode::InvalidInput)
        );
        assert_eq!(
            code(decide(
                &set(&doc, &"长".repeat(501)),
                &doc,
                &mine,
                NOW,
                &rules()
            )),
            Some(RejectionCode::InvalidInput)
        );
        assert_eq!(
            code(decide(&set(&other, "急"), &other, &mine, NOW, &rules())),
            Some(RejectionCode::NotPermitted)
        );
        assert_eq!(
            code(decide(&set(&pharm, "急"), &pharm, &mine, NOW, &rules())),
            Some(RejectionCode::NotPermitted)
        );
        let changed = decide(
            &set(&doc, "胸痛伴出汗，按急诊处理"),
            &doc,
            &mine,
            NOW,
            &rules(),
        )
        .expect("the treating physician sets the type");
        let RecordBody::Consultation(c) = &changed[0].1 else {
            panic!("a consultation record")
        };
        assert_eq!(c.consultation_types.len(), 1);
        assert_eq!(
            c.consultation_types[0].consultation_type,
            ConsultationKind::Emergency
        );
        assert_eq!(c.consultation_types[0].by, "doc");
        assert_eq!(consultation_type(c), ConsultationKind::Emergency);

        // The draft takes the consultation's type: the set one, else the intake's default
        // (this request is a chronic follow-up of I10).
        let save = op(
            &doc,
            0,
            NOW,
            OpKind::SavePrescriptionDraft {
                prescription_id: Uuid::from_u128(9),
                consultation_id: Uuid::from_u128(1),
                diagnosis: "I10".into(),
                lines: vec![line()],
            },
        );
        let type_of_draft = |loaded: &Loaded| match decide(&save, &doc, loaded, NOW, &rules())
            .expect("draft saved")
            .remove(0)
            .1
        {
            RecordBody::Prescription(p) => p.consultation_type,
            _ => panic!("a prescription record"),
        };
        assert_eq!(type_of_draft(&mine), Some(ConsultationKind::Chronic));
        let mut set_loaded = mine.clone();
        set_loaded.insert(changed[0].0.clone(), (4, changed[0].1.clone()));
        assert_eq!(
            type_of_draft(&set_loaded),
            Some(ConsultationKind::Emergency)
        );

        // A signature naming another type than the consultation's is refused, even when the
        // prescription is otherwise valid.
        let case = validity_cases()
            .into_iter()
            .find(|c| c.expect.is_empty())
            .expect("a valid case");
        let mut draft = signed_record(&case, PrescriptionStatus::Draft);
        let signed_doc = match signed_record(&case, PrescriptionStatus::Signed)
            .remove(&RecordKey::prescription(Uuid::from_u128(9)))
        {
            Some((_, RecordBody::Prescription(p))) => p.signed.clone(),
            _ => None,
        };
        let signed_kind: Option<ConsultationKind> = signed_doc
            .as_ref()
            .and_then(|d| serde_json::from_value::<RxDraft>(d.draft.clone()).ok())
            .and_then(|d| d.kind);
        let sign = op(
            &doc,
            2,
            NOW,
            OpKind::SignPrescription {
                prescription_id: Uuid::from_u128(9),
                signed: signed_doc,
            },
        );
        assert!(
            decide(&sign, &doc, &draft, NOW, &rules()).is_ok(),
            "{}",
            case.name
        );
        let Some((_, RecordBody::Prescription(p))) =
            draft.get_mut(&RecordKey::prescription(Uuid::from_u128(9)))
        else {
            panic!("a prescription record")
        };
        p.consultation_type = Some(if signed_kind == Some(ConsultationKind::Emergency) {
            ConsultationKind::Ordinary
        } else {
            ConsultationKind::Emergency
        });
        assert_eq!(
            code(decide(&sign, &doc, &draft, NOW, &rules())),
            Some(RejectionCode::InvalidPrescription)
        );
    }

    #[test]
    fn a_signature_without_its_document_is_refused() {
        let doc = actor("doc", AccountRole::Physician, &["cardiology"]);
        let case = validity_cases().remove(1);
        let draft = signed_record(&case, PrescriptionStatus::Draft);
        let sign = op(
            &doc,
            2,
            NOW,
            OpKind::SignPrescription {
                prescription_id: Uuid::from_u128(9),
                signed: None,
            },
        );
        assert_eq!(
            code(decide(&sign, &doc, &draft, NOW, &rules())),
            Some(RejectionCode::InvalidInput)
        );
    }

    fn signature_refusal(r: Result<Vec<(RecordKey, RecordBody)>, Rejection>) -> Vec<String> {
        match r {
            Ok(_) => panic!("accepted"),
            Err(r) => {
                assert_eq!(r.code, RejectionCode::SignatureInvalid, "{}", r.message);
                r.findings
            }
        }
    }

    /// R-RX-10: the platform accepts a signature only over exactly the prescription it holds,
    /// by the acting physician's certified, unrevoked key — and countersigns it; a review
    /// only by the acting pharmacist over that signature and the decision taken.
    #[test]
    fn signatures_are_verified_before_they_are_accepted() {
        let doc = actor("doc", AccountRole::Physician, &["cardiology"]);
        let pharm = actor("pharm", AccountRole::Pharmacist, &[]);
        let case = validity_cases().remove(1);
        assert!(case.expect.is_empty(), "a valid prescription");
        let draft = signed_record(&case, PrescriptionStatus::Draft);
        let good = match signed_record(&case, PrescriptionStatus::Signed)
            .remove(&RecordKey::prescription(Uuid::from_u128(9)))
        {
            Some((_, RecordBody::Prescription(p))) => p.signed.clone().expect("signed"),
            _ => panic!("prescription"),
        };
        let sign = |signed: SignedDocument| {
            op(
                &doc,
                2,
                NOW,
                OpKind::SignPrescription {
                    prescription_id: Uuid::from_u128(9),
                    signed: Some(signed),
                },
            )
        };
        // Accepted and countersigned: the kept document verifies with a platform timestamp.
        let changed = decide(&sign(good.clone()), &doc, &draft, NOW, &rules()).expect("accepted");
        let Some((_, RecordBody::Prescription(kept))) = changed.first() else {
            panic!("prescription")
        };
        let kept_doc: SignedPrescription = serde_json::from_value(
            kept.signed
                .as_ref()
                .and_then(|s| s.signature.clone())
                .expect("kept"),
        )
        .expect("document");
        let trust = Trust {
            platform_keys: vec![KEYS.platform.key().clone()],
            revocations: vec![],
            require_timestamp: true,
        };
        let verified = meddesk_signature::verify(&kept_doc, &trust).expect("verifies offline");
        assert_eq!(verified.physician.user_id, "doc");
        assert_eq!(verified.physician.timestamp_ms, Some(NOW));

        // Unsigned.
        let mut unsigned = good.clone();
        unsigned.signature = None;
        assert_eq!(
            signature_refusal(decide(&sign(unsigned), &doc, &draft, NOW, &rules())),
            vec!["signature_missing"]
        );
        // Signed over other content (a changed dose), sent with the platform's content.
        let mut other = good.clone();
        other.draft["items"][0]["dose"]["value"] = serde_json::json!(1000);
        let mut forged = good.clone();
        forged.signature = Some(physician_signs(&other, &KEYS.physician));
        assert_eq!(
            signature_refusal(decide(&sign(forged), &doc, &draft, NOW, &rules())),
            vec!["content_changed"]
        );
        // Content changed after signing: the signature no longer matches.
        let mut tampered = good.clone();
        if let Some(sig) = tampered.signature.as_mut() {
            sig["content"]["draft"]["items"][0]["days"] = serde_json::json!(2);
        }
        assert_eq!(
            signature_refusal(decide(&sign(tampered), &doc, &draft, NOW, &rules())),
            vec!["content_changed"]
        );
        // Another physician's key.
        let mut theirs = good.clone();
        theirs.signature = Some(physician_signs(&good, &KEYS.other_physician));
        assert_eq!(
            signature_refusal(decide(&sign(theirs), &doc, &draft, NOW, &rules())),
            vec!["certificate_of_another_user"]
        );
        // A key nobody certified.
        let mut stranger = good.clone();
        stranger.signature = Some(physician_signs(
            &good,
            &meddesk_signature::Ed25519Signer::from_seed([9; 32]),
        ));
        assert_eq!(
            signature_refusal(decide(&sign(stranger), &doc, &draft, NOW, &rules())),
            vec!["certificate_unknown"]
        );
        // A certificate revoked (suspension) before the signature.
        let serial = meddesk_signature::serial_of(&KEYS.physician);
        let revoked = KEYS
            .platform
            .revocation_list(&[(serial, NOW - 1_000, "suspended".into())], NOW)
            .expect("list");
        let suspended = Rules {
            revocations: &revoked,
            ..rules()
        };
        assert_eq!(
            signature_refusal(decide(&sign(good.clone()), &doc, &draft, NOW, &suspended)),
            vec!["certificate_revoked"]
        );

        // The review: over the stored signature, by the acting pharmacist, for the decision
        // taken.
        let awaiting = signed_record(&case, PrescriptionStatus::Signed);
        let review = |decision: ReviewDecision, signature: Option<serde_json::Value>| {
            op(
                &pharm,
                2,
                NOW,
                OpKind::ReviewPrescription {
                    prescription_id: Uuid::from_u128(9),
                    decision,
                    reasons: match decision {
                        ReviewDecision::Approve => vec![],
                        ReviewDecision::Reject => vec!["interaction".into()],
                    },
                    signature,
                },
            )
        };
        let approve_sig =
            pharmacist_reviews(&awaiting, meddesk_signature::Decision::Approve, vec![]);
        assert!(
            decide(
                &review(ReviewDecision::Approve, Some(approve_sig.clone())),
                &pharm,
                &awaiting,
                NOW,
                &rules()
            )
            .is_ok()
        );
        assert_eq!(
            signature_refusal(decide(
                &review(ReviewDecision::Approve, None),
                &pharm,
                &awaiting,
                NOW,
                &rules()
            )),
            vec!["signature_missing"]
        );
        // A signed approval sent as a rejection.
        assert_eq!(
            signature_refusal(decide(
                &review(ReviewDecision::Reject, Some(approve_sig)),
                &pharm,
                &awaiting,
                NOW,
                &rules()
            )),
            vec!["content_changed"]
        );
    }

    fn line() -> meddesk_sync::PrescriptionLine {
        meddesk_sync::PrescriptionLine {
            generic_name: "氨氯地平".into(),
            strength: "5 mg".into(),
            dose: "5 mg".into(),
            route: "口服".into(),
            frequency: "每日一次".into(),
            course_days: 7,
            quantity: "7 片".into(),
            notes: String::new(),
        }
    }

    #[test]
    fn concurrent_edits_merge_per_field_and_keep_the_loser() {
        let doc = actor("doc", AccountRole::Physician, &["cardiology"]);
        let mut loaded = consultation(QueueStatus::Claimed, Some("doc"));
        let edit = |base, wall, text: &str| {
            op(
                &doc,
                base,
                wall,
                OpKind::UpdateRecord {
                    consultation_id: Uuid::from_u128(1),
                    fields: BTreeMap::from([(RecordField::History, text.to_owned())]),
                },
            )
        };
        let key = RecordKey::consultation(Uuid::from_u128(1));
        let apply = |loaded: &mut Loaded, o: &Operation| {
            let (k, body) = decide(o, &doc, loaded, NOW, &rules())
                .expect("accepted")
                .remove(0);
            let v = loaded.get(&k).map_or(1, |(v, _)| v + 1);
            loaded.insert(k, (v, body));
        };
        // Both edits were made from version 3; the later stamp applies first.
        apply(&mut loaded, &edit(3, NOW, "later"));
        apply(&mut loaded, &edit(3, NOW - 60_000, "earlier"));
        let Some((_, RecordBody::Consultation(c))) = loaded.get(&key) else {
            panic!("consultation")
        };
        assert_eq!(c.fields[&RecordField::History].value, "later");
        assert_eq!(c.field_history.len(), 1);
        assert_eq!(c.field_history[0].value, "earlier");
        // An edit that saw the current version replaces it; the old value is kept too.
        let v = loaded.get(&key).map(|(v, _)| *v).expect("version");
        apply(&mut loaded, &edit(v, NOW - 120_000, "reviewed"));
        let Some((_, RecordBody::Consultation(c))) = loaded.get(&key) else {
            panic!("consultation")
        };
        assert_eq!(c.fields[&RecordField::History].value, "reviewed");
        assert!(c.field_history.iter().any(|h| h.value == "later"));
    }

    /// One rule, both sides (issue 13 §2): the platform routes with the clinical triage
    /// rules — a fever goes to the emergency triage physician whatever the intake asked for,
    /// a hypertension follow-up to cardiology, and with no rule firing the intake's choice
    /// stands; the reasons and the rules' version are kept with the record.
    #[test]
    fn arrivals_are_routed_by_the_clinical_triage_rules() {
        let mut fever = request(40, None);
        fever.specialty = "general_practice".into();
        fever.complaint = "发热两天，咽痛".into();
        fever.chronic_icd10 = None;
        fever.vitals.temperature_c = Some(38.6);
        let (routed, kept) = triage_arrival(&fever, &TRIAGE);
        assert_eq!(routed.specialty, "emergency");
        assert_eq!(routed.priority, meddesk_domain::Priority::Emergency);
        assert_eq!(kept.requested_specialty, "general_practice");
        assert_eq!(kept.rules_version, TRIAGE.version);
        assert!(
            kept.reasons.iter().any(|r| r.rule == "fever-38.5"),
            "{kept:?}"
        );

        let mut neutral = fever.clone();
        neutral.complaint = "近两周睡眠欠佳，想咨询调理".into();
        neutral.vitals.temperature_c = Some(36.8);
        neutral.specialty = "dermatology".into();
        let (routed, kept) = triage_arrival(&neutral, &TRIAGE);
        assert_eq!(routed.specialty, "dermatology");
        assert_eq!(routed.priority, meddesk_domain::Priority::Normal);
        assert!(kept.reasons.is_empty());

        let mut follow_up = neutral.clone();
        follow_up.complaint = "高血压复诊，血压偏高".into();
        follow_up.chronic_icd10 = Some("I10".into());
        follow_up.specialty = "general_practice".into();
        assert_eq!(
            triage_arrival(&follow_up, &TRIAGE).0.specialty,
            "cardiology"
        );

        // Through `decide`: the stored record is the routed one.
        let intake = actor("intake", AccountRole::Intake, &[]);
        let written = decide(
            &op(
                &intake,
                0,
                NOW,
                OpKind::CreateConsultation { request: fever },
            ),
            &intake,
            &Loaded::new(),
            NOW,
            &rules(),
        )
        .expect("filed");
        let Some((_, RecordBody::Consultation(c))) = written.first() else {
            panic!("a consultation: {written:?}");
        };
        assert_eq!(c.request.specialty, "emergency");
        assert!(c.triage.as_ref().is_some_and(|t| !t.reasons.is_empty()));
    }

    #[test]
    fn visibility_table() {
        let doc = actor("doc", AccountRole::Physician, &["cardiology"]);
        let pharm = actor("pharm", AccountRole::Pharmacist, &[]);
        let intake = actor("intake", AccountRole::Intake, &[]);
        let admin = actor("admin", AccountRole::Administrator, &[]);
        let m = |specialty: Option<&str>, physician: Option<&str>, status: &str, org: &str| {
            ChangeMeta {
                org_id: org.into(),
                specialty: specialty.map(str::to_owned),
                physician_id: physician.map(str::to_owned),
                status: status.into(),
            }
        };
        use RecordKind::*;
        let cases = [
            (
                &doc,
                Consultation,
                "c",
                m(Some("cardiology"), None, "waiting", "org-1"),
                View::Full,
            ),
            (
                &doc,
                Consultation,
                "c",
                m(Some("cardiology"), None, "waiting", "org-2"),
                View::Hidden,
            ),
            (
                &admin,
                Consultation,
                "c",
                m(Some("cardiology"), None, "waiting", "org-2"),
                View::Hidden,
            ),
            (
                &admin,
                Prescription,
                "p",
                m(None, Some("far"), "signed", "org-2"),
                View::Hidden,
            ),
            (
                &admin,
                Physician,
                "far",
                m(None, None, "suspended", "org-2"),
                View::Hidden,
            ),
            (
                &admin,
                Physician,
                "doc",
                m(None, None, "suspended", "org-1"),
                View::Full,
            ),
            (
                &doc,
                Consultation,
                "c",
                m(Some("cardiology"), Some("other"), "claimed", "org-1"),
                View::Removed,
            ),
            (
                &doc,
                Consultation,
                "c",
                m(Some("cardiology"), Some("doc"), "claimed", "org-1"),
                View::Full,
            ),
            (
                &doc,
                Consultation,
                "c",
                m(Some("pediatrics"), None, "waiting", "org-1"),
                View::Hidden,
            ),
            (
                &doc,
                Prescription,
                "p",
                m(None, Some("doc"), "draft", "org-1"),
                View::Full,
            ),
            (
                &doc,
                Prescription,
                "p",
                m(None, Some("other"), "signed", "org-1"),
                View::Hidden,
            ),
            (
                &doc,
                Physician,
                "doc",
                m(None, None, "suspended", ""),
                View::Full,
            ),
            (
                &doc,
                Physician,
                "other",
                m(None, None, "suspended", ""),
                View::Hidden,
            ),
            (
                &pharm,
                Prescription,
                "p",
                m(None, Some("doc"), "signed", "org-1"),
                View::Full,
            ),
            (
                &pharm,
                Prescription,
                "p",
                m(None, Some("doc"), "draft", "org-1"),
                View::Removed,
            ),
            (
                &pharm,
                Prescription,
                "p",
                m(None, Some("doc"), "signed", "org-2"),
                View::Hidden,
            ),
            (
                &pharm,
                Consultation,
                "c",
                m(Some("cardiology"), None, "waiting", "org-1"),
                View::Hidden,
            ),
            (
                &intake,
                Consultation,
                "c",
                m(Some("cardiology"), Some("doc"), "claimed", "org-1"),
                View::Full,
            ),
            (
                &intake,
                Prescription,
                "p",
                m(None, Some("doc"), "signed", "org-1"),
                View::Hidden,
            ),
            (
                &admin,
                Prescription,
                "p",
                m(None, Some("doc"), "draft", "org-1"),
                View::Full,
            ),
        ];
        for (a, kind, id, meta, expected) in cases {
            assert_eq!(
                visibility(a, kind, id, &meta),
                expected,
                "{:?} {kind:?} {meta:?}",
                a.role
            );
        }
    }
}
