//! Data-first checker tests: every `tests/fixtures/rx-check/*.json` is a request and the
//! findings it must produce, run against the SHIPPED pack (`assets/formulary/`).
//!
//! Precision is tested as hard as sensitivity: the `warn`/`block` findings must be exactly
//! the expected ones (code, severity, and lines when given). `info` findings listed must be
//! present; other `info` findings are allowed (they never stop a prescription).
//! Adding a case is adding a file.

use std::path::{Path, PathBuf};

use meddesk_clinical::check::check;
use meddesk_clinical::check::request::{CheckRequest, Finding, FindingCode, Severity, Verdict};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    description: String,
    request: CheckRequest,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    verdict: Verdict,
    #[serde(default)]
    findings: Vec<Expected>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    code: FindingCode,
    severity: Severity,
    #[serde(default)]
    items: Option<Vec<usize>>,
}

impl Expected {
    fn matches(&self, f: &Finding) -> bool {
        f.code == self.code
            && f.severity == self.severity
            && self.items.as_ref().is_none_or(|i| *i == f.items)
    }
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rx-check")
}

/// The shipped pack; `MEDDESK_FORMULARY_DIR` points elsewhere (a data author's draft).
pub fn shipped_pack() -> meddesk_formulary::Pack {
    let dir = std::env::var_os("MEDDESK_FORMULARY_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/formulary"));
    meddesk_formulary::load_dir(&dir).unwrap_or_else(|e| panic!("shipped pack: {e}"))
}

fn test_pack() -> meddesk_formulary::Pack {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formulary/tests/data/pack");
    meddesk_formulary::load_dir(&dir).unwrap_or_else(|e| panic!("test pack: {e}"))
}

fn fixture_paths(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixtures dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
}

/// Run every fixture of `dir` against `pack`; returns (failures, codes the fixtures expect).
fn run_folder(
    dir: &Path,
    pack: &meddesk_formulary::Pack,
) -> (Vec<String>, std::collections::BTreeSet<FindingCode>, usize) {
    let paths = fixture_paths(dir);
    let mut failures = Vec::new();
    let mut seen_codes = std::collections::BTreeSet::new();
    for path in &paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(path).expect("read fixture");
        let fx: Fixture = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: bad fixture: {e}"));
                continue;
            }
        };
        let res = check(pack, &fx.request);
        let mut problems = Vec::new();
        if res.verdict != fx.expect.verdict {
            problems.push(format!(
                "verdict {:?}, expected {:?}",
                res.verdict, fx.expect.verdict
            ));
        }
        let mut unmatched: Vec<&Finding> = res.findings.iter().collect();
        for e in &fx.expect.findings {
            seen_codes.insert(e.code);
            match unmatched.iter().position(|f| e.matches(f)) {
                Some(i) => {
                    unmatched.remove(i);
                }
                None => problems.push(format!(
                    "missing {:?} {:?} items {:?}",
                    e.code, e.severity, e.items
                )),
            }
        }
        for f in unmatched.iter().filter(|f| f.severity != Severity::Info) {
            problems.push(format!(
                "unexpected {:?} {:?} items {:?}: {}",
                f.code, f.severity, f.items, f.message.en
            ));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{name} ({}):\n    {}",
                fx.description,
                problems.join("\n    ")
            ));
        }
    }
    (failures, seen_codes, paths.len())
}

#[test]
fn every_fixture_yields_exactly_its_expected_findings() {
    // The shipped pack: the clinical cases (≥ 150).
    let (mut failures, mut codes, n) = run_folder(&fixtures_dir(), &shipped_pack());
    assert!(n >= 150, "only {n} shipped-pack fixtures");
    // The TEST-ONLY pack: rules whose facts the shipped pack does not carry yet.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rx-check-testpack");
    let (f2, c2, _) = run_folder(&dir, &test_pack());
    failures.extend(f2);
    codes.extend(c2);
    assert!(
        failures.is_empty(),
        "{} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let missing: Vec<_> = FindingCode::ALL
        .iter()
        .filter(|c| !codes.contains(c))
        .collect();
    assert!(missing.is_empty(), "no fixture expects {missing:?}");
}

#[test]
fn every_finding_is_graded_explained_and_sourced() {
    // R-RX-7: severity, reason (zh + en) and source on every finding, for every fixture.
    let pack = shipped_pack();
    for entry in std::fs::read_dir(fixtures_dir()).expect("fixtures dir") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let fx: Fixture = serde_json::from_str(&text).expect("fixture parses");
        let res = check(&pack, &fx.request);
        assert_eq!(res.pack, pack.meta.version);
        assert_eq!(res.pack_hash, pack.content_hash);
        for f in &res.findings {
            assert!(
                !f.message.zh.is_empty() && !f.message.en.is_empty(),
                "{path:?}: {f:?}"
            );
            assert!(
                !f.source.is_empty() && !f.rule.is_empty(),
                "{path:?}: {f:?}"
            );
            assert!(
                f.items.iter().all(|i| *i < fx.request.items.len()),
                "{path:?}: {f:?}"
            );
        }
    }
}

#[test]
fn testpack_responses_match_their_snapshots() {
    // Whole responses — messages in both languages, sources, rule ids — snapshot-tested on
    // the TEST-ONLY pack, whose facts do not move with the shipped data.
    let pack = test_pack();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rx-check-testpack");
    for path in fixture_paths(&dir) {
        let text = std::fs::read_to_string(&path).expect("read");
        let fx: Fixture = serde_json::from_str(&text).expect("fixture parses");
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        insta::assert_json_snapshot!(format!("testpack-{stem}"), check(&pack, &fx.request));
    }
}
