//! The home screen: what the app is, and the intake queue at a glance.

use chrono::{DateTime, Utc};
use meddesk_clinical::queue;
use meddesk_domain::{Channel, ConsultationId, MaskedName, Priority, Sensitive, Sex, TriageRoute};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ApiError, Command, ProfileKind, Workstation};

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct AppInfoRequest {}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub profile: ProfileKind,
}

impl Command for AppInfoRequest {
    const NAME: &'static str = "app_info";
    type Output = AppInfo;

    async fn run(self, ws: &Workstation) -> Result<AppInfo, ApiError> {
        Ok(AppInfo {
            name: "MedDesk".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            profile: ws.profile().kind,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct HomeSummaryRequest {}

/// A patient as the queue shows them: de-identified (R-REC-1, R-REC-2).
#[derive(Debug, Clone, Serialize, TS)]
pub struct QueuePatient {
    pub masked_name: MaskedName,
    pub age_years: u8,
    pub sex: Sex,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct QueueEntry {
    pub id: ConsultationId,
    pub patient: QueuePatient,
    pub channel: Channel,
    pub priority: Priority,
    pub route: TriageRoute,
    #[ts(type = "string")]
    pub complaint: Sensitive<String>,
    #[ts(type = "string")]
    pub arrived_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub respond_by: DateTime<Utc>,
    /// Negative once the 30-minute response clock is breached (R-TRI-3).
    pub seconds_left: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct HomeSummary {
    pub profile: ProfileKind,
    #[ts(type = "string")]
    pub now: DateTime<Utc>,
    /// Open consultations, most urgent first (R-TRI-2, R-TRI-3).
    pub queue: Vec<QueueEntry>,
    pub breached: u32,
}

impl Command for HomeSummaryRequest {
    const NAME: &'static str = "home_summary";
    type Output = HomeSummary;

    async fn run(self, ws: &Workstation) -> Result<HomeSummary, ApiError> {
        let now = ws.now();
        let mut queue: Vec<QueueEntry> = ws
            .demo()
            .map(|demo| {
                demo.consultations
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let arrived_at = now - c.waited();
                        QueueEntry {
                            // Stable per demo row so the UI can key on it across refreshes.
                            id: ConsultationId(uuid::Uuid::from_u128(0xde40_0000 + i as u128)),
                            patient: QueuePatient {
                                masked_name: MaskedName::from_full_name(&c.patient.name),
                                age_years: c.patient.age_years,
                                sex: c.patient.sex,
                            },
                            channel: c.channel,
                            priority: c.priority,
                            route: c.route.clone(),
                            complaint: Sensitive::new(c.complaint.clone()),
                            arrived_at,
                            respond_by: queue::respond_by(arrived_at),
                            seconds_left: queue::seconds_left(arrived_at, now),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        queue.sort_by_key(|e| queue::queue_key(e.priority, e.arrived_at));
        let breached = queue.iter().filter(|e| e.seconds_left < 0).count() as u32;
        Ok(HomeSummary {
            profile: ws.profile().kind,
            now,
            queue,
            breached,
        })
    }
}
