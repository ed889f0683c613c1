//! Pulled changes into the local tables, inside the page's transaction: every snapshot is
//! kept in `sync_records`; new consultations are triaged by the local rules and join the
//! queue; a consultation the platform gave to someone else leaves it (the local record, if
//! the user had written one, stays as their draft); a suspension reaches the local account.

use chrono::DateTime;
use meddesk_clinical::check::request::CheckResponse;
use meddesk_clinical::lifecycle::{Override, RejectionReason};
use meddesk_clinical::triage::{ConsultationKind, Vitals};
use meddesk_domain::Sensitive;
use meddesk_domain::{ConsultationId, ConsultationStatus};
use meddesk_store::tables::prescriptions::{self, RxStatus};
use meddesk_store::tables::{
    consultations, messages, pharmacist_reviews, sync_outbox, sync_records,
    workflow_documents as docs,
};
use meddesk_store::{StoreError, Writer};
use meddesk_sync::{
    Change, ConsultationRecord, MessageSender, NewConsultation, PrescriptionRecord,
    PrescriptionStatus as PlatformRxStatus, QueueStatus, RecordBody, ReviewDecision, ReviewEntry,
};

use crate::Workstation;
use crate::consultation::ConsultationRecord as LocalRecord;
use crate::intake::{self, IntakePatient, IntakeRequest};
use crate::prescribing::{self, RxDraft};

/// What a page will do, decided before the transaction (pure decoding).
pub(crate) struct Plan<'a> {
    changes: &'a [Change],
    bodies: Vec<Option<String>>,
}

impl Plan<'_> {
    /// Whether the page suspends or reinstates `user_id` (the session must re-read it).
    pub(crate) fn suspends(&self, user_id: &str) -> bool {
        self.changes
            .iter()
            .any(|c| matches!(&c.body, Some(RecordBody::Physician(_))) && c.key.id == user_id)
    }
}

/// Encode the snapshots before the transaction, on two threads for a large page (an initial
/// sync's pages are thousands of records; the transaction itself is single-threaded).
pub(crate) fn prepare(changes: &[Change]) -> Plan<'_> {
    let encode = |part: &[Change]| -> Vec<Option<String>> {
        part.iter()
            .map(|c| c.body.as_ref().and_then(|b| serde_json::to_string(b).ok()))
            .collect()
    };
    let bodies = if changes.len() < 512 {
        encode(changes)
    } else {
        let (first, second) = changes.split_at(changes.len() / 2);
        std::thread::scope(|scope| {
            let other = scope.spawn(|| encode(second));
            let mut bodies = encode(first);
            match other.join() {
                Ok(rest) => bodies.extend(rest),
                // A panic while encoding: encode that half here (same result, or the same panic).
                Err(_) => bodies.extend(encode(second)),
            }
            bodies
        })
    };
    Plan { changes, bodies }
}

/// Whether an operation of this workstation on the record still waits for the platform's
/// answer: the pulled state is older than the user's change then, and must not undo it.
fn pending_here(w: &Writer<'_>, kind: &str, id: &str) -> meddesk_store::Result<bool> {
    Ok(sync_outbox::settlements_of_conn(w.conn(), kind, id)?
        .contains(&sync_outbox::Settlement::Pending))
}

fn encode_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("pulled change: {e}"))
}

