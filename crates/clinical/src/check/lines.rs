//! Line-level rules: resolving each line's drug (`unknown_drug`), a line's completeness
//! (`template_incomplete`, R-RX-2), the number of medicines (`too_many_items`, R-RX-4) and
//! route validity (`route`, R-RX-3). Also converts each dose once for the other families.

use meddesk_formulary::{Amount, Dimension, Measure, Pack, Unit};

use super::request::{CheckRequest, Dose, DoseUnit, FindingCode, Severity};
use super::{Context, Draft, Findings, Line, regulation};

/// At most 5 medicines on one prescription (R-RX-4; 处方管理办法 第六条).
pub const MAX_ITEMS: usize = 5;

pub fn prepare<'a>(pack: &Pack, req: &'a CheckRequest) -> Vec<Line<'a>> {
    req.items
        .iter()
        .enumerate()
        .map(|(ix, item)| {
            let drug = pack.resolve_product(&item.drug);
            let strength = item.strength.as_deref().and_then(|s| Amount::parse(s).ok());
            let (single, units_per_dose) = match item.dose {
                Some(d) if d.value.is_finite() && d.value > 0.0 => convert(d, strength.as_ref()),
                _ => (None, None),
            };
            Line {
                ix,
                item,
                drug,
                strength,
                single,
                units_per_dose,
            }
        })
        .collect()
}

fn measure(value: f64, unit: Unit) -> Measure {
    Measure {
        value: value * unit.to_base(),
        dim: unit.dimension(),
    }
}

