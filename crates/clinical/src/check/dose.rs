//! Dose rules (R-RX-3, R-RX-4): single dose against the label range (`dose_high`,
//! `dose_low`), the maximum daily dose (`daily_dose_high`, always a block), the label's
//! frequencies (`frequency`), paediatric mg/kg by weight, the course limit
//! (`course_too_long` for the label's `max_days`; the regulatory limit is validity) and the
//! dispensed quantity against dose × frequency × days
//! (`quantity_mismatch`). A known drug with no sourced dose data (neither `adult` nor
//! `paediatric`) gets one `info` finding (code `dose_high`, rule `dose.not_checked`):
//! "dose not checked", never a guessed range (issue 14).

use meddesk_formulary::Measure;
use meddesk_formulary::schema::{Drug, Frequency};

use super::request::{FindingCode, Severity};
use super::{Context, Draft, Findings, Line, above, below, fmt_measure, fmt_num};

/// Paediatric mg/kg limits are checked with 10 % slack: doses are rounded to what can be
/// measured or split (a 16 kg child on 15 mg/kg gets 250 mg, not 240 mg), and flagging that
/// rounding would teach prescribers to ignore the alert.
pub const MG_PER_KG_SLACK: f64 = 0.10;

/// Oversupply is flagged when the quantity exceeds what the course needs by more than half
/// and by at least two units: whole packs are dispensed, a doubled supply is not rounding.
pub const OVERSUPPLY_FACTOR: f64 = 1.5;

pub use super::validity::course_limit;

/// Which dosing applies to this patient for this drug.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Population {
    Adult,
    /// Under 18 and below the label's adult-dosing weight (if any).
    Child,
}

/// Without an age, a weight under this is taken as a child's: adult dose ranges would call
/// every correct paediatric dose "low" and miss an adult dose given to a 15 kg child.
pub const CHILD_WEIGHT_WITHOUT_AGE_KG: f64 = 30.0;

pub fn population(age: Option<f64>, weight: Option<f64>, drug: &Drug) -> Population {
    let age = age.or_else(|| {
        weight
            .filter(|w| *w < CHILD_WEIGHT_WITHOUT_AGE_KG)
            .map(|_| 0.0)
    });
    match age {
        Some(a) if a < 18.0 => {
            let adult_from = drug
                .paediatric
                .as_ref()
                .and_then(|p| p.adult_dosing_from_kg);
            match (adult_from, weight) {
                (Some(kg), Some(w)) if w >= kg => Population::Adult,
                _ => Population::Child,
            }
        }
        _ => Population::Adult,
    }
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let p = &cx.req.patient;
    let mut weight_missing: Vec<usize> = Vec::new();
    let mut not_checked: Vec<usize> = Vec::new();
    for line in cx.lines {
        course(cx, line, out);
        let Some(d) = line.drug else { continue };
        let drug = &cx.pack.drugs[d];
        quantity(line, drug, out);
        if drug.adult.is_none() && drug.paediatric.is_none() {
            // Known drug, but no sourced dose in the pack (issue 14): say so, never guess.
            not_checked.push(line.ix);
            continue;
        }
        match population(p.age_years, p.weight_kg, drug) {
            Population::Adult => {
                // The label's frequency list is the adult one; children dose by mg/kg/day.
                frequency(line, drug, out);
                adult(line, drug, out)
            }
            Population::Child => {
                if child(cx, line, drug, out) {
                    weight_missing.push(line.ix);
                }
            }
        }
    }
    if !not_checked.is_empty() {
        let lines: Vec<String> = not_checked.iter().map(|i| (i + 1).to_string()).collect();
        let lines = lines.join(", ");
        out.add(Draft {
            code: FindingCode::DoseHigh,
            severity: Severity::Info,
            items: not_checked,
            zh: format!("第{lines}行：知识库中没有该药有来源的剂量数据，未核对剂量。"),
            en: format!(
                "Line {lines}: the pack has no sourced dose data for this drug; dose not checked."
            ),
            source: "R-RX-3",
            rule: "dose.not_checked",
        });
    }
    if !weight_missing.is_empty() {
        out.add(Draft {
            code: FindingCode::DoseHigh,
            severity: Severity::Info,
            items: weight_missing,
            zh: "未提供儿童体重，未能按 mg/kg 核对剂量。".into(),
            en: "The child's weight is not given; the mg/kg dose check did not run.".into(),
            source: "R-RX-3",
            rule: "dose.paediatric_weight_missing",
        });
    }
}

