//! The prescription lifecycle (R-RX-1, R-RX-4, R-RX-6, R-RX-7) as a pure state machine:
//!
//! ```text
//!  draft ──sign──▶ signed ──approve──▶ approved ──(validity passes)──▶ expired
//!    ▲  ╲            │
//!  revise revoke   reject
//!    │      ╲        ▼
//!  rejected  ╲──▶ revoked
//! ```
//!
//! Only the treating physician signs, with valid prescribing rights, when no finding blocks
//! and every warning carries an override reason; nothing is signed automatically. Only a
//! pharmacist other than the prescriber approves or rejects; a rejection carries reasons.
//! An approved prescription is valid for at most 3 days from signing (R-RX-4).

use chrono::{DateTime, Duration, Months, Utc};
use meddesk_domain::{Role, UserId};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::check::request::{Finding, FindingCode, Severity};

/// Stored states. `expired` is not stored: it is an approved prescription past its validity
/// ([`Prescription::status_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RxStatus {
    Draft,
    /// Signed by the physician, waiting in the pharmacist review queue.
    Signed,
    Approved,
    Rejected,
    Revoked,
    Expired,
}

/// Longest validity of a prescription (R-RX-4: valid on the day of issue, at most 3 days).
pub const MAX_VALIDITY_DAYS: i64 = 3;

/// Prescribing rights lapse when their last review is a year old (R-ROLE-4).
pub fn prescribing_rights_valid(last_review: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    last_review
        .checked_add_months(Months::new(12))
        .is_some_and(|until| now < until)
}

/// Who is acting, as the lifecycle needs to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub role: Role,
    /// Last review of prescribing rights (处方权), for physicians.
    pub rights_reviewed_at: Option<DateTime<Utc>>,
    /// Suspended after a compliance violation (R-CMP-2).
    pub suspended: bool,
}

/// A warning the physician accepted, with the reason (R-RX-7). Matches a finding by code and
/// the lines it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub code: FindingCode,
    pub items: Vec<usize>,
    pub reason: String,
}

/// Structured rejection reasons a pharmacist picks from (R-RX-6), plus free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    InappropriateIndication,
    DoseOrFrequency,
    Interaction,
    Contraindication,
    DuplicateTherapy,
    QuantityOrCourse,
    IncompleteInformation,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prescription {
    pub status: RxStatus,
    pub treating_physician: UserId,
    pub signed_at: Option<DateTime<Utc>>,
    /// Chosen at signing, 1..=3 days (R-RX-4).
    pub validity_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// The physician edits a draft, or revises a rejected prescription back into a draft.
    Edit,
    Sign {
        findings: &'a [Finding],
        overrides: &'a [Override],
        validity_days: i64,
    },
    Approve,
    Reject {
        reasons: &'a [RejectionReason],
        note: &'a str,
    },
    Revoke,
}

impl Event<'_> {
    fn name(&self) -> &'static str {
        match self {
            Event::Edit => "edit",
            Event::Sign { .. } => "sign",
            Event::Approve => "approve",
            Event::Reject { .. } => "reject",
            Event::Revoke => "revoke",
        }
    }
}

/// Why a transition is refused. Stable codes: the UI branches on them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, TS)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum LifecycleError {
    #[error("`{event}` is not allowed on a {from:?} prescription")]
    InvalidTransition { from: RxStatus, event: String },
    #[error("only the treating physician may do this")]
    NotTreatingPhysician,
    #[error("this needs the {needed:?} role")]
    WrongRole { needed: Role },
    #[error("prescribing rights are missing or their last review is over a year old")]
    NoPrescribingRights,
    #[error("the account is suspended")]
    Suspended,
    #[error("{count} finding(s) block signing: {codes:?}")]
    BlockedByFindings {
        count: usize,
        /// The blocking findings' codes, in order (the UI names each).
        codes: Vec<FindingCode>,
    },
    #[error("warning `{finding:?}` on line(s) {items:?} needs an override reason")]
    OverrideReasonRequired {
        finding: FindingCode,
        items: Vec<usize>,
    },
    #[error("blocking finding `{finding:?}` cannot be overridden")]
    BlockCannotBeOverridden { finding: FindingCode },
    #[error("validity must be 1 to 3 days")]
    InvalidValidity,
    #[error("a pharmacist may not review a prescription they wrote")]
    SelfReview,
    #[error("a rejection needs at least one reason")]
    RejectionReasonRequired,
    #[error("the prescription's validity has passed")]
    Expired,
}