/// One administration in base units, and how many dispensing units it takes. Tablets,
/// capsules and sachets convert through the line's strength; mL through a concentration
/// ("125 mg/5 mL"); puffs and drops through a per-dose / per-drop strength.
pub fn convert(dose: Dose, strength: Option<&Amount>) -> (Option<Measure>, Option<f64>) {
    let v = dose.value;
    let plain = strength.filter(|s| s.per.is_none());
    let solid_units = |m: Measure| {
        plain
            .map(|s| s.measure())
            .filter(|sm| sm.dim == m.dim && sm.dim != Dimension::Volume && sm.value > 0.0)
            .map(|sm| m.value / sm.value)
    };
    match dose.unit {
        DoseUnit::Mg | DoseUnit::G | DoseUnit::Mcg | DoseUnit::Iu | DoseUnit::U => {
            let unit = match dose.unit {
                DoseUnit::Mg => Unit::Mg,
                DoseUnit::G => Unit::G,
                DoseUnit::Mcg => Unit::Mcg,
                DoseUnit::Iu => Unit::Iu,
                _ => Unit::U,
            };
            let m = measure(v, unit);
            (Some(m), solid_units(m))
        }
        DoseUnit::Ml => match strength.and_then(|s| s.per_unit()) {
            Some((per_ml, Unit::Ml)) => (
                Some(Measure {
                    value: per_ml.value * v,
                    dim: per_ml.dim,
                }),
                None,
            ),
            _ => (Some(measure(v, Unit::Ml)), None),
        },
        DoseUnit::Tablet | DoseUnit::Capsule | DoseUnit::Sachet => {
            let per = match strength {
                Some(s) if s.per.is_none() => Some(s.measure()),
                Some(s) => s
                    .per_unit()
                    .filter(|(_, u)| matches!(u, Unit::Tablet | Unit::Capsule | Unit::Sachet))
                    .map(|(m, _)| m),
                None => None,
            };
            (
                per.map(|m| Measure {
                    value: m.value * v,
                    dim: m.dim,
                }),
                Some(v),
            )
        }
        DoseUnit::Puff | DoseUnit::Drop => {
            let want = if dose.unit == DoseUnit::Puff {
                Unit::Dose
            } else {
                Unit::Drop
            };
            let per = match strength {
                Some(s) => match s.per_unit() {
                    Some((m, u)) if u == want => Some(m),
                    None if dose.unit == DoseUnit::Puff => Some(s.measure()),
                    _ => None,
                },
                None => None,
            };
            (
                per.map(|m| Measure {
                    value: m.value * v,
                    dim: m.dim,
                }),
                None,
            )
        }
    }
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let pack = cx.pack;
    let n = cx.req.items.len();
    if n > MAX_ITEMS {
        let source = regulation(
            pack,
            "cn-rx-admin-measures",
            "Art. 6(9)",
            "处方管理办法 (2007) 第六条(九); R-RX-4",
        );
        out.add(Draft {
            code: FindingCode::TooManyItems,
            severity: Severity::Block,
            items: (0..n).collect(),
            zh: format!("处方含{n}种药品，每张处方不得超过{MAX_ITEMS}种药品。"),
            en: format!(
                "The prescription has {n} medicines; at most {MAX_ITEMS} are allowed per prescription."
            ),
            source: &source,
            rule: "items.max_5",
        });
    }
    if n == 0 {
        out.add(Draft {
            code: FindingCode::TemplateIncomplete,
            severity: Severity::Warn,
            items: vec![],
            zh: "处方没有药品。".into(),
            en: "The prescription has no lines.".into(),
            source: "R-RX-2",
            rule: "items.empty",
        });
    }
    for line in cx.lines {
        let item = line.item;
        let Some(d) = line.drug else {
            let hint = pack
                .index
                .search(&item.drug, 1)
                .into_iter()
                .next()
                .and_then(|h| match h.target {
                    meddesk_formulary::Target::Drug(d) => Some(&pack.drugs[d]),
                    meddesk_formulary::Target::Class(_) => None,
                });
            let (zh_hint, en_hint) = match hint {
                Some(d) => (
                    format!("是否为“{}”？", d.zh),
                    format!(" Did you mean {}?", d.inn),
                ),
                None => (String::new(), String::new()),
            };
            let source = format!("knowledge pack {}", pack.meta.version);
            out.add(Draft {
                code: FindingCode::UnknownDrug,
                severity: Severity::Warn,
                items: vec![line.ix],
                zh: format!(
                    "第{}行药品“{}”不在知识库中，无法审核剂量、过敏和相互作用。{zh_hint}",
                    line.ix + 1,
                    item.drug
                ),
                en: format!(
                    "Line {}: \"{}\" is not in the knowledge pack; dose, allergy and interaction \
                     checks did not run.{en_hint}",
                    line.ix + 1,
                    item.drug
                ),
                source: &source,
                rule: "drug.unknown",
            });
            continue;
        };
        let drug = &pack.drugs[d];
        let mut missing: Vec<&str> = Vec::new();
        match &item.strength {
            None => missing.push("strength"),
            Some(_) if line.strength.is_none() => missing.push("strength (unreadable)"),
            _ => {}
        }
        match item.dose {
            None => missing.push("dose"),
            Some(dose) if !(dose.value.is_finite() && dose.value > 0.0) => {
                missing.push("dose (not positive)")
            }
            _ => {}
        }
        if item.route.is_none() {
            missing.push("route");
        }
        if item.frequency.is_none() {
            missing.push("frequency");
        }
        match item.days {
            None => missing.push("days"),
            Some(v) if !(v.is_finite() && v > 0.0) => missing.push("days (not positive)"),
            _ => {}
        }
        match item.quantity {
            None => missing.push("quantity"),
            Some(v) if !(v.is_finite() && v > 0.0) => missing.push("quantity (not positive)"),
            _ => {}
        }
        if !missing.is_empty() {
            let list = missing.join(", ");
            out.add(Draft {
                code: FindingCode::TemplateIncomplete,
                severity: Severity::Warn,
                items: vec![line.ix],
                zh: format!(
                    "第{}行（{}）信息不完整：缺少{}。处方每行须包含规格、剂量、途径、频次、疗程和数量。",
                    line.ix + 1,
                    drug.zh,
                    zh_fields(&missing)
                ),
                en: format!(
                    "Line {} ({}) is incomplete: {list}. Each line needs strength, dose, route, \
                     frequency, days and quantity.",
                    line.ix + 1,
                    drug.inn
                ),
                source: "R-RX-2 (seed 002 §3.3.3)",
                rule: "line.complete",
            });
        }
        if let Some(route) = item.route
            && !drug.routes.is_empty()
            && !drug.routes.contains(&route)
        {
            let allowed: Vec<&str> = drug.routes.iter().map(|r| r.as_str()).collect();
            let source = drug
                .adult
                .as_ref()
                .map(|a| a.source.clone())
                .unwrap_or_else(|| {
                    format!("knowledge pack {} drug {}", pack.meta.version, drug.id)
                });
            out.add(Draft {
                code: FindingCode::Route,
                severity: Severity::Warn,
                items: vec![line.ix],
                zh: format!(
                    "第{}行：{}不用于“{}”途径（知识库途径：{}）。",
                    line.ix + 1,
                    drug.zh,
                    route.as_str(),
                    allowed.join("、")
                ),
                en: format!(
                    "Line {}: {} is not given by the {} route (pack routes: {}).",
                    line.ix + 1,
                    drug.inn,
                    route.as_str(),
                    allowed.join(", ")
                ),
                source: &source,
                rule: "route.valid",
            });
        }
    }
}

fn zh_fields(missing: &[&str]) -> String {
    missing
        .iter()
        .map(|m| match m.split(' ').next().unwrap_or(m) {
            "strength" => "规格",
            "dose" => "剂量",
            "route" => "给药途径",
            "frequency" => "频次",
            "days" => "疗程天数",
            "quantity" => "数量",
            _ => "字段",
        })
        .collect::<Vec<_>>()
        .join("、")
}
