//! Pulled changes into the local tables, inside the page's transaction: every snapshot is
//! kept in `sync_records`; new consultations are triaged by the local rules and join the
//! queue; a consultation the platform gave to someone else leaves it (the local record, if
//! the user had written one, stays as their draft); a suspension reaches the local account.

use chrono::DateTime;
use meddesk_clinical::triage::{ConsultationKind, Vitals};
use meddesk_domain::{ConsultationId, ConsultationStatus};
use meddesk_store::tables::{consultations, sync_outbox, sync_records, workflow_documents as docs};
use meddesk_store::{StoreError, Writer};
use meddesk_sync::{Change, ConsultationRecord, NewConsultation, QueueStatus, RecordBody};

use crate::Workstation;
use crate::intake::{self, IntakePatient, IntakeRequest};

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
            // Prescriptions are kept as the platform's snapshot (their sync status and the
            // review outcome); the local lifecycle is driven by this workstation's use cases.
            Some(RecordBody::Prescription(_)) => {}
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
                    let pending =
                        sync_outbox::settlements_of_conn(w.conn(), "consultation", &change.key.id)?
                            .contains(&sync_outbox::Settlement::Pending);
                    if open && !pending {
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
    let id = ConsultationId(rec.request.id);
    let taken_by = match rec.status {
        QueueStatus::Waiting => None,
        QueueStatus::Claimed => Some(rec.physician_id.as_deref()),
    };
    match consultations::status_of(w.conn(), &id)? {
        None => {
            let request =
                intake_request(&rec.request, ws.profile().kind == crate::ProfileKind::Demo);
            let arrived_at = request
                .arrived_at
                .unwrap_or_else(|| DateTime::from_timestamp_millis(w.now_ms()).unwrap_or_default());
            let since = intake::clinic_midnight(arrived_at).timestamp_millis();
            let prior = docs::ordinary_consultations_since(w.conn(), &request.patient.id, since)?;
            let route = super::route_from_platform(&rec.request.specialty);
            let triaged =
                intake::triage_request(ws, &request, prior, Some((&route, rec.request.priority)))
                    .map_err(encode_err)?;
            // One audit entry for the arrival: the patient row, the queue row and the intake
            // document are one record's rows.
            w.grouped(
                meddesk_store::audit::Action::Create,
                consultations::RECORD,
                &rec.request.id.to_string(),
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
