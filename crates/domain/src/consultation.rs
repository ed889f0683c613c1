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
