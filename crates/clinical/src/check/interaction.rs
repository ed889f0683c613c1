//! Drug–drug interactions and duplicate therapy (R-RX-3), within the prescription and
//! against the patient's current medications.
//!
//! Interaction entries name drugs, classes or properties (`property:cyp3a4_inhibitor_strong`
//! — mechanism rules a new drug joins by carrying the property); the pack precomputes which
//! entries cover each drug pair, so a check is one lookup per pair. One finding per pair:
//! the gravest entry speaks (after patient escalation), and among equally grave ones the
//! most specific (a drug pair over a class rule over a mechanism rule).
//!
//! Severity is data (R-RX-12): the pack's `[grading]` maps contraindicated → block,
//! major → warn, moderate → info, minor → info. An entry's `escalate` raises it when a
//! patient factor makes it dangerous (hyperkalaemia pairs with eGFR < 45 or age ≥ 75): a
//! moderate pair that is managed by monitoring stays non-interruptive, and interrupts only
//! for the patients it endangers.
//!
//! A current medication that is the same drug as a line is a renewal, not a duplicate.

use meddesk_formulary::Pack;
use meddesk_formulary::schema::{
    ChildPugh, Escalation, Interaction, InteractionSeverity, PackSeverity,
};

use super::request::{CheckRequest, FindingCode, HepaticImpairment, Severity};
use super::{Context, Draft, Findings, fmt_num};

/// The finding severity of an interaction severity under the pack's grading.
pub fn severity_of(pack: &Pack, s: InteractionSeverity) -> Severity {
    match pack.grading.of(s) {
        PackSeverity::Block => Severity::Block,
        PackSeverity::Warn => Severity::Warn,
        PackSeverity::Info => Severity::Info,
    }
}

/// Does the patient meet the escalation? Returns the reason (zh, en) when so.
pub fn escalation_applies(x: &Escalation, req: &CheckRequest) -> Option<(String, String)> {
    let p = &req.patient;
    if let (Some(limit), Some(e)) = (x.egfr_below, p.egfr)
        && e < limit
    {
        return Some((
            format!("eGFR {} < {}", fmt_num(e), fmt_num(limit)),
            format!("eGFR {} < {}", fmt_num(e), fmt_num(limit)),
        ));
    }
    if let (Some(limit), Some(age)) = (x.age_at_least, p.age_years)
        && age >= limit
    {
        return Some((
            format!("年龄{}岁 ≥ {}岁", fmt_num(age), fmt_num(limit)),
            format!("age {} ≥ {}", fmt_num(age), fmt_num(limit)),
        ));
    }
    if let (Some(grade), Some(h)) = (x.child_pugh, p.hepatic_impairment) {
        let have = match h {
            HepaticImpairment::None => None,
            HepaticImpairment::Mild => Some(ChildPugh::Mild),
            HepaticImpairment::Moderate => Some(ChildPugh::Moderate),
            HepaticImpairment::Severe => Some(ChildPugh::Severe),
        };
        if have.is_some_and(|h| h >= grade) {
            return Some(("肝功能损害".into(), "hepatic impairment".into()));
        }
    }
    None
}

/// The severity an entry has for this patient, with the escalation reason when raised.
fn effective(
    it: &Interaction,
    req: &CheckRequest,
) -> (InteractionSeverity, Option<(String, String)>) {
    match it.escalate.as_ref() {
        Some(x) => match escalation_applies(x, req) {
            Some(why) if x.severity > it.severity => (x.severity, Some(why)),
            _ => (it.severity, None),
        },
        None => (it.severity, None),
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
            if let Some((ix, sev, why)) = gravest(pack, cx.req, pack.pair_interactions(di, dj)) {
                interaction(
                    pack,
                    out,
                    ix,
                    (sev, why),
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
            if let Some((ix, sev, why)) = gravest(pack, cx.req, pack.pair_interactions(di, dm)) {
                interaction(
                    pack,
                    out,
                    ix,
                    (sev, why),
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

/// The escalation reason (zh, en) when a patient factor raised the entry.
type Why = Option<(String, String)>;

/// One finding per pair: when several pack entries cover the same two drugs (a pair entry,
/// a class entry, a mechanism rule), the gravest for this patient speaks; among equally
/// grave ones the most specific, then the first written. Repeating the same alert is noise.
fn gravest(
    pack: &Pack,
    req: &CheckRequest,
    found: &[u32],
) -> Option<(usize, InteractionSeverity, Why)> {
    let mut best: Option<(usize, InteractionSeverity, Why)> = None;
    for &ix in found {
        let ix = ix as usize;
        let (sev, why) = effective(&pack.interactions[ix], req);
        let better = match &best {
            None => true,
            Some((b, bs, _)) => {
                (sev, pack.interaction_specificity(ix), std::cmp::Reverse(ix))
                    > (*bs, pack.interaction_specificity(*b), std::cmp::Reverse(*b))
            }
        };
        if better {
            best = Some((ix, sev, why));
        }
    }
    best
}

fn interaction(
    pack: &Pack,
    out: &mut Findings,
    ix: usize,
    (sev, why): (InteractionSeverity, Why),
    items: Vec<usize>,
    (zh_pair, en_pair): (String, String),
) {
    use meddesk_formulary::Ref;
    let it = &pack.interactions[ix];
    let (zh_g, en_g) = grade(sev);
    let (zh_why, en_why) = match &why {
        Some((zh, en)) => (format!("（因{zh}而升级）"), format!(" (escalated: {en})")),
        None => (String::new(), String::new()),
    };
    let (a, b) = pack.interaction_sides(ix);
    let by_mechanism = matches!(a, Ref::Property(_)) || matches!(b, Ref::Property(_));
    let rule = match (why.is_some(), by_mechanism) {
        (true, _) => "interaction.escalated",
        (false, true) => "interaction.mechanism",
        (false, false) => "interaction.pair",
    };
    out.add(Draft {
        code: FindingCode::Interaction,
        severity: severity_of(pack, sev),
        items,
        zh: format!(
            "{zh_pair}：{zh_g}{zh_why}。{} 处理：{}",
            it.mechanism_zh, it.management_zh
        ),
        en: format!(
            "{en_pair}: {en_g}{en_why}. {} Management: {}",
            it.mechanism_en, it.management_en
        ),
        source: &it.source,
        rule,
    });
}
