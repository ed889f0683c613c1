//! Hybrid logical clock (Kulkarni et al., 2014): a stamp that follows physical time when
//! clocks agree and still orders causally related events when they do not. Workstations in
//! clinics drift by minutes; the stamp orders concurrent edits of one free-text field
//! (the later edit wins, the other goes to history) without trusting any single clock.
//!
//! Pure: the caller passes the physical time; nothing here reads the clock.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How far a remote stamp may run ahead of our physical clock before we refuse it. Must be
/// well above the ±10 minutes the fault test injects, and small enough that one broken
/// clock cannot push every later stamp days into the future.
pub const MAX_DRIFT_MS: i64 = 60 * 60 * 1000;

/// A stamp: physical milliseconds since the Unix epoch plus a logical counter for events
/// within the same millisecond. Ordered by (`wall_ms`, `logical`); ties between devices are
/// broken by the operation id where a total order is needed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, TS,
)]
pub struct Hlc {
    #[ts(type = "number")]
    pub wall_ms: i64,
    pub logical: u32,
}

/// A remote stamp too far ahead of this clock (see [`MAX_DRIFT_MS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("clock_skew: a stamp is {ahead_ms} ms ahead of this clock")]
pub struct DriftError {
    pub ahead_ms: i64,
}

/// The clock of one node (a workstation or the platform).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HlcClock {
    last: Hlc,
}

impl HlcClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Resume from the last stamp this node issued (persisted), so a restart with a clock
    /// that went backwards never issues a smaller stamp.
    pub fn resume(last: Hlc) -> Self {
        Self { last }
    }

    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A stamp for a local event (an operation the user just made).
    pub fn tick(&mut self, physical_ms: i64) -> Hlc {
        self.last = if physical_ms > self.last.wall_ms {
            Hlc {
                wall_ms: physical_ms,
                logical: 0,
            }
        } else {
            Hlc {
                wall_ms: self.last.wall_ms,
                logical: self.last.logical.saturating_add(1),
            }
        };
        self.last
    }

    /// Merge a stamp received from another node; the result is greater than both the remote
    /// stamp and everything this node issued before.
    pub fn observe(&mut self, remote: Hlc, physical_ms: i64) -> Result<Hlc, DriftError> {
        let ahead_ms = remote.wall_ms - physical_ms;
        if ahead_ms > MAX_DRIFT_MS {
            return Err(DriftError { ahead_ms });
        }
        let wall = physical_ms.max(self.last.wall_ms).max(remote.wall_ms);
        let logical = if wall == self.last.wall_ms && wall == remote.wall_ms {
            self.last.logical.max(remote.logical).saturating_add(1)
        } else if wall == self.last.wall_ms {
            self.last.logical.saturating_add(1)
        } else if wall == remote.wall_ms {
            remote.logical.saturating_add(1)
        } else {
            0
        };
        self.last = Hlc {
            wall_ms: wall,
            logical,
        };
        Ok(self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_790_000_000_000;
    const TEN_MIN: i64 = 10 * 60 * 1000;

    #[test]
    fn ticks_are_strictly_increasing_even_when_the_clock_goes_back() {
        let mut c = HlcClock::new();
        let a = c.tick(T0);
        let b = c.tick(T0 - 5_000);
        let d = c.tick(T0);
        assert!(a < b && b < d, "{a:?} {b:?} {d:?}");
        assert_eq!(b.wall_ms, T0);
    }

    #[test]
    fn observe_orders_after_a_remote_that_runs_ten_minutes_ahead() {
        let mut fast = HlcClock::new();
        let mut slow = HlcClock::new();
        let sent = fast.tick(T0 + TEN_MIN);
        let received = slow
            .observe(sent, T0)
            .expect("10 min is within the drift bound");
        assert!(received > sent);
        // The next local event on the slow node still comes after what it has seen.
        let next = slow.tick(T0 + 1);
        assert!(next > sent, "{next:?} must follow {sent:?}");
    }

    #[test]
    fn a_node_ten_minutes_behind_still_orders_after_what_it_saw() {
        let mut behind = HlcClock::new();
        let mut server = HlcClock::new();
        let s = server.tick(T0);
        let seen = behind.observe(s, T0 - TEN_MIN).expect("behind is fine");
        assert!(seen > s);
        let own = behind.tick(T0 - TEN_MIN + 10);
        assert!(own > s);
    }

    #[test]
    fn skew_plus_and_minus_ten_minutes_keeps_causality_in_a_message_chain() {
        // a (+10 min) → b (−10 min) → c (0): every hop is ordered after the previous one.
        let mut a = HlcClock::new();
        let mut b = HlcClock::new();
        let mut c = HlcClock::new();
        let m1 = a.tick(T0 + TEN_MIN);
        let m2 = b.observe(m1, T0 - TEN_MIN).expect("within bound");
        let m3 = c.observe(m2, T0).expect("within bound");
        assert!(m1 < m2 && m2 < m3);
        // The counter, not the wall clock, carries the order while b lags.
        assert_eq!(m2.wall_ms, m1.wall_ms);
        assert_eq!(m2.logical, m1.logical + 1);
    }

    #[test]
    fn a_stamp_more_than_an_hour_ahead_is_refused_and_does_not_move_the_clock() {
        let mut c = HlcClock::new();
        let before = c.tick(T0);
        let far = Hlc {
            wall_ms: T0 + MAX_DRIFT_MS + 1,
            logical: 0,
        };
        assert_eq!(
            c.observe(far, T0),
            Err(DriftError {
                ahead_ms: MAX_DRIFT_MS + 1
            })
        );
        assert_eq!(c.last(), before);
    }

    #[test]
    fn resume_never_goes_backwards() {
        let mut c = HlcClock::resume(Hlc {
            wall_ms: T0 + TEN_MIN,
            logical: 7,
        });
        let s = c.tick(T0);
        assert_eq!(
            s,
            Hlc {
                wall_ms: T0 + TEN_MIN,
                logical: 8
            }
        );
    }
}
