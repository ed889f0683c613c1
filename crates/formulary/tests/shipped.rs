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
