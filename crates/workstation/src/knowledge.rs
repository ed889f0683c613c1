//! What the workstation knows before anyone signs in: the drug knowledge pack, the triage
//! and follow-up rules, the ICD-10 codes. Loaded once from the assets folder; a file that
//! is missing or malformed stops the start with a `corrupt_asset` error that names it.

use std::path::Path;

use meddesk_clinical::follow_up::FollowUpRules;
use meddesk_clinical::triage::TriageRules;
use meddesk_formulary::Pack;
use serde::Serialize;
use ts_rs::TS;

use crate::{ApiError, ErrorCode};

#[derive(Debug)]
pub struct Knowledge {
    /// Shared with the embedded platform node (one validity rule, R-RX-8).
    pub pack: std::sync::Arc<Pack>,
    pub triage: std::sync::Arc<TriageRules>,
    pub follow_up: FollowUpRules,
    pub icd10: Vec<Icd10Code>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Icd10Code {
    pub code: String,
    pub en: String,
    pub zh: Option<String>,
}

fn corrupt(path: &Path, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::CorruptAsset, format!("{}: {e}", path.display()))
}

fn read(path: &Path) -> Result<String, ApiError> {
    std::fs::read_to_string(path).map_err(|e| corrupt(path, e))
}

impl Knowledge {
    pub fn load(assets: &Path) -> Result<Self, ApiError> {
        let pack_dir = assets.join("formulary");
        let pack = meddesk_formulary::load_dir(&pack_dir).map_err(|e| corrupt(&pack_dir, e))?;
        let triage_path = assets.join("triage/rules.toml");
        let triage =
            TriageRules::from_toml(&read(&triage_path)?, &triage_path.display().to_string())
                .map_err(|e| corrupt(&triage_path, e))?;
        let fu_path = assets.join("follow_up/rules.toml");
        let follow_up = FollowUpRules::from_toml(&read(&fu_path)?, &fu_path.display().to_string())
            .map_err(|e| corrupt(&fu_path, e))?;
        let icd10 = load_icd10(
            &read(&assets.join("icd10/icd10cm-categories.tsv"))?,
            &read(&assets.join("icd10/zh-names.tsv"))?,
        );
        Ok(Self {
            pack: std::sync::Arc::new(pack),
            triage: std::sync::Arc::new(triage),
            follow_up,
            icd10,
        })
    }

    /// Diagnoses by code prefix, English words or Chinese text; codes with a Chinese name
    /// (the common outpatient ones) first.
    pub fn search_icd10(&self, query: &str, limit: usize) -> Vec<Icd10Code> {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Vec::new();
        }
        let code_q = q.replace('.', "").to_uppercase();
        let words: Vec<&str> = q.split_whitespace().collect();
        let mut hits: Vec<(u8, &Icd10Code)> = self
            .icd10
            .iter()
            .filter_map(|c| {
                let code = c.code.replace('.', "");
                let rank = if code == code_q {
                    0
                } else if code.starts_with(&code_q) {
                    1
                } else if c.zh.as_deref().is_some_and(|zh| zh.contains(query.trim())) {
                    2
                } else if words.iter().all(|w| c.en.to_lowercase().contains(w)) {
                    3
                } else {
                    return None;
                };
                Some((rank * 2 + u8::from(c.zh.is_none()), c))
            })
            .collect();
        hits.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.code.cmp(&b.1.code)));
        hits.into_iter()
            .take(limit)
            .map(|(_, c)| c.clone())
            .collect()
    }
}

fn load_icd10(categories: &str, zh_names: &str) -> Vec<Icd10Code> {
    let zh: std::collections::HashMap<&str, &str> = zh_names
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .collect();
    categories
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(code, en)| Icd10Code {
            code: code.to_owned(),
            en: en.to_owned(),
            zh: zh.get(code).map(|s| (*s).to_owned()),
        })
        .collect()
}
