//! The OS keychain for real (R-SEC-6): the database key and the platform tokens go through
//! `keyring` into a Secret Service — gnome-keyring on a private D-Bus session made for this
//! test, with its keyring files in a temporary folder, never the user's keychain.
//!
//! The test re-runs itself inside `dbus-run-session` (the keychain is reached through the
//! session bus named in the environment, which a running test process cannot change); the
//! inner run is marked by `MEDDESK_KEYCHAIN_CHILD`. `cargo xtask test` installs
//! `dbus-daemon` and `gnome-keyring`; without them this test fails and says so.

use std::process::Command;
use std::sync::Arc;

use chrono::Utc;
use meddesk_domain::Role;
use meddesk_store::{FORBID_KEYCHAIN_ENV, KeySource, KeychainKeySource};
use meddesk_sync::{TokenSecret, TokenStore, Tokens};
use meddesk_workstation::account::NewUser;
use meddesk_workstation::sync::KeychainTokenStore;
use meddesk_workstation::{Profile, ProfileKind, SystemClock, Workstation};
use serde_json::json;

mod support;

const CHILD: &str = "MEDDESK_KEYCHAIN_CHILD";
const TEST_NAME: &str = "the_database_key_and_platform_tokens_live_in_a_real_secret_service";
const SERVICE: &str = "org.meddesk.keychain-test";
const DONE: &str = "keychain: database key and platform tokens round-tripped";

#[test]
fn the_database_key_and_platform_tokens_live_in_a_real_secret_service() {
    if std::env::var_os(CHILD).is_some() {
        inside_the_private_session();
        return;
    }
    for tool in ["dbus-run-session", "gnome-keyring-daemon"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "{tool} is missing: install the Debian packages dbus-daemon and gnome-keyring \
             (`cargo xtask test` does)"
        );
    }
    let home = tempfile::tempdir().expect("temp dir");
    let runtime = home.path().join("run");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700))
            .expect("runtime dir mode");
    }
    let exe = std::env::current_exe().expect("test binary");
    // Unlocking creates the login keyring (password on stdin) and starts the Secret
    // Service on the private bus; then this test binary runs the inner half.
    let script = "echo -n meddesk-keychain-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$0\" \"$@\"";
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .arg(&exe)
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove(FORBID_KEYCHAIN_ENV)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .output()
        .expect("dbus-run-session runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(DONE),
        "the inner run failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // The keyring really is on disk in the private folder, not anywhere else.
    let keyrings = home.path().join("data/keyrings");
    assert!(
        std::fs::read_dir(&keyrings).is_ok_and(|mut d| d.next().is_some()),
        "no keyring file under {}",
        keyrings.display()
    );
}

fn inside_the_private_session() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // The database key: a clinic profile whose key is only in the keychain opens, signs
        // in (which opens the encrypted store with that key) and reads its data.
        let dir = tempfile::tempdir().expect("temp dir");
        let profile = Profile {
            kind: ProfileKind::Clinic,
            data_dir: dir.path().join("profile"),
            assets_dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets"),
        };
        let keys = KeychainKeySource::new(SERVICE, "database-key:test-clinic");
        Workstation::init_profile(&profile, &keys, Utc::now()).expect("key into the keychain");
        let stored = keys.load().expect("the key comes back");
        let ws = Workstation::open(profile, Arc::new(SystemClock), Box::new(keys.clone()))
            .expect("open");
        ws.bootstrap_user(
            &NewUser {
                id: "admin.k".into(),
                display_name: "keychain test".into(),
                org_id: "clinic".into(),
                roles: vec![Role::Pharmacist],
                specialties: Vec::new(),
                password: "钥匙串-test-9".into(),
                rights_reviewed_at: None,
            },
            None,
        )
        .expect("user stored with the keychain's key");
        support::ok(
            &ws,
            "sign_in",
            json!({"user_id": "admin.k", "password": "钥匙串-test-9"}),
        )
        .await;
        support::ok(&ws, "review_queue", json!({})).await;
        assert_eq!(
            keys.load().expect("still there"),
            stored,
            "the key is stable"
        );
        // Another profile's entry does not exist: a clear error, not a new key.
        let missing = KeychainKeySource::new(SERVICE, "database-key:other-clinic")
            .load()
            .expect_err("no such entry");
        assert_eq!(missing.code(), "not_initialized", "{missing}");

        // Platform tokens: one entry per user and platform, replaced and cleared.
        let here = KeychainTokenStore::new(SERVICE, "dr.k", "https://platform.example");
        let elsewhere = KeychainTokenStore::new(SERVICE, "dr.k", "https://other.example");
        assert_eq!(here.load().expect("load"), None);
        let first = Tokens {
            access_token: TokenSecret("access-1".into()),
            refresh_token: TokenSecret("refresh-1".into()),
        };
        here.save(&first).expect("save");
        assert_eq!(here.load().expect("load"), Some(first));
        assert_eq!(
            elsewhere.load().expect("load"),
            None,
            "another platform's tokens are separate"
        );
        let rotated = Tokens {
            access_token: TokenSecret("access-2".into()),
            refresh_token: TokenSecret("refresh-2".into()),
        };
        here.save(&rotated).expect("save the rotated pair");
        assert_eq!(here.load().expect("load"), Some(rotated));
        here.clear().expect("clear");
        assert_eq!(here.load().expect("load"), None);
        here.clear().expect("clearing twice is fine");
    });
    println!("{DONE}");
}