fn names(drug: &Drug) -> (&str, &str) {
    (drug.zh.as_str(), drug.inn.as_str())
}

/// The label's usual course (`max_days`); the regulatory limit is validity.
fn course(cx: &Context<'_>, line: &Line<'_>, out: &mut Findings) {
    let Some(days) = line.item.days else { return };
    let label = line
        .drug
        .and_then(|d| cx.pack.drugs[d].adult.as_ref())
        .and_then(|a| a.max_days.map(|m| (m, a.source.as_str())));
    if let (Some((max_days, source)), Some(d)) = (label, line.drug)
        && above(days, f64::from(max_days))
    {
        let (zh, en) = names(&cx.pack.drugs[d]);
        out.add(Draft {
            code: FindingCode::CourseTooLong,
            severity: Severity::Warn,
            items: vec![line.ix],
            zh: format!(
                "第{}行：{zh}疗程{}天，超过说明书常规疗程{max_days}天。",
                line.ix + 1,
                fmt_num(days)
            ),
            en: format!(
                "Line {}: {en} for {} days exceeds the labelled course of {max_days} days.",
                line.ix + 1,
                fmt_num(days)
            ),
            source,
            rule: "course.label_max_days",
        });
    }
}

fn frequency(line: &Line<'_>, drug: &Drug, out: &mut Findings) {
    let (Some(f), Some(adult)) = (line.item.frequency, drug.adult.as_ref()) else {
        return;
    };
    if adult.frequencies.is_empty() || adult.frequencies.iter().any(|l| l.same_schedule(f)) {
        return;
    }
    let listed: Vec<&str> = adult.frequencies.iter().map(|f| f.as_str()).collect();
    // More administrations a day than any labelled schedule risks toxicity: warn. Fewer, or
    // an unscheduled form (PRN, ONCE, QW) the label does not list, is a note: the day's
    // dose is still checked against the maximum.
    let most = adult
        .frequencies
        .iter()
        .filter(|l| !matches!(l, Frequency::PRN | Frequency::ONCE))
        .filter_map(|l| l.doses_per_day())
        .fold(0.0, f64::max);
    let severity = match f.doses_per_day() {
        Some(n) if most > 0.0 && n > most && !matches!(f, Frequency::ONCE | Frequency::QW) => {
            Severity::Warn
        }
        _ => Severity::Info,
    };
    let (zh, en) = names(drug);
    out.add(Draft {
        code: FindingCode::Frequency,
        severity,
        items: vec![line.ix],
        zh: format!(
            "第{}行：{zh}给药频次{}不在说明书推荐范围（{}）。",
            line.ix + 1,
            f.as_str(),
            listed.join("、")
        ),
        en: format!(
            "Line {}: {en} {} is not a labelled frequency ({}).",
            line.ix + 1,
            f.as_str(),
            listed.join(", ")
        ),
        source: &adult.source,
        rule: "frequency.label",
    });
}

