//! The intake queue (R-TRI-1…7): consultation requests arrive from the platform, are triaged
//! and screened by the data rules, and wait for a credentialed physician to claim them —
//! first claim wins. Flagged sensitive requests are held for review until released.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use meddesk_clinical::queue;
use meddesk_clinical::triage::{
    ConsultationKind, FlagCode, TriageOutcome, TriagePatient, TriageRequest, Vitals, triage,
};
use meddesk_domain::{
    Channel, ConsultationId, ConsultationStatus, MaskedName, PatientId, Priority, Role, Sensitive,
    Sex, TriageRoute,
};
use meddesk_store::tables::{consultations, patients, workflow_documents as docs};
use meddesk_store::{Actor, Store};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::session::SignedIn;
use crate::{ApiError, Command, ErrorCode, Workstation};

/// The clinic's calendar (China Standard Time) for "today" in the frequency cap and
/// follow-up lists.
pub fn clinic_tz() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// A consultation request as the platform delivers it (R-TRI-1).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    pub patient: IntakePatient,
    pub channel: Channel,
    pub complaint: String,
    #[serde(default)]
    pub vitals: Vitals,
    #[serde(default)]
    pub kind: ConsultationKind,
    #[serde(default)]
    pub guardian_present: Option<bool>,
    /// When the platform received it; now when absent.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub arrived_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct IntakePatient {
    /// The platform's patient id.
    pub id: String,
    /// Real-name verified by the platform (R-REC-2); kept sealed, shown masked.
    pub full_name: String,
    pub age_years: Option<f64>,
    pub sex: Option<Sex>,
    #[serde(default)]
    pub identity_verified: bool,
    #[serde(default)]
    pub id_number: Option<String>,
    /// ICD-10 codes of known conditions.
    #[serde(default)]
    pub conditions: Vec<String>,
    #[serde(default)]
    pub demo: bool,
}

/// What intake stored beside the consultation (JSON in `consultation_records.intake`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IntakeDoc {
    pub kind: ConsultationKind,
    pub vitals: Vitals,
    pub guardian_present: Option<bool>,
    pub age_years: Option<f64>,
    pub conditions: Vec<String>,
    pub triage: TriageOutcome,
    pub rules_version: String,
    /// Sensitive words intercept a request for review (R-TRI-5).
    pub held: bool,
    pub released_by: Option<String>,
    /// Unix ms of the claim: the response time of the KPIs.
    pub claimed_at: Option<i64>,
}

/// Receive one request: triage, screening, storage. Used by the demo and local intake;
/// requests pulled from the platform go through [`store_triaged`] inside the sync page's
/// transaction.
pub(crate) fn receive(
    ws: &Workstation,
    store: &Store,
    by: &Actor,
    request: &IntakeRequest,
) -> Result<ConsultationId, ApiError> {
    let now = ws.now();
    let arrived_at = request.arrived_at.unwrap_or(now);
    validate(request)?;
    let since = clinic_midnight(arrived_at).timestamp_millis();
    let prior_today = store.read(by, now, |r| {
        docs::ordinary_consultations_since(r.conn(), &request.patient.id, since)
    })?;
    let id = ConsultationId(uuid::Uuid::now_v7());
    let identifiers = Sensitive::new(patients::Identifiers {
        full_name: request.patient.full_name.clone(),
        id_number: request.patient.id_number.clone(),
        phone: None,
    });
    let triaged = triage_request(ws, request, prior_today, None)?;
    store.write(by, now, |w| {
        store_triaged(w, id, request, arrived_at, &triaged, Some(&identifiers))
    })?;
    Ok(id)
}

fn validate(request: &IntakeRequest) -> Result<(), ApiError> {
    if request.patient.id.trim().is_empty() {
        return Err(ApiError::invalid_value("patient.id", "must not be empty"));
    }
    if request
        .patient
        .age_years
        .is_some_and(|a| !(0.0..=130.0).contains(&a))
    {
        return Err(ApiError::invalid_value(
            "patient.age_years",
            "must be 0 to 130",
        ));
    }
    Ok(())
}

/// Midnight of `at`'s day in the clinic's calendar (the frequency cap counts from it).
pub(crate) fn clinic_midnight(at: DateTime<Utc>) -> DateTime<Utc> {
    let tz = clinic_tz();
    at.with_timezone(&tz)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(at)
}

/// A request after triage: the outcome and the intake document stored beside it.
pub(crate) struct Triaged {
    pub outcome: TriageOutcome,
    pub doc_json: String,
}

