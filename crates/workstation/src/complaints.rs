//! Complaints (R-CMP-1, R-CMP-2): a complaint arrives with a snapshot of its consultation
//! record; the platform answers within 24 hours; the outcome is recorded, compensation noted,
//! or — for a compliance violation — the physician's privileges are suspended at once and a
//! report for the regulator is produced.

use chrono::{DateTime, Utc};
use meddesk_clinical::complaint::{self, Effect, Outcome};
use meddesk_domain::{ConsultationId, Role};
use meddesk_store::tables::{complaints, workflow_documents as docs};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ApiError, Command, ErrorCode, Workstation};

#[derive(Debug, Clone, Serialize, TS)]
pub struct ComplaintView {
    pub id: String,
    pub consultation_id: String,
    pub physician_id: Option<String>,
    pub text: String,
    #[ts(type = "string")]
    pub received_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub respond_by: DateTime<Utc>,
    /// Negative once the 24-hour clock is breached.
    pub seconds_left: i64,
    pub status: String,
    pub outcome: Option<String>,
    pub notes: String,
    /// The regulator report, when one was produced (JSON text).
    pub regulator_report: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ComplaintList {
    pub complaints: Vec<ComplaintView>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ComplaintFileRequest {
    pub consultation_id: ConsultationId,
    pub text: String,
    /// When the platform received it; now when absent.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub received_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ComplaintFiled {
    pub id: String,
}

impl Command for ComplaintFileRequest {
    const NAME: &'static str = "complaint_file";
    type Output = ComplaintFiled;
    async fn run(self, ws: &Workstation) -> Result<ComplaintFiled, ApiError> {
        let (admin, store) = ws.acting_as(Role::Administrator)?;
        if self.text.trim().is_empty() {
            return Err(ApiError::invalid_value("text", "must not be empty"));
        }
        let now = ws.now();
        // R-CMP-1: the record as it was when the complaint arrived.
        let snapshot = crate::consultation::view(ws, &admin, &store, &self.consultation_id)?;
        let snapshot_json = serde_json::to_string(&snapshot).map_err(ApiError::internal)?;
        let physician = store
            .read(&admin.actor(), now, |r| {
                meddesk_store::tables::consultations::get(r, &self.consultation_id)
            })?
            .physician_id;
        let id = uuid::Uuid::now_v7().to_string();
        let received = self.received_at.unwrap_or(now);
        store.write(&admin.actor(), now, |w| {
            complaints::open(w, &id, &self.consultation_id, received.timestamp_millis())?;
            docs::attach_complaint_details(
                w,
                &id,
                physician.as_deref(),
                self.text.trim(),
                &snapshot_json,
            )
        })?;
        Ok(ComplaintFiled { id })
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ComplaintListRequest {}

impl Command for ComplaintListRequest {
    const NAME: &'static str = "complaint_list";
    type Output = ComplaintList;
    async fn run(self, ws: &Workstation) -> Result<ComplaintList, ApiError> {
        let (admin, store) = ws.acting_as(Role::Administrator)?;
        let now = ws.now();
        let rows = store.read(&admin.actor(), now, docs::complaints_all)?;
        let mut out = Vec::with_capacity(rows.len());
        for c in rows {
            let report = store.read(&admin.actor(), now, |r| docs::report_of(r, &c.id))?;
            let received_at = DateTime::from_timestamp_millis(c.received_at).unwrap_or(now);
            out.push(ComplaintView {
                seconds_left: complaint::seconds_left(received_at, now),
                respond_by: complaint::respond_by(received_at),
                received_at,
                id: c.id,
                consultation_id: c.consultation_id,
                physician_id: c.physician_id,
                text: c.text,
                status: c.status,
                // The stored code → the outcome kind `complaint_resolve` takes.
                outcome: c.outcome.map(|o| match o.as_str() {
                    "facts_mismatch" => "facts_do_not_match".to_owned(),
                    _ => o,
                }),
                notes: c.notes,
                regulator_report: report,
            });
        }
        Ok(ComplaintList { complaints: out })
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ComplaintResolveRequest {
    pub complaint_id: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ComplaintResolved {
    pub complaint_id: String,
    pub effects: Vec<Effect>,
    pub regulator_report: Option<String>,
}

impl Command for ComplaintResolveRequest {
    const NAME: &'static str = "complaint_resolve";
    type Output = ComplaintResolved;
    async fn run(self, ws: &Workstation) -> Result<ComplaintResolved, ApiError> {
        let (admin, store) = ws.acting_as(Role::Administrator)?;
        let now = ws.now();
        let effects =
            complaint::effects(&self.outcome).map_err(|e| ApiError::invalid_value("outcome", e))?;
        let rows = store.read(&admin.actor(), now, docs::complaints_all)?;
        let row = rows
            .into_iter()
            .find(|c| c.id == self.complaint_id)
            .ok_or_else(|| ApiError::not_found("complaint"))?;
        if row.status == "closed" {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "this complaint is already closed",
            ));
        }
        let (kind, notes) = match &self.outcome {
            Outcome::FactsDoNotMatch { clarification } => {
                (complaints::Outcome::FactsMismatch, clarification.clone())
            }
            Outcome::ServiceTimeout { compensation } => {
                (complaints::Outcome::ServiceTimeout, compensation.clone())
            }
            Outcome::ComplianceViolation { finding } => {
                (complaints::Outcome::ComplianceViolation, finding.clone())
            }
        };
        let mut report = None;
        if effects.contains(&Effect::ProduceRegulatorReport) {
            report = Some(
                serde_json::to_string_pretty(&serde_json::json!({
                    "complaint_id": row.id,
                    "consultation_id": row.consultation_id,
                    "physician_id": row.physician_id,
                    "received_at": DateTime::from_timestamp_millis(row.received_at),
                    "finding": notes,
                    "action": "prescribing privileges suspended",
                    "reported_by": admin.id.0,
                    "reported_at": now,
                    "basis": "R-CMP-2 (seed 002 §5.2.3: 合规违规 → 暂停医师权限并上报监管机构)",
                }))
                .map_err(ApiError::internal)?,
            );
        }
        if effects.contains(&Effect::SuspendPhysicianPrivileges) {
            let physician = row.physician_id.clone().ok_or_else(|| {
                ApiError::new(ErrorCode::Conflict, "the complaint names no physician")
            })?;
            crate::account::set_suspended(ws, &store, &admin, now, &physician, Some(&notes))?;
            ws.refresh_session_user(&store, &physician)?;
        }
        let report_id = uuid::Uuid::now_v7().to_string();
        store.write(&admin.actor(), now, |w| {
            complaints::close(w, &self.complaint_id, kind, &notes)?;
            if let Some(r) = &report {
                docs::insert_report(w, &report_id, &self.complaint_id, r)?;
            }
            Ok(())
        })?;
        Ok(ComplaintResolved {
            complaint_id: self.complaint_id,
            effects,
            regulator_report: report,
        })
    }
}
