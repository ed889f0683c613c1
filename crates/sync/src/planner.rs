//! The pure planner: (local outbox + local cursor + the server's answer) → actions. No IO,
//! no clock, no randomness of its own (the caller passes the jitter), so every decision
//! about what is acknowledged, rejected, applied or retried is a table test.
//!
//! Rules it keeps (R-SEC-1):
//! - an operation is marked acknowledged only when the answer names it as acked;
//! - a rejection keeps the local work (the replica keeps the op as a draft with the reason);
//! - changes at or below the local cursor are duplicates or reordered deliveries: skipped;
//! - a page whose cursor is not ahead of ours is stale: nothing is applied;
//! - failures never drop anything: they turn into a retry delay and a state to show.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::protocol::{Change, Cursor, OpResult, PullResponse, PushResponse, Rejection};

/// Backoff bounds: the first retry after about half a second, never more than 5 minutes
/// apart (a clinic that comes back online should not wait long), and a server's
/// `Retry-After` honoured up to an hour.
pub const BACKOFF_BASE_MS: u64 = 500;
pub const BACKOFF_CAP_MS: u64 = 5 * 60 * 1000;
pub const RETRY_AFTER_CAP_MS: u64 = 60 * 60 * 1000;

/// What the planner needs to know about the replica.
#[derive(Debug, Clone, Copy)]
pub struct LocalView<'a> {
    /// Operations committed locally and not yet acknowledged or rejected, oldest first.
    pub pending: &'a [Uuid],
    pub cursor: Cursor,
}

/// What came back from the platform (or what went wrong on the way).
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Pushed(PushResponse),
    Pulled(PullResponse),
    Failed(Failure),
}

/// Everything that can go wrong talking to the platform, as the client classifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 401 `token_expired`: refresh and try again at once.
    TokenExpired,
    /// 401 `token_invalid` or a refused refresh: the user must sign in again.
    TokenInvalid,
    /// 429.
    RateLimited { retry_after_ms: Option<u64> },
    /// 5xx (and any other unexpected status).
    Server {
        status: u16,
        retry_after_ms: Option<u64>,
    },
    /// A 2xx whose body is not the contract (a proxy's HTML page, a truncated body).
    Garbage,
    /// Connection refused, reset or timed out.
    Transport,
    /// The TLS handshake failed (wrong certificate, a captive portal, clock far off).
    Tls,
}

/// What the client does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    MarkAcked {
        op_id: Uuid,
        seq: u64,
        version: u64,
    },
    /// Keep the local work as a draft and show `rejection` (R-SEC-1, R-RX-6).
    MarkRejected {
        op_id: Uuid,
        rejection: Rejection,
    },
    /// Apply these changes and store `cursor`, in one local transaction.
    ApplyChanges {
        changes: Vec<Change>,
        cursor: Cursor,
    },
    /// The page was not the last: pull again from the new cursor.
    PullMore,
    RefreshToken,
    SignInRequired,
    RetryAfter {
        delay_ms: u64,
        state: SyncState,
    },
}

/// The client's state, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncState {
    Idle,
    Syncing,
    UpToDate {
        #[ts(type = "number")]
        cursor: Cursor,
    },
    Offline {
        #[ts(type = "number")]
        retry_in_ms: u64,
    },
    RateLimited {
        #[ts(type = "number")]
        retry_in_ms: u64,
    },
    ServerError {
        status: u16,
        #[ts(type = "number")]
        retry_in_ms: u64,
    },
    /// The platform (or something in between) answered something that is not the protocol.
    BadAnswer {
        #[ts(type = "number")]
        retry_in_ms: u64,
    },
    TlsFailure {
        #[ts(type = "number")]
        retry_in_ms: u64,
    },
    /// Tokens expired beyond refresh or were revoked: sign in again; nothing is lost.
    NeedsSignIn,
}

