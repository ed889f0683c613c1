//! Triage rules as data (R-TRI-2): a versioned TOML file an administrator edits and tests
//! with `meddesk triage --rules FILE` before deploying it. Parsing and validation are pure
//! (the caller reads the file); errors name the rule and the field.

use meddesk_domain::Priority;
use serde::Deserialize;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RulesError {
    #[error("{origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("{origin}: rule `{rule}`: field `{field}`: {message}")]
    Invalid {
        origin: String,
        rule: String,
        field: &'static str,
        message: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageRules {
    /// Bumped on every change; reported with every triage answer.
    pub version: String,
    pub name: String,
    pub screening: Screening,
    #[serde(rename = "rule", default)]
    pub rules: Vec<Rule>,
    #[serde(rename = "sensitive", default)]
    pub sensitive: Vec<SensitiveLexicon>,
    #[serde(rename = "contradiction", default)]
    pub contradictions: Vec<Contradiction>,
}

/// Fixed screening limits, from regulation and the seed documents.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screening {
    /// Ordinary consultations per patient per day (R-TRI-4: 2).
    pub ordinary_daily_cap: u32,
    /// Children below this age need a guardian present (R-TRI-7: 6).
    pub guardian_required_below_years: f64,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub priority: Priority,
    /// `emergency`, `general` or `specialist:<specialty>`.
    pub route: String,
    pub reason_zh: String,
    pub reason_en: String,
    pub source: String,
    pub when: Conditions,
}

/// Every present condition must hold; a list holds when any of its entries does.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    pub temperature_c_at_least: Option<f64>,
    pub spo2_below: Option<f64>,
    pub heart_rate_at_least: Option<f64>,
    pub age_below_years: Option<f64>,
    pub age_at_least_years: Option<f64>,
    /// `ordinary` or `chronic_followup`.
    pub kind: Option<String>,
    /// Keywords in the complaint (zh or en), ignored when negated ("无发热").
    #[serde(default)]
    pub complaint_any: Vec<String>,
    /// ICD-10 codes or prefix ranges of the patient's conditions ("I10-I15", "E11").
    #[serde(default)]
    pub conditions_any: Vec<String>,
    /// With both `complaint_any` and `conditions_any`, either one is enough.
    #[serde(default)]
    pub complaint_or_conditions: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitiveLexicon {
    pub id: String,
    pub message_zh: String,
    pub message_en: String,
    /// Any of these alone flags the text.
    #[serde(default)]
    pub phrases: Vec<String>,
    /// A term together with a cue flags it (a drug name + "多开", "buy" …).
    #[serde(default)]
    pub terms: Vec<String>,
    #[serde(default)]
    pub cues: Vec<String>,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contradiction {
    pub id: String,
    pub a_any: Vec<String>,
    pub b_any: Vec<String>,
    pub message_zh: String,
    pub message_en: String,
    pub source: String,
}

impl TriageRules {
    /// Parse and validate a rules file; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, RulesError> {
        let rules: Self = toml::from_str(text).map_err(|e| RulesError::Syntax {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        rules.validate(origin)?;
        Ok(rules.with_normalised_keywords())
    }

    /// Keywords are matched against the normalised complaint: normalise them once here
    /// instead of on every request (triage runs for every request pulled from the platform).
    fn with_normalised_keywords(mut self) -> Self {
        let fold = |list: &mut Vec<String>| {
            for k in list.iter_mut() {
                *k = super::text::normalise(k);
            }
        };
        for rule in &mut self.rules {
            fold(&mut rule.when.complaint_any);
        }
        for lexicon in &mut self.sensitive {
            fold(&mut lexicon.phrases);
            fold(&mut lexicon.terms);
            fold(&mut lexicon.cues);
        }
        for c in &mut self.contradictions {
            fold(&mut c.a_any);
            fold(&mut c.b_any);
        }
        self
    }

    fn validate(&self, origin: &str) -> Result<(), RulesError> {
        let invalid = |rule: &str, field: &'static str, message: String| RulesError::Invalid {
            origin: origin.to_owned(),
            rule: rule.to_owned(),
            field,
            message,
        };
        let mut seen = std::collections::HashSet::new();
        for r in &self.rules {
            if r.id.trim().is_empty() {
                return Err(invalid("?", "id", "must not be empty".into()));
            }
            if !seen.insert(r.id.as_str()) {
                return Err(invalid(&r.id, "id", "is used by another rule".into()));
            }
            parse_route(&r.route).map_err(|m| invalid(&r.id, "route", m))?;
            if r.source.trim().is_empty() {
                return Err(invalid(
                    &r.id,
                    "source",
                    "every rule cites where it comes from".into(),
                ));
            }
            if let Some(kind) = &r.when.kind
                && kind != "ordinary"
                && kind != "chronic_followup"
            {
                return Err(invalid(
                    &r.id,
                    "when.kind",
                    format!("`{kind}` is not `ordinary` or `chronic_followup`"),
                ));
            }
            for range in &r.when.conditions_any {
                crate::icd10::Icd10Range::parse(range)
                    .map_err(|m| invalid(&r.id, "when.conditions_any", m))?;
            }
            if r.when.is_empty() {
                return Err(invalid(
                    &r.id,
                    "when",
                    "a rule needs at least one condition".into(),
                ));
            }
        }
        for s in &self.sensitive {
            if s.phrases.is_empty() && (s.terms.is_empty() || s.cues.is_empty()) {
                return Err(invalid(
                    &s.id,
                    "phrases",
                    "a lexicon needs phrases, or both terms and cues".into(),
                ));
            }
        }
        for c in &self.contradictions {
            if c.a_any.is_empty() || c.b_any.is_empty() {
                return Err(invalid(
                    &c.id,
                    "a_any",
                    "both sides need at least one phrase".into(),
                ));
            }
        }
        Ok(())
    }
}

impl Conditions {
    fn is_empty(&self) -> bool {
        self.temperature_c_at_least.is_none()
            && self.spo2_below.is_none()
            && self.heart_rate_at_least.is_none()
            && self.age_below_years.is_none()
            && self.age_at_least_years.is_none()
            && self.kind.is_none()
            && self.complaint_any.is_empty()
            && self.conditions_any.is_empty()
    }
}

/// `emergency` | `general` | `specialist:<specialty>`.
pub fn parse_route(route: &str) -> Result<meddesk_domain::TriageRoute, String> {
    use meddesk_domain::TriageRoute;
    match route {
        "emergency" => Ok(TriageRoute::Emergency),
        "general" => Ok(TriageRoute::General),
        other => match other.strip_prefix("specialist:") {
            Some(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
                Ok(TriageRoute::Specialist {
                    specialty: s.to_owned(),
                })
            }
            _ => Err(format!(
                "`{other}` is not `emergency`, `general` or `specialist:<specialty>` (lower-case)"
            )),
        },
    }
}

/// The wire form of a route: `specialist:cardiology`.
pub fn route_name(route: &meddesk_domain::TriageRoute) -> String {
    use meddesk_domain::TriageRoute;
    match route {
        TriageRoute::Emergency => "emergency".into(),
        TriageRoute::General => "general".into(),
        TriageRoute::Specialist { specialty } => format!("specialist:{specialty}"),
    }
}
