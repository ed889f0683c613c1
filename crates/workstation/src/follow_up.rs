//! Follow-up (R-FU-1, R-FU-2): plans are made from the follow-up rules when a chronic-disease
//! consultation is completed; due-today and overdue items are listed in the clinic's
//! calendar; a follow-up record closes an item.

use chrono::{DateTime, Utc};
use meddesk_clinical::follow_up::{Due, ItemKind, plan};
use meddesk_domain::{ConsultationId, MaskedName, PatientId, Role};
use meddesk_store::Store;
use meddesk_store::tables::{consultations, follow_up_plans, follow_up_records, patients};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::consultation::ConsultationRecord;
use crate::intake::clinic_tz;
use crate::session::SignedIn;
use crate::{ApiError, Command, Workstation};

pub(crate) fn plan_for(
    ws: &Workstation,
    who: &SignedIn,
    store: &Store,
    c: &consultations::Consultation,
    record: &ConsultationRecord,
) -> Result<(), ApiError> {
    let now = ws.now();
    let actor = who.actor();
    let mut diagnoses = record.diagnoses.clone();
    diagnoses.extend(record.clinical.conditions.iter().cloned());
    let key = c.id.0.to_string();
    let revisit = crate::prescribing::longest_course_days(store, &actor, now, &key)?
        .map(|d| now + crate::prescribing::revisit_after(d));
    let items = plan(&ws.knowledge().follow_up, &diagnoses, now, revisit);
    // One plan row per plan rule: the first follow-up date, and the revisit if known.
    let mut seen = std::collections::HashSet::new();
    for item in items.iter().filter(|i| i.kind == ItemKind::FollowUp) {
        if !seen.insert(item.plan.clone()) {
            continue;
        }
        store.write(&actor, now, |w| {
            follow_up_plans::insert(
                w,
                &follow_up_plans::FollowUpPlan {
                    id: uuid::Uuid::now_v7().to_string(),
                    consultation_id: c.id,
                    patient_id: c.patient_id.clone(),
                    condition: item.plan.clone(),
                    first_due_at: item.due_at.timestamp_millis(),
                    revisit_at: revisit.map(|t| t.timestamp_millis()),
                    active: true,
                },
            )
        })?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct FollowUpItem {
    pub plan_id: String,
    pub consultation_id: ConsultationId,
    pub patient: MaskedName,
    pub plan: String,
    pub kind: ItemKind,
    #[ts(type = "string")]
    pub due_at: DateTime<Utc>,
    pub due: Due,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct FollowUpList {
    pub due_today: Vec<FollowUpItem>,
    pub overdue: Vec<FollowUpItem>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct FollowUpListRequest {}

impl Command for FollowUpListRequest {
    const NAME: &'static str = "follow_up_list";
    type Output = FollowUpList;
    async fn run(self, ws: &Workstation) -> Result<FollowUpList, ApiError> {
        let (who, store) = ws.acting_as(Role::Physician)?;
        let now = ws.now();
        let actor = who.actor();
        let tz = clinic_tz();
        // Everything due up to the end of today in the clinic's calendar.
        let end_of_today = now
            .with_timezone(&tz)
            .date_naive()
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| t.and_local_timezone(tz).single())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now);
        let plans = store.read(&actor, now, |r| {
            follow_up_plans::due(r, end_of_today.timestamp_millis())
        })?;
        let mut list = FollowUpList {
            due_today: Vec::new(),
            overdue: Vec::new(),
        };
        for p in plans {
            // R-ROLE-1: only the physician's own patients.
            let c = store.read(&actor, now, |r| consultations::get(r, &p.consultation_id))?;
            if c.physician_id.as_deref() != Some(who.id.0.as_str()) {
                continue;
            }
            let records = store.read(&actor, now, |r| follow_up_records::of_plan(r, &p.id))?;
            if !records.is_empty() {
                continue;
            }
            let Some(due_at) = DateTime::from_timestamp_millis(p.first_due_at) else {
                continue;
            };
            let patient = store.read(&actor, now, |r| {
                patients::get(r, &PatientId(p.patient_id.0.clone()))
            })?;
            let source = ws
                .knowledge()
                .follow_up
                .plans
                .iter()
                .find(|r| r.id == p.condition)
                .map(|r| r.source.clone())
                .unwrap_or_default();
            let due = meddesk_clinical::follow_up::due(due_at, now, tz);
            let item = FollowUpItem {
                plan_id: p.id.clone(),
                consultation_id: p.consultation_id,
                patient: patient.masked_name,
                plan: p.condition.clone(),
                kind: ItemKind::FollowUp,
                due_at,
                due,
                source,
            };
            match due {
                Due::Today => list.due_today.push(item),
                Due::Overdue => list.overdue.push(item),
                Due::Upcoming => {}
            }
        }
        Ok(list)
    }
}

/// R-FU-2: medication taken as prescribed, symptom change, revisit advice.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRecordRequest {
    pub plan_id: String,
    pub taken_as_prescribed: Option<bool>,
    pub symptoms_improved: Option<bool>,
    #[serde(default)]
    pub revisit_advice: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct FollowUpRecorded {
    pub plan_id: String,
    pub record_id: String,
}

impl Command for FollowUpRecordRequest {
    const NAME: &'static str = "follow_up_record";
    type Output = FollowUpRecorded;
    async fn run(self, ws: &Workstation) -> Result<FollowUpRecorded, ApiError> {
        let (who, store) = ws.acting_as(Role::Physician)?;
        let now = ws.now();
        let record_id = uuid::Uuid::now_v7().to_string();
        store.write(&who.actor(), now, |w| {
            follow_up_records::insert(
                w,
                &follow_up_records::FollowUpRecord {
                    id: record_id.clone(),
                    plan_id: self.plan_id.clone(),
                    recorded_at: now.timestamp_millis(),
                    taken_as_prescribed: self.taken_as_prescribed,
                    symptoms_improved: self.symptoms_improved,
                    revisit_advice: self.revisit_advice.clone(),
                    notes: self.notes.clone(),
                },
            )?;
            let consultation = follow_up_plans::consultation_of(w.conn(), &self.plan_id)?
                .and_then(|c| uuid::Uuid::parse_str(&c).ok());
            if let (Some(consultation_id), Ok(follow_up_id)) =
                (consultation, uuid::Uuid::parse_str(&record_id))
            {
                crate::sync::enqueue(
                    ws,
                    w,
                    &who,
                    Some(&consultation_id),
                    meddesk_sync::OpKind::AddFollowUpRecord {
                        consultation_id,
                        follow_up_id,
                        taken_as_prescribed: self.taken_as_prescribed,
                        symptoms_improved: self.symptoms_improved,
                        revisit_advice: self.revisit_advice.clone(),
                        notes: self.notes.clone(),
                    },
                )?;
            }
            Ok(())
        })?;
        Ok(FollowUpRecorded {
            plan_id: self.plan_id,
            record_id,
        })
    }
}
