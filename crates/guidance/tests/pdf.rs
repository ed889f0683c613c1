//! The PDF export, read back by an independent implementation (poppler's `pdftotext` and
//! `pdfinfo`, Debian package `poppler-utils`, installed by `cargo xtask test`) (R-GUIDE-1).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::process::{Command, Stdio};

use common::{fonts, media, pack, sheet};
use meddesk_guidance::{
    GuidanceLanguage, GuidanceLine, SheetHeader, build_sheet, missing_glyphs, render_pdf,
};

/// Run a poppler tool on `pdf` (through a temp file), text to stdout. A missing tool FAILS
/// the test, naming the package.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("meddesk-guidance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{tool}-{}.pdf", rand_suffix(pdf)));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new(tool)
        .args(args)
        .arg(&path)
        .arg("-")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "`{tool}` could not run ({e}): install the Debian package poppler-utils \
                 (`cargo xtask test` installs it)"
            )
        });
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn pdfinfo(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("meddesk-guidance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("info-{}.pdf", rand_suffix(pdf)));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdfinfo")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!("`pdfinfo` could not run ({e}): install the Debian package poppler-utils")
        });
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "pdfinfo rejected the file");
    String::from_utf8(out.stdout).unwrap()
}

fn rand_suffix(bytes: &[u8]) -> String {
    let mut h: u64 = 1469598103934665603;
    for b in bytes.iter().step_by(97) {
        h = (h ^ u64::from(*b)).wrapping_mul(1099511628211);
    }
    format!("{h:x}-{:?}", std::thread::current().id()).replace(['(', ')'], "")
}

fn pages(info: &str) -> usize {
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .expect("pdfinfo prints the page count")
        .trim()
        .parse()
        .unwrap()
}

/// Squash whitespace: extracted text wraps where the layout wrapped.
fn flat(s: &str) -> String {
    s.split_whitespace().collect()
}

#[test]
fn chinese_text_is_extractable_from_the_pdf() {
    let s = sheet("diabetes_hypertension.zh.json");
    let pdf = render_pdf(&s, &media(), &fonts().get()).unwrap();
    let text = poppler("pdftotext", &["-enc", "UTF-8"], &pdf);
    let flat_text = flat(&text);
    assert!(text.contains("每日"), "每日 is extractable");
    for id in ["amlodipine", "metformin", "insulin_glargine"] {
        let name = &pack().drug(id).unwrap().zh;
        assert!(flat_text.contains(name.as_str()), "{name} is extractable");
    }
    assert!(flat_text.contains("氨氯地平"));
    assert!(flat_text.contains("每日3次"));
    assert!(flat_text.contains("每日定时服药"));
    // The pack's sentences come out whole, mixed Chinese/Latin included.
    let g = pack().drug("metformin").unwrap().guidance.clone().unwrap();
    assert!(flat_text.contains(&flat(&g.mechanism_zh)));
    assert!(flat_text.contains(&flat(&g.adherence_zh[2])));
    assert!(flat_text.contains("张*明"));
}

#[test]
fn english_text_is_extractable_from_the_pdf() {
    let s = sheet("diabetes_hypertension.en.json");
    let pdf = render_pdf(&s, &media(), &fonts().get()).unwrap();
    let text = poppler("pdftotext", &["-enc", "UTF-8"], &pdf);
    let flat_text = flat(&text);
    assert!(flat_text.contains(&flat("three times a day")));
    let g = pack().drug("amlodipine").unwrap().guidance.clone().unwrap();
    assert!(flat_text.contains(&flat(&g.effect_en)));
    assert!(
        flat_text.contains("氨氯地平"),
        "the other-language name in CJK"
    );
}

#[test]
fn the_file_structure_is_well_formed() {
    let s = sheet("diabetes_hypertension.zh.json");
    let pdf = render_pdf(&s, &[], &fonts().get()).unwrap();
    assert!(pdf.starts_with(b"%PDF-1."), "header");
    let tail = String::from_utf8_lossy(&pdf[pdf.len().saturating_sub(64)..]).into_owned();
    assert!(
        tail.trim_end().ends_with("%%EOF"),
        "trailer ends with %%EOF: {tail}"
    );
    // startxref points at the cross-reference table.
    let at = tail.rfind("startxref").expect("startxref");
    let offset: usize = tail[at + "startxref".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        pdf[offset..].starts_with(b"xref"),
        "startxref offset is the xref table"
    );
    let body = String::from_utf8_lossy(&pdf);
    assert!(body.contains("trailer"));
    for needle in [
        "/Subtype /Type0",
        "/Subtype /CIDFontType2",
        "/Encoding /Identity-H",
        "/ToUnicode",
        "/FontFile2",
        "/MediaBox [0 0 595.276 841.89]",
        "/Lang (zh-CN)",
    ] {
        assert!(body.contains(needle), "{needle}");
    }
    // Subsets, not the 4 MB CJK font.
    assert!(pdf.len() < 400_000, "{} bytes", pdf.len());
    let info = pdfinfo(&pdf);
    assert!(info.contains("A4"), "{info}");
}