/// Progress for the UI (pushed/pending operations, pulled changes against the head).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProgressEvent {
    pub state: SyncState,
    pub pending_ops: u32,
    pub pushed_ops: u32,
    pub rejected_ops: u32,
    #[ts(type = "number")]
    pub pulled_changes: u64,
    #[ts(type = "number")]
    pub cursor: Cursor,
    #[ts(type = "number")]
    pub head: Cursor,
}

/// Exponential backoff with "equal jitter" (half fixed, half random), so many clinics that
/// reconnect together do not retry in lockstep; a server's `Retry-After` is a floor.
/// `jitter` is in [0, 1).
pub fn backoff_ms(attempt: u32, jitter: f64, retry_after_ms: Option<u64>) -> u64 {
    let exp = BACKOFF_BASE_MS
        .saturating_mul(1u64 << attempt.min(20))
        .min(BACKOFF_CAP_MS);
    let jitter = jitter.clamp(0.0, 1.0);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let jittered = exp / 2 + ((exp / 2) as f64 * jitter) as u64;
    match retry_after_ms {
        Some(r) => jittered.max(r.min(RETRY_AFTER_CAP_MS)),
        None => jittered,
    }
}

/// Decide what to do with one answer. `attempt` counts consecutive failures before this
/// one (0 for the first); `jitter` in [0, 1) comes from the caller's random source.
pub fn plan(local: &LocalView<'_>, answer: &Answer, attempt: u32, jitter: f64) -> Vec<Action> {
    match answer {
        Answer::Pushed(push) => plan_push(local, push),
        Answer::Pulled(pull) => plan_pull(local, pull),
        Answer::Failed(failure) => plan_failure(failure, attempt, jitter),
    }
}

fn plan_push(local: &LocalView<'_>, push: &PushResponse) -> Vec<Action> {
    let mut actions = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for outcome in &push.outcomes {
        // Outcomes for ops we no longer hold pending are duplicates of an answer we already
        // acted on (a retried or duplicated delivery): acting twice must not be possible.
        if !local.pending.contains(&outcome.op_id) || !seen.insert(outcome.op_id) {
            continue;
        }
        actions.push(match &outcome.result {
            OpResult::Acked { seq, version } => Action::MarkAcked {
                op_id: outcome.op_id,
                seq: *seq,
                version: *version,
            },
            OpResult::Rejected { rejection } => Action::MarkRejected {
                op_id: outcome.op_id,
                rejection: rejection.clone(),
            },
        });
    }
    actions
}

fn plan_pull(local: &LocalView<'_>, pull: &PullResponse) -> Vec<Action> {
    if pull.next_cursor <= local.cursor {
        // A stale or reordered page: everything in it is already applied.
        return Vec::new();
    }
    let changes: Vec<Change> = pull
        .changes
        .iter()
        .filter(|c| c.seq > local.cursor && c.seq <= pull.next_cursor)
        .cloned()
        .collect();
    let mut actions = vec![Action::ApplyChanges {
        changes,
        cursor: pull.next_cursor,
    }];
    if pull.has_more() {
        actions.push(Action::PullMore);
    }
    actions
}

