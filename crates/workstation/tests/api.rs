//! The command registry as the fronts see it: names, JSON in and out, errors with codes.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::DateTime;
use meddesk_workstation::{
    ErrorCode, FixedClock, Profile, ProfileKind, Workstation, api::commands, dispatch,
};
use serde_json::json;

fn demo_workstation() -> Workstation {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let data = tempfile::tempdir().expect("temp dir");
    let profile = Profile {
        kind: ProfileKind::Demo,
        data_dir: data.keep(),
        assets_dir: root.join("assets"),
    };
    let now = DateTime::parse_from_rfc3339("2026-11-22T09:00:00+08:00")
        .expect("valid")
        .to_utc();
    Workstation::open(profile, Arc::new(FixedClock(now))).expect("demo profile opens")
}

#[tokio::test]
async fn home_summary_orders_the_demo_queue_by_priority_then_clock() {
    let ws = demo_workstation();
    let out = dispatch(&ws, "home_summary", json!({}))
        .await
        .expect("runs");
    let queue = out["queue"].as_array().expect("queue array");
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
    // The demo has one consultation waiting 35 minutes: breached.
    assert_eq!(out["breached"], 1);
    // De-identified: no full demo name reaches the wire.
    let text = out.to_string();
    assert!(!text.contains("演示患者甲"), "full name leaked: {text}");
    assert!(text.contains("演**"));
}

#[tokio::test]
async fn unknown_command_and_unknown_field_get_coded_errors() {
    let ws = demo_workstation();
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
async fn every_registered_command_answers_an_empty_request_or_names_what_is_missing() {
    let ws = demo_workstation();
    for spec in commands() {
        match dispatch(&ws, spec.name, json!({})).await {
            Ok(v) => assert!(v.is_object(), "{} answers an object", spec.name),
            Err(e) => assert_eq!(e.code, ErrorCode::InvalidRequest, "{}: {e}", spec.name),
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
