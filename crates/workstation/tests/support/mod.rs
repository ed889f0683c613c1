//! Shared by the workstation's integration tests: a fresh encrypted clinic profile and the
//! one way to call a command and fail loudly.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use meddesk_store::MemoryKeySource;
use meddesk_workstation::api::dispatch;
use meddesk_workstation::{ApiError, Profile, ProfileKind, Workstation};
use serde_json::Value;

/// A new encrypted clinic profile in `dir` (key in memory), with the shipped assets.
pub fn clinic_profile(dir: &Path, now: DateTime<Utc>) -> (Profile, MemoryKeySource) {
    let profile = Profile {
        kind: ProfileKind::Clinic,
        data_dir: dir.join("profile"),
        assets_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets"),
    };
    let keys = MemoryKeySource::new();
    Workstation::init_profile(&profile, &keys, now).expect("profile created");
    (profile, keys)
}

/// Run a command as every front does (JSON in, JSON out).
pub async fn call(ws: &Workstation, command: &str, body: Value) -> Result<Value, ApiError> {
    dispatch(ws, command, body).await
}

/// Run a command that must succeed; a failure names the command and the error.
pub async fn ok(ws: &Workstation, command: &str, body: Value) -> Value {
    match call(ws, command, body).await {
        Ok(v) => v,
        Err(e) => panic!("{command} failed: {} {}", e.code_str(), e.message),
    }
}

/// One override per warning of a checked prescription (`check.findings`), all with
/// `reason` (R-RX-7): what a physician gives to sign a prescription with warnings.
pub fn overrides_for_warnings(check: &Value, reason: &str) -> Vec<Value> {
    check["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "warn")
        .map(|f| serde_json::json!({"code": f["code"], "items": f["items"], "reason": reason}))
        .collect()
}
