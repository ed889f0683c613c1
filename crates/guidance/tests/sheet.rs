//! The builder against the SHIPPED knowledge pack (R-GUIDE-1, R-GUIDE-2).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{fixture, pack, sheet};
use meddesk_guidance::{GuidanceError, GuidanceLanguage, GuidanceSheet, build_sheet};

fn medicine<'a>(s: &'a GuidanceSheet, id: &str) -> &'a meddesk_guidance::MedicineGuidance {
    s.medicines
        .iter()
        .find(|m| m.drug_id.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("{id} is on the sheet"))
}

#[test]
fn zh_sheet_gives_every_section_with_the_packs_text_verbatim() {
    let s = sheet("diabetes_hypertension.zh.json");
    assert_eq!(s.language, GuidanceLanguage::ZhCn);
    assert_eq!(s.medicines.len(), 3);
    assert_eq!(s.pack_version, pack().meta.version);
    for id in ["amlodipine", "metformin", "insulin_glargine"] {
        let m = medicine(&s, id);
        let drug = pack().drug(id).unwrap();
        let g = drug
            .guidance
            .as_ref()
            .expect("the pack has guidance for it");
        assert_eq!(m.name, drug.zh, "the Chinese name from the pack");
        assert_eq!(m.other_name.as_deref(), Some(drug.inn.as_str()));
        let got = m.guidance.as_ref().expect("guidance section");
        assert_eq!(got.mechanism, g.mechanism_zh);
        assert_eq!(got.effect, g.effect_zh);
        assert_eq!(got.adverse, g.adverse_zh);
        assert_eq!(got.adherence, g.adherence_zh);
        assert_eq!(got.source, g.source, "each fact carries the pack's source");
        assert!(m.no_guidance.is_none());
        assert_eq!(m.how_to_take.source, "您的处方");
    }
    let aml = medicine(&s, "amlodipine");
    assert_eq!(aml.how_to_take.frequency, "每日1次");
    assert_eq!(aml.how_to_take.text, "口服，每次1片，每日1次，疗程30天。");
    assert_eq!(aml.how_to_take.reminder.as_deref(), Some("每日定时服药"));
    assert_eq!(aml.how_to_take.strength.as_deref(), Some("5 mg"));
    let met = medicine(&s, "metformin");
    assert_eq!(met.how_to_take.frequency, "每日3次");
    assert_eq!(met.line, 2, "line numbers follow the prescription");
    let ins = medicine(&s, "insulin_glargine");
    assert!(
        ins.how_to_take
            .text
            .starts_with("皮下注射，每次10单位，每晚1次")
    );
    let media = ins
        .media
        .as_ref()
        .expect("the insulin pen needs a demonstration");
    assert_eq!(media.id, "insulin-pen");
    assert_eq!(media.href, "guidance/insulin-pen/");
    assert!(aml.media.is_none(), "tablets need no demonstration");

    // Every cited source id resolves to the pack's sources.toml entry.
    assert!(!s.sources.is_empty());
    for m in &s.medicines {
        let cited = m.guidance.as_ref().unwrap().source.split(';').count();
        assert!(cited >= 1);
    }
    for src in &s.sources {
        assert_eq!(pack().source(&src.id).unwrap().title, src.title);
    }
    assert!(s.sources.iter().any(|x| x.id == "fda-insulin-glargine"));
}

#[test]
fn en_sheet_spells_out_frequencies_and_uses_english_text() {
    let s = sheet("diabetes_hypertension.en.json");
    assert_eq!(s.labels.how_to_take, "How to take it");
    let aml = medicine(&s, "amlodipine");
    assert_eq!(aml.name, "amlodipine");
    assert_eq!(aml.other_name.as_deref(), Some("氨氯地平"));
    assert_eq!(
        aml.how_to_take.text,
        "1 tablet by mouth, once a day, for 30 days."
    );
    let met = medicine(&s, "metformin");
    assert_eq!(met.how_to_take.frequency, "three times a day");
    let g = pack().drug("metformin").unwrap().guidance.clone().unwrap();
    let got = met.guidance.as_ref().unwrap();
    assert_eq!(got.mechanism, g.mechanism_en);
    assert_eq!(got.adverse, g.adverse_en);
    assert_eq!(got.adherence, g.adherence_en);
    let ins = medicine(&s, "insulin_glargine");
    assert_eq!(
        ins.how_to_take.reminder.as_deref(),
        Some("Use it at the same time(s) every day.")
    );
}

