//! Pack load + index (target ≤ 50 ms) and name search (target p95 ≤ 2 ms) on the shipped
//! pack. Run: `cargo bench -p meddesk-formulary --bench pack`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group};

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

/// Tail latency: load time per run (max of 20) and search p95 over a mixed query set.
fn percentiles() {
    let dir = pack_dir();
    let mut loads: Vec<f64> = (0..20)
        .map(|_| {
            let t = std::time::Instant::now();
            black_box(meddesk_formulary::load_dir(&dir).expect("valid"));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    loads.sort_by(f64::total_cmp);
    println!(
        "pack_load_and_index: median {:.1} ms, max {:.1} ms (20 runs)",
        loads[loads.len() / 2],
        loads[loads.len() - 1]
    );
    let pack = meddesk_formulary::load_dir(&dir).expect("valid");
    let queries: Vec<String> = pack
        .drugs
        .iter()
        .flat_map(|d| {
            let typo: String = d.inn.chars().filter(|c| *c != 'i').collect();
            [
                d.inn.clone(),
                d.zh.clone(),
                typo,
                d.inn.chars().take(4).collect(),
            ]
        })
        .collect();
    let mut us: Vec<f64> = queries
        .iter()
        .cycle()
        .take(20_000)
        .map(|q| {
            let t = std::time::Instant::now();
            black_box(pack.index.search(black_box(q), 10));
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    us.sort_by(f64::total_cmp);
    let at = |q: f64| us[((us.len() as f64 - 1.0) * q) as usize];
    println!(
        "name_search (INN, Chinese, typo, prefix of every drug): p50 {:.0} µs, p95 {:.0} µs, p99 {:.0} µs",
        at(0.5),
        at(0.95),
        at(0.99)
    );
}

criterion_group!(benches, load, search);

fn main() {
    percentiles();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
