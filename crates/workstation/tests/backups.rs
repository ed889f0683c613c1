//! Backups that happen (issue 13 §5, R-SEC-4): a clinic that never presses "back up now" still
//! gets the monthly full archive and the daily incrementals — at sign-in, hourly while signed
//! in and at sign-out — each verified after writing; the chain they form restores the
//! profile; the header learns when the folder cannot be reached and when the last good
//! backup is more than 48 hours old.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use meddesk_domain::Role;
use meddesk_store::backup::{self, BackupKind};
use meddesk_store::{KeySource as _, MemoryKeySource};
use meddesk_workstation::account::NewUser;
use meddesk_workstation::{ManualClock, Workstation};
use serde_json::{Value, json};

mod support;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T09:00:00+08:00")
        .expect("valid")
        .to_utc()
}

async fn session(ws: &Workstation) -> Value {
    support::ok(ws, "session_status", json!({})).await
}

/// Wait (the schedule runs in the background) until the header's backup health holds.
async fn health_until(ws: &Workstation, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..400 {
        let s = session(ws).await;
        if done(&s["backup"]) {
            return s["backup"].clone();
        }
        last = s;
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}; last session_status: {last}");
}

fn kinds(folder: &std::path::Path) -> Vec<BackupKind> {
    backup::list(folder)
        .expect("listed")
        .into_iter()
        .map(|b| b.header.kind)
        .collect()
}

