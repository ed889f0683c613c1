//! Profile settings from the UI (issue 7): the lock timeout and the backup folder are an
//! administrator's to change, validated, and take effect; "back up now" writes an
//! encrypted backup that the settings then report as the last one.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use meddesk_domain::Role;
use meddesk_workstation::account::NewUser;
use meddesk_workstation::api::dispatch;
use meddesk_workstation::{ManualClock, Workstation};
use serde_json::json;

mod support;

const SECRET: &[u8] = b"settings-test-totp-1";

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T09:00:00+08:00")
        .expect("valid")
        .to_utc()
}

#[tokio::test]
async fn an_administrator_sets_the_lock_timeout_and_backs_up_others_cannot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (profile, keys) = support::clinic_profile(dir.path(), t0());
    let clock = Arc::new(ManualClock::new(t0()));
    let ws = Workstation::open(profile, clock.clone(), Box::new(keys)).expect("open");
    for (id, role) in [("admin", Role::Administrator), ("dr.x", Role::Physician)] {
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
    let code = |now: DateTime<Utc>| {
        format!(
            "{:06}",
            meddesk_sync::totp::code_at(SECRET, u64::try_from(now.timestamp()).expect("unix"), 6)
        )
    };
    dispatch(
        &ws,
        "sign_in",
        json!({"user_id": "admin", "password": "admin-pw-12345", "totp": code(t0())}),
    )
    .await
    .expect("admin signs in");

    let s = dispatch(&ws, "settings_get", json!({}))
        .await
        .expect("read");
    assert_eq!(s["lock_timeout_minutes"], 10, "the default");
    assert_eq!(s["can_edit"], true);
    assert!(s["retention_days"].as_u64().expect("days") >= 3 * 365);

    for (body, field) in [
        (json!({"lock_timeout_minutes": 0}), "lock_timeout_minutes"),
        (json!({"lock_timeout_minutes": 241}), "lock_timeout_minutes"),
        (json!({"backup_folder": "relative/dir"}), "backup_folder"),
    ] {
        let err = dispatch(&ws, "settings_set", body)
            .await
            .expect_err("refused");
        assert_eq!(err.code_str(), "invalid_value");
        assert!(err.message.contains(field), "{}", err.message);
    }
    let folder = dir.path().join("elsewhere").join("backups");
    let s = dispatch(
        &ws,
        "settings_set",
        json!({"lock_timeout_minutes": 3, "backup_folder": folder.display().to_string()}),
    )
    .await
    .expect("saved");
    assert_eq!(s["lock_timeout_minutes"], 3);
    assert_eq!(s["backup_folder"], folder.display().to_string());

    let done = dispatch(&ws, "backup_now", json!({}))
        .await
        .expect("backed up");
    assert_eq!(
        done["kind"], "full",
        "the first backup of the month is full"
    );
    assert!(done["bytes"].as_u64().expect("bytes") > 0);
    let file = done["file"].as_str().expect("file");
    assert!(
        folder.join(file).is_file(),
        "written into the chosen folder"
    );
    assert_eq!(done["settings"]["last_backup"]["file"], file);

    // The new timeout applies from the next sign-in: 3 idle minutes lock the physician.
    dispatch(&ws, "sign_out", json!({})).await.expect("out");
    let session = dispatch(
        &ws,
        "sign_in",
        json!({"user_id": "dr.x", "password": "dr.x-pw-12345"}),
    )
    .await
    .expect("physician signs in");
    assert_eq!(session["idle_timeout_seconds"], 180);
    let s = dispatch(&ws, "settings_get", json!({}))
        .await
        .expect("read");
    assert_eq!(s["can_edit"], false);
    for (command, body) in [
        ("settings_set", json!({"lock_timeout_minutes": 60})),
        ("backup_now", json!({})),
    ] {
        let err = dispatch(&ws, command, body)
            .await
            .expect_err("administrators only");
        assert_eq!(err.code_str(), "forbidden", "{command}");
    }
    clock.advance(Duration::minutes(4));
    let err = dispatch(&ws, "settings_get", json!({}))
        .await
        .expect_err("locked after 3 idle minutes");
    assert_eq!(err.code_str(), "locked");
}
