//! Building + rendering a 5-drug guidance sheet (R-GUIDE-1): the builder alone, the HTML
//! page, and the PDF (layout, font subsetting of the 4 MB CJK font, writing). The pack, the
//! fonts and the media are read once, outside the measurement, as the workstation would.
//! Run: `cargo bench -p meddesk-guidance --bench sheet`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use meddesk_formulary::schema::{Frequency, Route};
use meddesk_guidance::{
    GuidanceLanguage, GuidanceLine, MediaPage, PdfFonts, SheetHeader, build_sheet, drawing_files,
    parse_demonstration, render_html, render_pdf,
};

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets")
}

fn line(drug: &str, dose: f64, unit: &str, route: Route, frequency: Frequency) -> GuidanceLine {
    GuidanceLine {
        drug: drug.to_owned(),
        strength: None,
        dose,
        unit: unit.to_owned(),
        route,
        frequency,
        days: Some(30),
        quantity: None,
    }
}

fn five_drugs() -> Vec<GuidanceLine> {
    vec![
        line("amlodipine", 1.0, "tablet", Route::Oral, Frequency::QD),
        line("metformin", 500.0, "mg", Route::Oral, Frequency::TID),
        line("insulin_glargine", 10.0, "U", Route::Sc, Frequency::QN),
        line("atorvastatin", 20.0, "mg", Route::Oral, Frequency::QN),
        line("salbutamol", 2.0, "puff", Route::Inhaled, Frequency::PRN),
    ]
}

fn media() -> Vec<MediaPage> {
    ["insulin-pen", "inhaler"]
        .iter()
        .map(|id| {
            let dir = assets().join("guidance").join(id);
            let text = std::fs::read_to_string(dir.join("steps.toml")).expect("steps.toml");
            let demonstration = parse_demonstration(id, &text).expect("shipped media parse");
            let drawings: BTreeMap<String, String> = drawing_files(&demonstration)
                .into_iter()
                .map(|f| {
                    let svg = std::fs::read_to_string(dir.join(f)).expect("drawing");
                    (f.to_owned(), svg)
                })
                .collect();
            MediaPage {
                demonstration,
                drawings,
            }
        })
        .collect()
}

fn sheet(c: &mut Criterion) {
    let pack = meddesk_formulary::load_dir(&assets().join("formulary")).expect("shipped pack");
    let cjk = std::fs::read(assets().join("fonts/DroidSansFallbackFull.ttf")).expect("font");
    let latin = std::fs::read(assets().join("fonts/Roboto-Regular.ttf")).expect("font");
    let fonts = PdfFonts {
        cjk: &cjk,
        latin: &latin,
    };
    let media = media();
    let lines = five_drugs();
    let header = SheetHeader {
        patient: "张*明".to_owned(),
        prescriber: "李医生".to_owned(),
        date: "2026-11-22".parse().expect("date"),
    };
    let mut g = c.benchmark_group("guidance_5_drugs");
    g.sample_size(30);
    for lang in [GuidanceLanguage::ZhCn, GuidanceLanguage::En] {
        let tag = lang.tag();
        g.bench_function(format!("build/{tag}"), |b| {
            b.iter(|| build_sheet(&pack, black_box(&lines), lang, &header).expect("sheet"))
        });
        g.bench_function(format!("build+html/{tag}"), |b| {
            b.iter(|| {
                let s = build_sheet(&pack, black_box(&lines), lang, &header).expect("sheet");
                render_html(&s, &media)
            })
        });
        g.bench_function(format!("build+pdf/{tag}"), |b| {
            b.iter(|| {
                let s = build_sheet(&pack, black_box(&lines), lang, &header).expect("sheet");
                render_pdf(&s, &media, &fonts).expect("pdf")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, sheet);
criterion_main!(benches);