/// Adult single-dose range and maximum daily dose.
fn adult(line: &Line<'_>, drug: &Drug, out: &mut Findings) {
    let (Some(adult), Some(single)) = (drug.adult.as_ref(), line.single) else {
        return;
    };
    let (zh, en) = names(drug);
    let n = line.ix + 1;
    let daily_blocked = max_daily(
        line,
        single,
        adult.max_daily.as_ref().map(|a| a.measure()),
        drug,
        &adult.source,
        "daily.adult_max",
        out,
    );
    if let Some(max) = adult.dose_max.as_ref().map(|a| a.measure())
        && max.dim == single.dim
        && above(single.value, max.value)
        && !daily_blocked
    {
        out.add(Draft {
            code: FindingCode::DoseHigh,
            severity: Severity::Warn,
            items: vec![line.ix],
            zh: format!(
                "第{n}行：{zh}单次剂量{}高于说明书成人常用最大单次剂量{}。",
                fmt_measure(single),
                fmt_measure(max)
            ),
            en: format!(
                "Line {n}: {en} {} per dose is above the usual adult maximum of {} per dose.",
                fmt_measure(single),
                fmt_measure(max)
            ),
            source: &adult.source,
            rule: "dose.adult_max_single",
        });
    }
    if let Some(min) = adult.dose_min.as_ref().map(|a| a.measure())
        && min.dim == single.dim
        && below(single.value, min.value)
    {
        out.add(Draft {
            code: FindingCode::DoseLow,
            severity: Severity::Warn,
            items: vec![line.ix],
            zh: format!(
                "第{n}行：{zh}单次剂量{}低于说明书成人常用最小剂量{}。",
                fmt_measure(single),
                fmt_measure(min)
            ),
            en: format!(
                "Line {n}: {en} {} per dose is below the usual adult minimum of {} per dose.",
                fmt_measure(single),
                fmt_measure(min)
            ),
            source: &adult.source,
            rule: "dose.adult_min_single",
        });
    }
}

/// `daily_dose_high` (block) when the day's total — or, for PRN, one dose alone — exceeds
/// the maximum daily dose. Returns whether it fired.
fn max_daily(
    line: &Line<'_>,
    single: Measure,
    max: Option<Measure>,
    drug: &Drug,
    source: &str,
    rule: &str,
    out: &mut Findings,
) -> bool {
    let Some(max) = max.filter(|m| m.dim == single.dim) else {
        return false;
    };
    let daily = line.daily().unwrap_or(single);
    if !above(daily.value, max.value) {
        return false;
    }
    let (zh, en) = names(drug);
    let n = line.ix + 1;
    let freq = line.item.frequency.map_or("", |f| f.as_str());
    out.add(Draft {
        code: FindingCode::DailyDoseHigh,
        severity: Severity::Block,
        items: vec![line.ix],
        zh: format!(
            "第{n}行：{zh}每日剂量{}（{} {}）超过最大日剂量{}。",
            fmt_measure(daily),
            fmt_measure(single),
            freq,
            fmt_measure(max)
        ),
        en: format!(
            "Line {n}: {en} {} a day ({} {}) exceeds the maximum daily dose of {}.",
            fmt_measure(daily),
            fmt_measure(single),
            freq,
            fmt_measure(max)
        ),
        source,
        rule,
    });
    true
}

