//! Backups that happen (issue 13 §5, R-SEC-4): nobody has to press "back up now". While
//! someone is signed in the workstation makes the backup that is due — the monthly full
//! archive, else the daily incremental (`meddesk_store::backup::due`) — at sign-in, then
//! every hour it checks again, and at sign-out when anything changed since the newest backup.
//! Each backup is verified after writing (its chain rebuilds the database it recorded) and the
//! retention rule (≥ 3 years) prunes. The header warns when the last good backup is older than
//! 48 hours or the folder cannot be reached.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use meddesk_store::Store;
use meddesk_store::backup::{self, BackupKind};
use serde::Serialize;
use ts_rs::TS;

use crate::{ApiError, Workstation};
use meddesk_domain::UserId;

/// How often a running session looks for a due backup.
pub const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
const FOLDER_UNREACHABLE: &str = "backup_folder_unreachable";

/// A last good backup older than this is shown as overdue.
pub const OVERDUE_AFTER_HOURS: i64 = 48;

/// What the scheduler last found (in memory; rebuilt from the folder at each check).
#[derive(Debug, Default)]
pub(crate) struct Watch {
    state: Mutex<WatchState>,
}

#[derive(Debug, Default, Clone)]
struct WatchState {
    checked: bool,
    last_good_at: Option<DateTime<Utc>>,
    problem: Option<String>,
}

/// What the header shows about backups.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BackupHealth {
    /// The newest backup in the folder (or made by this session).
    #[ts(type = "string | null")]
    pub last_good_at: Option<DateTime<Utc>>,
    /// The last good backup is older than 48 hours (or there is none after a check).
    pub overdue: bool,
    /// The last automatic attempt failed: `code: message` (the folder cannot be reached …).
    pub problem: Option<String>,
}

/// What one check did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Made {
        kind: BackupKind,
        file: std::path::PathBuf,
    },
    NotDue,
}

impl Workstation {
    pub(crate) fn backup_watch(&self) -> &Watch {
        &self.inner.backups
    }

    /// The backup due now, made and verified; `at_sign_out` also backs up changes made since
    /// the newest backup even when the daily one is not due yet.
    pub(crate) fn back_up_if_due(
        &self,
        store: &Store,
        at_sign_out: bool,
    ) -> Result<Outcome, ApiError> {
        let now = self.now();
        let result = (|| -> Result<Outcome, ApiError> {
            let policy = store.backup_policy(self.files())?;
            std::fs::create_dir_all(&policy.folder).map_err(|e| {
                ApiError::new(
                    crate::ErrorCode::Internal,
                    format!(
                        "{FOLDER_UNREACHABLE}: the backup folder {} cannot be reached ({e})",
                        policy.folder.display()
                    ),
                )
            })?;
            let existing = backup::list(&policy.folder)?;
            let headers: Vec<backup::Header> = existing.iter().map(|b| b.header.clone()).collect();
            let newest = headers.iter().max_by_key(|h| h.created_at);
            let changed_since = match newest {
                Some(h) => store.audit_entries()? > h.audit_entries,
                None => true,
            };
            let due = backup::due(now, &headers)
                .or_else(|| (at_sign_out && changed_since).then_some(BackupKind::Incremental));
            if due.is_none() {
                self.record_good(
                    newest.and_then(|h| DateTime::from_timestamp_millis(h.created_at)),
                );
                return Ok(Outcome::NotDue);
            }
            let key = self.keys().load()?;
            let report = store.backup(&policy, false, &key, now)?;
            drop(key);
            self.record_good(Some(now));
            tracing::info!(kind = ?report.kind, "automatic backup made and verified");
            Ok(Outcome::Made {
                kind: report.kind,
                file: report.path,
            })
        })();
        if let Err(e) = &result {
            tracing::warn!(code = e.code_str(), "automatic backup failed");
            let mut s = self.backup_watch().lock();
            s.checked = true;
            s.problem = Some(if e.message.starts_with(FOLDER_UNREACHABLE) {
                e.message.clone()
            } else {
                format!("backup_failed: {}: {}", e.code_str(), e.message)
            });
        }
        result
    }

    fn record_good(&self, at: Option<DateTime<Utc>>) {
        let mut s = self.backup_watch().lock();
        s.checked = true;
        s.problem = None;
        if at > s.last_good_at {
            s.last_good_at = at;
        }
    }

    /// For the header (see the module doc).
    pub(crate) fn backup_health(&self) -> BackupHealth {
        let s = self.backup_watch().lock().clone();
        let now = self.now();
        let overdue = s.checked
            && s.last_good_at
                .is_none_or(|t| now - t > chrono::Duration::hours(OVERDUE_AFTER_HOURS));
        BackupHealth {
            last_good_at: s.last_good_at,
            overdue,
            problem: s.problem,
        }
    }

    /// Start the schedule for `user`'s session: a check now, then hourly while the session is
    /// theirs (no-op outside a tokio runtime: the CLI backs up by command). The store is taken
    /// from the session for each check and let go after it: a locked or signed-out session
    /// holds no key.
    pub(crate) fn watch_backups(&self, user: &UserId) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let ws = self.clone();
        let user = user.clone();
        rt.spawn(async move {
            loop {
                let Some(store) = ws.store_of(&user) else {
                    return;
                };
                let w = ws.clone();
                // Reading and writing backup files is blocking IO.
                let _ = tokio::task::spawn_blocking(move || w.back_up_if_due(&store, false)).await;
                tokio::time::sleep(CHECK_EVERY).await;
            }
        });
    }
}

impl Watch {
    fn lock(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
