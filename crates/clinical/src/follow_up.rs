//! Follow-up plans for chronic-disease consultations (R-FU-1, R-FU-2), from data rules:
//! a first follow-up some days after the first consultation, and a reminder some days
//! before the revisit. Pure: the rules, the consultation and `now` in; dated items out.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::icd10::Icd10Range;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRules {
    pub version: String,
    #[serde(rename = "plan")]
    pub plans: Vec<PlanRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRule {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    /// ICD-10 codes or ranges of the diagnoses this plan is for.
    pub diagnoses_any: Vec<String>,
    /// First follow-up this many days after the first consultation.
    pub first_follow_up_days: i64,
    /// Reminder this many days before the revisit.
    pub revisit_reminder_days_before: i64,
    pub source: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FollowUpRulesError {
    #[error("{origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("{origin}: plan `{plan}`: field `{field}`: {message}")]
    Invalid {
        origin: String,
        plan: String,
        field: &'static str,
        message: String,
    },
}

impl FollowUpRules {
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, FollowUpRulesError> {
        let rules: Self = toml::from_str(text).map_err(|e| FollowUpRulesError::Syntax {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        for p in &rules.plans {
            let invalid = |field, message: String| FollowUpRulesError::Invalid {
                origin: origin.to_owned(),
                plan: p.id.clone(),
                field,
                message,
            };
            if p.diagnoses_any.is_empty() {
                return Err(invalid(
                    "diagnoses_any",
                    "needs at least one ICD-10 code".into(),
                ));
            }
            for d in &p.diagnoses_any {
                Icd10Range::parse(d).map_err(|m| invalid("diagnoses_any", m))?;
            }
            if !(1..=365).contains(&p.first_follow_up_days) {
                return Err(invalid("first_follow_up_days", "must be 1 to 365".into()));
            }
            if !(0..=90).contains(&p.revisit_reminder_days_before) {
                return Err(invalid(
                    "revisit_reminder_days_before",
                    "must be 0 to 90".into(),
                ));
            }
        }
        Ok(rules)
    }

    /// The plan rules that apply to these diagnoses (each once, in file order).
    pub fn matching<'a>(
        &'a self,
        diagnoses: &'a [String],
    ) -> impl Iterator<Item = &'a PlanRule> + 'a {
        self.plans.iter().filter(move |p| {
            diagnoses
                .iter()
                .any(|d| crate::icd10::matches_any(d, &p.diagnoses_any))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// Ask about adherence, symptoms, revisit plans (R-FU-2).
    FollowUp,
    /// Remind the patient of the coming revisit.
    RevisitReminder,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PlannedItem {
    pub plan: String,
    pub kind: ItemKind,
    #[ts(type = "string")]
    pub due_at: DateTime<Utc>,
    pub source: String,
}

/// Items for a chronic-disease consultation: the first follow-up after `first_consulted_at`
/// and, when the revisit is known (e.g. when a long-term prescription runs out), a reminder
/// before it. A reminder that would fall before the first consultation is dropped.
pub fn plan(
    rules: &FollowUpRules,
    diagnoses: &[String],
    first_consulted_at: DateTime<Utc>,
    revisit_at: Option<DateTime<Utc>>,
) -> Vec<PlannedItem> {
    let mut items = Vec::new();
    for rule in rules.matching(diagnoses) {
        items.push(PlannedItem {
            plan: rule.id.clone(),
            kind: ItemKind::FollowUp,
            due_at: first_consulted_at + Duration::days(rule.first_follow_up_days),
            source: rule.source.clone(),
        });
        if let Some(revisit) = revisit_at {
            let remind = revisit - Duration::days(rule.revisit_reminder_days_before);
            if remind > first_consulted_at {
                items.push(PlannedItem {
                    plan: rule.id.clone(),
                    kind: ItemKind::RevisitReminder,
                    due_at: remind,
                    source: rule.source.clone(),
                });
            }
        }
    }
    items.sort_by_key(|i| i.due_at);
    items
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    /// Due later than today.
    Upcoming,
    /// Due today, in the clinic's time zone.
    Today,
    /// Due before today and not done (R-FU-2).
    Overdue,
}

/// Where an open item stands at `now`, by calendar day in the clinic's time zone.
pub fn due(due_at: DateTime<Utc>, now: DateTime<Utc>, clinic_tz: FixedOffset) -> Due {
    let day = |t: DateTime<Utc>| -> NaiveDate { t.with_timezone(&clinic_tz).date_naive() };
    match day(due_at).cmp(&day(now)) {
        std::cmp::Ordering::Less => Due::Overdue,
        std::cmp::Ordering::Equal => Due::Today,
        std::cmp::Ordering::Greater => Due::Upcoming,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> FollowUpRules {
        FollowUpRules::from_toml(
            include_str!("../../../assets/follow_up/rules.toml"),
            "assets/follow_up/rules.toml",
        )
        .expect("shipped follow-up rules are valid")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("valid").to_utc()
    }

    #[test]
    fn hypertension_follow_up_on_day_three_and_a_reminder_a_week_before_the_revisit() {
        let first = at("2026-11-22T10:00:00+08:00");
        let revisit = at("2026-12-20T10:00:00+08:00");
        let items = plan(&rules(), &["I10".into()], first, Some(revisit));
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].kind, ItemKind::FollowUp);
        assert_eq!(items[0].due_at, at("2026-11-25T10:00:00+08:00"));
        assert_eq!(items[1].kind, ItemKind::RevisitReminder);
        assert_eq!(items[1].due_at, at("2026-12-13T10:00:00+08:00"));
        assert!(items.iter().all(|i| i.source.contains("seed 002")));
    }

    #[test]
    fn no_plan_for_an_acute_diagnosis_and_no_reminder_in_the_past() {
        let first = at("2026-11-22T10:00:00+08:00");
        assert!(plan(&rules(), &["J02.9".into()], first, None).is_empty());
        let soon = first + Duration::days(3);
        let items = plan(&rules(), &["I11.9".into()], first, Some(soon));
        assert_eq!(
            items
                .iter()
                .filter(|i| i.kind == ItemKind::RevisitReminder)
                .count(),
            0
        );
    }

    #[test]
    fn due_today_and_overdue_follow_the_clinic_calendar() {
        let tz = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
        let now = at("2026-11-25T00:30:00+08:00");
        assert_eq!(due(at("2026-11-25T10:00:00+08:00"), now, tz), Due::Today);
        // 23:00 UTC on the 24th is 07:00 on the 25th in China: today, not overdue.
        assert_eq!(due(at("2026-11-24T23:00:00Z"), now, tz), Due::Today);
        assert_eq!(due(at("2026-11-24T10:00:00+08:00"), now, tz), Due::Overdue);
        assert_eq!(due(at("2026-11-26T10:00:00+08:00"), now, tz), Due::Upcoming);
    }

    #[test]
    fn a_broken_plan_is_named() {
        let err = FollowUpRules::from_toml(
            "version = \"1\"\n[[plan]]\nid = \"x\"\nname_zh = \"x\"\nname_en = \"x\"\ndiagnoses_any = [\"I15-I10\"]\nfirst_follow_up_days = 3\nrevisit_reminder_days_before = 7\nsource = \"s\"\n",
            "f.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`x`") && err.contains("diagnoses_any"),
            "{err}"
        );
    }
}
