//! The fixed wording of a sheet in each language: section headings, how frequencies, routes
//! and dose units read to a patient. Clinical facts never live here — only the words that
//! turn a prescription line into a sentence (R-GUIDE-1).

use meddesk_formulary::schema::{Frequency, Route};

use crate::sheet::{GuidanceLanguage, SheetLabels};

pub(crate) fn labels(lang: GuidanceLanguage) -> SheetLabels {
    let s = |zh: &str, en: &str| match lang {
        GuidanceLanguage::ZhCn => zh.to_owned(),
        GuidanceLanguage::En => en.to_owned(),
    };
    SheetLabels {
        title: s("用药指导单", "Medication guidance"),
        patient: s("患者", "Patient"),
        prescriber: s("医师", "Prescriber"),
        date: s("日期", "Date"),
        purpose: s("用途与作用", "What it is for and how it works"),
        how_to_take: s("用法用量", "How to take it"),
        effect: s("预期效果", "What to expect"),
        adverse: s("需要留意的不良反应", "Side effects to watch for"),
        adherence: s("用药提醒", "Reminders"),
        media: s("操作演示", "Step-by-step demonstration"),
        source: s("出处", "Source"),
        sources: s("资料来源", "Sources"),
        strength: s("规格", "Strength"),
        quantity: s("数量", "Quantity"),
        intro: s(
            "本单药品说明来自 MedDesk 药品知识库，每部分注明出处；用法用量来自您的处方。",
            "The medicine information comes from the MedDesk knowledge pack, and each part names its source; how to take each medicine comes from your prescription.",
        ),
        closing: s(
            "如有疑问，或出现上述不良反应，请及时联系医生或药师。",
            "If you have questions, or notice any of the side effects above, contact your doctor or pharmacist.",
        ),
        prescription_source: s("您的处方", "your prescription"),
        page: s("第 {n} / {total} 页", "Page {n} of {total}"),
    }
}

/// "每日3次" / "three times a day" (R-GUIDE-1: spelled out, never an abbreviation).
pub(crate) fn frequency(lang: GuidanceLanguage, f: Frequency) -> &'static str {
    use Frequency::*;
    match lang {
        GuidanceLanguage::ZhCn => match f {
            QD => "每日1次",
            BID => "每日2次",
            TID => "每日3次",
            QID => "每日4次",
            Q4H => "每4小时1次",
            Q6H => "每6小时1次",
            Q8H => "每8小时1次",
            Q12H => "每12小时1次",
            QN => "每晚1次",
            QW => "每周1次",
            PRN => "必要时使用",
            ONCE => "仅用1次",
        },
        GuidanceLanguage::En => match f {
            QD => "once a day",
            BID => "twice a day",
            TID => "three times a day",
            QID => "four times a day",
            Q4H => "every 4 hours",
            Q6H => "every 6 hours",
            Q8H => "every 8 hours",
            Q12H => "every 12 hours",
            QN => "once every night",
            QW => "once a week",
            PRN => "only when needed",
            ONCE => "one time only",
        },
    }
}

pub(crate) fn route(lang: GuidanceLanguage, r: Route) -> &'static str {
    use Route::*;
    match lang {
        GuidanceLanguage::ZhCn => match r {
            Oral => "口服",
            Iv => "静脉给药",
            Im => "肌内注射",
            Sc => "皮下注射",
            Inhaled => "吸入",
            Topical => "外用",
            Rectal => "直肠给药",
            Vaginal => "阴道给药",
            Sublingual => "舌下含服",
            Ophthalmic => "滴眼",
            Nasal => "鼻腔给药",
            Transdermal => "贴于皮肤",
        },
        GuidanceLanguage::En => match r {
            Oral => "by mouth",
            Iv => "into a vein",
            Im => "injected into a muscle",
            Sc => "injected under the skin",
            Inhaled => "breathed in (inhaled)",
            Topical => "on the skin",
            Rectal => "into the rectum",
            Vaginal => "into the vagina",
            Sublingual => "under the tongue",
            Ophthalmic => "in the eye",
            Nasal => "in the nose",
            Transdermal => "as a skin patch",
        },
    }
}

/// A dose amount with its unit as a patient reads it: "1片" / "1 tablet", "10单位" / "10 units".
/// Units the table does not know are shown as written on the prescription.
pub(crate) fn dose(lang: GuidanceLanguage, value: f64, unit: &str) -> String {
    let n = number(value);
    let one = value == 1.0;
    let key = unit.trim();
    match lang {
        GuidanceLanguage::ZhCn => {
            let zh = match key.to_ascii_lowercase().as_str() {
                "tablet" | "tablets" => "片",
                "capsule" | "capsules" => "粒",
                "puff" | "puffs" => "揿",
                "drop" | "drops" => "滴",
                "sachet" | "sachets" => "袋",
                "u" | "unit" | "units" => "单位",
                "iu" => "国际单位",
                _ => "",
            };
            if zh.is_empty() {
                format!("{n} {key}")
            } else {
                format!("{n}{zh}")
            }
        }
        GuidanceLanguage::En => {
            let (singular, plural) = match key.to_ascii_lowercase().as_str() {
                "tablet" | "tablets" | "片" => ("tablet", "tablets"),
                "capsule" | "capsules" | "粒" => ("capsule", "capsules"),
                "puff" | "puffs" | "揿" | "喷" => ("puff", "puffs"),
                "drop" | "drops" | "滴" => ("drop", "drops"),
                "sachet" | "sachets" | "袋" => ("sachet", "sachets"),
                "u" | "unit" | "units" | "单位" => ("unit", "units"),
                _ => (key, key),
            };
            format!("{n} {}", if one { singular } else { plural })
        }
    }
}

