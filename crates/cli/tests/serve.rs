//! `meddesk serve` over real loopback HTTP: the same commands and JSON as Tauri IPC, the
//! per-run token, the loopback Host check, the CSP on the served UI.

use std::path::PathBuf;
use std::sync::Arc;

use meddesk_cli::serve::Server;
use meddesk_workstation::{Profile, ProfileKind, SystemClock, demo};
use serde_json::{Value, json};

async fn start() -> (Server, tempfile::TempDir, tempfile::TempDir) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let data = tempfile::tempdir().expect("data dir");
    let ui = tempfile::tempdir().expect("ui dir");
    std::fs::write(
        ui.path().join("index.html"),
        "<!doctype html><title>MedDesk</title>",
    )
    .expect("index");
    let profile = Profile {
        kind: ProfileKind::Demo,
        data_dir: data.path().to_path_buf(),
        assets_dir: root.join("assets"),
    };
    let ws = demo::open_demo(profile, Arc::new(SystemClock)).expect("open");
    let server = Server::bind(ws, ui.path().to_path_buf(), 0)
        .await
        .expect("bind");
    (server, data, ui)
}

#[tokio::test]
async fn api_needs_the_token_and_answers_with_the_workstation_json() {
    let (server, _data, _ui) = start().await;
    let base = format!("http://{}", server.addr);
    let token = server.token.clone();
    assert!(server.addr.ip().is_loopback());
    assert!(server.url().contains(&format!("#token={token}")));
    tokio::spawn(server.run());
    let client = reqwest::Client::new();

    let res = client
        .post(format!("{base}/api/app_info"))
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "unauthorized");

    let res = client
        .post(format!("{base}/api/app_info"))
        .bearer_auth("0".repeat(64))
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        res.status(),
        401,
        "a wrong token of the right length is refused"
    );

    let res = client
        .post(format!("{base}/api/app_info"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["profile"], "demo");

    // Signed out, the queue answers 401 with the code the UI branches on.
    let res = client
        .post(format!("{base}/api/queue_list"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "signed_out");

    let res = client
        .post(format!("{base}/api/sign_in"))
        .bearer_auth(&token)
        .json(&json!({"user_id": "dr.demo", "password": "demo-physician"}))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 200);
    let res = client
        .post(format!("{base}/api/queue_list"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert!(body["entries"].as_array().expect("queue").len() >= 5);

    let res = client
        .post(format!("{base}/api/app_info"))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "invalid_request");

    let res = client
        .post(format!("{base}/api/no_such_command"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], "unknown_command");
}

#[tokio::test]
async fn foreign_host_header_is_refused_and_pages_carry_the_csp() {
    let (server, _data, _ui) = start().await;
    let base = format!("http://{}", server.addr);
    let token = server.token.clone();
    tokio::spawn(server.run());
    let client = reqwest::Client::new();

    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
    let res = client
        .post(format!("{base}/api/app_info"))
        .header("host", "evil.example")
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 403);

    let res = client.get(format!("{base}/")).send().await.expect("send");
    assert_eq!(res.status(), 200);
    let csp = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(res.text().await.expect("body").contains("MedDesk"));

    // Client-side routes fall back to the UI's index.
    let res = client
        .get(format!("{base}/queue/123"))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 200);
}
