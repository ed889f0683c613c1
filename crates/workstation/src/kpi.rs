//! The quality dashboard (R-KPI-1…3): indicators per physician and month from the local
//! records, computed by `meddesk_clinical::kpi`.

use chrono::{DateTime, Utc};
use meddesk_clinical::kpi::{self, ConsultationRecord, Indicators, PrescriptionRecord};
use meddesk_domain::Role;
use meddesk_store::tables::workflow_documents as docs;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::intake::clinic_tz;
use crate::{ApiError, Command, Workstation};

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct KpiReportRequest {
    /// How many months back (default 12).
    #[serde(default)]
    pub months: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ComplaintsByRoute {
    pub route: String,
    pub complaints: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct KpiReport {
    pub completion_target: f64,
    pub compliance_target: f64,
    pub indicators: Vec<Indicators>,
    pub complaints_by_route: Vec<ComplaintsByRoute>,
}

fn month(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&clinic_tz()).format("%Y-%m").to_string())
        .unwrap_or_default()
}

impl Command for KpiReportRequest {
    const NAME: &'static str = "kpi_report";
    type Output = KpiReport;
    async fn run(self, ws: &Workstation) -> Result<KpiReport, ApiError> {
        let (admin, store) = ws.acting_as(Role::Administrator)?;
        let now = ws.now();
        let since =
            now - chrono::Duration::days(31 * i64::from(self.months.unwrap_or(12).clamp(1, 60)));
        let since = since.timestamp_millis();
        let actor = admin.actor();
        let cs = store.read(&actor, now, |r| docs::kpi_consultations(r, since))?;
        let ps = store.read(&actor, now, |r| docs::kpi_prescriptions(r, since))?;
        let complaints = store.read(&actor, now, docs::complaints_all)?;
        let consultations: Vec<ConsultationRecord> = cs
            .iter()
            .filter_map(|c| {
                let physician = c.physician_id.clone()?;
                Some(ConsultationRecord {
                    physician,
                    month: month(c.arrived_at),
                    claimed: true,
                    completed: c.status == "completed",
                    response_seconds: c.claimed_at.map(|t| (t - c.arrived_at) / 1000),
                    route: c.route.clone(),
                    satisfaction: None,
                    complaints: complaints
                        .iter()
                        .filter(|k| k.consultation_id == c.id)
                        .count() as u32,
                })
            })
            .collect();
        let prescriptions: Vec<PrescriptionRecord> = ps
            .iter()
            .filter(|(_, _, _, status, rounds, _)| *rounds > 0 || status == "approved")
            .map(
                |(_, physician, created, status, rounds, overrides)| PrescriptionRecord {
                    physician: physician.clone(),
                    month: month(*created),
                    reviews_until_approved: if status == "approved" {
                        (*rounds).max(1) as u32
                    } else {
                        0
                    },
                    overridden_warnings: serde_json::from_str::<Vec<serde_json::Value>>(overrides)
                        .map(|v| v.len() as u32)
                        .unwrap_or(0),
                },
            )
            .collect();
        Ok(KpiReport {
            completion_target: kpi::COMPLETION_TARGET,
            compliance_target: kpi::COMPLIANCE_TARGET,
            indicators: kpi::indicators(&consultations, &prescriptions),
            complaints_by_route: kpi::complaints_by_route(&consultations)
                .into_iter()
                .map(|(route, complaints)| ComplaintsByRoute { route, complaints })
                .collect(),
        })
    }
}
