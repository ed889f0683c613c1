//! R-RX-8: the shared table of prescriptions (`tests/fixtures/validity-cases.json`) against
//! the rule itself. The platform (`meddesk-platform` decide tests) and the workstation
//! (signing scenario) run the same table, so the three cannot disagree.

use std::path::Path;

use meddesk_clinical::check::request::RxDraft;
use meddesk_clinical::check::validity;
use serde::Deserialize;

#[derive(Deserialize)]
struct Table {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    identity_verified: bool,
    draft: RxDraft,
    expect: Vec<String>,
}

#[test]
fn the_shared_validity_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pack = meddesk_formulary::load_dir(&root.join("assets/formulary")).expect("pack");
    let text = std::fs::read_to_string(root.join("tests/fixtures/validity-cases.json"))
        .expect("validity table");
    let table: Table = serde_json::from_str(&text).expect("table parses");
    assert!(table.cases.len() >= 8);
    for case in &table.cases {
        let found = validity::validate_draft(&pack, &case.draft, Some(case.identity_verified));
        assert_eq!(validity::summary(&found), case.expect, "{}", case.name);
        assert!(
            found.iter().all(validity::is_validity_finding),
            "{}",
            case.name
        );
    }
}
