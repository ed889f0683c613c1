//! Allergy rules (R-RX-3): a documented allergy to the drug or to a class it belongs to
//! blocks (`allergy`); cross-reactivity listed in the pack (e.g. amoxicillin → cefalexin,
//! identical R1 side chain) is graded as the pack grades it (`cross_allergy`).

use meddesk_formulary::{Pack, Ref, Target};

use super::request::{FindingCode, Severity};
use super::{Context, Draft, Findings};

fn sev(s: meddesk_formulary::schema::PackSeverity) -> Severity {
    use meddesk_formulary::schema::PackSeverity as P;
    match s {
        P::Block => Severity::Block,
        P::Warn => Severity::Warn,
        P::Info => Severity::Info,
    }
}

/// Combination products contain their parts: "amoxicillin and clavulanate potassium"
/// contains amoxicillin.
fn contains_component(pack: &Pack, product: usize, component: usize) -> bool {
    let inn = pack.drugs[product].inn.to_lowercase();
    let part = pack.drugs[component].inn.to_lowercase();
    inn.split(" and ")
        .flat_map(|p| p.split('/'))
        .any(|p| p.trim() == part || p.trim().starts_with(&format!("{part} ")))
}

fn target_name(pack: &Pack, t: Target) -> (&str, &str) {
    match t {
        Target::Drug(d) => (pack.drugs[d].zh.as_str(), pack.drugs[d].inn.as_str()),
        Target::Class(c) => (pack.classes[c].zh.as_str(), pack.classes[c].en.as_str()),
    }
}

/// The refs an allergy stands for when looking up cross-reactivity: the drug and its
/// classes, or the class, its ancestors and its member drugs.
fn allergen_refs(pack: &Pack, t: Target) -> Vec<Ref> {
    match t {
        Target::Drug(d) => std::iter::once(Ref::Drug(d))
            .chain(pack.drug_classes(d).iter().map(|c| Ref::Class(*c)))
            .collect(),
        Target::Class(c) => pack
            .class_ancestry(c)
            .iter()
            .map(|a| Ref::Class(*a))
            .chain(pack.class_members(c).iter().map(|d| Ref::Drug(*d)))
            .collect(),
    }
}

/// A drug's most specific allergy classes: its direct allergy classes that are not an
/// ancestor of another of its direct classes.
fn specific_allergy_classes(pack: &Pack, d: usize) -> Vec<usize> {
    let direct: Vec<usize> = pack.drugs[d]
        .classes
        .iter()
        .filter_map(|c| pack.class_index(c))
        .filter(|c| pack.classes[*c].kind.is_allergy())
        .collect();
    direct
        .iter()
        .copied()
        .filter(|c| {
            !direct
                .iter()
                .any(|o| o != c && pack.class_ancestry(*o).contains(c))
        })
        .collect()
}