fn plan_failure(failure: &Failure, attempt: u32, jitter: f64) -> Vec<Action> {
    let retry = |retry_after: Option<u64>, state: fn(u64) -> SyncState| {
        let delay_ms = backoff_ms(attempt, jitter, retry_after);
        vec![Action::RetryAfter {
            delay_ms,
            state: state(delay_ms),
        }]
    };
    match failure {
        Failure::TokenExpired => vec![Action::RefreshToken],
        Failure::TokenInvalid => vec![Action::SignInRequired],
        Failure::RateLimited { retry_after_ms } => retry(*retry_after_ms, |retry_in_ms| {
            SyncState::RateLimited { retry_in_ms }
        }),
        Failure::Server {
            status,
            retry_after_ms,
        } => {
            let delay_ms = backoff_ms(attempt, jitter, *retry_after_ms);
            vec![Action::RetryAfter {
                delay_ms,
                state: SyncState::ServerError {
                    status: *status,
                    retry_in_ms: delay_ms,
                },
            }]
        }
        Failure::Garbage => retry(None, |retry_in_ms| SyncState::BadAnswer { retry_in_ms }),
        Failure::Transport => retry(None, |retry_in_ms| SyncState::Offline { retry_in_ms }),
        Failure::Tls => retry(None, |retry_in_ms| SyncState::TlsFailure { retry_in_ms }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::Hlc;
    use crate::protocol::{OpOutcome, PhysicianRecord, RecordBody, RecordKey, RejectionCode};

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn acked(n: u128, seq: u64) -> OpOutcome {
        OpOutcome {
            op_id: id(n),
            result: OpResult::Acked { seq, version: 1 },
        }
    }

    fn rejected(n: u128) -> OpOutcome {
        OpOutcome {
            op_id: id(n),
            result: OpResult::Rejected {
                rejection: Rejection::new(RejectionCode::AlreadyClaimed, "claimed by another"),
            },
        }
    }

    fn push(outcomes: Vec<OpOutcome>) -> Answer {
        Answer::Pushed(PushResponse {
            outcomes,
            server_hlc: Hlc::default(),
        })
    }

    fn change(seq: u64) -> Change {
        Change {
            seq,
            key: RecordKey::physician(&format!("p{seq}")),
            version: 1,
            body: Some(RecordBody::Physician(PhysicianRecord {
                suspended: false,
                reason: String::new(),
                org_id: "org-1".into(),
            })),
        }
    }

    fn pull(seqs: &[u64], next_cursor: u64, head: u64) -> Answer {
        Answer::Pulled(PullResponse {
            changes: seqs.iter().map(|s| change(*s)).collect(),
            next_cursor,
            head,
        })
    }

    fn apply(seqs: &[u64], cursor: u64) -> Action {
        Action::ApplyChanges {
            changes: seqs.iter().map(|s| change(*s)).collect(),
            cursor,
        }
    }

    fn mark_acked(n: u128, seq: u64) -> Action {
        Action::MarkAcked {
            op_id: id(n),
            seq,
            version: 1,
        }
    }

    fn mark_rejected(n: u128) -> Action {
        Action::MarkRejected {
            op_id: id(n),
            rejection: Rejection::new(RejectionCode::AlreadyClaimed, "claimed by another"),
        }
    }

    /// The planner as a table: (local pending ops, local cursor, answer) → actions.
    #[test]
    fn planner_table() {
        type Case = (&'static str, Vec<u128>, u64, Answer, Vec<Action>);
        let cases: Vec<Case> = vec![
            (
                "all acked",
                vec![1, 2],
                0,
                push(vec![acked(1, 10), acked(2, 11)]),
                vec![mark_acked(1, 10), mark_acked(2, 11)],
            ),
            (
                "partial answer: the missing op stays pending (no action)",
                vec![1, 2],
                0,
                push(vec![acked(1, 10)]),
                vec![mark_acked(1, 10)],
            ),
            (
                "rejection keeps the draft",
                vec![1, 2],
                0,
                push(vec![acked(1, 10), rejected(2)]),
                vec![mark_acked(1, 10), mark_rejected(2)],
            ),
            (
                "duplicated delivery of an answer already acted on: nothing",
                vec![2],
                0,
                push(vec![acked(1, 10)]),
                vec![],
            ),
            (
                "an outcome repeated within one answer acts once",
                vec![1],
                0,
                push(vec![acked(1, 10), acked(1, 10)]),
                vec![mark_acked(1, 10)],
            ),
            (
                "empty push answer acknowledges nothing",
                vec![1],
                0,
                push(vec![]),
                vec![],
            ),
            (
                "pull: apply and advance",
                vec![],
                3,
                pull(&[4, 5], 5, 5),
                vec![apply(&[4, 5], 5)],
            ),
            (
                "pull with more pages",
                vec![],
                0,
                pull(&[1, 2], 2, 9),
                vec![apply(&[1, 2], 2), Action::PullMore],
            ),
            (
                "pull overlapping the cursor (duplicate delivery): only new changes",
                vec![],
                4,
                pull(&[3, 4, 5, 6], 6, 6),
                vec![apply(&[5, 6], 6)],
            ),
            (
                "reordered: an older page after a newer one is ignored",
                vec![],
                8,
                pull(&[3, 4], 4, 9),
                vec![],
            ),
            (
                "same cursor again (nothing new): nothing",
                vec![],
                5,
                pull(&[], 5, 5),
                vec![],
            ),
            (
                "invisible changes still advance the cursor",
                vec![],
                5,
                pull(&[], 9, 9),
                vec![apply(&[], 9)],
            ),
            (
                "expired token: refresh",
                vec![1],
                0,
                Answer::Failed(Failure::TokenExpired),
                vec![Action::RefreshToken],
            ),
            (
                "invalid token: sign in, nothing dropped",
                vec![1],
                0,
                Answer::Failed(Failure::TokenInvalid),
                vec![Action::SignInRequired],
            ),
            (
                "500: retry with backoff",
                vec![1],
                0,
                Answer::Failed(Failure::Server {
                    status: 500,
                    retry_after_ms: None,
                }),
                vec![Action::RetryAfter {
                    delay_ms: 250,
                    state: SyncState::ServerError {
                        status: 500,
                        retry_in_ms: 250,
                    },
                }],
            ),
            (
                "503 with Retry-After: honoured",
                vec![1],
                0,
                Answer::Failed(Failure::Server {
                    status: 503,
                    retry_after_ms: Some(30_000),
                }),
                vec![Action::RetryAfter {
                    delay_ms: 30_000,
                    state: SyncState::ServerError {
                        status: 503,
                        retry_in_ms: 30_000,
                    },
                }],
            ),
            (
                "429 with Retry-After",
                vec![],
                0,
                Answer::Failed(Failure::RateLimited {
                    retry_after_ms: Some(2_000),
                }),
                vec![Action::RetryAfter {
                    delay_ms: 2_000,
                    state: SyncState::RateLimited { retry_in_ms: 2_000 },
                }],
            ),
            (
                "garbage body",
                vec![1],
                0,
                Answer::Failed(Failure::Garbage),
                vec![Action::RetryAfter {
                    delay_ms: 250,
                    state: SyncState::BadAnswer { retry_in_ms: 250 },
                }],
            ),
            (
                "connection failure",
                vec![1],
                0,
                Answer::Failed(Failure::Transport),
                vec![Action::RetryAfter {
                    delay_ms: 250,
                    state: SyncState::Offline { retry_in_ms: 250 },
                }],
            ),
            (
                "TLS failure",
                vec![1],
                0,
                Answer::Failed(Failure::Tls),
                vec![Action::RetryAfter {
                    delay_ms: 250,
                    state: SyncState::TlsFailure { retry_in_ms: 250 },
                }],
            ),
        ];
        for (name, pending, cursor, answer, expected) in cases {
            let pending: Vec<Uuid> = pending.into_iter().map(id).collect();
            let local = LocalView {
                pending: &pending,
                cursor,
            };
            assert_eq!(plan(&local, &answer, 0, 0.0), expected, "case: {name}");
        }
    }

    #[test]
    fn backoff_grows_exponentially_is_capped_and_jittered() {
        assert_eq!(backoff_ms(0, 0.0, None), 250);
        assert_eq!(backoff_ms(0, 0.999_999, None), 499);
        assert_eq!(backoff_ms(3, 0.0, None), 2_000);
        assert_eq!(backoff_ms(40, 0.0, None), BACKOFF_CAP_MS / 2);
        assert!(backoff_ms(40, 0.99, None) <= BACKOFF_CAP_MS);
        // Retry-After is a floor, and an absurd one is capped.
        assert_eq!(backoff_ms(0, 0.0, Some(10_000)), 10_000);
        assert_eq!(backoff_ms(10, 0.0, Some(1)), backoff_ms(10, 0.0, None));
        assert_eq!(backoff_ms(0, 0.0, Some(u64::MAX)), RETRY_AFTER_CAP_MS);
    }
}
