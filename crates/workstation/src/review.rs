//! The pharmacist's review (R-RX-6, R-ROLE-2): every signed prescription waits here; approve
//! (it takes effect, valid for its chosen days) or reject with structured reasons, after
//! which the physician revises it.

use meddesk_clinical::lifecycle::{Event, RejectionReason, RxStatus};
use meddesk_domain::Role;
use meddesk_store::tables::{
    consultations, patients, pharmacist_reviews, workflow_documents as docs,
};
use meddesk_sync::ReviewDecision;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::consultation::PatientHeader;
use crate::intake::load_intake;
use crate::prescribing::{self, PrescriptionView, StoredReasons};
use crate::{ApiError, Command, ErrorCode, Workstation};

#[derive(Debug, Clone, Serialize, TS)]
pub struct ReviewItem {
    pub prescription: PrescriptionView,
    pub patient: PatientHeader,
    /// Reviews so far: a resubmission after a rejection shows its history.
    pub round: i64,
    /// The physician's electronic signature as verified here before the review opens
    /// (R-RX-10); an invalid one cannot be approved.
    pub signature: crate::signing::SignatureCheck,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ReviewQueue {
    pub items: Vec<ReviewItem>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ReviewQueueRequest {}

impl Command for ReviewQueueRequest {
    const NAME: &'static str = "review_queue";
    type Output = ReviewQueue;
    async fn run(self, ws: &Workstation) -> Result<ReviewQueue, ApiError> {
        let (who, store) = ws.acting_as(Role::Pharmacist)?;
        let now = ws.now();
        let actor = who.actor();
        let ids = store.read(&actor, now, |r| {
            docs::prescriptions_in_status(r, "signed", 500)
        })?;
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            let prescription = prescribing::view(&store, &actor, now, &id)?;
            if prescription.status != RxStatus::Signed {
                continue; // expired while waiting
            }
            let c = store.read(&actor, now, |r| {
                consultations::get(r, &prescription.consultation_id)
            })?;
            let p = store.read(&actor, now, |r| patients::get(r, &c.patient_id))?;
            let intake = load_intake(&store, &actor, now, &c.id.0.to_string())?;
            // Verified once, in the view; a signed prescription without a signature
            // document is invalid.
            let signature =
                prescription
                    .signature
                    .clone()
                    .unwrap_or(crate::signing::SignatureCheck {
                        status: crate::signing::SignatureStatus::Invalid,
                        code: Some("signature_missing".into()),
                        timestamp_ms: None,
                    });
            items.push(ReviewItem {
                signature,
                round: prescription.reviews.len() as i64 + 1,
                patient: PatientHeader {
                    masked_name: p.masked_name,
                    age_years: intake
                        .as_ref()
                        .and_then(|d| d.age_years)
                        .or(p.age_years.map(f64::from)),
                    sex: p.sex,
                    identity_verified: p.identity_verified,
                    guardian_present: intake.as_ref().and_then(|d| d.guardian_present),
                },
                prescription,
            });
        }
        Ok(ReviewQueue { items })
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum Decision {
    Approve,
    Reject {
        reasons: Vec<RejectionReason>,
        #[serde(default)]
        note: String,
    },
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RxReviewRequest {
    pub prescription_id: String,
    pub decision: Decision,
}

impl Command for RxReviewRequest {
    const NAME: &'static str = "rx_review";
    type Output = PrescriptionView;
    async fn run(self, ws: &Workstation) -> Result<PrescriptionView, ApiError> {
        let (who, store) = ws.acting_as(Role::Pharmacist)?;
        let now = ws.now();
        let actor = who.actor();
        let l = prescribing::load(&store, &actor, now, &self.prescription_id)?;
        let (event, approved, stored) = match &self.decision {
            Decision::Approve => (
                Event::Approve,
                true,
                StoredReasons {
                    reasons: Vec::new(),
                    note: String::new(),
                },
            ),
            Decision::Reject { reasons, note } => (
                Event::Reject { reasons, note },
                false,
                StoredReasons {
                    reasons: reasons.clone(),
                    note: note.trim().to_owned(),
                },
            ),
        };
        l.lifecycle
            .apply(&who.lifecycle_actor(Role::Pharmacist), &event, now)?;
        // R-RX-10: the physician's signature is verified before a decision is signed over it;
        // a failure is a refusal naming it, never a silent pass.
        let checked = crate::signing::check(&store, l.doc.signature.as_deref())?;
        if checked.status == crate::signing::SignatureStatus::Invalid {
            return Err(ApiError::new(
                ErrorCode::RuleViolation,
                format!(
                    "the physician's electronic signature does not verify: {}",
                    checked.code.as_deref().unwrap_or("invalid")
                ),
            ));
        }
        if approved {
            // R-RX-8: the pharmacist's side runs the same validity rule as the physician's
            // and the platform's; a prescription that may not exist is never approved,
            // however it reached review.
            let draft: prescribing::RxDraft =
                serde_json::from_str(&l.doc.draft).map_err(ApiError::internal)?;
            let c = store.read(&actor, now, |r| {
                consultations::get(r, &l.row.consultation_id)
            })?;
            let p = store.read(&actor, now, |r| patients::get(r, &c.patient_id))?;
            let findings = meddesk_clinical::check::validity::validate_draft(
                &ws.knowledge().pack,
                &draft,
                Some(p.identity_verified),
            );
            if !findings.is_empty() {
                return Err(ApiError::new(
                    ErrorCode::RuleViolation,
                    format!(
                        "the prescription may not exist and cannot be approved: {}",
                        meddesk_clinical::check::validity::summary(&findings).join(", ")
                    ),
                ));
            }
        }
        let (decision, wire_reasons) = match &self.decision {
            Decision::Approve => (ReviewDecision::Approve, Vec::new()),
            Decision::Reject { reasons, note } => (
                ReviewDecision::Reject,
                reasons
                    .iter()
                    .map(|r| {
                        serde_json::to_value(r)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    })
                    .chain((!note.trim().is_empty()).then(|| note.trim().to_owned()))
                    .collect::<Vec<String>>(),
            ),
        };
        // R-RX-10: the pharmacist signs the decision over the physician's signature.
        let (signature_doc, op_signature) = review_signature(
            &store,
            &actor,
            now,
            &who.id.0,
            l.doc.signature.as_deref(),
            decision,
            &wire_reasons,
        )?;
        let reasons_json = serde_json::to_string(&stored)
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        store.write(&actor, now, |w| {
            pharmacist_reviews::record(
                w,
                &pharmacist_reviews::Review {
                    id: uuid::Uuid::now_v7().to_string(),
                    prescription_id: self.prescription_id.clone(),
                    pharmacist_id: who.id.0.clone(),
                    approved,
                    reasons: if approved {
                        String::new()
                    } else {
                        reasons_json.clone()
                    },
                },
            )?;
            docs::put_prescription(
                w,
                &self.prescription_id,
                &docs::PrescriptionDocument {
                    review_rounds: l.doc.review_rounds + 1,
                    signature: Some(signature_doc.clone()),
                    ..l.doc.clone()
                },
            )?;
            if let Ok(prescription_id) = uuid::Uuid::parse_str(&self.prescription_id) {
                // A prescription pulled from the platform (signed on another workstation)
                // travels back even though its consultation was never pulled here.
                let pulled = meddesk_store::tables::sync_records::version(
                    w.conn(),
                    "prescription",
                    &self.prescription_id,
                )?
                .is_some();
                crate::sync::enqueue(
                    ws,
                    w,
                    &who,
                    (!pulled).then_some(&l.row.consultation_id.0),
                    meddesk_sync::OpKind::ReviewPrescription {
                        prescription_id,
                        decision,
                        reasons: wire_reasons.clone(),
                        signature: Some(op_signature.clone()),
                    },
                )?;
            }
            Ok(())
        })?;
        prescribing::view(&store, &actor, now, &self.prescription_id)
    }
}

/// The pharmacist's electronic signature over the physician's signature and `decision`
/// (R-RX-10): the signature document with the review in it (kept locally) and what the
/// review operation carries (`{"review", "certificate"}`). A prescription without the
/// physician's electronic signature cannot be reviewed.
fn review_signature(
    store: &meddesk_store::Store,
    actor: &meddesk_store::Actor,
    now: chrono::DateTime<chrono::Utc>,
    pharmacist_id: &str,
    physician_document: Option<&str>,
    decision: ReviewDecision,
    reasons: &[String],
) -> Result<(String, serde_json::Value), ApiError> {
    let unsigned = || {
        ApiError::new(
            ErrorCode::RuleViolation,
            "the prescription carries no valid electronic signature of the physician (R-RX-10)",
        )
    };
    let mut doc: meddesk_signature::SignedPrescription =
        serde_json::from_str(physician_document.ok_or_else(unsigned)?).map_err(|_| unsigned())?;
    let id = crate::signing::identity(store, actor, now, pharmacist_id)?;
    let decision = match decision {
        ReviewDecision::Approve => meddesk_signature::Decision::Approve,
        ReviewDecision::Reject => meddesk_signature::Decision::Reject,
    };
    let at = now.timestamp_millis();
    let mut certificate = None;
    if let Some(cert) = &id.certificate {
        let mut with = doc.clone();
        if meddesk_signature::add_review(
            &mut with,
            cert,
            &id.signer,
            decision,
            reasons.to_vec(),
            at,
        )
        .is_ok()
        {
            certificate = Some(cert.clone());
            doc = with;
        }
    }
    if doc.review.is_none() {
        let review =
            meddesk_signature::review_pending(&doc, &id.signer, decision, reasons.to_vec(), at)
                .map_err(|e| {
                    ApiError::new(ErrorCode::Internal, format!("signing failed: {}", e.code()))
                })?;
        doc.review = Some(review);
    }
    let op = serde_json::json!({ "review": doc.review, "certificate": certificate });
    let json = serde_json::to_string(&doc).map_err(ApiError::internal)?;
    Ok((json, op))
}
