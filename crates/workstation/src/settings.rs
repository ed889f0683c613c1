//! Profile settings an administrator changes from the UI (issue 7 "Settings"): the idle
//! lock timeout (R-SEC-6, 1–240 minutes, default 10) and the backup folder, with the last
//! backup and a "back up now". Language is the UI's own choice (kept in the window).

use chrono::{DateTime, Utc};
use meddesk_domain::Role;
use meddesk_store::backup::{self, BackupKind};
use meddesk_store::tables::settings;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::session::{DEFAULT_IDLE_MINUTES, IDLE_SETTING};
use crate::{ApiError, Command, Workstation};

const LOCK_RANGE: std::ops::RangeInclusive<u32> = 1..=240;

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SettingsGetRequest {}

#[derive(Debug, Clone, Serialize, TS)]
pub struct LastBackup {
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// `full` or `incremental`.
    pub kind: String,
    pub file: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ProfileSettings {
    pub lock_timeout_minutes: u32,
    pub backup_folder: String,
    pub retention_days: u32,
    pub last_backup: Option<LastBackup>,
    /// Only administrators change settings.
    pub can_edit: bool,
}

fn read(ws: &Workstation) -> Result<ProfileSettings, ApiError> {
    let (who, store) = ws.active()?;
    let lock = store
        .setting(IDLE_SETTING)?
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|m| LOCK_RANGE.contains(m))
        .unwrap_or(DEFAULT_IDLE_MINUTES as u32);
    let policy = store.backup_policy(ws.files())?;
    // A folder that is missing or unreadable simply has no last backup yet.
    let newest = backup::list(&policy.folder)
        .unwrap_or_default()
        .into_iter()
        .max_by_key(|b| b.header.created_at);
    Ok(ProfileSettings {
        lock_timeout_minutes: lock,
        backup_folder: policy.folder.display().to_string(),
        retention_days: policy.retention_days(),
        last_backup: newest.map(|b| LastBackup {
            at: DateTime::from_timestamp_millis(b.header.created_at).unwrap_or_default(),
            kind: kind_name(b.header.kind).into(),
            file: b
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }),
        can_edit: who.roles.contains(&Role::Administrator),
    })
}

fn kind_name(kind: BackupKind) -> &'static str {
    match kind {
        BackupKind::Full => "full",
        BackupKind::Incremental => "incremental",
    }
}

impl Command for SettingsGetRequest {
    const NAME: &'static str = "settings_get";
    type Output = ProfileSettings;
    async fn run(self, ws: &Workstation) -> Result<ProfileSettings, ApiError> {
        read(ws)
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SettingsSetRequest {
    /// 1–240 minutes; applies from the next sign-in or unlock.
    #[ts(optional)]
    pub lock_timeout_minutes: Option<u32>,
    /// An absolute folder path.
    #[ts(optional)]
    pub backup_folder: Option<String>,
}

impl Command for SettingsSetRequest {
    const NAME: &'static str = "settings_set";
    type Output = ProfileSettings;
    async fn run(self, ws: &Workstation) -> Result<ProfileSettings, ApiError> {
        let (admin, store) = ws.acting_as(Role::Administrator)?;
        if let Some(m) = self.lock_timeout_minutes
            && !LOCK_RANGE.contains(&m)
        {
            return Err(ApiError::invalid_value(
                "lock_timeout_minutes",
                "must be 1 to 240",
            ));
        }
        let folder = match self.backup_folder.as_deref().map(str::trim) {
            None => None,
            Some(f) if std::path::Path::new(f).is_absolute() => Some(f.to_owned()),
            Some(_) => {
                return Err(ApiError::invalid_value(
                    "backup_folder",
                    "must be an absolute path",
                ));
            }
        };
        store.write(&admin.actor(), ws.now(), |w| {
            if let Some(m) = self.lock_timeout_minutes {
                settings::set(w, IDLE_SETTING, &m.to_string())?;
            }
            if let Some(f) = &folder {
                settings::set(w, settings::BACKUP_FOLDER, f)?;
            }
            Ok(())
        })?;
        read(ws)
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct BackupNowRequest {}

#[derive(Debug, Clone, Serialize, TS)]
pub struct BackupDone {
    pub kind: String,
    pub file: String,
    #[ts(type = "number")]
    pub bytes: u64,
    /// Expired backups the retention policy removed.
    pub pruned: u32,
    pub settings: ProfileSettings,
}

impl Command for BackupNowRequest {
    const NAME: &'static str = "backup_now";
    type Output = BackupDone;
    /// An encrypted backup into the configured folder (full when none this month, else
    /// incremental), then the retention policy.
    async fn run(self, ws: &Workstation) -> Result<BackupDone, ApiError> {
        let (_admin, store) = ws.acting_as(Role::Administrator)?;
        let policy = store.backup_policy(ws.files())?;
        let key = ws.keys().load()?;
        let report = store.backup(&policy, false, &key, ws.now())?;
        drop(key);
        Ok(BackupDone {
            kind: kind_name(report.kind).into(),
            file: report
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes: report.bytes,
            pruned: u32::try_from(report.pruned.len()).unwrap_or(u32::MAX),
            settings: read(ws)?,
        })
    }
}