/// "疗程7天" / "for 7 days".
pub(crate) fn course(lang: GuidanceLanguage, days: u32) -> String {
    match lang {
        GuidanceLanguage::ZhCn => format!("疗程{days}天"),
        GuidanceLanguage::En if days == 1 => "for 1 day".to_owned(),
        GuidanceLanguage::En => format!("for {days} days"),
    }
}

/// The adherence reminder a schedule implies ("每日定时服药"); none for as-needed or
/// one-off doses, which have no schedule to keep (R-GUIDE-1).
pub(crate) fn schedule_reminder(lang: GuidanceLanguage, f: Frequency, r: Route) -> Option<String> {
    use Frequency::*;
    let oral = matches!(r, Route::Oral | Route::Sublingual);
    let text = match (lang, f) {
        (_, PRN | ONCE) => return None,
        (GuidanceLanguage::ZhCn, QW) => "每周在同一天用药",
        (GuidanceLanguage::ZhCn, _) if oral => "每日定时服药",
        (GuidanceLanguage::ZhCn, _) => "每日定时用药",
        (GuidanceLanguage::En, QW) => "Use it on the same day each week.",
        (GuidanceLanguage::En, _) if oral => "Take it at the same time(s) every day.",
        (GuidanceLanguage::En, _) => "Use it at the same time(s) every day.",
    };
    Some(text.to_owned())
}

/// What the sheet says when the pack has no guidance for a medicine: plainly that, never a
/// made-up substitute (R-GUIDE-1).
pub(crate) fn no_guidance(lang: GuidanceLanguage, in_pack: bool) -> String {
    match (lang, in_pack) {
        (GuidanceLanguage::ZhCn, true) => {
            "知识库中暂无本药的用药指导（作用、效果、不良反应）。请向医生或药师询问。".to_owned()
        }
        (GuidanceLanguage::ZhCn, false) => {
            "本药不在知识库中，暂无用药指导（作用、效果、不良反应）。请向医生或药师询问。"
                .to_owned()
        }
        (GuidanceLanguage::En, true) => "The knowledge pack has no guidance for this medicine (how it works, what to expect, side effects). Ask your doctor or pharmacist.".to_owned(),
        (GuidanceLanguage::En, false) => "This medicine is not in the knowledge pack, so there is no guidance for it (how it works, what to expect, side effects). Ask your doctor or pharmacist.".to_owned(),
    }
}

pub(crate) fn media_label(lang: GuidanceLanguage, id: &str) -> String {
    let known = match (lang, id) {
        (GuidanceLanguage::ZhCn, "insulin-pen") => Some("胰岛素笔注射图解步骤"),
        (GuidanceLanguage::ZhCn, "inhaler") => Some("定量吸入气雾剂使用图解步骤"),
        (GuidanceLanguage::En, "insulin-pen") => {
            Some("How to inject with an insulin pen, step by step")
        }
        (GuidanceLanguage::En, "inhaler") => {
            Some("How to use a metered-dose inhaler, step by step")
        }
        _ => None,
    };
    match (known, lang) {
        (Some(k), _) => k.to_owned(),
        (None, GuidanceLanguage::ZhCn) => format!("图解步骤（{id}）"),
        (None, GuidanceLanguage::En) => format!("Step-by-step pictures ({id})"),
    }
}

/// Numbers as a patient writes them: 1, 0.5, 2.25 (no trailing zeros).
pub(crate) fn number(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_no_trailing_zeros() {
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(2.25), "2.25");
        assert_eq!(number(10.0), "10");
    }

    #[test]
    fn doses_read_naturally() {
        assert_eq!(dose(GuidanceLanguage::ZhCn, 1.0, "tablet"), "1片");
        assert_eq!(dose(GuidanceLanguage::ZhCn, 5.0, "mg"), "5 mg");
        assert_eq!(dose(GuidanceLanguage::ZhCn, 10.0, "U"), "10单位");
        assert_eq!(dose(GuidanceLanguage::En, 1.0, "tablet"), "1 tablet");
        assert_eq!(dose(GuidanceLanguage::En, 2.0, "puff"), "2 puffs");
        assert_eq!(dose(GuidanceLanguage::En, 500.0, "mg"), "500 mg");
    }

    #[test]
    fn every_frequency_is_spelled_out_in_both_languages() {
        use Frequency::*;
        for f in [QD, BID, TID, QID, Q4H, Q6H, Q8H, Q12H, QN, QW, PRN, ONCE] {
            for lang in [GuidanceLanguage::ZhCn, GuidanceLanguage::En] {
                let text = frequency(lang, f);
                assert_ne!(
                    text,
                    f.as_str(),
                    "{f:?} must not be shown as an abbreviation"
                );
            }
        }
        assert_eq!(frequency(GuidanceLanguage::ZhCn, TID), "每日3次");
        assert_eq!(frequency(GuidanceLanguage::En, TID), "three times a day");
    }

    #[test]
    fn no_schedule_reminder_without_a_schedule() {
        assert_eq!(
            schedule_reminder(GuidanceLanguage::ZhCn, Frequency::QD, Route::Oral).as_deref(),
            Some("每日定时服药")
        );
        assert!(schedule_reminder(GuidanceLanguage::En, Frequency::PRN, Route::Oral).is_none());
        assert!(schedule_reminder(GuidanceLanguage::En, Frequency::ONCE, Route::Im).is_none());
    }
}
