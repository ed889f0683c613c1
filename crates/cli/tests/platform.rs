//! `meddesk platform serve | simulate` end to end: the default embedded SQLite store lands
//! in the profile's data folder, /health answers 200, the simulator files requests, and a
//! non-loopback address is refused (R-SEC-3).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

fn meddesk(data_dir: &Path) -> Command {
    assert!(
        data_dir.starts_with(std::env::temp_dir()),
        "never the user's data dir"
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_meddesk"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .arg("--assets")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"))
        .env("MEDDESK_FORBID_KEYCHAIN", "1")
        .env_remove("MEDDESK_DATA_DIR");
    cmd
}

#[test]
fn non_loopback_listen_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = meddesk(dir.path())
        .args(["platform", "serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("insecure_listen"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_embedded_sqlite_and_simulate() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = dir.path().join("accounts.json");
    std::fs::write(
        &accounts,
        r#"[{"username":"intake","password":"intake-pw-1","user_id":"u-intake","role":"intake","org_id":"org-1"}]"#,
    )
    .unwrap();
    let mut child = meddesk(dir.path())
        .args(["platform", "serve", "--listen", "127.0.0.1:0", "--accounts"])
        .arg(&accounts)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    let health = reqwest::get(format!("{url}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        dir.path().join("platform/platform.sqlite3").is_file(),
        "the default store is SQLite in the profile's data folder"
    );

    let out = meddesk(dir.path())
        .args([
            "platform", "simulate", "--server", &url, "--rate", "6000/min", "--count", "3",
            "--seed", "1",
        ])
        .env("MEDDESK_PLATFORM_PASSWORD", "intake-pw-1")
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("filed ")).count(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("3 consultation requests filed"));
}
