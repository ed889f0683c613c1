//! Regimen rules the label states beyond a dose range (issue 14):
//!
//! - `[[drug.schedule]]`: the only schedules a label allows. Oral methotrexate for
//!   non-oncology indications is taken ONCE WEEKLY; daily dosing has caused fatal toxicity,
//!   so another frequency gets the rule's severity (block in the shipped pack) unless a
//!   diagnosis matches `except_indications` (neoplasms). Code `frequency`.
//! - `[drug.adult] max_mg_per_kg_day`: a weight-based daily cap (valproate 60 mg/kg/day).
//!   Above it → `daily_dose_high` (block, like every maximum daily dose); without a weight
//!   the cap could not be checked → `info`.
//! - `[[drug.paediatric_regimen]]`: indication-specific paediatric dosing (high-dose
//!   amoxicillin for acute otitis media) that the dose rules use in place of
//!   `[drug.paediatric]` when a diagnosis matches ([`paediatric_for`]).

use meddesk_formulary::Dimension;
use meddesk_formulary::schema::{Drug, PackSeverity, PaediatricDosing};

use super::dose::{Population, population};
use super::indication::icd_matches;
use super::request::{FindingCode, Severity};
use super::{Context, Draft, Findings, above, fmt_num};

/// The diagnoses and recorded conditions a rule's ICD-10 patterns are matched against.
fn codes<'a>(cx: &'a Context<'_>) -> impl Iterator<Item = &'a str> + 'a {
    cx.req
        .diagnoses
        .iter()
        .chain(cx.req.patient.conditions.iter())
        .map(String::as_str)
}

/// The paediatric dosing that applies to this prescription: the first
/// `[[drug.paediatric_regimen]]` whose indications match a diagnosis or condition, else
/// none (the caller falls back to `[drug.paediatric]`).
pub fn paediatric_for(cx: &Context<'_>, drug: &Drug) -> Option<PaediatricDosing> {
    drug.paediatric_regimen
        .iter()
        .find(|r| {
            r.indications
                .iter()
                .any(|p| codes(cx).any(|c| icd_matches(p, c)))
        })
        .map(|r| r.dosing())
}

fn grade(s: PackSeverity) -> Severity {
    match s {
        PackSeverity::Block => Severity::Block,
        PackSeverity::Warn => Severity::Warn,
        PackSeverity::Info => Severity::Info,
    }
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let p = &cx.req.patient;
    let mut weight_missing = Vec::new();
    for line in cx.lines {
        let Some(d) = line.drug else { continue };
        let drug = &cx.pack.drugs[d];
        let n = line.ix + 1;
        // Schedules.
        if let Some(f) = line.item.frequency {
            for r in &drug.schedule {
                let route_applies =
                    r.routes.is_empty() || line.item.route.is_none_or(|rt| r.routes.contains(&rt));
                if !route_applies || r.frequencies.iter().any(|l| l.same_schedule(f)) {
                    continue;
                }
                if r.except_indications
                    .iter()
                    .any(|pat| codes(cx).any(|c| icd_matches(pat, c)))
                {
                    continue;
                }
                let listed: Vec<&str> = r.frequencies.iter().map(|f| f.as_str()).collect();
                out.add(Draft {
                    code: FindingCode::Frequency,
                    severity: grade(r.severity),
                    items: vec![line.ix],
                    zh: format!(
                        "第{n}行：{}给药频次{}不符合说明书（仅限{}）。{}",
                        drug.zh,
                        f.as_str(),
                        listed.join("、"),
                        r.reason_zh
                    ),
                    en: format!(
                        "Line {n}: {} {} is not an allowed schedule (only {}). {}",
                        drug.inn,
                        f.as_str(),
                        listed.join(", "),
                        r.reason_en
                    ),
                    source: &r.source,
                    rule: "frequency.schedule",
                });
                break;
            }
        }
        // Weight-based adult daily cap.
        let Some(adult) = drug.adult.as_ref() else {
            continue;
        };
        let Some(cap) = adult.max_mg_per_kg_day else {
            continue;
        };
        if population(p.age_years, p.weight_kg, drug) != Population::Adult {
            continue;
        }
        let Some(daily) = line.daily().filter(|m| m.dim == Dimension::Mass) else {
            continue;
        };
        let Some(w) = p.weight_kg.filter(|w| *w > 0.0) else {
            weight_missing.push(line.ix);
            continue;
        };
        let per_kg = daily.value / w;
        if above(per_kg, cap) {
            out.add(Draft {
                code: FindingCode::DailyDoseHigh,
                severity: Severity::Block,
                items: vec![line.ix],
                zh: format!(
                    "第{n}行：{}每日{} mg/kg（体重{} kg）超过说明书最大推荐剂量{} mg/kg/日。",
                    drug.zh,
                    fmt_num(per_kg),
                    fmt_num(w),
                    fmt_num(cap)
                ),
                en: format!(
                    "Line {n}: {} {} mg/kg/day (weight {} kg) exceeds the labelled maximum of {} \
                     mg/kg/day.",
                    drug.inn,
                    fmt_num(per_kg),
                    fmt_num(w),
                    fmt_num(cap)
                ),
                source: &adult.source,
                rule: "daily.adult_mg_per_kg_max",
            });
        }
    }
    if !weight_missing.is_empty() {
        out.add(Draft {
            code: FindingCode::DailyDoseHigh,
            severity: Severity::Info,
            items: weight_missing,
            zh: "未提供体重，未能核对按 mg/kg 计的每日最大剂量。".into(),
            en: "The weight is not given; the mg/kg daily maximum was not checked.".into(),
            source: "R-RX-3",
            rule: "daily.adult_mg_per_kg_weight_missing",
        });
    }
}
