//! Drug–drug interactions and duplicate therapy (R-RX-3), within the prescription and
//! against the patient's current medications. Interaction severities map as the schema
//! allows: contraindicated → block; major → warn; moderate and minor → info. Moderate is
//! `info` on purpose (the schema leaves the choice to the code): most moderate pairs are
//! managed by monitoring, and warning on them is what drives the ≈ 90 % override rate of
//! interaction alerts; the finding is still shown with its mechanism and management.
//!
//! A current medication that is the same drug as a line is a renewal, not a duplicate.

use meddesk_formulary::Pack;
use meddesk_formulary::schema::{Interaction, InteractionSeverity};

use super::request::{FindingCode, Severity};
use super::{Context, Draft, Findings};

pub fn severity_of(s: InteractionSeverity) -> Severity {
    match s {
        InteractionSeverity::Contraindicated => Severity::Block,
        InteractionSeverity::Major => Severity::Warn,
        InteractionSeverity::Moderate | InteractionSeverity::Minor => Severity::Info,
    }
}

fn grade(s: InteractionSeverity) -> (&'static str, &'static str) {
    match s {
        InteractionSeverity::Contraindicated => ("禁止合用", "contraindicated"),
        InteractionSeverity::Major => ("严重相互作用", "major interaction"),
        InteractionSeverity::Moderate => ("中度相互作用", "moderate interaction"),
        InteractionSeverity::Minor => ("轻度相互作用", "minor interaction"),
    }
}

/// The most specific therapeutic class two drugs share (deepest in the class tree).
fn shared_therapeutic_class(pack: &Pack, a: usize, b: usize) -> Option<usize> {
    pack.drug_classes(a)
        .iter()
        .copied()
        .filter(|c| pack.classes[*c].kind.is_therapeutic() && pack.drug_classes(b).contains(c))
        .max_by_key(|c| pack.class_ancestry(*c).len())
}

fn class_source(pack: &Pack, c: usize) -> String {
    pack.classes[c]
        .source
        .clone()
        .unwrap_or_else(|| format!("knowledge pack class {}", pack.classes[c].id))
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let pack = cx.pack;
    let mut found = Vec::new();
    let resolved: Vec<(usize, usize)> = cx
        .lines
        .iter()
        .filter_map(|l| l.drug.map(|d| (l.ix, d)))
        .collect();

    // Within the prescription.
    for (k, &(i, di)) in resolved.iter().enumerate() {
        for &(j, dj) in &resolved[k + 1..] {
            let (a, b) = (&pack.drugs[di], &pack.drugs[dj]);
            if di == dj {
                out.add(Draft {
                    code: FindingCode::DuplicateTherapy,
                    severity: Severity::Warn,
                    items: vec![i, j],
                    zh: format!("第{}行与第{}行为同一药品{}。", i + 1, j + 1, a.zh),
                    en: format!(
                        "Lines {} and {} are the same drug, {}.",
                        i + 1,
                        j + 1,
                        a.inn
                    ),
                    source: "R-RX-3",
                    rule: "duplicate.same_drug",
                });
                continue;
            }
            found.clear();
            pack.interactions_between(di, dj, &mut found);
            if let Some(ix) = gravest(pack, &found) {
                interaction(
                    out,
                    &pack.interactions[ix],
                    vec![i, j],
                    (
                        format!("第{}行{}与第{}行{}", i + 1, a.zh, j + 1, b.zh),
                        format!("Lines {} and {}: {} with {}", i + 1, j + 1, a.inn, b.inn),
                    ),
                );
            }
            if let Some(c) = shared_therapeutic_class(pack, di, dj) {
                let cls = &pack.classes[c];
                out.add(Draft {
                    code: FindingCode::DuplicateTherapy,
                    severity: Severity::Warn,
                    items: vec![i, j],
                    zh: format!(
                        "第{}行{}与第{}行{}同属{}，可能重复用药。",
                        i + 1,
                        a.zh,
                        j + 1,
                        b.zh,
                        cls.zh
                    ),
                    en: format!(
                        "Lines {} and {}: {} and {} are both {} (duplicate therapy).",
                        i + 1,
                        j + 1,
                        a.inn,
                        b.inn,
                        cls.en
                    ),
                    source: &class_source(pack, c),
                    rule: "duplicate.therapeutic_class",
                });
            }
        }
    }

    // Against current medications.
    let Some(current) = cx.req.patient.current_medications.as_ref() else {
        return;
    };
    for (m, name) in current.iter().enumerate() {
        let Some(dm) = pack.resolve_product(name) else {
            if !resolved.is_empty() {
                out.add(Draft {
                    code: FindingCode::Interaction,
                    severity: Severity::Info,
                    items: vec![],
                    zh: format!("当前用药第{}项“{}”未能识别，未检查其相互作用。", m + 1, name),
                    en: format!("Current medication {} (\"{}\") is not recognised; its interactions were not checked.", m + 1, name),
                    source: "R-RX-3",
                    rule: "interaction.current_unrecognised",
                });
            }
            continue;
        };
        let cur = &pack.drugs[dm];
        for &(i, di) in &resolved {
            if di == dm {
                continue; // renewal of a current medicine
            }
            let a = &pack.drugs[di];
            found.clear();
            pack.interactions_between(di, dm, &mut found);
            if let Some(ix) = gravest(pack, &found) {
                interaction(
                    out,
                    &pack.interactions[ix],
                    vec![i],
                    (
                        format!("第{}行{}与当前用药{}", i + 1, a.zh, cur.zh),
                        format!(
                            "Line {}: {} with current medication {}",
                            i + 1,
                            a.inn,
                            cur.inn
                        ),
                    ),
                );
            }
            if let Some(c) = shared_therapeutic_class(pack, di, dm) {
                let cls = &pack.classes[c];
                out.add(Draft {
                    code: FindingCode::DuplicateTherapy,
                    severity: Severity::Warn,
                    items: vec![i],
                    zh: format!(
                        "第{}行{}与当前用药{}同属{}，可能重复用药。",
                        i + 1,
                        a.zh,
                        cur.zh,
                        cls.zh
                    ),
                    en: format!(
                        "Line {}: {} and current medication {} are both {} (duplicate therapy).",
                        i + 1,
                        a.inn,
                        cur.inn,
                        cls.en
                    ),
                    source: &class_source(pack, c),
                    rule: "duplicate.current_medication",
                });
            }
        }
    }
}

/// One finding per pair: when several pack entries cover the same two drugs (a drug entry
/// and a class entry, say), the gravest speaks; repeating the same alert is noise.
fn gravest(pack: &Pack, found: &[usize]) -> Option<usize> {
    found
        .iter()
        .copied()
        .max_by_key(|ix| (pack.interactions[*ix].severity, std::cmp::Reverse(*ix)))
}

fn interaction(
    out: &mut Findings,
    it: &Interaction,
    items: Vec<usize>,
    (zh_pair, en_pair): (String, String),
) {
    let (zh_g, en_g) = grade(it.severity);
    out.add(Draft {
        code: FindingCode::Interaction,
        severity: severity_of(it.severity),
        items,
        zh: format!(
            "{zh_pair}：{zh_g}。{} 处理：{}",
            it.mechanism_zh, it.management_zh
        ),
        en: format!(
            "{en_pair}: {en_g}. {} Management: {}",
            it.mechanism_en, it.management_en
        ),
        source: &it.source,
        rule: "interaction.pair",
    });
}
