//! Triage rules, data-first: every line of `fixtures/triage.jsonl` is a request and the
//! outcome expected from the shipped rules (`assets/triage/rules.toml`). Adding a case is
//! adding a line.

use std::path::PathBuf;

use meddesk_clinical::triage::{TriageRequest, TriageRules, route_name, triage};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    request: TriageRequest,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    priority: String,
    route: String,
    reasons: Vec<String>,
    flags: Vec<String>,
}

fn shipped_rules() -> TriageRules {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/triage/rules.toml");
    let text = std::fs::read_to_string(&path).expect("shipped rules exist");
    TriageRules::from_toml(&text, "assets/triage/rules.toml").expect("shipped rules are valid")
}

#[test]
fn fixtures_against_the_shipped_rules() {
    let rules = shipped_rules();
    let fixtures = include_str!("fixtures/triage.jsonl");
    let mut failures = Vec::new();
    let mut count = 0;
    for (n, line) in fixtures
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let case: Case = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("fixtures/triage.jsonl line {}: {e}", n + 1));
        count += 1;
        let out = triage(&case.request, &rules);
        let got = (
            serde_json::to_value(out.priority)
                .expect("priority")
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            route_name(&out.route),
            out.reasons
                .iter()
                .map(|r| r.rule.clone())
                .collect::<Vec<_>>(),
            out.flags
                .iter()
                .map(|f| {
                    serde_json::to_value(f.code)
                        .expect("code")
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect::<Vec<_>>(),
        );
        let want = (
            case.expect.priority.clone(),
            case.expect.route.clone(),
            case.expect.reasons.clone(),
            case.expect.flags.clone(),
        );
        if got != want {
            failures.push(format!(
                "line {} `{}`:\n  want {want:?}\n  got  {got:?}",
                n + 1,
                case.name
            ));
        }
    }
    assert!(count >= 30, "the fixture file lost cases: {count}");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_flag_message_is_bilingual_and_every_reason_cites_a_source() {
    let rules = shipped_rules();
    for line in include_str!("fixtures/triage.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let case: Case = serde_json::from_str(line).expect("fixture");
        let out = triage(&case.request, &rules);
        for f in &out.flags {
            assert!(
                !f.message.zh.is_empty() && !f.message.en.is_empty(),
                "{}",
                case.name
            );
        }
        for r in &out.reasons {
            assert!(
                r.source.contains("seed") || r.source.contains("issue"),
                "{}",
                r.source
            );
        }
    }
}

#[test]
fn a_broken_rules_file_names_the_rule_and_the_field() {
    let base = include_str!("../../../assets/triage/rules.toml");
    let cases = [
        (
            base.replace(
                "route = \"specialist:cardiology\"",
                "route = \"cardiology\"",
            ),
            ["hypertension-followup", "route"],
        ),
        (
            base.replace(
                "conditions_any = [\"E10-E14\"]",
                "conditions_any = [\"E14-E10\"]",
            ),
            ["diabetes-followup", "conditions_any"],
        ),
        (
            base.replace(
                "temperature_c_at_least = 38.5",
                "temperature_at_least = 38.5",
            ),
            ["temperature_at_least", "rules.toml"],
        ),
        (
            base.replace("id = \"dyspnoea\"", "id = \"fever-38.5\""),
            ["fever-38.5", "id"],
        ),
    ];
    for (text, must_name) in cases {
        let err = TriageRules::from_toml(&text, "rules.toml")
            .unwrap_err()
            .to_string();
        for part in must_name {
            assert!(err.contains(part), "`{part}` missing from: {err}");
        }
    }
}
