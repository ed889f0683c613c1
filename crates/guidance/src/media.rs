//! Demonstration media (R-GUIDE-2): `assets/guidance/<id>/steps.toml` lists illustrated steps
//! (an SVG drawing, the step in Chinese and English, and the label section it follows). The
//! caller reads the files; this module only parses and checks them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::GuidanceError;

/// A parsed `steps.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Demonstration {
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    /// The product whose Instructions for Use the steps follow.
    pub product: String,
    /// Licence of the drawings (made for MedDesk) and of the step text.
    pub licence: String,
    pub source: MediaSource,
    #[serde(rename = "step")]
    pub steps: Vec<DemoStep>,
}

/// The label the steps follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct MediaSource {
    pub title: String,
    pub publisher: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub setid: Option<String>,
    pub licence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct DemoStep {
    /// File name of the drawing beside `steps.toml` (`step-1.svg`).
    pub image: String,
    pub zh: String,
    pub en: String,
    /// The Instructions-for-Use section this step follows.
    pub source: String,
}

/// A demonstration with its drawings (file name → SVG text), as the HTML renderer embeds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPage {
    pub demonstration: Demonstration,
    pub drawings: BTreeMap<String, String>,
}

/// Parse and check a `steps.toml` for the media folder `id`.
pub fn parse_demonstration(id: &str, steps_toml: &str) -> Result<Demonstration, GuidanceError> {
    let bad = |reason: String| GuidanceError::MediaInvalid {
        media: id.to_owned(),
        reason,
    };
    let demo: Demonstration = toml::from_str(steps_toml).map_err(|e| bad(e.to_string()))?;
    if demo.id != id {
        return Err(bad(format!("`id` is `{}`, the folder is `{id}`", demo.id)));
    }
    if demo.steps.is_empty() {
        return Err(bad("no `[[step]]`".to_owned()));
    }
    for (i, step) in demo.steps.iter().enumerate() {
        let n = i + 1;
        let simple = !step.image.is_empty()
            && step.image.ends_with(".svg")
            && step
                .image
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            && !step.image.contains("..");
        if !simple {
            return Err(bad(format!(
                "step {n}: `image` must be a plain .svg file name in the folder"
            )));
        }
        for (field, text) in [("zh", &step.zh), ("en", &step.en), ("source", &step.source)] {
            if text.trim().is_empty() {
                return Err(bad(format!("step {n}: `{field}` is empty")));
            }
        }
    }
    Ok(demo)
}

/// The images a demonstration needs, so the caller knows which files to read.
pub fn drawing_files(demo: &Demonstration) -> Vec<&str> {
    let mut v: Vec<&str> = demo.steps.iter().map(|s| s.image.as_str()).collect();
    v.dedup();
    v
}