/// Paediatric dosing. Returns true when a mg/kg check could not run for want of a weight.
fn child(cx: &Context<'_>, line: &Line<'_>, drug: &Drug, out: &mut Findings) -> bool {
    let p = &cx.req.patient;
    let (zh, en) = names(drug);
    let n = line.ix + 1;
    // An indication-specific regimen (high-dose amoxicillin for otitis media) replaces the
    // general paediatric dosing when a diagnosis matches (regimen.rs).
    let regimen = super::regimen::paediatric_for(cx, drug);
    let Some(ped) = regimen.as_ref().or(drug.paediatric.as_ref()) else {
        // No paediatric dosing in the pack: a child still never exceeds the adult maxima.
        if let (Some(adult), Some(single)) = (drug.adult.as_ref(), line.single) {
            let fired = max_daily(
                line,
                single,
                adult.max_daily.as_ref().map(|a| a.measure()),
                drug,
                &adult.source,
                "daily.adult_max",
                out,
            );
            if let Some(max) = adult.dose_max.as_ref().map(|a| a.measure())
                && !fired
                && max.dim == single.dim
                && above(single.value, max.value)
            {
                out.add(Draft {
                    code: FindingCode::DoseHigh,
                    severity: Severity::Warn,
                    items: vec![line.ix],
                    zh: format!("第{n}行：儿童{zh}单次剂量{}高于成人最大单次剂量{}。", fmt_measure(single), fmt_measure(max)),
                    en: format!("Line {n}: {en} {} per dose for a child is above the adult maximum of {} per dose.", fmt_measure(single), fmt_measure(max)),
                    source: &adult.source,
                    rule: "dose.child_above_adult_max",
                });
            }
        }
        return false;
    };
    let src = ped.source.as_str();
    // The label's own age rules (patient.rs) already speak for younger children.
    let age_rule_applies = |age: f64| drug.age.iter().any(|r| age < r.below_years);
    if let (Some(min_age), Some(age)) = (ped.min_age_years, p.age_years)
        && age < min_age
        && !age_rule_applies(age)
    {
        out.add(Draft {
            code: FindingCode::Age,
            severity: Severity::Warn,
            items: vec![line.ix],
            zh: format!(
                "第{n}行：{zh}说明书最低使用年龄为{}岁，患者低于该年龄。",
                fmt_num(min_age)
            ),
            en: format!(
                "Line {n}: {en} is labelled from age {} years; the patient is younger.",
                fmt_num(min_age)
            ),
            source: src,
            rule: "age.paediatric_min",
        });
    }
    let Some(single) = line.single else {
        return false;
    };
    // Absolute caps first: the daily one blocks.
    let mut daily_blocked = max_daily(
        line,
        single,
        ped.max_daily.as_ref().map(|a| a.measure()),
        drug,
        src,
        "daily.paediatric_max",
        out,
    );
    if !daily_blocked
        && ped.max_daily.is_none()
        && let Some(adult) = drug.adult.as_ref()
    {
        daily_blocked = max_daily(
            line,
            single,
            adult.max_daily.as_ref().map(|a| a.measure()),
            drug,
            &adult.source,
            "daily.adult_max",
            out,
        );
    }
    let mut high = false;
    if let Some(max) = ped.max_dose.as_ref().map(|a| a.measure())
        && max.dim == single.dim
        && above(single.value, max.value)
        && !daily_blocked
    {
        high = true;
        out.add(Draft {
            code: FindingCode::DoseHigh,
            severity: Severity::Warn,
            items: vec![line.ix],
            zh: format!(
                "第{n}行：儿童{zh}单次剂量{}高于最大单次剂量{}。",
                fmt_measure(single),
                fmt_measure(max)
            ),
            en: format!(
                "Line {n}: {en} {} per dose is above the paediatric maximum of {} per dose.",
                fmt_measure(single),
                fmt_measure(max)
            ),
            source: src,
            rule: "dose.paediatric_max_single",
        });
    }
    let has_per_kg = ped.mg_per_kg_dose_min.is_some()
        || ped.mg_per_kg_dose_max.is_some()
        || ped.mg_per_kg_day_min.is_some()
        || ped.mg_per_kg_day_max.is_some();
    if !has_per_kg || single.dim != meddesk_formulary::Dimension::Mass {
        return false;
    }
    let Some(w) = p.weight_kg.filter(|w| *w > 0.0) else {
        return true;
    };
    let per_kg = single.value / w;
    let per_kg_day = line.daily().map(|d| d.value / w);
    let hi = 1.0 + MG_PER_KG_SLACK;
    let lo = 1.0 - MG_PER_KG_SLACK;
    let push = |code, rule: &str, zh_msg: String, en_msg: String, out: &mut Findings| {
        out.add(Draft {
            code,
            severity: Severity::Warn,
            items: vec![line.ix],
            zh: zh_msg,
            en: en_msg,
            source: src,
            rule,
        });
    };
    if !high && !daily_blocked {
        if let Some(max) = ped.mg_per_kg_dose_max
            && per_kg > max * hi
        {
            high = true;
            push(
                FindingCode::DoseHigh,
                "dose.paediatric_mg_per_kg_dose_max",
                format!(
                    "第{n}行：{zh}单次{} mg/kg（体重{} kg）高于推荐{} mg/kg。",
                    fmt_num(per_kg),
                    fmt_num(w),
                    fmt_num(max)
                ),
                format!(
                    "Line {n}: {en} {} mg/kg per dose (weight {} kg) is above the recommended {} mg/kg.",
                    fmt_num(per_kg),
                    fmt_num(w),
                    fmt_num(max)
                ),
                out,
            );
        }
        if let (Some(max), Some(v)) = (ped.mg_per_kg_day_max, per_kg_day)
            && v > max * hi
            && !high
        {
            high = true;
            push(
                FindingCode::DoseHigh,
                "dose.paediatric_mg_per_kg_day_max",
                format!(
                    "第{n}行：{zh}每日{} mg/kg（体重{} kg）高于推荐{} mg/kg/日。",
                    fmt_num(v),
                    fmt_num(w),
                    fmt_num(max)
                ),
                format!(
                    "Line {n}: {en} {} mg/kg/day (weight {} kg) is above the recommended {} mg/kg/day.",
                    fmt_num(v),
                    fmt_num(w),
                    fmt_num(max)
                ),
                out,
            );
        }
    }
    if !high && !daily_blocked {
        if let Some(min) = ped.mg_per_kg_dose_min
            && per_kg < min * lo
        {
            push(
                FindingCode::DoseLow,
                "dose.paediatric_mg_per_kg_dose_min",
                format!(
                    "第{n}行：{zh}单次{} mg/kg（体重{} kg）低于推荐{} mg/kg。",
                    fmt_num(per_kg),
                    fmt_num(w),
                    fmt_num(min)
                ),
                format!(
                    "Line {n}: {en} {} mg/kg per dose (weight {} kg) is below the recommended {} mg/kg.",
                    fmt_num(per_kg),
                    fmt_num(w),
                    fmt_num(min)
                ),
                out,
            );
        } else if let (Some(min), Some(v)) = (ped.mg_per_kg_day_min, per_kg_day)
            && v < min * lo
        {
            push(
                FindingCode::DoseLow,
                "dose.paediatric_mg_per_kg_day_min",
                format!(
                    "第{n}行：{zh}每日{} mg/kg（体重{} kg）低于推荐{} mg/kg/日。",
                    fmt_num(v),
                    fmt_num(w),
                    fmt_num(min)
                ),
                format!(
                    "Line {n}: {en} {} mg/kg/day (weight {} kg) is below the recommended {} mg/kg/day.",
                    fmt_num(v),
                    fmt_num(w),
                    fmt_num(min)
                ),
                out,
            );
        }
    }
    false
}

