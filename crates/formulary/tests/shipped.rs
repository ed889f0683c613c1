//! The shipped pack (`assets/formulary/`) must load and validate.

use std::path::Path;

#[test]
fn shipped_pack_loads_and_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/formulary");
    let pack = match meddesk_formulary::load_dir(&dir) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert!(!pack.drugs.is_empty());
    assert_eq!(pack.content_hash.len(), 64);
    let amox = pack.resolve_drug("amxl").map(|d| pack.drugs[d].id.as_str());
    assert_eq!(amox, Some("amoxicillin"));
}

#[test]
fn shipped_pack_exposes_label_contraindications() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/formulary");
    let pack = meddesk_formulary::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let amlodipine = pack.drug("amlodipine").expect("amlodipine");
    let c = amlodipine
        .contraindications
        .as_ref()
        .expect("amlodipine has its label contraindications");
    assert!(!c.zh.is_empty() && c.zh.len() == c.en.len());
    assert!(c.zh[0].contains("氨氯地平"), "{:?}", c.zh);
    assert!(c.source.starts_with("fda-amlodipine"), "{}", c.source);
    let n = pack
        .drugs
        .iter()
        .filter(|d| d.contraindications.is_some())
        .count();
    println!(
        "drugs with contraindication notes: {n}/{}",
        pack.drugs.len()
    );
}
