//! The guidance sheet as a value, and the pure builder that makes it from the knowledge pack
//! and the prescription lines (R-GUIDE-1, R-GUIDE-2). The renderers (`html`, `pdf`) and the
//! UI preview all read this one value, so they cannot disagree about what a patient is told.

use chrono::NaiveDate;
use meddesk_formulary::Pack;
use meddesk_formulary::schema::{Frequency, Route};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::GuidanceError;
use crate::words;

/// The language a sheet is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub enum GuidanceLanguage {
    #[serde(rename = "zh-CN", alias = "zh")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl GuidanceLanguage {
    /// The BCP 47 tag (`lang` attribute of the printable page).
    pub fn tag(self) -> &'static str {
        match self {
            GuidanceLanguage::ZhCn => "zh-CN",
            GuidanceLanguage::En => "en",
        }
    }

    /// The colon between a label and its value ("规格：5 mg" / "Strength: 5 mg").
    pub(crate) fn colon(self) -> &'static str {
        match self {
            GuidanceLanguage::ZhCn => "：",
            GuidanceLanguage::En => ": ",
        }
    }
}

/// One line of an approved prescription, as the sheet needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct GuidanceLine {
    /// A pack drug id or any name the pack resolves (INN, Chinese, synonym, pinyin).
    pub drug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub strength: Option<String>,
    /// The single dose, e.g. 1 (tablet), 500 (mg), 10 (U).
    pub dose: f64,
    /// The dose unit as the prescription writes it (`tablet`, `mg`, `U`, `puff` …).
    pub unit: String,
    pub route: Route,
    pub frequency: Frequency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub quantity: Option<f64>,
}

/// Who and when the sheet is for. The patient label must already be de-identified (a
/// masked name such as "张*明"); the builder copies it as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SheetHeader {
    pub patient: String,
    pub prescriber: String,
    #[ts(type = "string")]
    pub date: NaiveDate,
}

/// A medication-guidance sheet, ready to preview, print or export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GuidanceSheet {
    pub language: GuidanceLanguage,
    /// Headings and fixed sentences in the sheet's language.
    pub labels: SheetLabels,
    pub patient: String,
    pub prescriber: String,
    #[ts(type = "string")]
    pub date: NaiveDate,
    /// The knowledge-pack version the text comes from.
    pub pack_version: String,
    pub medicines: Vec<MedicineGuidance>,
    /// Every source the sheet cites, resolved from the pack's `sources.toml`.
    pub sources: Vec<SourceNote>,
}

impl GuidanceSheet {
    /// The demonstration media the sheet links to (each once, in sheet order), so a caller
    /// knows which `assets/guidance/<id>/` folders to read for the renderers.
    pub fn media_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for m in &self.medicines {
            if let Some(link) = &m.media {
                if !ids.contains(&link.id.as_str()) {
                    ids.push(&link.id);
                }
            }
        }
        ids
    }
}

/// Fixed wording of the sheet (see `words.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SheetLabels {
    pub title: String,
    pub patient: String,
    pub prescriber: String,
    pub date: String,
    pub purpose: String,
    pub how_to_take: String,
    pub effect: String,
    pub adverse: String,
    pub adherence: String,
    pub media: String,
    pub source: String,
    pub sources: String,
    pub strength: String,
    pub quantity: String,
    pub intro: String,
    pub closing: String,
    /// What "source" reads for facts taken from the prescription itself.
    pub prescription_source: String,
    /// Page footer with `{n}` and `{total}` placeholders.
    pub page: String,
}

/// Guidance for one prescribed medicine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MedicineGuidance {
    /// 1-based prescription line number.
    pub line: usize,
    /// The pack drug id, when the pack knows the medicine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub drug_id: Option<String>,
    /// The name in the sheet's language (the prescription's text when the pack lacks it).
    pub name: String,
    /// The name in the other language (INN on a Chinese sheet, Chinese on an English one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub other_name: Option<String>,
    pub how_to_take: HowToTake,
    /// The pack's `[drug.guidance]` block in the sheet's language; `None` when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub guidance: Option<PackGuidance>,
    /// Set when `guidance` is `None`: the sheet says so plainly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub no_guidance: Option<String>,
    /// A demonstration where technique matters (R-GUIDE-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub media: Option<MediaLink>,
}

/// How to take a medicine, from the prescription line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HowToTake {
    pub route: String,
    pub dose: String,
    pub frequency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub course: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub strength: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub quantity: Option<String>,
    /// The whole instruction as one sentence.
    pub text: String,
    /// "每日定时服药" where the schedule implies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reminder: Option<String>,
    /// Always the prescription (`labels.prescription_source`).
    pub source: String,
}

/// The pack's guidance text, verbatim, with its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PackGuidance {
    pub mechanism: String,
    pub effect: String,
    pub adverse: Vec<String>,
    pub adherence: Vec<String>,
    /// The pack's `source` string ("<source-id> <locator>[; …]").
    pub source: String,
}

/// A link to demonstration media in `assets/guidance/<id>/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MediaLink {
    pub id: String,
    /// Relative to the shipped `assets/` folder.
    pub href: String,
    pub label: String,
}

/// A cited source, as the pack defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SourceNote {
    pub id: String,
    pub title: String,
    pub publisher: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub url: Option<String>,
    pub licence: String,
}

