//! `contraindications.toml`: the label's contraindications as short notes (禁忌说明, R-RX-2),
//! attached to `Drug::contraindications`. The `tests/data/bad-contra-*` overlays (unknown
//! drug, zh/en length mismatch, unsourced entry, unknown source id) run with the other
//! provenance fixtures in `tests/provenance.rs`; these tests cover the rest.

use meddesk_formulary::{Contraindications, FormularyError, Issue, load_dir};

mod common;
use common::{copy_dir, test_pack};

/// The test pack with `contraindications.toml` replaced by `text` (`None`: removed).
fn with(
    text: Option<&str>,
) -> (
    tempfile::TempDir,
    Result<meddesk_formulary::Pack, FormularyError>,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&test_pack(), dir.path());
    let p = dir.path().join("contraindications.toml");
    match text {
        Some(t) => std::fs::write(&p, t).expect("write"),
        None => std::fs::remove_file(&p).expect("rm"),
    }
    let r = load_dir(dir.path());
    (dir, r)
}

fn issues(text: &str) -> Vec<Issue> {
    match with(Some(text)).1 {
        Ok(_) => panic!("the broken pack loaded"),
        Err(FormularyError::Invalid(i)) => i,
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn find<'a>(issues: &'a [Issue], entry: &str, field: &str) -> &'a Issue {
    issues
        .iter()
        .find(|i| {
            i.file == "contraindications.toml"
                && i.entry.as_deref() == Some(entry)
                && i.field.as_deref() == Some(field)
        })
        .unwrap_or_else(|| panic!("no issue for {entry} / {field}: {issues:#?}"))
}

const ZH: &str = "对阿莫西林或其他β-内酰胺类抗菌药物有严重过敏反应史者禁用";
const EN: &str =
    "History of a serious hypersensitivity reaction to amoxicillin or other beta-lactams";

fn entry(drug: &str, zh: &[&str], en: &[&str], source: &str) -> String {
    let list = |v: &[&str]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "[[contraindications]]\ndrug = {drug:?}\nzh = [{}]\nen = [{}]\nsource = {source:?}\n\n",
        list(zh),
        list(en)
    )
}

#[test]
fn the_notes_are_attached_to_their_drug() {
    let pack = load_dir(&test_pack()).expect("test pack");
    let amox = pack.drug("amoxicillin").expect("amoxicillin");
    assert_eq!(
        amox.contraindications,
        Some(Contraindications {
            zh: vec![ZH.into()],
            en: vec![EN.into()],
            source: "fda-amoxicillin §4 Contraindications".into(),
        })
    );
    assert_eq!(
        pack.drug("warfarin").expect("warfarin").contraindications,
        None
    );
    // Serialised with the drug (what the workstation reads), absent when not transcribed.
    let json = serde_json::to_value(amox).expect("json");
    assert_eq!(json["contraindications"]["zh"][0], ZH);
    let json = serde_json::to_value(pack.drug("warfarin").unwrap()).expect("json");
    assert!(json.get("contraindications").is_none());
}

#[test]
fn the_file_is_optional_hashed_and_its_citation_counted() {
    let with_file = load_dir(&test_pack()).expect("test pack");
    let (_d, without) = with(None);
    let without = without.expect("a pack without contraindications.toml loads");
    assert!(without.drugs.iter().all(|d| d.contraindications.is_none()));
    assert_ne!(with_file.content_hash, without.content_hash);
    let (a, b) = (with_file.citation_stats(), without.citation_stats());
    assert_eq!(a.total, b.total + 1, "{a:?} / {b:?}");
    assert_eq!(a.primary, b.primary + 1, "{a:?} / {b:?}");
}

#[test]
fn an_empty_source_is_rejected() {
    let i = issues(&entry("amoxicillin", &[ZH], &[EN], ""));
    assert!(
        find(&i, "amoxicillin", "source")
            .message
            .contains("empty source")
    );
}

#[test]
fn another_products_label_is_rejected() {
    // fda-amoxicillin is the amoxicillin label: it cannot source warfarin's notes.
    let i = issues(&entry("warfarin", &["禁忌"], &["x"], "fda-amoxicillin §4"));
    let hit = find(&i, "warfarin", "source");
    assert!(hit.message.contains("another product"), "{hit}");
}

#[test]
fn one_entry_per_drug() {
    let t = entry("amoxicillin", &[ZH], &[EN], "fda-amoxicillin §4")
        + &entry("amoxicillin", &[ZH], &[EN], "fda-amoxicillin §4");
    let i = issues(&t);
    assert!(
        find(&i, "amoxicillin", "drug")
            .message
            .contains("one entry per drug")
    );
}

#[test]
fn notes_are_non_empty_and_short() {
    let i = issues(&entry("amoxicillin", &[], &[], "fda-amoxicillin §4"));
    find(&i, "amoxicillin", "zh");
    find(&i, "amoxicillin", "en");
    let long = "禁".repeat(121);
    let i = issues(&entry("amoxicillin", &[&long], &[EN], "fda-amoxicillin §4"));
    let hit = find(&i, "amoxicillin", "zh[0]");
    assert!(hit.message.contains("121 characters"), "{hit}");
    // 120 Chinese characters (360 bytes) is within the limit.
    let ok = "禁".repeat(120);
    let (_d, r) = with(Some(&entry(
        "amoxicillin",
        &[&ok],
        &[EN],
        "fda-amoxicillin §4",
    )));
    r.expect("120 characters is allowed");
    let i = issues(&entry(
        "amoxicillin",
        &[ZH, " "],
        &[EN, EN],
        "fda-amoxicillin §4",
    ));
    find(&i, "amoxicillin", "zh[1]");
}

#[test]
fn an_unknown_key_names_the_entry_and_field() {
    let t = entry("amoxicillin", &[ZH], &[EN], "fda-amoxicillin §4")
        .replace("source =", "note = \"x\"\nsource =");
    let i = issues(&t);
    let hit = find(&i, "amoxicillin", "note");
    assert!(hit.to_string().contains("contraindications.toml:"), "{hit}");
}

#[test]
fn a_drug_file_cannot_carry_the_notes_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&test_pack(), dir.path());
    let p = dir.path().join("drugs/test.toml");
    let text = std::fs::read_to_string(&p).expect("read");
    let text = text.replace(
        "[[drug]]\nid = \"cefalexin\"",
        "[drug.contraindications]\nzh = [\"x\"]\nen = [\"x\"]\nsource = \"fda-amoxicillin §4\"\n\n\
         [[drug]]\nid = \"cefalexin\"",
    );
    std::fs::write(&p, text).expect("write");
    let Err(FormularyError::Invalid(i)) = load_dir(dir.path()) else {
        panic!("loaded")
    };
    assert!(
        i.iter().any(|i| i.file == "drugs/test.toml"
            && i.entry.as_deref() == Some("amoxicillin")
            && i.field.as_deref() == Some("contraindications")
            && i.message.contains("contraindications.toml")),
        "{i:#?}"
    );
}
