//! Line-level rules: resolving each line's drug (exact names only: raw text is never a
//! drug, R-RX-8) and route validity (`route`, R-RX-3). Also converts each dose once for the
//! other families. Completeness and the number of lines are validity (`validity.rs`).

use meddesk_formulary::{Amount, Dimension, Measure, Pack, Unit};

use super::request::{CheckRequest, Dose, DoseUnit, FindingCode, Severity};
use super::{Context, Draft, Findings, Line};

/// At most 5 medicines on one prescription (R-RX-4; 处方管理办法 第六条).
pub const MAX_ITEMS: usize = 5;

pub fn prepare<'a>(pack: &Pack, req: &'a CheckRequest) -> Vec<Line<'a>> {
    req.items
        .iter()
        .enumerate()
        .map(|(ix, item)| {
            let drug = pack.resolve_prescribed(&item.drug);
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

/// Route validity (R-RX-3); the lines' existence and completeness are validity
/// ([`super::validity`]).
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let pack = cx.pack;
    for line in cx.lines {
        let item = line.item;
        let Some(d) = line.drug else { continue };
        let drug = &pack.drugs[d];
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
