//! The intake queue's order and its response clock (R-TRI-2, R-TRI-3).

use chrono::{DateTime, Duration, Utc};
use meddesk_domain::Priority;

/// A physician must respond within 30 minutes of arrival (R-TRI-3, seed 002 §3.2).
pub const RESPONSE_SLA: Duration = Duration::minutes(30);

/// When a consultation that arrived at `arrived_at` must have been answered.
pub fn respond_by(arrived_at: DateTime<Utc>) -> DateTime<Utc> {
    arrived_at + RESPONSE_SLA
}

/// Seconds left on the response clock at `now`; negative once breached.
pub fn seconds_left(arrived_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (respond_by(arrived_at) - now).num_seconds()
}

/// The sort key of an open consultation: most urgent priority first, then the least time
/// left (R-TRI-2: urgent first; R-TRI-3: the clock decides within a priority).
pub fn queue_key(priority: Priority, arrived_at: DateTime<Utc>) -> (Priority, DateTime<Utc>) {
    (priority, respond_by(arrived_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + min * 60, 0).expect("valid instant")
    }

    #[test]
    fn priority_beats_waiting_time_and_time_orders_within_a_priority() {
        let mut v = [
            ("normal, waited longest", Priority::Normal, at(0)),
            ("urgent, new", Priority::Urgent, at(20)),
            ("emergency, newest", Priority::Emergency, at(25)),
            ("urgent, older", Priority::Urgent, at(5)),
        ];
        v.sort_by_key(|(_, p, t)| queue_key(*p, *t));
        let order: Vec<_> = v.iter().map(|(n, _, _)| *n).collect();
        assert_eq!(
            order,
            [
                "emergency, newest",
                "urgent, older",
                "urgent, new",
                "normal, waited longest"
            ]
        );
    }

    #[test]
    fn clock_runs_thirty_minutes_and_goes_negative_when_breached() {
        assert_eq!(seconds_left(at(0), at(0)), 30 * 60);
        assert_eq!(seconds_left(at(0), at(30)), 0);
        assert_eq!(seconds_left(at(0), at(45)), -15 * 60);
    }
}