/// What the platform decided about a request it holds: the route (its specialty), the
/// priority, and its triage when it triaged (records from before it did carry none).
#[derive(Debug, Clone)]
pub(crate) struct PlatformDecision {
    pub route: TriageRoute,
    pub priority: Priority,
    pub triage: Option<meddesk_sync::PlatformTriage>,
}

/// Triage and screen one request by the loaded rules. `from_platform`: the platform holds
/// it and decided its route (who may take it); when the platform triaged it, its priority
/// and reasons are shown as well, so both sides show one answer.
pub(crate) fn triage_request(
    ws: &Workstation,
    request: &IntakeRequest,
    prior_today: i64,
    from_platform: Option<&PlatformDecision>,
) -> Result<Triaged, ApiError> {
    let triage_request = TriageRequest {
        id: String::new(),
        channel: request.channel,
        patient: TriagePatient {
            age_years: request.patient.age_years,
            sex: request.patient.sex,
            conditions: request.patient.conditions.clone(),
        },
        vitals: request.vitals.clone(),
        complaint: request.complaint.clone(),
        kind: request.kind,
        guardian_present: request.guardian_present,
        prior_consults_today: u32::try_from(prior_today).unwrap_or(u32::MAX),
    };
    let rules = &ws.knowledge().triage;
    let mut outcome = triage(&triage_request, rules);
    let mut rules_version = rules.version.clone();
    match from_platform {
        // The platform triaged with the same rules (issue 13 §2): its route, priority and
        // reasons are the answer shown; the screening flags stay this workstation's.
        Some(PlatformDecision {
            route,
            priority,
            triage: Some(t),
        }) => {
            outcome.route = route.clone();
            outcome.priority = *priority;
            outcome.reasons = t
                .reasons
                .iter()
                .map(|r| meddesk_clinical::triage::Reason {
                    rule: r.rule.clone(),
                    message: meddesk_clinical::check::request::Message {
                        zh: r.zh.clone(),
                        en: r.en.clone(),
                    },
                    source: r.source.clone(),
                })
                .collect();
            rules_version.clone_from(&t.rules_version);
        }
        // A record from before the platform triaged: its route, the more urgent priority.
        Some(PlatformDecision {
            route,
            priority,
            triage: None,
        }) => {
            outcome.route = route.clone();
            outcome.priority = outcome.priority.min(*priority);
        }
        None => {}
    }
    let held = outcome
        .flags
        .iter()
        .any(|f| f.code == FlagCode::SensitiveWord);
    let doc = IntakeDoc {
        kind: request.kind,
        vitals: request.vitals.clone(),
        guardian_present: request.guardian_present,
        age_years: request.patient.age_years,
        conditions: request.patient.conditions.clone(),
        triage: outcome.clone(),
        rules_version,
        held,
        released_by: None,
        claimed_at: None,
    };
    let doc_json = serde_json::to_string(&doc)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    Ok(Triaged { outcome, doc_json })
}

/// Store a triaged request as a waiting consultation, in the caller's transaction.
pub(crate) fn store_triaged(
    w: &mut meddesk_store::Writer<'_>,
    id: ConsultationId,
    request: &IntakeRequest,
    arrived_at: DateTime<Utc>,
    triaged: &Triaged,
    identifiers: Option<&Sensitive<patients::Identifiers>>,
) -> meddesk_store::Result<()> {
    let patient = patients::Patient {
        id: PatientId(request.patient.id.clone()),
        masked_name: MaskedName::from_full_name(&request.patient.full_name),
        age_years: request.patient.age_years.map(|a| a.floor() as u8),
        sex: request.patient.sex,
        identity_verified: request.patient.identity_verified,
        demo: request.patient.demo,
    };
    patients::upsert(w, &patient, identifiers)?;
    consultations::insert(
        w,
        &consultations::Consultation {
            id,
            patient_id: patient.id.clone(),
            physician_id: None,
            channel: request.channel,
            status: ConsultationStatus::Waiting,
            priority: triaged.outcome.priority,
            route: triaged.outcome.route.clone(),
            complaint: Sensitive::new(request.complaint.clone()),
            arrived_at: arrived_at.timestamp_millis(),
            sla_deadline: queue::respond_by(arrived_at).timestamp_millis(),
        },
    )?;
    docs::put_intake(w, &id.0.to_string(), &triaged.doc_json)
}

