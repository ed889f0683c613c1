//! The validator on malformed packs: every error names the file, the entry and the field.
//! Each test copies the TEST-ONLY pack (tests/data/pack) to a temp dir and breaks one thing.

use meddesk_formulary::{FormularyError, Issue, load_dir};

mod common;
use common::{copy_dir, test_pack};

/// Copy the test pack, replace `from` by `to` in `file`, load it, return the issues.
fn broken(file: &str, from: &str, to: &str) -> Vec<Issue> {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&test_pack(), dir.path());
    let path = dir.path().join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{from:?} not in {file}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    match load_dir(dir.path()) {
        Ok(_) => panic!("the broken pack loaded"),
        Err(FormularyError::Invalid(issues)) => issues,
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn has(issues: &[Issue], file: &str, entry: &str, field: &str) -> bool {
    issues.iter().any(|i| {
        i.file == file && i.entry.as_deref() == Some(entry) && i.field.as_deref() == Some(field)
    })
}

#[test]
fn the_test_pack_loads() {
    let pack = load_dir(&test_pack()).expect("test pack is valid");
    assert_eq!(pack.meta.version, "0.0.0-test");
    assert_eq!(pack.drugs.len(), 4);
}

#[test]
fn unknown_field_names_file_entry_and_field() {
    let issues = broken(
        "drugs/test.toml",
        "dose_max = \"1000 mg\"",
        "dose_maxx = \"1000 mg\"",
    );
    assert!(
        has(&issues, "drugs/test.toml", "amoxicillin", "adult.dose_maxx"),
        "{issues:?}"
    );
    let text = issues[0].to_string();
    assert!(
        text.contains("drugs/test.toml:")
            && text.contains("amoxicillin")
            && text.contains("dose_maxx"),
        "{text}"
    );
}

#[test]
fn unknown_source_id_is_rejected() {
    let issues = broken(
        "drugs/test.toml",
        "source = \"fda-amoxicillin §2.2\"",
        "source = \"fda-amoxycillin §2.2\"",
    );
    assert!(
        has(&issues, "drugs/test.toml", "amoxicillin", "adult.source"),
        "{issues:?}"
    );
    assert!(issues[0].message.contains("fda-amoxycillin"));
}

#[test]
fn a_source_without_licence_is_rejected() {
    let issues = broken("sources.toml", "licence = \"CC0 1.0\"\n", "");
    assert!(
        has(&issues, "sources.toml", "test-only", "licence"),
        "{issues:?}"
    );
}

#[test]
fn a_non_commercial_licence_is_rejected() {
    let issues = broken(
        "sources.toml",
        "licence = \"CC0 1.0\"",
        "licence = \"CC BY-NC-SA 4.0\"",
    );
    assert!(
        has(&issues, "sources.toml", "test-only", "licence"),
        "{issues:?}"
    );
}

#[test]
fn a_wrong_type_names_the_field() {
    let issues = broken("drugs/test.toml", "max_days = 14", "max_days = \"14\"");
    assert!(
        has(&issues, "drugs/test.toml", "amoxicillin", "adult.max_days"),
        "{issues:?}"
    );
}

#[test]
fn an_unparseable_amount_names_the_field() {
    let issues = broken(
        "drugs/test.toml",
        "dose_min = \"250 mg\"",
        "dose_min = \"250 grains\"",
    );
    assert!(
        has(&issues, "drugs/test.toml", "amoxicillin", "adult.dose_min"),
        "{issues:?}"
    );
}

#[test]
fn an_unknown_class_in_an_interaction_names_the_side() {
    let issues = broken(
        "interactions.toml",
        "b = \"class:nsaids\"",
        "b = \"class:nsaid\"",
    );
    assert!(
        has(
            &issues,
            "interactions.toml",
            "drug:warfarin + class:nsaid",
            "b"
        ),
        "{issues:?}"
    );
}

#[test]
fn an_unknown_frequency_is_rejected() {
    let issues = broken(
        "drugs/test.toml",
        "frequencies = [\"BID\"",
        "frequencies = [\"BIDX\"",
    );
    assert!(
        has(
            &issues,
            "drugs/test.toml",
            "amoxicillin",
            "adult.frequencies"
        ),
        "{issues:?}"
    );
}

#[test]
fn a_name_shared_by_two_drugs_is_rejected() {
    let issues = broken(
        "drugs/test.toml",
        "synonyms = [\"cephalexin\"]",
        "synonyms = [\"amoxycillin\"]",
    );
    assert!(
        issues
            .iter()
            .any(|i| i.entry.as_deref() == Some("amoxycillin")),
        "{issues:?}"
    );
}

#[test]
fn the_content_hash_is_stable_and_changes_with_any_byte() {
    let a = load_dir(&test_pack()).expect("valid");
    let b = load_dir(&test_pack()).expect("valid");
    assert_eq!(a.content_hash, b.content_hash);
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&test_pack(), dir.path());
    let p = dir.path().join("interactions.toml");
    let text = std::fs::read_to_string(&p).expect("read");
    std::fs::write(
        &p,
        text.replace("test-only\"\nmanagement_zh", "test only\"\nmanagement_zh"),
    )
    .expect("write");
    let c = load_dir(dir.path()).expect("still valid");
    assert_ne!(a.content_hash, c.content_hash);
}

#[test]
fn search_finds_english_chinese_pinyin_synonyms_and_typos() {
    let pack = load_dir(&test_pack()).expect("valid");
    let top = |q: &str| {
        pack.index
            .search(q, 3)
            .first()
            .map(|h| match h.target {
                meddesk_formulary::Target::Drug(d) => pack.drugs[d].id.clone(),
                meddesk_formulary::Target::Class(c) => format!("class:{}", pack.classes[c].id),
            })
            .unwrap_or_default()
    };
    assert_eq!(top("amxl"), "amoxicillin");
    assert_eq!(top("amoxilin"), "amoxicillin");
    assert_eq!(top("阿莫"), "amoxicillin");
    assert_eq!(top("阿莫西林"), "amoxicillin");
    assert_eq!(top("amoxicilin"), "amoxicillin"); // typo
    assert_eq!(top("amoxcillin"), "amoxicillin"); // dropped letter
    assert_eq!(top("cephalexin"), "cefalexin"); // US name
    assert_eq!(top("Penicillin"), "class:penicillins");
    assert_eq!(top("blf"), "ibuprofen");
    assert!(pack.index.search("zzzzqqq", 3).is_empty());
}

#[test]
fn prescriptions_resolve_exact_names_only_and_allergies_prefer_classes() {
    let pack = load_dir(&test_pack()).expect("valid");
    let amox = pack.drug_index("amoxicillin");
    assert_eq!(pack.resolve_drug("AMOXICILLIN"), amox);
    assert_eq!(pack.resolve_drug("amxl"), amox);
    assert_eq!(
        pack.resolve_drug("amoxicilin"),
        None,
        "typos are never auto-corrected on a prescription"
    );
    let penicillins = pack
        .class_index("penicillins")
        .map(meddesk_formulary::Target::Class);
    assert_eq!(pack.resolve_allergen("penicillin"), penicillins);
    assert_eq!(pack.resolve_allergen("青霉素过敏"), penicillins);
    assert!(pack.resolve_allergen("NSAIDs").is_some());
}
