//! Quality indicators (R-KPI-1…3), computed from plain records: consultation completion
//! rate (target ≥ 85%), prescription compliance rate (target ≥ 98%: approved at first review
//! without an override), response times against the 30-minute clock, satisfaction scores,
//! and complaints by triage route. Pure: records in, figures out.

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

/// Targets from seed 002 §7.1.2.
pub const COMPLETION_TARGET: f64 = 0.85;
pub const COMPLIANCE_TARGET: f64 = 0.98;

#[derive(Debug, Clone, PartialEq)]
pub struct ConsultationRecord {
    pub physician: String,
    /// `YYYY-MM` in the clinic's calendar.
    pub month: String,
    pub claimed: bool,
    pub completed: bool,
    /// Seconds from arrival to the physician's first response, if answered.
    pub response_seconds: Option<i64>,
    pub route: String,
    /// Satisfaction survey, 1–5 each (R-KPI-1).
    pub satisfaction: Option<Satisfaction>,
    pub complaints: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Satisfaction {
    pub speed: u8,
    pub professionalism: u8,
    pub attitude: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrescriptionRecord {
    pub physician: String,
    pub month: String,
    /// Reviews until approval (1 = approved at first review); 0 = never approved.
    pub reviews_until_approved: u32,
    pub overridden_warnings: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Indicators {
    pub physician: String,
    pub month: String,
    pub consultations: u32,
    /// Completed / claimed; `None` with nothing claimed.
    pub completion_rate: Option<f64>,
    pub completion_meets_target: Option<bool>,
    pub prescriptions: u32,
    pub compliance_rate: Option<f64>,
    pub compliance_meets_target: Option<bool>,
    /// Share answered within 30 minutes, and the median response in seconds.
    pub within_sla_rate: Option<f64>,
    pub median_response_seconds: Option<i64>,
    /// Response times counted into [`RESPONSE_BUCKETS_MINUTES`] (R-KPI-2): the last bucket
    /// is everything past the 30-minute SLA.
    pub response_distribution: Vec<u32>,
    pub satisfaction_speed: Option<f64>,
    pub satisfaction_professionalism: Option<f64>,
    pub satisfaction_attitude: Option<f64>,
    pub complaints: u32,
}

/// Upper bounds (minutes, inclusive) of the response-time distribution's buckets; one more
/// bucket holds everything above the last (past the 30-minute SLA).
pub const RESPONSE_BUCKETS_MINUTES: [i64; 4] = [5, 10, 20, 30];

/// Count response times (seconds) into [`RESPONSE_BUCKETS_MINUTES`] plus an overflow bucket.
pub fn response_distribution(responses: &[i64]) -> Vec<u32> {
    let mut buckets = vec![0u32; RESPONSE_BUCKETS_MINUTES.len() + 1];
    for &s in responses {
        let i = RESPONSE_BUCKETS_MINUTES
            .iter()
            .position(|m| s <= m * 60)
            .unwrap_or(RESPONSE_BUCKETS_MINUTES.len());
        buckets[i] += 1;
    }
    buckets
}

fn ratio(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

fn mean(xs: impl Iterator<Item = u8>) -> Option<f64> {
    let (sum, n) = xs.fold((0u32, 0u32), |(s, n), x| (s + u32::from(x), n + 1));
    (n > 0).then(|| f64::from(sum) / f64::from(n))
}

/// Indicators per physician and month, ordered by physician then month.
pub fn indicators(
    consultations: &[ConsultationRecord],
    prescriptions: &[PrescriptionRecord],
) -> Vec<Indicators> {
    let sla = crate::queue::RESPONSE_SLA.num_seconds();
    let mut keys: BTreeMap<(String, String), ()> = BTreeMap::new();
    for c in consultations {
        keys.insert((c.physician.clone(), c.month.clone()), ());
    }
    for p in prescriptions {
        keys.insert((p.physician.clone(), p.month.clone()), ());
    }
    keys.into_keys()
        .map(|(physician, month)| {
            let cs: Vec<&ConsultationRecord> = consultations
                .iter()
                .filter(|c| c.physician == physician && c.month == month)
                .collect();
            let ps: Vec<&PrescriptionRecord> = prescriptions
                .iter()
                .filter(|p| p.physician == physician && p.month == month)
                .collect();
            let claimed = cs.iter().filter(|c| c.claimed).count();
            let completed = cs.iter().filter(|c| c.claimed && c.completed).count();
            let compliant = ps
                .iter()
                .filter(|p| p.reviews_until_approved == 1 && p.overridden_warnings == 0)
                .count();
            let mut responses: Vec<i64> = cs.iter().filter_map(|c| c.response_seconds).collect();
            responses.sort_unstable();
            let within = responses.iter().filter(|s| **s <= sla).count();
            let completion_rate = ratio(completed, claimed);
            let compliance_rate = ratio(compliant, ps.len());
            let sat = |f: fn(&Satisfaction) -> u8| {
                mean(cs.iter().filter_map(|c| c.satisfaction.as_ref().map(f)))
            };
            Indicators {
                consultations: cs.len() as u32,
                completion_rate,
                completion_meets_target: completion_rate.map(|r| r >= COMPLETION_TARGET),
                prescriptions: ps.len() as u32,
                compliance_rate,
                compliance_meets_target: compliance_rate.map(|r| r >= COMPLIANCE_TARGET),
                within_sla_rate: ratio(within, responses.len()),
                median_response_seconds: responses.get(responses.len() / 2).copied(),
                response_distribution: response_distribution(&responses),
                satisfaction_speed: sat(|s| s.speed),
                satisfaction_professionalism: sat(|s| s.professionalism),
                satisfaction_attitude: sat(|s| s.attitude),
                complaints: cs.iter().map(|c| c.complaints).sum(),
                physician,
                month,
            }
        })
        .collect()
}

/// Complaints per triage route, to inform rule changes (R-KPI-3), most complained first.
pub fn complaints_by_route(consultations: &[ConsultationRecord]) -> Vec<(String, u32)> {
    let mut by: BTreeMap<&str, u32> = BTreeMap::new();
    for c in consultations {
        *by.entry(c.route.as_str()).or_default() += c.complaints;
    }
    let mut v: Vec<(String, u32)> = by.into_iter().map(|(r, n)| (r.to_owned(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_times_fall_into_their_buckets_edges_inclusive() {
        let cases: Vec<(Vec<i64>, Vec<u32>)> = vec![
            (vec![], vec![0, 0, 0, 0, 0]),
            (vec![0, 300], vec![2, 0, 0, 0, 0]),
            (vec![301, 600, 601], vec![0, 2, 1, 0, 0]),
            (vec![1200, 1201, 1800], vec![0, 0, 1, 2, 0]),
            (vec![1801, 86_400], vec![0, 0, 0, 0, 2]),
        ];
        for (responses, expected) in cases {
            assert_eq!(response_distribution(&responses), expected, "{responses:?}");
        }
    }

    fn c(
        physician: &str,
        completed: bool,
        response: i64,
        route: &str,
        complaints: u32,
    ) -> ConsultationRecord {
        ConsultationRecord {
            physician: physician.into(),
            month: "2026-11".into(),
            claimed: true,
            completed,
            response_seconds: Some(response),
            route: route.into(),
            satisfaction: Some(Satisfaction {
                speed: 5,
                professionalism: 4,
                attitude: 3,
            }),
            complaints,
        }
    }

    fn p(physician: &str, reviews: u32, overrides: u32) -> PrescriptionRecord {
        PrescriptionRecord {
            physician: physician.into(),
            month: "2026-11".into(),
            reviews_until_approved: reviews,
            overridden_warnings: overrides,
        }
    }

    #[test]
    fn rates_against_targets() {
        let mut cs: Vec<_> = (0..17)
            .map(|_| c("dr-li", true, 600, "general", 0))
            .collect();
        cs.extend((0..3).map(|_| c("dr-li", false, 2400, "general", 1)));
        let mut ps: Vec<_> = (0..49).map(|_| p("dr-li", 1, 0)).collect();
        ps.push(p("dr-li", 2, 0));
        let out = indicators(&cs, &ps);
        assert_eq!(out.len(), 1);
        let k = &out[0];
        assert_eq!(k.completion_rate, Some(0.85));
        assert_eq!(k.completion_meets_target, Some(true));
        assert_eq!(k.compliance_rate, Some(0.98));
        assert_eq!(k.compliance_meets_target, Some(true));
        assert_eq!(k.within_sla_rate, Some(0.85));
        assert_eq!(k.median_response_seconds, Some(600));
        assert_eq!(k.satisfaction_attitude, Some(3.0));
        assert_eq!(k.complaints, 3);
    }

    #[test]
    fn an_override_or_a_second_review_is_not_compliant_and_empty_months_have_no_rate() {
        let ps = vec![
            p("dr-wang", 1, 1),
            p("dr-wang", 2, 0),
            p("dr-wang", 0, 0),
            p("dr-wang", 1, 0),
        ];
        let out = indicators(&[], &ps);
        assert_eq!(out[0].compliance_rate, Some(0.25));
        assert_eq!(out[0].compliance_meets_target, Some(false));
        assert_eq!(out[0].completion_rate, None);
    }

    #[test]
    fn complaints_by_route_most_first() {
        let cs = vec![
            c("a", true, 1, "general", 1),
            c("a", true, 1, "specialist:paediatrics", 3),
            c("b", true, 1, "general", 1),
        ];
        assert_eq!(
            complaints_by_route(&cs),
            [
                ("specialist:paediatrics".to_owned(), 3),
                ("general".to_owned(), 2)
            ]
        );
    }
}