fn long_prescription() -> Vec<GuidanceLine> {
    let line = |drug: &str, dose: f64, unit: &str, route: &str, freq: &str| GuidanceLine {
        drug: drug.to_owned(),
        strength: None,
        dose,
        unit: unit.to_owned(),
        route: serde_json::from_value(serde_json::json!(route)).unwrap(),
        frequency: serde_json::from_value(serde_json::json!(freq)).unwrap(),
        days: Some(30),
        quantity: None,
    };
    let mut v = Vec::new();
    for _ in 0..3 {
        v.push(line("amlodipine", 1.0, "tablet", "oral", "QD"));
        v.push(line("metformin", 500.0, "mg", "oral", "TID"));
        v.push(line("insulin_glargine", 10.0, "U", "sc", "QN"));
        v.push(line("warfarin", 3.0, "mg", "oral", "QD"));
        v.push(line("salbutamol", 2.0, "puff", "inhaled", "PRN"));
    }
    v
}

#[test]
fn a_long_sheet_spans_pages_and_numbers_them() {
    let header = SheetHeader {
        patient: "张*明".into(),
        prescriber: "李医生".into(),
        date: "2026-11-22".parse().unwrap(),
    };
    let short = build_sheet(
        pack(),
        &long_prescription()[..1],
        GuidanceLanguage::ZhCn,
        &header,
    )
    .unwrap();
    let short_pdf = render_pdf(&short, &[], &fonts().get()).unwrap();
    assert_eq!(
        pages(&pdfinfo(&short_pdf)),
        1,
        "one tablet fits on one page"
    );

    let long = build_sheet(
        pack(),
        &long_prescription(),
        GuidanceLanguage::ZhCn,
        &header,
    )
    .unwrap();
    let pdf = render_pdf(&long, &media(), &fonts().get()).unwrap();
    let n = pages(&pdfinfo(&pdf));
    assert!(
        n >= 4,
        "15 medicines with guidance and demonstrations: {n} pages"
    );
    // Every page carries its "page k of n" footer, and every page has body text.
    for k in 1..=n {
        let page = poppler(
            "pdftotext",
            &["-enc", "UTF-8", "-f", &k.to_string(), "-l", &k.to_string()],
            &pdf,
        );
        assert!(
            flat(&page).contains(&format!("第{k}/{n}页")),
            "page {k} footer: {page}"
        );
        assert!(page.chars().filter(|c| !c.is_whitespace()).count() > 100);
    }
    // Nothing lost between pages: the 15th medicine's last adherence line is there.
    let all = flat(&poppler("pdftotext", &["-enc", "UTF-8"], &pdf));
    assert!(all.contains("15."));
    let g = pack().drug("salbutamol").unwrap().guidance.clone().unwrap();
    assert!(all.contains(&flat(g.adherence_zh.last().unwrap())));
}

#[test]
fn the_shipped_fonts_cover_every_guidance_text_in_the_pack() {
    let header = SheetHeader {
        patient: "张*明 Zhang".into(),
        prescriber: "Dr 李".into(),
        date: "2026-11-22".parse().unwrap(),
    };
    let lines: Vec<GuidanceLine> = pack()
        .drugs
        .iter()
        .filter(|d| d.guidance.is_some())
        .map(|d| GuidanceLine {
            drug: d.id.clone(),
            strength: Some("100 mcg/dose".into()),
            dose: 1.5,
            unit: "tablet".into(),
            route: meddesk_formulary::schema::Route::Oral,
            frequency: meddesk_formulary::schema::Frequency::BID,
            days: Some(7),
            quantity: Some(14.0),
        })
        .collect();
    assert!(lines.len() >= 10);
    for lang in [GuidanceLanguage::ZhCn, GuidanceLanguage::En] {
        let s = build_sheet(pack(), &lines, lang, &header).unwrap();
        let missing = missing_glyphs(&s, &fonts().get()).unwrap();
        assert!(missing.is_empty(), "{lang:?}: no glyph for {missing:?}");
    }
    // And the pairing is needed: the CJK font alone has no Latin letters.
    let cjk = ttf_parser::Face::parse(&fonts().cjk, 0).unwrap();
    assert!(cjk.glyph_index('a').is_none() && cjk.glyph_index('每').is_some());
    let latin = ttf_parser::Face::parse(&fonts().latin, 0).unwrap();
    assert!(latin.glyph_index('a').is_some() && latin.glyph_index('—').is_some());
}

#[test]
fn a_character_no_font_has_still_extracts_as_itself() {
    let header = SheetHeader {
        // U+1F48A (pill emoji): in neither font.
        patient: "张* \u{1F48A}".into(),
        prescriber: "李医生".into(),
        date: "2026-11-22".parse().unwrap(),
    };
    let s = build_sheet(
        pack(),
        &long_prescription()[..1],
        GuidanceLanguage::ZhCn,
        &header,
    )
    .unwrap();
    assert_eq!(
        missing_glyphs(&s, &fonts().get()).unwrap(),
        vec!['\u{1F48A}']
    );
    let pdf = render_pdf(&s, &[], &fonts().get()).unwrap();
    let text = poppler("pdftotext", &["-enc", "UTF-8"], &pdf);
    assert!(text.contains('\u{1F48A}'));
}

#[test]
fn rendering_is_deterministic() {
    let s = sheet("diabetes_hypertension.zh.json");
    let a = render_pdf(&s, &media(), &fonts().get()).unwrap();
    let b = render_pdf(&s, &media(), &fonts().get()).unwrap();
    assert_eq!(a, b);
}