/// The allergy class that makes `b` "the same kind of drug" as `a`: one of either drug's
/// most specific allergy classes that the other also belongs to.
fn shared_allergy_class(pack: &Pack, a: usize, b: usize) -> Option<usize> {
    specific_allergy_classes(pack, a)
        .into_iter()
        .find(|c| pack.drug_classes(b).contains(c))
        .or_else(|| {
            specific_allergy_classes(pack, b)
                .into_iter()
                .find(|c| pack.drug_classes(a).contains(c))
        })
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let pack = cx.pack;
    let Some(allergies) = cx.req.patient.allergies.as_ref() else {
        if cx.lines.iter().any(|l| l.drug.is_some()) {
            out.add(Draft {
                code: FindingCode::Allergy,
                severity: Severity::Info,
                items: vec![],
                zh: "未记录过敏史，过敏检查未进行。".into(),
                en: "No allergy history is recorded; the allergy check did not run.".into(),
                source: "R-RX-3",
                rule: "allergy.history_missing",
            });
        }
        return;
    };
    let resolved: Vec<(usize, Option<Target>)> = allergies
        .iter()
        .enumerate()
        .map(|(i, a)| (i, pack.resolve_allergen(&a.substance)))
        .collect();
    for (i, t) in &resolved {
        if t.is_none() {
            out.add(Draft {
                code: FindingCode::Allergy,
                severity: Severity::Info,
                items: vec![],
                zh: format!(
                    "过敏记录“{}”未能识别，未据此检查。",
                    allergies[*i].substance
                ),
                en: format!(
                    "Allergy entry \"{}\" is not recognised; it was not checked.",
                    allergies[*i].substance
                ),
                source: "R-RX-3",
                rule: "allergy.unrecognised",
            });
        }
    }
    for line in cx.lines {
        let Some(d) = line.drug else { continue };
        let drug = &pack.drugs[d];
        let n = line.ix + 1;
        for (_, t) in &resolved {
            let Some(t) = *t else { continue };
            let (azh, aen) = target_name(pack, t);
            // Direct allergy: the drug itself, a product containing it, or a class it is in.
            let direct = match t {
                Target::Drug(a) => (a == d || contains_component(pack, d, a)).then_some(None),
                Target::Class(c) => pack.drug_classes(d).contains(&c).then_some(Some(c)),
            };
            if let Some(via) = direct {
                let source = match via.and_then(|c| pack.classes[c].source.clone()) {
                    Some(s) => s,
                    None => match via {
                        Some(c) => format!("knowledge pack class {}", pack.classes[c].id),
                        None => format!("knowledge pack drug {}", drug.id),
                    },
                };
                let (zh_via, en_via) = match (t, via) {
                    (Target::Class(_), Some(c)) => (
                        format!("（属于{}）", pack.classes[c].zh),
                        format!(" (one of the {})", pack.classes[c].en),
                    ),
                    _ => (String::new(), String::new()),
                };
                out.add(Draft {
                    code: FindingCode::Allergy,
                    severity: Severity::Block,
                    items: vec![line.ix],
                    zh: format!("第{n}行：患者对{azh}过敏，禁用{}{zh_via}。", drug.zh),
                    en: format!(
                        "Line {n}: documented allergy to {aen}; {} must not be given{en_via}.",
                        drug.inn
                    ),
                    source: &source,
                    rule: "allergy.drug_or_class",
                });
                continue;
            }
            // Cross-reactivity from the pack; the most severe entry wins.
            let mut best: Option<(&meddesk_formulary::schema::CrossReactivity, Severity)> = None;
            for r in allergen_refs(pack, t) {
                for (entry, tos) in pack.cross_from(r) {
                    if tos.iter().any(|to| pack.ref_covers_drug(*to, d)) {
                        let s = sev(entry.severity);
                        if best.is_none_or(|(_, b)| s > b) {
                            best = Some((entry, s));
                        }
                    }
                }
            }
            // An allergy to one drug, another drug of the same allergy class (amoxicillin →
            // penicillin V; ibuprofen → naproxen): warn, unless the pack already grades the
            // pair at least as high. Classes the pack splits further (1st- vs 2nd-generation
            // cephalosporins, where side chains decide) do not count as "the same class".
            let same_class = match t {
                Target::Drug(a) if best.is_none_or(|(_, s)| s < Severity::Warn) => {
                    shared_allergy_class(pack, a, d)
                }
                _ => None,
            };
            if let Some(c) = same_class {
                let cls = &pack.classes[c];
                let source = cls
                    .source
                    .clone()
                    .unwrap_or_else(|| format!("knowledge pack class {}", cls.id));
                out.add(Draft {
                    code: FindingCode::CrossAllergy,
                    severity: Severity::Warn,
                    items: vec![line.ix],
                    zh: format!("第{n}行：患者对{azh}过敏，{}与其同属{}，可能交叉过敏。", drug.zh, cls.zh),
                    en: format!(
                        "Line {n}: documented allergy to {aen}; {} is also one of the {} (possible cross-allergy).",
                        drug.inn, cls.en
                    ),
                    source: &source,
                    rule: "allergy.same_class",
                });
            } else if let Some((entry, severity)) = best {
                out.add(Draft {
                    code: FindingCode::CrossAllergy,
                    severity,
                    items: vec![line.ix],
                    zh: format!(
                        "第{n}行：患者对{azh}过敏，{}可能发生交叉过敏（{}）。",
                        drug.zh, entry.basis_zh
                    ),
                    en: format!(
                        "Line {n}: documented allergy to {aen}; possible cross-reactivity with {} ({}).",
                        drug.inn, entry.basis_en
                    ),
                    source: &entry.source,
                    rule: "allergy.cross_reactivity",
                });
            }
        }
    }
}