async fn sign_in(ws: &Workstation) {
    support::ok(
        ws,
        "sign_in",
        json!({"user_id": "dr.b", "password": "dr.b-pw-12345"}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_happen_by_themselves_and_their_chain_restores() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (profile, keys) = support::clinic_profile(dir.path(), t0());
    let key = keys.load().expect("key");
    let folder = profile.data_dir.join("backups");
    let clock = Arc::new(ManualClock::new(t0()));
    let ws = Workstation::open(profile, clock.clone(), Box::new(keys)).expect("open");
    const SECRET: &[u8] = b"backup-test-totp-456";
    for (id, role) in [("dr.b", Role::Physician), ("admin", Role::Administrator)] {
        ws.bootstrap_user(
            &NewUser {
                id: id.into(),
                display_name: id.into(),
                org_id: "c".into(),
                roles: vec![role],
                specialties: vec!["general".into()],
                password: format!("{id}-pw-12345"),
                rights_reviewed_at: Some(t0() - Duration::days(1)),
            },
            (role == Role::Administrator).then_some(SECRET),
        )
        .expect("user");
    }

    // Day 1, sign-in: the month's full archive, without anyone asking.
    let code = format!(
        "{:06}",
        meddesk_sync::totp::code_at(SECRET, u64::try_from(t0().timestamp()).expect("unix"), 6)
    );
    support::ok(
        &ws,
        "sign_in",
        json!({"user_id": "admin", "password": "admin-pw-12345", "totp": code}),
    )
    .await;
    let h = health_until(&ws, "the first automatic backup", |b| {
        !b["last_good_at"].is_null()
    })
    .await;
    assert_eq!(h["overdue"], false);
    assert!(h["problem"].is_null());
    assert_eq!(kinds(&folder), vec![BackupKind::Full]);

    // Work, then sign-out: the change is backed up before the store closes.
    support::ok(
        &ws,
        "intake_submit",
        json!({"patient": {"id": "p-auto-1", "full_name": "自动备份测试", "age_years": 40, "sex": "female", "identity_verified": true},
               "channel": "text", "complaint": "咳嗽三天"}),
    )
    .await;
    support::ok(&ws, "sign_out", json!({})).await;
    assert_eq!(
        kinds(&folder),
        vec![BackupKind::Full, BackupKind::Incremental]
    );

    // Day 2: the daily incremental at sign-in.
    clock.advance(Duration::hours(25));
    sign_in(&ws).await;
    health_until(&ws, "the daily incremental", |b| {
        b["last_good_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-11-21"))
    })
    .await;
    assert_eq!(
        kinds(&folder),
        vec![
            BackupKind::Full,
            BackupKind::Incremental,
            BackupKind::Incremental
        ]
    );
    support::ok(&ws, "sign_out", json!({})).await;

    // The chain of automatic backups restores the profile, with the day-1 work in it.
    let newest = backup::list(&folder)
        .expect("listed")
        .into_iter()
        .max_by_key(|b| (b.header.created_at, b.header.sequence))
        .expect("a backup");
    let (profile2, keys2) = {
        let other = dir.path().join("restored");
        let keys2 = MemoryKeySource::with_key(key.clone());
        let files = meddesk_store::ProfileFiles::new(other.join("profile"));
        std::fs::create_dir_all(files.dir()).expect("dir");
        let report = backup::restore(&files, &newest.path, &key, t0()).expect("restores");
        assert!(report.audit_entries > 0);
        (
            meddesk_workstation::Profile {
                kind: meddesk_workstation::ProfileKind::Clinic,
                data_dir: other.join("profile"),
                assets_dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../../assets"),
            },
            keys2,
        )
    };
    let restored = Workstation::open(profile2, clock.clone(), Box::new(keys2)).expect("open");
    sign_in(&restored).await;
    let queue = support::ok(&restored, "queue_list", json!({"all_routes": true})).await;
    assert_eq!(
        queue["entries"].as_array().map_or(0, Vec::len),
        1,
        "the consultation filed on day 1 came back: {queue}"
    );
    support::ok(&restored, "sign_out", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_learns_of_an_unreachable_folder_and_an_overdue_backup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (profile, keys) = support::clinic_profile(dir.path(), t0());
    let clock = Arc::new(ManualClock::new(t0()));
    let ws = Workstation::open(profile, clock.clone(), Box::new(keys)).expect("open");
    const SECRET: &[u8] = b"backup-test-totp-123";
    ws.bootstrap_user(
        &NewUser {
            id: "admin".into(),
            display_name: "admin".into(),
            org_id: "c".into(),
            roles: vec![Role::Administrator],
            specialties: vec![],
            password: "admin-pw-12345".into(),
            rights_reviewed_at: None,
        },
        Some(SECRET),
    )
    .expect("admin");
    let code = |now: DateTime<Utc>| {
        format!(
            "{:06}",
            meddesk_sync::totp::code_at(SECRET, u64::try_from(now.timestamp()).expect("unix"), 6)
        )
    };
    support::ok(
        &ws,
        "sign_in",
        json!({"user_id": "admin", "password": "admin-pw-12345", "totp": code(clock_now(&clock))}),
    )
    .await;
    health_until(&ws, "the first backup", |b| !b["last_good_at"].is_null()).await;
    // The folder becomes a file: nothing can be written there.
    let blocked = dir.path().join("not-a-folder");
    std::fs::write(&blocked, b"x").expect("file");
    support::ok(
        &ws,
        "settings_set",
        json!({"backup_folder": blocked.join("backups").display().to_string()}),
    )
    .await;
    support::ok(&ws, "sign_out", json!({})).await;
    clock.advance(Duration::hours(49));
    support::ok(
        &ws,
        "sign_in",
        json!({"user_id": "admin", "password": "admin-pw-12345", "totp": code(clock_now(&clock))}),
    )
    .await;
    let h = health_until(&ws, "the unreachable folder to show", |b| {
        b["problem"]
            .as_str()
            .is_some_and(|p| p.starts_with("backup_folder_unreachable"))
    })
    .await;
    assert_eq!(
        h["overdue"], true,
        "the last good backup is 49 hours old: {h}"
    );
    assert!(
        !h["problem"].as_str().unwrap_or_default().contains("自动"),
        "no patient data"
    );
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    use meddesk_workstation::Clock as _;
    clock.now()
}
