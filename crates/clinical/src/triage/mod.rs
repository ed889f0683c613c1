//! Triage and screening of incoming consultation requests (R-TRI-1…7): priority and route
//! from data rules, plus screening flags (frequency cap, sensitive words, contradictions,
//! guardian). Pure: the request and the rules in, the outcome out.

pub mod rules;
pub mod text;

use meddesk_domain::{Channel, Priority, Sex, TriageRoute};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::check::request::Message as Bilingual;
use crate::icd10;
pub use rules::{RulesError, TriageRules, parse_route, route_name};

/// A consultation request as the platform hands it to triage. Unknown fields are an error.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct TriageRequest {
    pub id: String,
    pub channel: Channel,
    #[serde(default)]
    pub patient: TriagePatient,
    #[serde(default)]
    pub vitals: Vitals,
    #[serde(default)]
    pub complaint: String,
    #[serde(default)]
    pub kind: ConsultationKind,
    pub guardian_present: Option<bool>,
    #[serde(default)]
    pub prior_consults_today: u32,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct TriagePatient {
    pub age_years: Option<f64>,
    pub sex: Option<Sex>,
    /// ICD-10 codes of known conditions.
    #[serde(default)]
    pub conditions: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Vitals {
    pub temperature_c: Option<f64>,
    pub spo2: Option<f64>,
    pub heart_rate: Option<f64>,
}

/// What the patient asked for at intake. (The checker's `ConsultationKind` is the
/// prescription's kind: ordinary, emergency or chronic.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "IntakeKind")]
pub enum ConsultationKind {
    #[default]
    Ordinary,
    ChronicFollowup,
}

/// Why a rule fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Reason {
    pub rule: String,
    pub message: Bilingual,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FlagCode {
    /// More ordinary consultations today than allowed (R-TRI-4).
    FrequencyCap,
    /// The text matches the sensitive lexicon; intercepted for review (R-TRI-5).
    SensitiveWord,
    /// Contradictory statements (R-TRI-6).
    Contradiction,
    /// A child under 6 without a guardian present (R-TRI-7).
    GuardianRequired,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Flag {
    pub code: FlagCode,
    /// The lexicon or contradiction entry, or the screening limit, that raised it.
    pub rule: String,
    pub message: Bilingual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TriageOutcome {
    pub priority: Priority,
    pub route: TriageRoute,
    pub reasons: Vec<Reason>,
    pub flags: Vec<Flag>,
}

/// Triage one request (`rules` as loaded by [`TriageRules::from_toml`], whose keywords
/// are already normalised). The most urgent matching rule sets priority and route (the first in
/// file order among equals); every match is a reason. Nothing matching: normal, general.
pub fn triage(request: &TriageRequest, rules: &TriageRules) -> TriageOutcome {
    let complaint = text::normalise(&request.complaint);
    let temperature = request
        .vitals
        .temperature_c
        .or_else(|| text::temperature_c(&complaint));

    let mut best: Option<(Priority, TriageRoute)> = None;
    let mut reasons = Vec::new();
    for rule in &rules.rules {
        if !holds(&rule.when, request, &complaint, temperature) {
            continue;
        }
        // Validated at load; an unparseable route cannot reach here, but never panic.
        let Ok(route) = parse_route(&rule.route) else {
            continue;
        };
        if best.as_ref().is_none_or(|(p, _)| rule.priority < *p) {
            best = Some((rule.priority, route));
        }
        reasons.push(Reason {
            rule: rule.id.clone(),
            message: Bilingual {
                zh: rule.reason_zh.clone(),
                en: rule.reason_en.clone(),
            },
            source: rule.source.clone(),
        });
    }
    let (priority, route) = best.unwrap_or((Priority::Normal, TriageRoute::General));
    TriageOutcome {
        priority,
        route,
        reasons,
        flags: screen(request, rules, &complaint),
    }
}

fn holds(
    when: &rules::Conditions,
    r: &TriageRequest,
    complaint: &str,
    temperature: Option<f64>,
) -> bool {
    let at_least = |value: Option<f64>, limit: Option<f64>| match limit {
        None => true,
        Some(l) => value.is_some_and(|v| v >= l),
    };
    let below = |value: Option<f64>, limit: Option<f64>| match limit {
        None => true,
        Some(l) => value.is_some_and(|v| v < l),
    };
    let kind_ok = match when.kind.as_deref() {
        None => true,
        Some("ordinary") => r.kind == ConsultationKind::Ordinary,
        Some("chronic_followup") => r.kind == ConsultationKind::ChronicFollowup,
        Some(_) => false,
    };
    let says = || {
        when.complaint_any
            .iter()
            .any(|k| text::mentions(complaint, k))
    };
    let has = || {
        r.patient
            .conditions
            .iter()
            .any(|c| icd10::matches_any(c, &when.conditions_any))
    };
    let text_and_conditions = match (
        when.complaint_any.is_empty(),
        when.conditions_any.is_empty(),
    ) {
        (true, true) => true,
        (false, true) => says(),
        (true, false) => has(),
        (false, false) if when.complaint_or_conditions => says() || has(),
        (false, false) => says() && has(),
    };
    at_least(temperature, when.temperature_c_at_least)
        && below(r.vitals.spo2, when.spo2_below)
        && at_least(r.vitals.heart_rate, when.heart_rate_at_least)
        && below(r.patient.age_years, when.age_below_years)
        && at_least(r.patient.age_years, when.age_at_least_years)
        && kind_ok
        && text_and_conditions
}

fn screen(r: &TriageRequest, rules: &TriageRules, complaint: &str) -> Vec<Flag> {
    let mut flags = Vec::new();
    let limits = &rules.screening;

    // R-TRI-4: this request would be one more than the cap.
    if r.kind == ConsultationKind::Ordinary && r.prior_consults_today >= limits.ordinary_daily_cap {
        flags.push(Flag {
            code: FlagCode::FrequencyCap,
            rule: "ordinary_daily_cap".into(),
            message: Bilingual {
                zh: format!(
                    "该患者今日已有 {} 次普通问诊，超过每日 {} 次上限",
                    r.prior_consults_today, limits.ordinary_daily_cap
                ),
                en: format!(
                    "The patient already had {} ordinary consultations today; the daily cap is {}",
                    r.prior_consults_today, limits.ordinary_daily_cap
                ),
            },
        });
    }

    for lexicon in &rules.sensitive {
        let phrase = lexicon.phrases.iter().any(|p| text::mentions(complaint, p));
        let term_with_cue = || {
            lexicon.terms.iter().any(|t| complaint.contains(t.as_str()))
                && lexicon.cues.iter().any(|c| complaint.contains(c.as_str()))
        };
        if phrase || term_with_cue() {
            flags.push(Flag {
                code: FlagCode::SensitiveWord,
                rule: lexicon.id.clone(),
                message: Bilingual {
                    zh: lexicon.message_zh.clone(),
                    en: lexicon.message_en.clone(),
                },
            });
        }
    }

    for c in &rules.contradictions {
        let side = |phrases: &[String]| phrases.iter().any(|p| text::mentions(complaint, p));
        if side(&c.a_any) && side(&c.b_any) {
            flags.push(Flag {
                code: FlagCode::Contradiction,
                rule: c.id.clone(),
                message: Bilingual {
                    zh: c.message_zh.clone(),
                    en: c.message_en.clone(),
                },
            });
        }
    }

    // R-TRI-7: an unknown age is not assumed to be a child's; a missing answer about the
    // guardian is treated as "not present".
    if r.patient
        .age_years
        .is_some_and(|a| a < limits.guardian_required_below_years)
        && r.guardian_present != Some(true)
    {
        flags.push(Flag {
            code: FlagCode::GuardianRequired,
            rule: "guardian_required_below_years".into(),
            message: Bilingual {
                zh: format!(
                    "{} 岁以下儿童问诊须有监护人在场",
                    limits.guardian_required_below_years
                ),
                en: format!(
                    "Children under {} need a guardian present for the consultation",
                    limits.guardian_required_below_years
                ),
            },
        });
    }
    flags
}
