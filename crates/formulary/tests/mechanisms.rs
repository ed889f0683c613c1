//! Issue 14: drug properties, mechanism rules (`property:<name>` sides), escalation and the
//! grading table — validated at load and expanded to drug pairs once.
//! Each broken-pack test copies the TEST-ONLY pack (tests/data/pack), appends one thing and
//! checks that the error names the file, the entry and the field.

use std::path::Path;

use meddesk_formulary::schema::{DrugProperty, InteractionSeverity, PackSeverity};
use meddesk_formulary::{FormularyError, Issue, Pack, load_dir};

mod common;
use common::{copy_dir, test_pack};

/// Copy the test pack, append `text` to each named file, load it.
fn with(appends: &[(&str, &str)]) -> Result<Pack, Vec<Issue>> {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&test_pack(), dir.path());
    for (file, text) in appends {
        let path = dir.path().join(file);
        let mut body = std::fs::read_to_string(&path).expect("read");
        body.push('\n');
        body.push_str(text);
        std::fs::write(&path, body).expect("write");
    }
    match load_dir(dir.path()) {
        Ok(p) => Ok(p),
        Err(FormularyError::Invalid(issues)) => Err(issues),
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn has(issues: &[Issue], file: &str, entry: &str, field: &str) -> bool {
    issues.iter().any(|i| {
        i.file == file && i.entry.as_deref() == Some(entry) && i.field.as_deref() == Some(field)
    })
}

const IBUPROFEN_BLEEDS: &str =
    "[[drug.property]]\nname = \"bleeding_risk\"\nsource = \"test-only\"\n";

const RULE: &str = r#"[[interaction]]
a = "drug:warfarin"
b = "property:bleeding_risk"
severity = "moderate"
escalate = { age_at_least = 75, severity = "major" }
mechanism_en = "test-only"
mechanism_zh = "仅供测试"
management_en = "test-only"
management_zh = "仅供测试"
source = "test-only"
"#;

#[test]
fn property_names_are_a_closed_sourced_list() {
    for p in DrugProperty::ALL {
        assert_eq!(DrugProperty::parse(p.as_str()), Some(p));
        // serde spells them the same way the pack does.
        let json = serde_json::to_string(&p).expect("ser");
        assert_eq!(json, format!("\"{}\"", p.as_str()));
    }
    // The last drug of the test pack is ibuprofen: a property table appended to the file
    // belongs to it.
    let issues = with(&[(
        "drugs/test.toml",
        "[[drug.property]]\nname = \"cyp3a4_inhibitor_strongest\"\nsource = \"test-only\"\n",
    )])
    .expect_err("unknown property loads");
    assert!(
        issues
            .iter()
            .any(|i| i.file == "drugs/test.toml" && i.message.contains("unknown variant")),
        "{issues:?}"
    );
    let issues = with(&[(
        "drugs/test.toml",
        "[[drug.property]]\nname = \"serotonergic\"\n",
    )])
    .expect_err("property without source loads");
    assert!(
        issues
            .iter()
            .any(|i| i.file == "drugs/test.toml" && i.message.contains("source")),
        "{issues:?}"
    );
    let issues = with(&[(
        "drugs/test.toml",
        "[[drug.property]]\nname = \"serotonergic\"\nsource = \"no-such-source §1\"\n",
    )])
    .expect_err("unknown source id loads");
    assert!(
        has(
            &issues,
            "drugs/test.toml",
            "ibuprofen",
            "property[0].source"
        ),
        "{issues:?}"
    );
}

#[test]
fn an_unknown_property_side_is_rejected_naming_the_side() {
    let rule = RULE.replace("property:bleeding_risk", "property:bleeds");
    let issues = with(&[("interactions.toml", &rule)]).expect_err("loads");
    assert!(
        has(
            &issues,
            "interactions.toml",
            "drug:warfarin + property:bleeds",
            "b"
        ),
        "{issues:?}"
    );
}

#[test]
fn a_property_rule_covers_every_drug_carrying_the_property() {
    let pack = with(&[
        ("drugs/test.toml", IBUPROFEN_BLEEDS),
        ("interactions.toml", RULE),
    ])
    .expect("valid");
    let (w, i, a) = (
        pack.drug_index("warfarin").expect("warfarin"),
        pack.drug_index("ibuprofen").expect("ibuprofen"),
        pack.drug_index("amoxicillin").expect("amoxicillin"),
    );
    assert!(pack.drug_has(i, DrugProperty::BleedingRisk));
    let between = pack.pair_interactions(w, i);
    let rule = pack
        .interactions
        .iter()
        .position(|it| it.b == "property:bleeding_risk")
        .expect("rule");
    // Either order, the pair entry (warfarin + NSAIDs) and the mechanism rule both cover it.
    assert!(between.contains(&(rule as u32)), "{between:?}");
    assert_eq!(between, pack.pair_interactions(i, w));
    assert!(between.len() >= 2, "{between:?}");
    // A drug without the property is not covered.
    assert!(!pack.pair_interactions(w, a).contains(&(rule as u32)));
    // Specificity: drug+class outranks drug+property.
    let pair = pack
        .interactions
        .iter()
        .position(|it| it.b == "class:nsaids")
        .expect("pair entry");
    assert!(pack.interaction_specificity(pair) > pack.interaction_specificity(rule));
}

#[test]
fn an_escalation_needs_a_condition_and_a_graver_severity() {
    let rule = RULE.replace(
        "escalate = { age_at_least = 75, severity = \"major\" }",
        "escalate = { severity = \"major\" }",
    );
    let issues = with(&[
        ("drugs/test.toml", IBUPROFEN_BLEEDS),
        ("interactions.toml", &rule),
    ])
    .expect_err("loads");
    assert!(
        has(
            &issues,
            "interactions.toml",
            "drug:warfarin + property:bleeding_risk",
            "escalate"
        ),
        "{issues:?}"
    );
    let rule = RULE.replace("severity = \"major\" }", "severity = \"minor\" }");
    let issues = with(&[
        ("drugs/test.toml", IBUPROFEN_BLEEDS),
        ("interactions.toml", &rule),
    ])
    .expect_err("loads");
    assert!(
        has(
            &issues,
            "interactions.toml",
            "drug:warfarin + property:bleeding_risk",
            "escalate.severity"
        ),
        "{issues:?}"
    );
}

#[test]
fn the_grading_is_data_and_validated() {
    // Absent: the documented default.
    let pack = load_dir(&test_pack()).expect("valid");
    assert_eq!(
        pack.grading.of(InteractionSeverity::Contraindicated),
        PackSeverity::Block
    );
    assert_eq!(
        pack.grading.of(InteractionSeverity::Major),
        PackSeverity::Warn
    );
    assert_eq!(
        pack.grading.of(InteractionSeverity::Moderate),
        PackSeverity::Info
    );
    assert_eq!(
        pack.grading.of(InteractionSeverity::Minor),
        PackSeverity::Info
    );
    // Contraindicated must block.
    let issues = with(&[(
        "interactions.toml",
        "[grading]\ncontraindicated = \"warn\"\nmajor = \"warn\"\nmoderate = \"info\"\nminor = \"info\"\n",
    )])
    .expect_err("loads");
    assert!(
        has(&issues, "interactions.toml", "grading", "contraindicated"),
        "{issues:?}"
    );
    // A milder severity may not be graded above a graver one.
    let issues = with(&[(
        "interactions.toml",
        "[grading]\ncontraindicated = \"block\"\nmajor = \"info\"\nmoderate = \"warn\"\nminor = \"info\"\n",
    )])
    .expect_err("loads");
    assert!(
        has(&issues, "interactions.toml", "grading", "moderate"),
        "{issues:?}"
    );
    // A stricter but monotone table is accepted and used.
    let pack = with(&[(
        "interactions.toml",
        "[grading]\ncontraindicated = \"block\"\nmajor = \"warn\"\nmoderate = \"warn\"\nminor = \"info\"\n",
    )])
    .expect("valid");
    assert_eq!(
        pack.grading.of(InteractionSeverity::Moderate),
        PackSeverity::Warn
    );
}

#[test]
fn genotype_schedule_and_regimen_entries_are_validated() {
    let issues = with(&[(
        "drugs/test.toml",
        "[[drug.genotype]]\nallele = \"HLA-B 1502\"\nif_untested = \"warn\"\nif_positive = \"block\"\nadvice_en = \"x\"\nadvice_zh = \"x\"\nsource = \"test-only\"\n",
    )])
    .expect_err("loads");
    assert!(
        has(
            &issues,
            "drugs/test.toml",
            "ibuprofen",
            "genotype[0].allele"
        ),
        "{issues:?}"
    );
    let issues = with(&[(
        "drugs/test.toml",
        "[[drug.genotype]]\nallele = \"HLA-B*15:02\"\nif_untested = \"block\"\nif_positive = \"warn\"\nadvice_en = \"x\"\nadvice_zh = \"x\"\nsource = \"test-only\"\n",
    )])
    .expect_err("loads");
    assert!(
        has(
            &issues,
            "drugs/test.toml",
            "ibuprofen",
            "genotype[0].if_untested"
        ),
        "{issues:?}"
    );
    let issues = with(&[(
        "drugs/test.toml",
        "[[drug.schedule]]\nfrequencies = [\"QW\"]\nseverity = \"block\"\nexcept_indications = [\"12-34-56\"]\nreason_en = \"x\"\nreason_zh = \"x\"\nsource = \"test-only\"\n",
    )])
    .expect_err("loads");
    assert!(
        has(
            &issues,
            "drugs/test.toml",
            "ibuprofen",
            "schedule[0].except_indications[0]"
        ),
        "{issues:?}"
    );
    let issues = with(&[(
        "drugs/test.toml",
        "[[drug.paediatric_regimen]]\nindications = []\nsource = \"test-only\"\n",
    )])
    .expect_err("loads");
    assert!(
        has(
            &issues,
            "drugs/test.toml",
            "ibuprofen",
            "paediatric_regimen[0].indications"
        ),
        "{issues:?}"
    );
    assert!(meddesk_formulary::pack::allele_is_valid("HLA-B*58:01"));
    assert!(!meddesk_formulary::pack::allele_is_valid("HLA-B*5801"));
}

#[test]
fn the_shipped_pack_covers_the_issue_14_families() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/formulary");
    let pack = load_dir(&dir).expect("shipped pack");
    let d = |id: &str| pack.drug_index(id).unwrap_or_else(|| panic!("{id}"));
    let gravest = |a: &str, b: &str| {
        pack.pair_interactions(d(a), d(b))
            .iter()
            .map(|ix| pack.interactions[*ix as usize].severity)
            .max()
    };
    use InteractionSeverity::*;
    for (a, b, at_least) in [
        ("citalopram", "azithromycin", Contraindicated),
        ("domperidone", "clarithromycin", Contraindicated),
        ("levofloxacin", "amiodarone", Major),
        ("simvastatin", "itraconazole", Contraindicated),
        ("alprazolam", "clarithromycin", Major),
        ("quetiapine", "clarithromycin", Major),
        ("colchicine", "clarithromycin", Major),
        ("sildenafil", "clarithromycin", Major),
        ("carbamazepine", "clarithromycin", Major),
        ("rivaroxaban", "ibuprofen", Major),
        ("apixaban", "naproxen", Major),
        ("dabigatran_etexilate", "aspirin", Major),
        ("rivaroxaban", "carbamazepine", Major),
        ("dabigatran_etexilate", "phenytoin", Major),
        ("digoxin", "clarithromycin", Major),
        ("digoxin", "itraconazole", Major),
        ("dabigatran_etexilate", "amiodarone", Major),
        ("isotretinoin", "doxycycline", Contraindicated),
        ("isotretinoin", "minocycline", Contraindicated),
        ("linezolid", "duloxetine", Major),
        ("linezolid", "dextromethorphan", Major),
        ("methotrexate", "amoxicillin", Major),
        ("methotrexate", "ibuprofen", Major),
        ("losartan", "potassium_chloride", Major),
        ("enalapril", "spironolactone", Moderate),
        ("glimepiride", "fluconazole", Moderate),
        ("levofloxacin", "prednisone", Moderate),
    ] {
        let g = gravest(a, b);
        assert!(g.is_some_and(|g| g >= at_least), "{a} + {b}: {g:?}");
    }
    // Clean everyday pairs stay clean.
    for (a, b) in [
        ("amlodipine", "atorvastatin"),
        ("metformin", "enalapril"),
        ("aspirin", "clopidogrel"),
        ("azithromycin", "atorvastatin"),
    ] {
        assert!(
            gravest(a, b).is_none_or(|g| g < Major),
            "{a} + {b}: {:?}",
            gravest(a, b)
        );
    }
}