#[test]
fn a_medicine_without_guidance_says_so_and_still_says_how_to_take_it() {
    let s = sheet("without_guidance.zh.json");
    assert!(
        pack().drug("benzbromarone").unwrap().guidance.is_none(),
        "fixture premise: the pack has no guidance block for benzbromarone (no primary source checked yet)"
    );
    let allo = medicine(&s, "benzbromarone");
    assert!(allo.guidance.is_none());
    let note = allo.no_guidance.as_deref().unwrap();
    assert!(note.contains("暂无本药的用药指导"), "{note}");
    assert_eq!(
        allo.how_to_take.text,
        "口服，每次100 mg，每日1次，疗程14天。"
    );
    assert!(allo.media.is_none());

    let unknown = &s.medicines[1];
    assert_eq!(unknown.drug_id, None);
    assert_eq!(unknown.name, "not-in-the-pack-xyz");
    assert!(
        unknown
            .no_guidance
            .as_deref()
            .unwrap()
            .contains("不在知识库中")
    );
    assert_eq!(unknown.how_to_take.frequency, "必要时使用");
    assert_eq!(
        unknown.how_to_take.reminder, None,
        "as needed: no schedule to keep"
    );
    assert!(s.sources.is_empty(), "nothing from the pack, nothing cited");
}

#[test]
fn every_drug_with_a_media_id_links_to_a_shipped_demonstration() {
    let shipped: Vec<String> = common::media()
        .into_iter()
        .map(|m| m.demonstration.id)
        .collect();
    let mut used = 0;
    for d in &pack().drugs {
        if let Some(id) = d.guidance.as_ref().and_then(|g| g.media.as_ref()) {
            used += 1;
            assert!(
                shipped.contains(id),
                "{}: media `{id}` is not in assets/guidance",
                d.id
            );
        }
    }
    assert!(used >= 2, "insulins and inhalers name their media");
}

#[test]
fn bad_lines_are_refused_naming_the_field_only() {
    let f = fixture("diabetes_hypertension.zh.json");
    assert_eq!(
        build_sheet(pack(), &[], f.language, &f.header),
        Err(GuidanceError::NoLines)
    );
    let mut lines = f.lines.clone();
    lines[1].dose = 0.0;
    let err = build_sheet(pack(), &lines, f.language, &f.header).unwrap_err();
    assert_eq!(err.code(), "invalid_line");
    assert_eq!(
        err,
        GuidanceError::InvalidLine {
            line: 2,
            field: "dose",
            reason: "must be a positive number"
        }
    );
    let mut lines = f.lines.clone();
    lines[0].days = Some(0);
    let err = build_sheet(pack(), &lines, f.language, &f.header).unwrap_err();
    assert!(!err.to_string().contains(&f.header.patient));
}

#[test]
fn the_sheet_serialises_for_the_ui_preview() {
    use ts_rs::TS;
    let s = sheet("diabetes_hypertension.zh.json");
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["language"], "zh-CN");
    assert_eq!(v["date"], "2026-11-22");
    assert_eq!(v["medicines"][2]["media"]["id"], "insulin-pen");
    assert!(
        v["medicines"][0].get("media").is_none(),
        "absent optional fields are left out, as the TS type says"
    );
    // Stored as JSON (guidance_sheets.content) and read back unchanged for a later export.
    let back: GuidanceSheet = serde_json::from_value(v).unwrap();
    assert_eq!(back, s);
    assert_eq!(s.media_ids(), ["insulin-pen"]);
    let decl = GuidanceSheet::decl(&ts_rs::Config::default());
    assert!(
        decl.contains("medicines: Array<MedicineGuidance>"),
        "{decl}"
    );
}
