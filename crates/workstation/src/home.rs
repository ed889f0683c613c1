//! What the app is, before anyone signs in.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{ApiError, Command, ProfileKind, Workstation};

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct AppInfoRequest {}

#[derive(Debug, Clone, Serialize, TS)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    pub profile: ProfileKind,
    /// The knowledge pack's version and content hash (every check records them).
    pub pack_version: String,
    pub pack_hash: String,
    pub triage_rules_version: String,
}

impl Command for AppInfoRequest {
    const NAME: &'static str = "app_info";
    type Output = AppInfo;

    async fn run(self, ws: &Workstation) -> Result<AppInfo, ApiError> {
        let k = ws.knowledge();
        Ok(AppInfo {
            name: "MedDesk".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            profile: ws.profile().kind,
            pack_version: k.pack.meta.version.clone(),
            pack_hash: k.pack.content_hash.clone(),
            triage_rules_version: k.triage.version.clone(),
        })
    }
}
