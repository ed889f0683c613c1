//! The demo profile's synthetic patients, loaded from `assets/demo/`.

use std::path::Path;

use chrono::Duration;
use meddesk_domain::{Channel, Priority, Sex, TriageRoute};
use serde::Deserialize;

use crate::{ApiError, ErrorCode};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DemoFile {
    #[serde(rename = "_comment")]
    _comment: Option<String>,
    consultations: Vec<DemoConsultation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DemoConsultation {
    pub patient: DemoPatient,
    pub channel: Channel,
    pub complaint: String,
    pub priority: Priority,
    pub route: TriageRoute,
    pub arrived_minutes_ago: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DemoPatient {
    pub name: String,
    pub age_years: u8,
    pub sex: Sex,
}

#[derive(Debug, Clone)]
pub(crate) struct DemoData {
    pub consultations: Vec<DemoConsultation>,
}

impl DemoConsultation {
    pub fn waited(&self) -> Duration {
        Duration::minutes(self.arrived_minutes_ago)
    }
}

impl DemoData {
    pub fn load(assets_dir: &Path) -> Result<Self, ApiError> {
        let path = assets_dir.join("demo").join("consultations.json");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            ApiError::new(
                ErrorCode::CorruptAsset,
                format!("cannot read demo data {}: {e}", path.display()),
            )
        })?;
        Self::parse(&text).map_err(|e| {
            ApiError::new(
                ErrorCode::CorruptAsset,
                format!("demo data {} is malformed: {e}", path.display()),
            )
        })
    }

    fn parse(text: &str) -> Result<Self, serde_json::Error> {
        let file: DemoFile = serde_json::from_str(text)?;
        Ok(Self {
            consultations: file.consultations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_demo_data_parses_and_is_marked_as_demo() {
        let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        let demo = DemoData::load(&assets).expect("demo data loads");
        assert!(demo.consultations.len() >= 5);
        for c in &demo.consultations {
            assert!(
                c.patient.name.contains("演示") || c.patient.name.contains("Demo"),
                "every demo patient is visibly fake"
            );
        }
    }

    #[test]
    fn unknown_field_is_named() {
        let err = DemoData::parse(r#"{"consultations":[],"patients":[]}"#).unwrap_err();
        assert!(err.to_string().contains("patients"), "{err}");
    }
}
