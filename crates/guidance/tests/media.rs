//! The shipped demonstrations in `assets/guidance/` (R-GUIDE-2).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use meddesk_guidance::{GuidanceError, parse_demonstration};

#[test]
fn shipped_demonstrations_are_complete_and_cite_an_fda_ifu() {
    let pages = common::media();
    let ids: Vec<&str> = pages.iter().map(|p| p.demonstration.id.as_str()).collect();
    assert_eq!(ids, ["inhaler", "insulin-pen"]);
    for p in &pages {
        let d = &p.demonstration;
        assert!(d.steps.len() >= 5, "{}: a step-by-step page", d.id);
        assert!(d.source.title.contains("Instructions for Use"), "{}", d.id);
        assert!(d.source.licence.contains("Public domain"), "{}", d.id);
        for (i, step) in d.steps.iter().enumerate() {
            assert!(
                step.source.contains("Instructions for Use"),
                "{} step {}",
                d.id,
                i + 1
            );
            assert!(
                step.zh
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            );
            assert!(step.en.is_ascii() || step.en.contains('–'));
            let svg = &p.drawings[&step.image];
            assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
            assert!(svg.trim_end().ends_with("</svg>"));
            assert!(!svg.contains("<script") && !svg.contains("href"));
        }
    }
}

#[test]
fn a_broken_steps_file_is_refused() {
    let ok = std::fs::read_to_string(common::assets().join("guidance/inhaler/steps.toml")).unwrap();
    assert!(parse_demonstration("inhaler", &ok).is_ok());
    let err = parse_demonstration("insulin-pen", &ok).unwrap_err();
    assert_eq!(err.code(), "media_invalid");
    let escaped = ok.replacen("image = \"step-1.svg\"", "image = \"../../secret.svg\"", 1);
    assert!(matches!(
        parse_demonstration("inhaler", &escaped),
        Err(GuidanceError::MediaInvalid { .. })
    ));
    let unknown_key = ok.replacen("[source]", "colour = \"red\"\n[source]", 1);
    assert!(parse_demonstration("inhaler", &unknown_key).is_err());
}