/// Build the sheet. Pure: no IO, no clock (the date is in `header`).
///
/// Lines naming a medicine the pack does not know still get their "how to take it" section,
/// and the sheet says plainly that there is no guidance for them.
pub fn build_sheet(
    pack: &Pack,
    lines: &[GuidanceLine],
    language: GuidanceLanguage,
    header: &SheetHeader,
) -> Result<GuidanceSheet, GuidanceError> {
    if lines.is_empty() {
        return Err(GuidanceError::NoLines);
    }
    let labels = words::labels(language);
    let mut medicines = Vec::with_capacity(lines.len());
    let mut source_ids: Vec<String> = Vec::new();
    for (ix, line) in lines.iter().enumerate() {
        validate(ix + 1, line)?;
        let drug = pack
            .drug(line.drug.trim())
            .or_else(|| pack.resolve_drug(&line.drug).map(|d| &pack.drugs[d]));
        let how_to_take = how_to_take(language, line, &labels);
        let (name, other_name) = match (drug, language) {
            (Some(d), GuidanceLanguage::ZhCn) => (d.zh.clone(), Some(d.inn.clone())),
            (Some(d), GuidanceLanguage::En) => (d.inn.clone(), Some(d.zh.clone())),
            (None, _) => (line.drug.trim().to_owned(), None),
        };
        let block = drug.and_then(|d| d.guidance.as_ref());
        let guidance = block.map(|g| {
            for id in cited_ids(&g.source) {
                if !source_ids.iter().any(|s| s == id) {
                    source_ids.push(id.to_owned());
                }
            }
            match language {
                GuidanceLanguage::ZhCn => PackGuidance {
                    mechanism: g.mechanism_zh.clone(),
                    effect: g.effect_zh.clone(),
                    adverse: g.adverse_zh.clone(),
                    adherence: g.adherence_zh.clone(),
                    source: g.source.clone(),
                },
                GuidanceLanguage::En => PackGuidance {
                    mechanism: g.mechanism_en.clone(),
                    effect: g.effect_en.clone(),
                    adverse: g.adverse_en.clone(),
                    adherence: g.adherence_en.clone(),
                    source: g.source.clone(),
                },
            }
        });
        let no_guidance = guidance
            .is_none()
            .then(|| words::no_guidance(language, drug.is_some()));
        let media = block.and_then(|g| g.media.as_ref()).map(|id| MediaLink {
            id: id.clone(),
            href: format!("guidance/{id}/"),
            label: words::media_label(language, id),
        });
        medicines.push(MedicineGuidance {
            line: ix + 1,
            drug_id: drug.map(|d| d.id.clone()),
            name,
            other_name,
            how_to_take,
            guidance,
            no_guidance,
            media,
        });
    }
    let sources = source_ids
        .iter()
        .filter_map(|id| pack.source(id))
        .map(|s| SourceNote {
            id: s.id.clone(),
            title: s.title.clone(),
            publisher: s.publisher.clone(),
            url: s.url.clone(),
            licence: s.licence.clone(),
        })
        .collect();
    Ok(GuidanceSheet {
        language,
        labels,
        patient: header.patient.clone(),
        prescriber: header.prescriber.clone(),
        date: header.date,
        pack_version: pack.meta.version.clone(),
        medicines,
        sources,
    })
}

/// Source ids cited by a pack `source` string: the first word of each `;`-separated part.
fn cited_ids(source: &str) -> impl Iterator<Item = &str> {
    source
        .split(';')
        .filter_map(|part| part.split_whitespace().next())
}

fn validate(line: usize, l: &GuidanceLine) -> Result<(), GuidanceError> {
    let bad = |field, reason| GuidanceError::InvalidLine {
        line,
        field,
        reason,
    };
    if l.drug.trim().is_empty() {
        return Err(bad("drug", "is empty"));
    }
    if !l.dose.is_finite() || l.dose <= 0.0 {
        return Err(bad("dose", "must be a positive number"));
    }
    if l.unit.trim().is_empty() {
        return Err(bad("unit", "is empty"));
    }
    if l.days == Some(0) {
        return Err(bad("days", "must be at least 1"));
    }
    if l.quantity.is_some_and(|q| !q.is_finite() || q <= 0.0) {
        return Err(bad("quantity", "must be a positive number"));
    }
    Ok(())
}

fn how_to_take(lang: GuidanceLanguage, l: &GuidanceLine, labels: &SheetLabels) -> HowToTake {
    let route = words::route(lang, l.route).to_owned();
    let dose = words::dose(lang, l.dose, &l.unit);
    let frequency = words::frequency(lang, l.frequency).to_owned();
    let course = l.days.map(|d| words::course(lang, d));
    let strength = l
        .strength
        .as_ref()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let quantity = l.quantity.map(words::number);
    let text = match lang {
        GuidanceLanguage::ZhCn => {
            let mut t = format!("{route}，每次{dose}，{frequency}");
            if let Some(c) = &course {
                t.push('，');
                t.push_str(c);
            }
            t.push('。');
            t
        }
        GuidanceLanguage::En => {
            let mut t = format!("{dose} {route}, {frequency}");
            if let Some(c) = &course {
                t.push_str(", ");
                t.push_str(c);
            }
            t.push('.');
            capitalise(&t)
        }
    };
    HowToTake {
        reminder: words::schedule_reminder(lang, l.frequency, l.route),
        route,
        dose,
        frequency,
        course,
        strength,
        quantity,
        text,
        source: labels.prescription_source.clone(),
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
