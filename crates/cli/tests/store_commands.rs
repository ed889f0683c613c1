//! `meddesk db …`, `meddesk audit verify`, `meddesk demo seed` end to end, on a temp profile
//! with a passphrase-wrapped key. The keychain is forbidden to every child process
//! (`MEDDESK_FORBID_KEYCHAIN`), so these tests can never touch the user's keychain.

use std::path::Path;
use std::process::{Command, Output};

const PASSPHRASE: &str = "correct horse battery staple";

fn meddesk(data_dir: &Path, args: &[&str], passphrase: Option<&str>, demo: bool) -> Output {
    assert!(
        data_dir.starts_with(std::env::temp_dir()),
        "never the user's data dir"
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_meddesk"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .arg("--assets")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"))
        .args(args)
        .env("MEDDESK_FORBID_KEYCHAIN", "1")
        .env_remove("MEDDESK_PASSPHRASE")
        .env_remove("MEDDESK_KEY_SOURCE")
        .env_remove("MEDDESK_DATA_DIR");
    if demo {
        cmd.arg("--demo");
    }
    if let Some(p) = passphrase {
        cmd.env("MEDDESK_PASSPHRASE", p);
    }
    cmd.output().expect("run meddesk")
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn fails_with(out: &Output, code: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure {code}");
    assert!(
        stderr.contains(&format!("{code}:")),
        "expected {code} in: {stderr}"
    );
}

#[test]
fn init_seed_verify_backup_restore_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    let pw = Some(PASSPHRASE);

    // No keychain and no passphrase: an explicit error, nothing created.
    fails_with(
        &meddesk(&dir, &["db", "init"], None, true),
        "keychain_unavailable",
    );
    assert!(!dir.join("meddesk.db").exists());
    // Auto with a passphrase: the fallback is announced, never silent.
    let out = meddesk(&dir, &["db", "init"], pw, true);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("keychain is unavailable"));
    assert!(dir.join("meddesk.key").exists() && dir.join("meddesk.db").exists());
    fails_with(
        &meddesk(&dir, &["db", "init"], pw, true),
        "already_initialized",
    );

    fails_with(
        &meddesk(&dir, &["demo", "seed"], pw, false),
        "not_demo_profile",
    );
    let seeded = ok(&meddesk(&dir, &["demo", "seed"], pw, true));
    assert!(
        seeded.contains("8 synthetic consultations added"),
        "{seeded}"
    );
    let again = ok(&meddesk(&dir, &["demo", "seed"], pw, true));
    assert!(again.contains("0 synthetic consultations added"), "{again}");

    assert!(ok(&meddesk(&dir, &["db", "verify"], pw, true)).starts_with("ok:"));
    assert!(ok(&meddesk(&dir, &["audit", "verify"], pw, true)).contains("intact"));

    // Wrong or missing passphrase.
    fails_with(
        &meddesk(&dir, &["db", "verify"], Some("wrong"), true),
        "wrong_key",
    );
    fails_with(
        &meddesk(&dir, &["db", "verify"], None, true),
        "passphrase_required",
    );

    // Backups: a full one, then an incremental; a short retention is refused. (`demo seed`
    // signed its users out, and sign-out already backed up by itself: issue 13 §5.)
    fails_with(
        &meddesk(&dir, &["db", "backup", "--retention-days", "30"], pw, true),
        "retention_too_short",
    );
    let full = ok(&meddesk(&dir, &["db", "backup", "--full"], pw, true));
    assert!(full.starts_with("full backup"), "{full}");
    let incr = ok(&meddesk(&dir, &["db", "backup"], pw, true));
    assert!(incr.starts_with("incremental backup"), "{incr}");
    let path = incr.split_whitespace().nth(2).unwrap().to_owned();

    // Damage the live database: verify names the code and offers the newest good backup.
    let db = dir.join("meddesk.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let n = bytes.len();
    bytes[n - 100] ^= 0x40;
    std::fs::write(&db, &bytes).unwrap();
    let out = meddesk(&dir, &["db", "verify"], pw, true);
    fails_with(&out, "corrupt_database");
    assert!(String::from_utf8_lossy(&out.stderr).contains("meddesk db restore"));
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "nothing overwritten");

    // A bogus backup file is refused; the damaged database stays as it was.
    let bogus = tmp.path().join("bogus.mdbk");
    std::fs::write(&bogus, b"not a backup").unwrap();
    fails_with(
        &meddesk(&dir, &["db", "restore", bogus.to_str().unwrap()], pw, true),
        "backup_invalid",
    );
    assert_eq!(std::fs::read(&db).unwrap(), bytes);

    let restored = ok(&meddesk(&dir, &["db", "restore", &path], pw, true));
    assert!(restored.contains("moved to"), "{restored}");
    assert!(ok(&meddesk(&dir, &["db", "verify"], pw, true)).starts_with("ok:"));
}
