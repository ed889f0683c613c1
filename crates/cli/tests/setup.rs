//! A clinic starts from the binary alone (issue 13 §0): `meddesk setup` against a running
//! platform creates the encrypted profile, the first administrator and the platform link;
//! `meddesk user add` adds a physician; the profile then opens, signs the physician in and
//! syncs with that platform. A refused or unreachable platform creates nothing; a second
//! setup is refused.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

use meddesk_workstation::api::dispatch;
use meddesk_workstation::sync::PlatformLink;
use meddesk_workstation::{Profile, ProfileKind, SystemClock, Workstation};
use serde_json::json;

const PASSPHRASE: &str = "clinic passphrase for the test";
const TOTP_HEX: &str = "3132333435363738393031323334353637383930";

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
        .env("MEDDESK_KEY_SOURCE", "passphrase")
        .env("MEDDESK_PASSPHRASE", PASSPHRASE)
        .env_remove("MEDDESK_DATA_DIR")
        .env_remove("MEDDESK_PLATFORM_URL")
        .env_remove("MEDDESK_NEW_PASSWORD");
    cmd
}

fn with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn platform(dir: &Path) -> (Child, String) {
    let accounts = dir.join("accounts.json");
    std::fs::write(
        &accounts,
        format!(
            r#"[{{"username":"admin","password":"admin-密码-12345","user_id":"admin","role":"administrator","org_id":"clinic-9","totp_secret_hex":"{TOTP_HEX}"}},
               {{"username":"dr.x","password":"dr.x-密码-12345","user_id":"dr.x","role":"physician","org_id":"clinic-9","specialties":["general_practice"]}}]"#
        ),
    )
    .unwrap();
    let mut child = meddesk(&dir.join("platform-node"))
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
    (child, url)
}

fn setup(dir: &Path, url: &str, password: &str) -> Output {
    let mut cmd = meddesk(dir);
    cmd.args([
        "setup",
        "--admin-id",
        "admin",
        "--admin-name",
        "王主任",
        "--org",
        "clinic-9",
        "--platform",
        url,
        "--totp-secret-hex",
        TOTP_HEX,
        "--password-stdin",
    ]);
    with_stdin(cmd, &format!("{password}\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinic_is_set_up_from_the_binary_and_syncs() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut node, url) = platform(tmp.path());
    let clinic = tmp.path().join("clinic");

    // A password the platform does not accept: refused, nothing created.
    let out = setup(&clinic, &url, "wrong-password-123");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("platform_refused"));
    assert!(!clinic.join("meddesk.db").exists() && !clinic.join("platform.json").exists());
    // An unreachable platform: refused, nothing created.
    let out = setup(&clinic, "http://127.0.0.1:9", "admin-密码-12345");
    assert!(String::from_utf8_lossy(&out.stderr).contains("platform_unreachable"));
    assert!(!clinic.join("platform.json").exists());

    // The right password: the refused attempts above used no code (a wrong password does
    // not use up the second factor), so this one signs in with the current one.
    let out = setup(&clinic, &url, "admin-密码-12345");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("administrator `admin` created"), "{stdout}");
    assert!(stdout.contains("connected to"), "{stdout}");
    assert!(clinic.join("platform.json").is_file());

    // Once only.
    let again = setup(&clinic, &url, "admin-密码-12345");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already_set_up"));

    let mut add = meddesk(&clinic);
    add.args([
        "user",
        "add",
        "--id",
        "dr.x",
        "--name",
        "许医生",
        "--role",
        "physician",
        "--specialty",
        "general",
        "--password-stdin",
    ]);
    let out = with_stdin(add, "dr.x-密码-12345\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The profile as the app opens it: the recorded platform, the physician signs in, syncs.
    let profile = Profile {
        kind: ProfileKind::Clinic,
        data_dir: clinic.clone(),
        assets_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"),
    };
    let ws = Workstation::open_profile(
        profile,
        Arc::new(SystemClock),
        Some(zeroize::Zeroizing::new(PASSPHRASE.to_owned())),
    )
    .unwrap();
    let mut link = PlatformLink::for_clinic(&clinic).expect("the recorded platform");
    assert_eq!(link.base_url, url);
    // Tokens in memory here (the test has no keychain).
    link = PlatformLink::embedded(&link.base_url);
    ws.connect_platform(link).unwrap();
    dispatch(
        &ws,
        "sign_in",
        json!({"user_id": "dr.x", "password": "dr.x-密码-12345"}),
    )
    .await
    .unwrap();
    let mut last = serde_json::Value::Null;
    let mut synced = false;
    for _ in 0..400 {
        last = dispatch(&ws, "sync_status", json!({})).await.unwrap();
        if last["state"]["state"] == "up_to_date" {
            synced = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(synced, "never synced: {last}");
    dispatch(&ws, "sign_out", json!({})).await.unwrap();
    let _ = node.kill();
    let _ = node.wait();
}
