//! The checker on the shipped pack: a 5-line prescription for a patient on 10 current
//! medications (target p99 ≤ 1 ms), and one batch line end to end — JSON parse, check,
//! JSON serialise — which bounds `meddesk rx check` throughput (target ≥ 20,000/s).
//! Run: `cargo bench -p meddesk-clinical --bench check`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group};
use meddesk_clinical::check::check;
use meddesk_clinical::check::request::CheckRequest;

const FIVE_LINES_TEN_MEDS: &str = r#"{"id":"bench","consultation":{"kind":"chronic"},
 "patient":{"age_years":67,"sex":"female","weight_kg":62,"pregnant":false,"lactating":false,
  "egfr":48,"hepatic_impairment":"mild",
  "allergies":[{"substance":"penicillin","reaction":"rash"},{"substance":"磺胺"}],
  "conditions":["I10","E11.9"],
  "current_medications":["warfarin","amlodipine","metformin","atorvastatin","omeprazole",
   "levothyroxine","furosemide","digoxin","sertraline","aspirin"]},
 "diagnoses":["I10","E11.9","J02.9"],
 "items":[
  {"drug":"losartan","strength":"50 mg","dose":{"value":50,"unit":"mg"},"route":"oral","frequency":"QD","days":28,"quantity":28},
  {"drug":"二甲双胍","strength":"500 mg","dose":{"value":1,"unit":"tablet"},"route":"oral","frequency":"BID","days":28,"quantity":56},
  {"drug":"ibuprofen","strength":"200 mg","dose":{"value":400,"unit":"mg"},"route":"oral","frequency":"TID","days":5,"quantity":30},
  {"drug":"cefuroxime axetil","strength":"250 mg","dose":{"value":250,"unit":"mg"},"route":"oral","frequency":"BID","days":7,"quantity":14},
  {"drug":"阿莫西林","strength":"500 mg","dose":{"value":0.5,"unit":"g"},"route":"oral","frequency":"TID","days":5,"quantity":15}]}"#;

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/formulary");
    let pack = meddesk_formulary::load_dir(&dir).expect("shipped pack is valid");
    let req: CheckRequest = serde_json::from_str(FIVE_LINES_TEN_MEDS).expect("bench request");
    c.bench_function("check_5_lines_10_current_meds", |b| {
        b.iter(|| check(black_box(&pack), black_box(&req)))
    });
    // A drug typed and not picked (R-RX-8: `unknown_drug` with a suggestion): the fuzzy
    // search for the hint is the dearest path of the checker.
    let typed = FIVE_LINES_TEN_MEDS.replace("\"阿莫西林\"", "\"amxl\"");
    let typed: CheckRequest = serde_json::from_str(&typed).expect("bench request");
    c.bench_function("check_5_lines_one_typed_not_picked", |b| {
        b.iter(|| check(black_box(&pack), black_box(&typed)))
    });
    let line = FIVE_LINES_TEN_MEDS.replace('\n', "");
    c.bench_function("batch_line_parse_check_serialise", |b| {
        b.iter(|| {
            let req: CheckRequest = serde_json::from_str(black_box(&line)).expect("parses");
            serde_json::to_vec(&check(&pack, &req)).expect("serialises")
        })
    });
}

/// Tail latency, which criterion's mean/median do not show: time each call, print p50/p99.
fn percentiles() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/formulary");
    let pack = meddesk_formulary::load_dir(&dir).expect("shipped pack is valid");
    let req: CheckRequest = serde_json::from_str(FIVE_LINES_TEN_MEDS).expect("bench request");
    let mut ns: Vec<u128> = (0..20_000)
        .map(|_| {
            let t = std::time::Instant::now();
            black_box(check(&pack, black_box(&req)));
            t.elapsed().as_nanos()
        })
        .collect();
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
    println!(
        "check_5_lines_10_current_meds: p50 {:.1} µs, p95 {:.1} µs, p99 {:.1} µs, max {:.1} µs ({} calls)",
        at(0.5),
        at(0.95),
        at(0.99),
        at(1.0),
        ns.len()
    );
}

criterion_group!(benches, bench);

fn main() {
    percentiles();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
