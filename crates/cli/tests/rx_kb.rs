//! `meddesk rx check` and `meddesk kb …` end to end through the binary: the JSON Lines batch
//! contract of issue 4 (same order, per-line errors naming the field, exit 0/1) and the
//! pack commands. Runs against the TEST-ONLY pack so it does not move with the shipped data.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn test_pack() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../formulary/tests/data/pack")
}

fn meddesk(args: &[&str], stdin: &str) -> Output {
    let data = tempfile::tempdir().expect("temp data dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_meddesk"))
        .arg("--data-dir")
        .arg(data.path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn meddesk");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("run meddesk")
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is JSON"))
        .collect()
}

const CLEAN: &str = r#"{"id":"c1","consultation":{"kind":"ordinary"},"patient":{"age_years":40,"sex":"male","weight_kg":70,"egfr":95,"hepatic_impairment":"none","allergies":[],"current_medications":[]},"diagnoses":["J02.9"],"items":[{"drug":"amoxicillin","strength":"500 mg","dose":{"value":500,"unit":"mg"},"route":"oral","frequency":"TID","days":5,"quantity":15}]}"#;
const ALLERGIC: &str = r#"{"id":"c2","patient":{"age_years":40,"allergies":[{"substance":"penicillin","reaction":"anaphylaxis"}]},"diagnoses":["J02.9"],"items":[{"drug":"阿莫西林","strength":"500 mg","dose":{"value":500,"unit":"mg"},"route":"oral","frequency":"TID","days":5,"quantity":15}]}"#;

#[test]
fn a_clean_batch_answers_every_line_in_order_and_exits_zero() {
    let pack = test_pack();
    let input = format!("{CLEAN}\n{ALLERGIC}\n");
    let out = meddesk(
        &[
            "rx",
            "check",
            "-",
            "--pack",
            pack.to_str().expect("utf8 path"),
        ],
        &input,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = lines(&out);
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["id"], "c1");
    assert_eq!(v[0]["verdict"], "pass");
    assert_eq!(v[0]["pack"], "0.0.0-test");
    assert_eq!(v[1]["id"], "c2");
    assert_eq!(v[1]["verdict"], "block");
    let f = &v[1]["findings"][0];
    assert_eq!(f["code"], "allergy");
    assert_eq!(f["severity"], "block");
    assert_eq!(f["items"], serde_json::json!([0]));
    assert!(f["message"]["zh"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(f["source"].as_str().is_some_and(|s| !s.is_empty()));
}

#[test]
fn a_malformed_line_gets_an_error_naming_the_field_and_the_batch_goes_on() {
    let pack = test_pack();
    let bad = r#"{"id":"b1","patient":{"allergys":[{"substance":"penicillin"}]},"items":[]}"#;
    let secret = r#"{"id":"b2","patient":{"age_years":"张三"},"items":[]}"#;
    let input = format!("{CLEAN}\n{bad}\nnot json\n{secret}\n{ALLERGIC}\n");
    let out = meddesk(
        &["rx", "check", "--pack", pack.to_str().expect("utf8 path")],
        &input,
    );
    assert_eq!(out.status.code(), Some(1));
    let v = lines(&out);
    assert_eq!(v.len(), 5);
    assert_eq!(v[0]["id"], "c1");
    assert_eq!(v[1]["id"], "b1");
    assert!(
        v[1]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("allergys")),
        "{}",
        v[1]
    );
    assert_eq!(v[2]["error"]["code"], "invalid_json");
    assert_eq!(v[3]["id"], "b2");
    let m = v[3]["error"]["message"].as_str().expect("message");
    assert!(m.contains("age_years") && !m.contains("张三"), "{m}");
    assert_eq!(v[4]["id"], "c2");
}

#[test]
fn kb_validate_search_and_show() {
    let pack = test_pack();
    let p = pack.to_str().expect("utf8 path");
    let out = meddesk(&["kb", "validate", p], "");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("0.0.0-test"));
    let out = meddesk(&["kb", "search", "amxl", "--pack", p], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().next().is_some_and(|l| l.contains("阿莫西林")),
        "{text}"
    );
    let out = meddesk(&["kb", "show", "amoxycillin", "--pack", p], "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"inn\": \"amoxicillin\""));
}

#[test]
fn kb_validate_names_the_broken_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    for sub in ["", "drugs"] {
        std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        for e in std::fs::read_dir(test_pack().join(sub)).expect("read") {
            let e = e.expect("entry");
            if e.path().is_file() {
                std::fs::copy(e.path(), dir.path().join(sub).join(e.file_name())).expect("copy");
            }
        }
    }
    let f = dir.path().join("drugs/test.toml");
    let text = std::fs::read_to_string(&f).expect("read");
    std::fs::write(
        &f,
        text.replace("max_daily = \"3000 mg\"", "max_dailly = \"3000 mg\""),
    )
    .expect("write");
    let out = meddesk(&["kb", "validate", dir.path().to_str().expect("utf8")], "");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("drugs/test.toml")
            && err.contains("amoxicillin")
            && err.contains("adult.max_dailly"),
        "{err}"
    );
}