pub(crate) fn apply(
    ws: &Workstation,
    w: &mut Writer<'_>,
    plan: &Plan<'_>,
) -> meddesk_store::Result<()> {
    for (change, body) in plan.changes.iter().zip(&plan.bodies) {
        let version = i64::try_from(change.version).map_err(encode_err)?;
        let seq = i64::try_from(change.seq).map_err(encode_err)?;
        let newer = sync_records::upsert(
            w,
            change.key.kind.as_str(),
            &change.key.id,
            version,
            seq,
            body.as_deref(),
        )?;
        if !newer {
            continue;
        }
        match &change.body {
            Some(RecordBody::Consultation(rec)) => consultation(ws, w, rec)?,
            Some(RecordBody::Physician(p)) => {
                docs::set_suspension(
                    w,
                    &change.key.id,
                    p.suspended.then_some(w.now_ms()),
                    p.suspended.then_some(p.reason.as_str()),
                )?;
            }
            Some(RecordBody::Prescription(p)) => prescription(ws, w, &change.key.id, p)?,
            Some(RecordBody::Message(m)) => {
                // Only into a thread this workstation holds (the consultation arrived first:
                // a message is posted after its consultation exists).
                let id = ConsultationId(m.consultation_id);
                if consultations::status_of(w.conn(), &id)?.is_some() {
                    delivered(w, id, &m.entry)?;
                }
            }
            None => {
                if change.key.kind == meddesk_sync::RecordKind::Consultation
                    && let Ok(id) = uuid::Uuid::parse_str(&change.key.id)
                {
                    // Out of this user's view: a colleague has it. A claim of ours that the
                    // platform refused was settled by the push before this pull; one still
                    // pending keeps the consultation here until its outcome arrives.
                    let id = ConsultationId(id);
                    let open = matches!(
                        consultations::status_of(w.conn(), &id)?,
                        Some((ConsultationStatus::Waiting | ConsultationStatus::Claimed, _))
                    );
                    if open && !pending_here(w, "consultation", &change.key.id)? {
                        consultations::taken_on_platform(w, &id, None)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn consultation(
    ws: &Workstation,
    w: &mut Writer<'_>,
    rec: &ConsultationRecord,
) -> meddesk_store::Result<()> {
    let taken_by = match rec.status {
        QueueStatus::Waiting => None,
        QueueStatus::Claimed => Some(rec.physician_id.as_deref()),
    };
    arrive(ws, w, &rec.request, rec.triage.as_ref(), taken_by)?;
    if !rec.fields.is_empty() {
        merge_fields(w, rec)?;
    }
    if let Some(latest) = rec.consultation_types.last() {
        consultation_type(w, rec, latest)?;
    }
    // The thread (R-SVC-1): the patient's messages, and the physician's own from another
    // device; a message already here is not stored twice.
    // (Records written before messages were records of their own carry them inline.)
    for m in &rec.messages {
        delivered(w, ConsultationId(rec.request.id), m)?;
    }
    Ok(())
}

/// A message of a thread as the platform delivered it: stored once.
fn delivered(
    w: &mut Writer<'_>,
    consultation_id: ConsultationId,
    m: &meddesk_sync::MessageEntry,
) -> meddesk_store::Result<()> {
    messages::insert_delivered(
        w,
        &messages::Message {
            id: m.id.to_string(),
            consultation_id,
            sender: match m.sender {
                MessageSender::Patient => "patient",
                MessageSender::Physician => "physician",
            }
            .into(),
            body: Sensitive::new(m.body.clone()),
            sent_at: m.received_at_ms,
        },
    )?;
    Ok(())
}

/// The treating physician's record here takes the platform's merged free-text fields: an
/// edit made on their other device appears in the form (R-REC-1). Left alone while edits
/// made here are still pending (they are pushed first and merged by the platform), and on
/// a workstation where the consultation is not that physician's.
fn merge_fields(w: &mut Writer<'_>, rec: &ConsultationRecord) -> meddesk_store::Result<()> {
    let id = ConsultationId(rec.request.id);
    let key = rec.request.id.to_string();
    let ours = match consultations::status_of(w.conn(), &id)? {
        Some((_, physician)) => physician.is_some() && physician == rec.physician_id,
        None => false,
    };
    if !ours || pending_here(w, "consultation", &key)? {
        return Ok(());
    }
    let local: LocalRecord = match docs::record_for_update(w, &key)? {
        Some(json) => serde_json::from_str(&json).map_err(encode_err)?,
        None => LocalRecord::default(),
    };
    if let Some(merged) = crate::consultation::with_platform_fields(&local, &rec.fields) {
        let json = serde_json::to_string(&merged).map_err(encode_err)?;
        docs::put_record(w, &key, &json, "platform")?;
    }
    Ok(())
}

/// The consultation type the treating physician set on another device (or this one, as the
/// platform recorded it) — unless a change made here is still on its way.
fn consultation_type(
    w: &mut Writer<'_>,
    rec: &ConsultationRecord,
    latest: &meddesk_sync::ConsultationTypeEntry,
) -> meddesk_store::Result<()> {
    let id = ConsultationId(rec.request.id);
    let Some(here) = consultations::type_in(w.conn(), &id)? else {
        return Ok(());
    };
    let wanted = consultations::ConsultationType {
        kind: latest.consultation_type,
        reason: latest.reason.clone(),
    };
    if here.as_ref() == Some(&wanted)
        || pending_here(w, "consultation", &rec.request.id.to_string())?
    {
        return Ok(());
    }
    consultations::set_type(w, &id, Some(&wanted))
}

/// A consultation request the platform holds: new here, it is triaged by the local rules and
/// stored (claimed by `taken_by` when a physician has it); known, only its claim follows.
fn arrive(
    ws: &Workstation,
    w: &mut Writer<'_>,
    platform_request: &NewConsultation,
    platform_triage: Option<&meddesk_sync::PlatformTriage>,
    taken_by: Option<Option<&str>>,
) -> meddesk_store::Result<()> {
    let id = ConsultationId(platform_request.id);
    match consultations::status_of(w.conn(), &id)? {
        None => {
            let request = intake_request(
                platform_request,
                ws.profile().kind == crate::ProfileKind::Demo,
            );
            let arrived_at = request
                .arrived_at
                .unwrap_or_else(|| DateTime::from_timestamp_millis(w.now_ms()).unwrap_or_default());
            let since = intake::clinic_midnight(arrived_at).timestamp_millis();
            let prior = docs::ordinary_consultations_since(w.conn(), &request.patient.id, since)?;
            let decision = intake::PlatformDecision {
                route: meddesk_sync::route_of_specialty(&platform_request.specialty),
                priority: platform_request.priority,
                triage: platform_triage.cloned(),
            };
            let triaged =
                intake::triage_request(ws, &request, prior, Some(&decision)).map_err(encode_err)?;
            // One audit entry for the arrival: the patient row, the queue row and the intake
            // document are one record's rows.
            w.grouped(
                meddesk_store::audit::Action::Create,
                consultations::RECORD,
                &platform_request.id.to_string(),
                |w| {
                    intake::store_triaged(w, id, &request, arrived_at, &triaged, None)?;
                    if let Some(physician) = taken_by {
                        consultations::taken_on_platform(w, &id, physician)?;
                    }
                    Ok(())
                },
            )?;
        }
        Some((_, local_physician)) => {
            if let Some(physician) = taken_by
                && physician.is_some()
                && physician != local_physician.as_deref()
            {
                consultations::taken_on_platform(w, &id, physician)?;
            }
        }
    }
    Ok(())
}

/// A prescription's state on the platform reaches the local tables (R-RX-6):
/// - signed elsewhere and not here (a pharmacist's workstation): the signed document, its
///   consultation and its findings and override reasons are stored, and it joins the local
///   review queue; a copy here that had been rejected is replaced by the new signature;
/// - reviewed elsewhere while signed here (the physician's workstation, or a second
///   pharmacist's): the decision is recorded, so the physician sees the approval or the
///   rejection with its reasons.
///
/// A prescription with local operations still pending is left alone until they settle: the
/// user's own change is not overwritten by an older state of the platform.
fn prescription(
    ws: &Workstation,
    w: &mut Writer<'_>,
    id: &str,
    p: &PrescriptionRecord,
) -> meddesk_store::Result<()> {
    if pending_here(w, "prescription", id)? {
        return Ok(());
    }
    let local = prescriptions::status_of(w, id)?.map(|(status, _)| status);
    match p.status {
        PlatformRxStatus::Signed => {
            if matches!(local, None | Some(RxStatus::Draft | RxStatus::Rejected)) {
                signed_elsewhere(ws, w, id, p)?;
            }
        }
        PlatformRxStatus::Approved | PlatformRxStatus::Rejected => {
            if local == Some(RxStatus::Signed)
                && let Some(review) = p.reviews.last()
            {
                reviewed_elsewhere(w, id, review)?;
            }
        }
        PlatformRxStatus::Draft => {}
    }
    // R-RX-10: the platform's version of the signature document (its timestamp, the
    // certificates, the pharmacist's review) replaces the local one, so what is exported
    // and verified is what the platform accepted.
    if let Some(signature) = p.signed.as_ref().and_then(|s| s.signature.as_ref())
        && let Some(mut doc) = docs::prescription_in_write(w, id)?
    {
        let json = signature.to_string();
        if doc.signature.as_deref() != Some(json.as_str()) {
            doc.signature = Some(json);
            docs::put_prescription(w, id, &doc)?;
        }
    }
    Ok(())
}

fn signed_elsewhere(
    ws: &Workstation,
    w: &mut Writer<'_>,
    id: &str,
    p: &PrescriptionRecord,
) -> meddesk_store::Result<()> {
    // A signature from a client that sent no document, or a record without its
    // consultation, cannot be reviewed here: it stays a platform snapshot only.
    let (Some(signed), Some(request)) = (&p.signed, &p.consultation) else {
        return Ok(());
    };
    let draft: RxDraft = serde_json::from_value(signed.draft.clone()).map_err(encode_err)?;
    let check: CheckResponse = serde_json::from_value(signed.check.clone()).map_err(encode_err)?;
    let overrides: Vec<Override> =
        serde_json::from_value(signed.overrides.clone()).map_err(encode_err)?;
    arrive(ws, w, request, None, Some(Some(p.physician_id.as_str())))?;
    let consultation_id = ConsultationId(p.consultation_id);
    let lines: Vec<_> = draft
        .items
        .iter()
        .map(|i| prescribing::store_line(ws, i))
        .collect();
    prescriptions::record_signed_elsewhere(
        w,
        id,
        &consultation_id,
        &p.physician_id,
        &Sensitive::new(p.diagnosis.clone()),
        &lines,
        signed.signed_at_ms,
    )?;
    prescribing::store_signed_findings(w, id, &p.physician_id, &check, &overrides)?;
    docs::put_prescription(
        w,
        id,
        &docs::PrescriptionDocument {
            draft: signed.draft.to_string(),
            check_result: signed.check.to_string(),
            overrides: signed.overrides.to_string(),
            validity_days: i64::from(signed.validity_days.clamp(1, 3)),
            review_rounds: i64::try_from(p.reviews.len()).unwrap_or(i64::MAX),
            refusal: None,
            context: signed.patient.as_ref().map(|p| p.to_string()),
            signature: signed.signature.as_ref().map(|s| s.to_string()),
        },
    )
}

fn reviewed_elsewhere(
    w: &mut Writer<'_>,
    id: &str,
    review: &ReviewEntry,
) -> meddesk_store::Result<()> {
    let approved = review.decision == ReviewDecision::Approve;
    // The platform carries a rejection's reasons as their codes plus the pharmacist's note.
    let mut stored = prescribing::StoredReasons {
        reasons: Vec::new(),
        note: String::new(),
    };
    for r in &review.reasons {
        match serde_json::from_value::<RejectionReason>(serde_json::Value::String(r.clone())) {
            Ok(code) => stored.reasons.push(code),
            Err(_) if stored.note.is_empty() => stored.note = r.clone(),
            Err(_) => {
                stored.note.push('\n');
                stored.note.push_str(r);
            }
        }
    }
    pharmacist_reviews::record(
        w,
        &pharmacist_reviews::Review {
            id: uuid::Uuid::now_v7().to_string(),
            prescription_id: id.to_owned(),
            pharmacist_id: review.pharmacist_id.clone(),
            approved,
            reasons: if approved {
                String::new()
            } else {
                serde_json::to_string(&stored).map_err(encode_err)?
            },
        },
    )?;
    docs::add_review_round(w, id)
}

/// The platform's request as the workstation's intake sees it. The platform sends the
/// masked name only (R-REC-2): no identifiers reach this store from it.
fn intake_request(r: &NewConsultation, demo: bool) -> IntakeRequest {
    let under_six = r.patient.age_years < 6;
    IntakeRequest {
        patient: IntakePatient {
            id: r.patient.patient_id.clone(),
            full_name: r.patient.masked_name.clone(),
            age_years: Some(f64::from(r.patient.age_years)),
            sex: Some(r.patient.sex),
            identity_verified: r.patient.identity_verified,
            id_number: None,
            conditions: r.chronic_icd10.iter().cloned().collect(),
            demo,
        },
        channel: r.channel,
        complaint: r.complaint.clone(),
        vitals: Vitals {
            temperature_c: r.vitals.temperature_c.map(f64::from),
            spo2: None,
            heart_rate: r.vitals.heart_rate_bpm.map(f64::from),
        },
        kind: if r.chronic_icd10.is_some() {
            ConsultationKind::ChronicFollowup
        } else {
            ConsultationKind::Ordinary
        },
        guardian_present: if r.patient.guardian.is_some() {
            Some(true)
        } else if under_six {
            Some(false)
        } else {
            None
        },
        arrived_at: DateTime::from_timestamp_millis(r.arrived_at_ms),
    }
}