/// Whether a physician with `specialties` may take a consultation routed to `route`
/// (R-ROLE-4): emergency triage and specialist routes need the credential; general practice
/// is open to every physician.
pub fn credentialed_for(specialties: &[String], route: &TriageRoute) -> bool {
    match route {
        TriageRoute::General => true,
        TriageRoute::Emergency => specialties.iter().any(|s| s == "emergency"),
        TriageRoute::Specialist { specialty } => specialties.iter().any(|s| s == specialty),
    }
}

pub(crate) fn load_intake(
    store: &Store,
    by: &Actor,
    now: DateTime<Utc>,
    id: &str,
) -> Result<Option<IntakeDoc>, ApiError> {
    let row = store.read(by, now, |r| docs::get_record(r, id))?;
    match row {
        None => Ok(None),
        Some((intake, _)) => serde_json::from_str(&intake).map(Some).map_err(|e| {
            ApiError::new(
                ErrorCode::Internal,
                format!("stored intake of {id} is unreadable: {e}"),
            )
        }),
    }
}

// ---- queue ----------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, TS)]
pub struct QueuePatient {
    pub masked_name: MaskedName,
    pub age_years: Option<u8>,
    pub sex: Option<Sex>,
    /// Real-name verified by the platform (R-REC-2): an unverified patient cannot be
    /// prescribed for (R-RX-8), so the queue says so before the claim.
    pub identity_verified: bool,
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
    pub escalated: bool,
    pub flags: Vec<meddesk_clinical::triage::Flag>,
    pub reasons: Vec<meddesk_clinical::triage::Reason>,
    /// Held for review by a sensitive-word match (R-TRI-5); cannot be claimed until released.
    pub held: bool,
    /// The signed-in physician is credentialed for its route.
    pub claimable: bool,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct QueueListRequest {
    /// Only this route (`emergency`, `general`, `specialist:<x>`).
    #[serde(default)]
    pub route: Option<String>,
    /// Include routes the physician is not credentialed for (read-only view).
    #[serde(default)]
    pub all_routes: bool,
    /// How many of the most urgent waiting consultations (default 200, at most 1,000).
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct QueueView {
    #[ts(type = "string")]
    pub now: DateTime<Utc>,
    pub entries: Vec<QueueEntry>,
    pub breached: u32,
}

const QUEUE_DEFAULT: u32 = 200;
const QUEUE_MAX: u32 = 1000;

pub(crate) fn queue_view(
    ws: &Workstation,
    who: &SignedIn,
    store: &Store,
    req: &QueueListRequest,
) -> Result<QueueView, ApiError> {
    let now = ws.now();
    let route_filter = match &req.route {
        Some(r) => Some(
            meddesk_clinical::triage::parse_route(r)
                .map_err(|e| ApiError::invalid_value("route", e))?,
        ),
        None => None,
    };
    let actor = who.actor();
    // One query, one transaction, one audit entry for the whole view.
    let limit = req.limit.unwrap_or(QUEUE_DEFAULT).clamp(1, QUEUE_MAX);
    let rows = store.read(&actor, now, |r| docs::intake_queue_detailed(r, limit))?;
    let is_admin = who.roles.contains(&Role::Administrator);
    let mut entries = Vec::with_capacity(rows.len());
    for (row, intake_json, age_years, sex, identity_verified) in rows {
        if route_filter.as_ref().is_some_and(|f| *f != row.route) {
            continue;
        }
        let claimable =
            who.roles.contains(&Role::Physician) && credentialed_for(&who.specialties, &row.route);
        if !claimable && !req.all_routes && !is_admin {
            continue;
        }
        let intake: Option<IntakeDoc> = intake_json.and_then(|j| serde_json::from_str(&j).ok());
        let arrived_at = DateTime::from_timestamp_millis(row.arrived_at).unwrap_or(now);
        let respond_by = DateTime::from_timestamp_millis(row.sla_deadline).unwrap_or(now);
        let seconds_left = (respond_by - now).num_seconds();
        let held = intake
            .as_ref()
            .is_some_and(|d| d.held && d.released_by.is_none());
        entries.push(QueueEntry {
            id: row.id,
            patient: QueuePatient {
                masked_name: row.masked_name,
                age_years,
                sex: match sex.as_deref() {
                    Some("female") => Some(Sex::Female),
                    Some("male") => Some(Sex::Male),
                    _ => None,
                },
                identity_verified,
            },
            channel: row.channel,
            priority: row.priority,
            route: row.route,
            complaint: row.complaint,
            arrived_at,
            respond_by,
            seconds_left,
            escalated: seconds_left < 0,
            flags: intake
                .as_ref()
                .map(|d| d.triage.flags.clone())
                .unwrap_or_default(),
            reasons: intake
                .as_ref()
                .map(|d| d.triage.reasons.clone())
                .unwrap_or_default(),
            held,
            claimable: claimable && !held,
        });
    }
    let breached = entries.iter().filter(|e| e.escalated).count() as u32;
    Ok(QueueView {
        now,
        entries,
        breached,
    })
}

impl Command for QueueListRequest {
    const NAME: &'static str = "queue_list";
    type Output = QueueView;
    async fn run(self, ws: &Workstation) -> Result<QueueView, ApiError> {
        let (who, store) = ws.active()?;
        if !(who.roles.contains(&Role::Physician) || who.roles.contains(&Role::Administrator)) {
            // R-ROLE-2: pharmacists work from the review queue.
            return Err(ApiError::forbidden(
                "the intake queue is for physicians and administrators",
            ));
        }
        queue_view(ws, &who, &store, &self)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    pub consultation_id: ConsultationId,
}

impl Command for ClaimRequest {
    const NAME: &'static str = "consultation_claim";
    type Output = crate::consultation::ConsultationView;
    async fn run(self, ws: &Workstation) -> Result<Self::Output, ApiError> {
        let (who, store) = ws.acting_as(Role::Physician)?;
        let now = ws.now();
        if who.suspended {
            return Err(ApiError::new(
                ErrorCode::RuleViolation,
                "the account is suspended (R-CMP-2)",
            ));
        }
        let id = self.consultation_id.0.to_string();
        let actor = who.actor();
        let c = store.read(&actor, now, |r| {
            consultations::get(r, &self.consultation_id)
        })?;
        if !credentialed_for(&who.specialties, &c.route) {
            return Err(ApiError::forbidden(
                "you are not credentialed for this consultation's route (R-ROLE-4)",
            ));
        }
        let mut intake = load_intake(&store, &actor, now, &id)?
            .ok_or_else(|| ApiError::not_found("consultation intake"))?;
        if intake.held && intake.released_by.is_none() {
            return Err(ApiError::new(
                ErrorCode::RuleViolation,
                "held for review after a sensitive-word match (R-TRI-5); an administrator must release it",
            ));
        }
        intake.claimed_at = Some(now.timestamp_millis());
        let doc = serde_json::to_string(&intake)
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        let claimed = store.write(&actor, now, |w| {
            let ok = docs::claim(w, &id, &who.id.0)?;
            if ok {
                docs::put_intake(w, &id, &doc)?;
                // First claim wins on the platform too: a claim made here offline can
                // still lose there, and then comes back rejected (R-TRI-3).
                crate::sync::enqueue(
                    ws,
                    w,
                    &who,
                    Some(&self.consultation_id.0),
                    meddesk_sync::OpKind::ClaimConsultation {
                        consultation_id: self.consultation_id.0,
                    },
                )?;
            }
            Ok(ok)
        })?;
        if !claimed {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "someone else already took this consultation",
            ));
        }
        crate::consultation::view(ws, &who, &store, &self.consultation_id)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    pub consultation_id: ConsultationId,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Released {
    pub consultation_id: ConsultationId,
}

impl Command for ReleaseRequest {
    const NAME: &'static str = "intake_release";
    type Output = Released;
    async fn run(self, ws: &Workstation) -> Result<Released, ApiError> {
        let (admin, store) = ws.acting_as(Role::Administrator)?;
        let now = ws.now();
        let id = self.consultation_id.0.to_string();
        let actor = admin.actor();
        let mut intake = load_intake(&store, &actor, now, &id)?
            .ok_or_else(|| ApiError::not_found("consultation"))?;
        intake.released_by = Some(admin.id.0.clone());
        let doc = serde_json::to_string(&intake)
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        store.write(&actor, now, |w| docs::put_intake(w, &id, &doc))?;
        Ok(Released {
            consultation_id: self.consultation_id,
        })
    }
}

/// Submit a request through the workstation (administrators; the platform's sync does the
/// same without a front).
impl Command for IntakeRequest {
    const NAME: &'static str = "intake_submit";
    type Output = Released;
    async fn run(self, ws: &Workstation) -> Result<Released, ApiError> {
        let (admin, store) = ws.acting_as(Role::Administrator)?;
        let id = receive(ws, &store, &admin.actor(), &self)?;
        Ok(Released {
            consultation_id: id,
        })
    }
}

/// Used by tests and the demo: a duration helper for arrival times.
pub(crate) fn minutes_ago(now: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    now - Duration::minutes(minutes)
}
