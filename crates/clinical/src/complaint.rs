//! Complaints (R-CMP-1, R-CMP-2): a 24-hour response clock and the outcomes that follow a
//! review. Pure: what the outcome requires is returned as effects for the workstation to
//! carry out in one transaction.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The platform responds to a complaint within 24 hours (R-CMP-1, seed 002 §5.2.2).
pub const RESPONSE_WINDOW: Duration = Duration::hours(24);

pub fn respond_by(received_at: DateTime<Utc>) -> DateTime<Utc> {
    received_at + RESPONSE_WINDOW
}

/// Seconds left on the response clock; negative once breached.
pub fn seconds_left(received_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (respond_by(received_at) - now).num_seconds()
}

/// The three graded outcomes of a complaint review (R-CMP-2, seed 002 §5.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// The facts do not match the complaint: the physician's clarification is recorded.
    FactsDoNotMatch { clarification: String },
    /// The service was late: the platform compensates the patient (e.g. a coupon).
    ServiceTimeout { compensation: String },
    /// A compliance violation: the physician's privileges are suspended and the case is
    /// reported to the regulator.
    ComplianceViolation { finding: String },
}

/// What the workstation must do for an outcome, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    RecordClarification,
    IssueCompensation,
    /// At once: the next signing by this physician must fail.
    SuspendPhysicianPrivileges,
    ProduceRegulatorReport,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    #[error("field `{0}` must not be empty")]
    Empty(&'static str),
}

pub fn effects(outcome: &Outcome) -> Result<Vec<Effect>, OutcomeError> {
    let nonempty = |text: &str, field| {
        if text.trim().is_empty() {
            Err(OutcomeError::Empty(field))
        } else {
            Ok(())
        }
    };
    Ok(match outcome {
        Outcome::FactsDoNotMatch { clarification } => {
            nonempty(clarification, "clarification")?;
            vec![Effect::RecordClarification]
        }
        Outcome::ServiceTimeout { compensation } => {
            nonempty(compensation, "compensation")?;
            vec![Effect::IssueCompensation]
        }
        Outcome::ComplianceViolation { finding } => {
            nonempty(finding, "finding")?;
            vec![
                Effect::SuspendPhysicianPrivileges,
                Effect::ProduceRegulatorReport,
            ]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_runs_24_hours() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).expect("valid");
        assert_eq!(seconds_left(t, t), 24 * 3600);
        assert_eq!(seconds_left(t, t + Duration::hours(25)), -3600);
    }

    #[test]
    fn each_outcome_has_its_effects_and_needs_its_text() {
        let v = Outcome::ComplianceViolation {
            finding: "超范围开具处方".into(),
        };
        assert_eq!(
            effects(&v).expect("valid"),
            [
                Effect::SuspendPhysicianPrivileges,
                Effect::ProduceRegulatorReport
            ]
        );
        let c = Outcome::ServiceTimeout {
            compensation: "coupon-20".into(),
        };
        assert_eq!(effects(&c).expect("valid"), [Effect::IssueCompensation]);
        let f = Outcome::FactsDoNotMatch {
            clarification: " ".into(),
        };
        assert_eq!(effects(&f), Err(OutcomeError::Empty("clarification")));
    }
}
