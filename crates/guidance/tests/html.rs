//! The printable page (R-GUIDE-1, R-GUIDE-2).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{fixture, media, pack, sheet};
use meddesk_guidance::{build_sheet, render_html};

#[test]
fn the_page_has_every_section_and_the_packs_text() {
    let s = sheet("diabetes_hypertension.zh.json");
    let html = render_html(&s, &media());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"zh-CN\">"));
    for label in [
        &s.labels.title,
        &s.labels.how_to_take,
        &s.labels.purpose,
        &s.labels.effect,
        &s.labels.adverse,
        &s.labels.adherence,
        &s.labels.media,
        &s.labels.sources,
    ] {
        assert!(html.contains(label.as_str()), "section {label}");
    }
    assert!(html.contains("每日3次"));
    let g = pack().drug("amlodipine").unwrap().guidance.clone().unwrap();
    assert!(html.contains(&g.mechanism_zh));
    assert!(html.contains("@page { size: A4"), "print CSS for A4");
    // The insulin pen's drawings are inline, with the step text in Chinese.
    assert!(html.contains("<svg viewBox="));
    let pen = media()
        .into_iter()
        .find(|m| m.demonstration.id == "insulin-pen")
        .unwrap();
    assert!(html.contains(&pen.demonstration.steps[2].zh));
    assert_eq!(
        html.matches("<svg").count(),
        pen.demonstration.steps.len(),
        "every step of the one demonstration this sheet needs is drawn"
    );
}

#[test]
fn data_is_escaped() {
    let s = sheet("asthma.en.json");
    let html = render_html(&s, &media());
    assert!(html.contains("Dr &lt;b&gt;Wu&lt;/b&gt; &amp; &quot;Co&quot;"));
    assert!(!html.contains("<b>Wu</b>"));
    let mut f = fixture("asthma.en.json");
    f.lines[0].drug = "<script>alert(1)</script>".into();
    let s = build_sheet(pack(), &f.lines, f.language, &f.header).unwrap();
    let html = render_html(&s, &[]);
    assert!(!html.contains("<script"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn the_page_loads_nothing_from_outside() {
    for name in [
        "diabetes_hypertension.zh.json",
        "diabetes_hypertension.en.json",
        "asthma.en.json",
        "without_guidance.zh.json",
    ] {
        let html = render_html(&sheet(name), &media()).to_ascii_lowercase();
        for bad in [
            "http://", "https://", "//cdn", "src=", "<link", "@import", "url(", "<script",
            "<iframe",
        ] {
            assert!(!html.contains(bad), "{name}: `{bad}` in the page");
        }
    }
}

#[test]
fn a_medicine_without_guidance_is_marked_on_the_page() {
    let s = sheet("without_guidance.zh.json");
    let html = render_html(&s, &[]);
    assert_eq!(html.matches("class=\"missing\"").count(), 2);
    assert!(html.contains("口服，每次100 mg，每日1次，疗程14天。"));
}