impl Prescription {
    /// The status as users see it at `now`: an approved prescription past its validity is
    /// expired.
    pub fn status_at(&self, now: DateTime<Utc>) -> RxStatus {
        match (self.status, self.valid_until()) {
            (RxStatus::Approved, Some(until)) if now >= until => RxStatus::Expired,
            (status, _) => status,
        }
    }

    pub fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.signed_at
            .map(|at| at + Duration::days(self.validity_days))
    }

    /// Apply `event` by `actor` at `now`; the new state, or why not. The prescription itself
    /// is unchanged on error.
    pub fn apply(
        &self,
        actor: &Actor,
        event: &Event<'_>,
        now: DateTime<Utc>,
    ) -> Result<Self, LifecycleError> {
        let status = self.status_at(now);
        let invalid = || LifecycleError::InvalidTransition {
            from: status,
            event: event.name().to_owned(),
        };
        let mut next = self.clone();
        match (status, event) {
            (RxStatus::Draft | RxStatus::Rejected, Event::Edit) => {
                self.physician_acts(actor, now, false)?;
                next.status = RxStatus::Draft;
                next.signed_at = None;
            }
            (
                RxStatus::Draft,
                Event::Sign {
                    findings,
                    overrides,
                    validity_days,
                },
            ) => {
                self.physician_acts(actor, now, true)?;
                if !(1..=MAX_VALIDITY_DAYS).contains(validity_days) {
                    return Err(LifecycleError::InvalidValidity);
                }
                signable(findings, overrides)?;
                next.status = RxStatus::Signed;
                next.signed_at = Some(now);
                next.validity_days = *validity_days;
            }
            (RxStatus::Signed, Event::Approve) => {
                self.pharmacist_acts(actor)?;
                if self.valid_until().is_some_and(|until| now >= until) {
                    return Err(LifecycleError::Expired);
                }
                next.status = RxStatus::Approved;
            }
            (RxStatus::Signed, Event::Reject { reasons, note }) => {
                self.pharmacist_acts(actor)?;
                if reasons.is_empty()
                    || (reasons.contains(&RejectionReason::Other) && note.trim().is_empty())
                {
                    return Err(LifecycleError::RejectionReasonRequired);
                }
                next.status = RxStatus::Rejected;
            }
            (RxStatus::Draft | RxStatus::Rejected | RxStatus::Signed, Event::Revoke) => {
                self.physician_acts(actor, now, false)?;
                next.status = RxStatus::Revoked;
            }
            _ => return Err(invalid()),
        }
        Ok(next)
    }

    fn physician_acts(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        signing: bool,
    ) -> Result<(), LifecycleError> {
        if actor.role != Role::Physician {
            return Err(LifecycleError::WrongRole {
                needed: Role::Physician,
            });
        }
        if actor.id != self.treating_physician {
            return Err(LifecycleError::NotTreatingPhysician);
        }
        if signing {
            if actor.suspended {
                return Err(LifecycleError::Suspended);
            }
            if !actor
                .rights_reviewed_at
                .is_some_and(|at| prescribing_rights_valid(at, now))
            {
                return Err(LifecycleError::NoPrescribingRights);
            }
        }
        Ok(())
    }

    fn pharmacist_acts(&self, actor: &Actor) -> Result<(), LifecycleError> {
        if actor.role != Role::Pharmacist {
            return Err(LifecycleError::WrongRole {
                needed: Role::Pharmacist,
            });
        }
        if actor.id == self.treating_physician {
            return Err(LifecycleError::SelfReview);
        }
        if actor.suspended {
            return Err(LifecycleError::Suspended);
        }
        Ok(())
    }
}

/// Blocks prevent signing; every warning needs an override with a reason (R-RX-7).
pub fn signable(findings: &[Finding], overrides: &[Override]) -> Result<(), LifecycleError> {
    let codes: Vec<FindingCode> = findings
        .iter()
        .filter(|f| f.severity == Severity::Block)
        .map(|f| f.code)
        .collect();
    if !codes.is_empty() {
        return Err(LifecycleError::BlockedByFindings {
            count: codes.len(),
            codes,
        });
    }
    for o in overrides {
        if let Some(f) = findings
            .iter()
            .find(|f| f.code == o.code && f.items == o.items && f.severity == Severity::Block)
        {
            return Err(LifecycleError::BlockCannotBeOverridden { finding: f.code });
        }
    }
    for f in findings.iter().filter(|f| f.severity == Severity::Warn) {
        let covered = overrides
            .iter()
            .any(|o| o.code == f.code && o.items == f.items && !o.reason.trim().is_empty());
        if !covered {
            return Err(LifecycleError::OverrideReasonRequired {
                finding: f.code,
                items: f.items.clone(),
            });
        }
    }
    Ok(())
}
