//! The command registry as the fronts see it: names, JSON in and out, errors with codes,
//! the generated TypeScript bindings; and the demo profile a new user sees.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::DateTime;
use meddesk_workstation::{
    ErrorCode, FixedClock, Profile, ProfileKind, Workstation, api::commands, demo, dispatch,
};
use serde_json::json;

fn demo_workstation(dir: &tempfile::TempDir) -> Workstation {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let profile = Profile {
        kind: ProfileKind::Demo,
        data_dir: dir.path().join("demo"),
        assets_dir: root.join("assets"),
    };
    let now = DateTime::parse_from_rfc3339("2026-11-22T09:00:00+08:00")
        .expect("valid")
        .to_utc();
    demo::open_demo(profile, Arc::new(FixedClock(now))).expect("demo profile opens")
}

#[tokio::test]
async fn the_demo_profile_signs_in_and_shows_a_triaged_queue_most_urgent_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = demo_workstation(&dir);
    let status = dispatch(&ws, "session_status", json!({}))
        .await
        .expect("status");
    assert_eq!(status["state"], "signed_out");
    let accounts = status["demo_accounts"].as_array().expect("demo accounts");
    let physician = accounts
        .iter()
        .find(|a| a["role"] == "physician")
        .expect("a demo physician");
    dispatch(
        &ws,
        "sign_in",
        json!({"user_id": physician["user_id"], "password": physician["password"]}),
    )
    .await
    .expect("signs in");
    let out = dispatch(&ws, "queue_list", json!({})).await.expect("queue");
    let queue = out["entries"].as_array().expect("entries");
    assert!(queue.len() >= 5);
    let rank = |p: &str| {
        ["emergency", "urgent", "normal"]
            .iter()
            .position(|x| *x == p)
    };
    let keys: Vec<(usize, String)> = queue
        .iter()
        .map(|e| {
            (
                rank(e["priority"].as_str().expect("priority")).expect("known priority"),
                e["respond_by"].as_str().expect("respond_by").to_owned(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "queue is ordered by priority, then time left");
    // Triage ran on the demo data: the 38.9 °C fever and the chest tightness are emergencies.
    assert_eq!(
        queue
            .iter()
            .filter(|e| e["priority"] == "emergency")
            .count(),
        2
    );
    // The demo has one consultation waiting 35 minutes: breached.
    assert_eq!(out["breached"], 1);
    // De-identified: no full demo name reaches the wire.
    let text = out.to_string();
    assert!(!text.contains("演示患者甲"), "full name leaked");
    assert!(text.contains("演****"));

    // Opening it again keeps the same profile (no second seeding).
    drop(ws);
    let again = demo_workstation(&dir);
    assert_eq!(demo::seed(&again).expect("seed is idempotent"), 0);
}

#[tokio::test]
async fn unknown_command_and_unknown_field_get_coded_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = demo_workstation(&dir);
    let err = dispatch(&ws, "drop_tables", json!({})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::UnknownCommand);
    assert!(err.message.contains("drop_tables"));

    let err = dispatch(&ws, "app_info", json!({"verbose": true}))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert!(
        err.message.contains("verbose"),
        "names the field: {}",
        err.message
    );
}

#[tokio::test]
async fn every_command_but_the_session_ones_needs_a_signed_in_user() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = demo_workstation(&dir);
    let open = ["app_info", "session_status", "sign_out", "lock"];
    for spec in commands() {
        match dispatch(&ws, spec.name, json!({})).await {
            Ok(v) => {
                assert!(
                    open.contains(&spec.name),
                    "{} answered while signed out: {v}",
                    spec.name
                );
                assert!(v.is_object());
            }
            Err(e) => assert!(
                matches!(e.code, ErrorCode::InvalidRequest | ErrorCode::SignedOut),
                "{}: {e}",
                spec.name
            ),
        }
    }
}

#[test]
fn generated_typescript_bindings_are_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/backend/bindings.ts");
    let fresh = meddesk_workstation::bindings::typescript();
    if std::env::var_os("MEDDESK_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).expect("write bindings");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/backend/bindings.ts is stale: run `cargo xtask bindings` and commit the result"
    );
}