/// Quantity against dose × frequency × days, for countable forms (tablets, capsules,
/// sachets, or a mass dose of a solid strength). Liquids and PRN lines are not checked.
fn quantity(line: &Line<'_>, drug: &Drug, out: &mut Findings) {
    let item = line.item;
    let (Some(per_dose), Some(freq), Some(days), Some(qty)) = (
        line.units_per_dose,
        item.frequency,
        item.days,
        item.quantity,
    ) else {
        return;
    };
    if !(days > 0.0 && qty > 0.0 && per_dose > 0.0) || freq == Frequency::PRN {
        return;
    }
    let Some(doses) = freq.doses_over(days) else {
        return;
    };
    let needed = per_dose * doses;
    let short = qty + EPS_UNITS < needed;
    let over = qty > needed * OVERSUPPLY_FACTOR + EPS_UNITS && qty - needed >= 2.0;
    if !(short || over) {
        return;
    }
    let (zh, en) = names(drug);
    let n = line.ix + 1;
    let (zh_what, en_what) = if short {
        ("不足以完成疗程", "is not enough for the course")
    } else {
        ("明显超过疗程所需", "is well above what the course needs")
    };
    out.add(Draft {
        code: FindingCode::QuantityMismatch,
        severity: Severity::Warn,
        items: vec![line.ix],
        zh: format!(
            "第{n}行：{zh}数量{}{zh_what}（每次{} × {} × {}天 = {}）。",
            fmt_num(qty),
            fmt_num(per_dose),
            freq.as_str(),
            fmt_num(days),
            fmt_num(needed)
        ),
        en: format!(
            "Line {n}: {en} quantity {} {en_what} ({} per dose × {} × {} days = {}).",
            fmt_num(qty),
            fmt_num(per_dose),
            freq.as_str(),
            fmt_num(days),
            fmt_num(needed)
        ),
        source: "R-RX-3 (处方管理办法 第十九条 quantity and course)",
        rule: "quantity.course",
    });
}

const EPS_UNITS: f64 = 1e-6;
