//! Pack load + index (target ≤ 50 ms) and name search (target p95 ≤ 2 ms) on the shipped
//! pack. Run: `cargo bench -p meddesk-formulary --bench pack`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

fn pack_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/formulary")
}

fn load(c: &mut Criterion) {
    let dir = pack_dir();
    c.bench_function("pack_load_and_index", |b| {
        b.iter(|| meddesk_formulary::load_dir(black_box(&dir)).expect("shipped pack is valid"))
    });
}

fn search(c: &mut Criterion) {
    let pack = meddesk_formulary::load_dir(&pack_dir()).expect("shipped pack is valid");
    let mut g = c.benchmark_group("name_search");
    for q in [
        "amxl",
        "阿莫西林",
        "amoxicilin",
        "acetaminophen",
        "头孢",
        "nsaids",
        "metfromin",
        "zzzz",
    ] {
        g.bench_function(q, |b| b.iter(|| pack.index.search(black_box(q), 10)));
    }
    g.finish();
}

criterion_group!(benches, load, search);
criterion_main!(benches);
