//! Consultations as they arrive from the platform and sit in the intake queue (R-TRI-1…3).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(transparent)]
pub struct ConsultationId(#[ts(type = "string")] pub Uuid);

/// How the patient reaches the physician (R-TRI-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Text,
    Voice,
    Video,
}

/// Triage priority, most urgent first: the derived `Ord` is the queue order (R-TRI-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Emergency,
    Urgent,
    Normal,
}

/// Where triage sends a consultation (R-TRI-2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TriageRoute {
    Emergency,
    Specialist { specialty: String },
    General,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationStatus {
    Waiting,
    Claimed,
    Completed,
    Cancelled,
}

/// The consultation type, the treating physician's call (常见病 / 急诊 / 慢性病 / 专科). It
/// drives the course limit (R-RX-4): ordinary and specialist ≤ 7 days, emergency ≤ 3,
/// chronic ≤ 12 weeks. Set and changed by the treating physician with a reason
/// (audited, synced); until then it follows the intake (`meddesk_clinical`'s default rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationKind {
    #[default]
    #[serde(alias = "普通", alias = "routine", alias = "regular")]
    Ordinary,
    #[serde(alias = "急诊", alias = "emergent", alias = "urgent")]
    Emergency,
    #[serde(
        alias = "long_term",
        alias = "long-term",
        alias = "长期处方",
        alias = "长期",
        alias = "慢病",
        alias = "慢性病"
    )]
    Chronic,
    /// 专科: a specialist consultation; the ordinary course limit applies.
    #[serde(alias = "专科", alias = "specialty")]
    Specialist,
}

impl ConsultationKind {
    /// The wire and storage name (`ordinary`, `emergency`, `chronic`, `specialist`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConsultationKind::Ordinary => "ordinary",
            ConsultationKind::Emergency => "emergency",
            ConsultationKind::Chronic => "chronic",
            ConsultationKind::Specialist => "specialist",
        }
    }

    /// The inverse of [`ConsultationKind::as_str`] (canonical names only).
    pub fn parse(s: &str) -> Option<ConsultationKind> {
        [
            ConsultationKind::Ordinary,
            ConsultationKind::Emergency,
            ConsultationKind::Chronic,
            ConsultationKind::Specialist,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_orders_most_urgent_first() {
        let mut v = vec![Priority::Normal, Priority::Emergency, Priority::Urgent];
        v.sort();
        assert_eq!(v, [Priority::Emergency, Priority::Urgent, Priority::Normal]);
    }

    #[test]
    fn route_wire_shape_is_tagged() {
        let r = TriageRoute::Specialist {
            specialty: "cardiology".into(),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"kind":"specialist","specialty":"cardiology"}"#
        );
    }
}
