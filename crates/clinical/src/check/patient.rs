//! Patient-state rules (R-RX-3): renal function (eGFR), hepatic impairment (Child-Pugh),
//! pregnancy, lactation and age contraindications. Absolute contraindications block;
//! "avoid" and dose adjustments warn; "caution" informs. A check that needs an absent patient
//! field says so once, as `info`, naming the lines it could not screen.

use meddesk_formulary::schema::{
    ChildPugh, OrganAction, ReproductiveAdvice, ReproductiveRule, RuleSeverity,
};

use super::request::{FindingCode, HepaticImpairment, Severity};
use super::{Context, Draft, Findings, Line, above, fmt_measure, fmt_num};

fn organ_severity(a: OrganAction) -> Severity {
    match a {
        OrganAction::Contraindicated => Severity::Block,
        OrganAction::Avoid | OrganAction::ReduceDose | OrganAction::MaxDaily => Severity::Warn,
        OrganAction::Caution => Severity::Info,
    }
}

fn action_words(a: OrganAction) -> (&'static str, &'static str) {
    match a {
        OrganAction::Contraindicated => ("禁用", "contraindicated"),
        OrganAction::Avoid => ("避免使用", "avoid"),
        OrganAction::ReduceDose => ("需减量", "reduce the dose"),
        OrganAction::MaxDaily => ("限制日剂量", "limit the daily dose"),
        OrganAction::Caution => ("慎用", "use with caution"),
    }
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    renal(cx, out);
    hepatic(cx, out);
    reproductive(cx, out, true);
    reproductive(cx, out, false);
    age(cx, out);
}

fn missing(
    out: &mut Findings,
    code: FindingCode,
    items: Vec<usize>,
    zh: &str,
    en: &str,
    rule: &str,
) {
    if !items.is_empty() {
        out.add(Draft {
            code,
            severity: Severity::Info,
            items,
            zh: zh.into(),
            en: en.into(),
            source: "R-RX-3",
            rule,
        });
    }
}

fn lines_with_drug<'a, 'b>(cx: &'b Context<'a>) -> impl Iterator<Item = (&'b Line<'a>, usize)> {
    cx.lines.iter().filter_map(|l| l.drug.map(|d| (l, d)))
}

fn renal(cx: &Context<'_>, out: &mut Findings) {
    let egfr = cx.req.patient.egfr;
    let mut unchecked = Vec::new();
    for (line, d) in lines_with_drug(cx) {
        let drug = &cx.pack.drugs[d];
        if drug.renal.is_empty() {
            continue;
        }
        let Some(e) = egfr else {
            if drug.renal.iter().any(|r| r.action > OrganAction::Caution) {
                unchecked.push(line.ix);
            }
            continue;
        };
        // Of the thresholds the patient is under, report the one with the gravest outcome.
        let mut best: Option<(Severity, &meddesk_formulary::schema::RenalRule, bool)> = None;
        for r in drug.renal.iter().filter(|r| e < r.egfr_below) {
            let (severity, exceeded) = match (r.action, &r.max_daily) {
                (OrganAction::MaxDaily, Some(max)) => match line.daily().or(line.single) {
                    Some(daily) if daily.dim == max.measure().dim => {
                        if above(daily.value, max.measure().value) {
                            (Severity::Block, true)
                        } else {
                            continue;
                        }
                    }
                    _ => (Severity::Info, false),
                },
                (a, _) => (organ_severity(a), false),
            };
            if best.is_none_or(|(s, b, _)| {
                severity > s || (severity == s && r.egfr_below < b.egfr_below)
            }) {
                best = Some((severity, r, exceeded));
            }
        }
        let Some((severity, r, exceeded)) = best else {
            continue;
        };
        let (zh_a, en_a) = action_words(r.action);
        let n = line.ix + 1;
        let (zh_extra, en_extra) = match (exceeded, &r.max_daily, line.daily()) {
            (true, Some(max), Some(daily)) => (
                format!(
                    "每日{}超过肾功能受限时最大日剂量{}。",
                    fmt_measure(daily),
                    max
                ),
                format!(
                    " {} a day exceeds the renal maximum of {max}.",
                    fmt_measure(daily)
                ),
            ),
            _ => (String::new(), String::new()),
        };
        out.add(Draft {
            code: FindingCode::Renal,
            severity,
            items: vec![line.ix],
            zh: format!(
                "第{n}行：eGFR {} 低于{}，{}{zh_a}。{}{zh_extra}",
                fmt_num(e),
                fmt_num(r.egfr_below),
                drug.zh,
                r.advice_zh
            ),
            en: format!(
                "Line {n}: eGFR {} is below {}: {} — {en_a}. {}{en_extra}",
                fmt_num(e),
                fmt_num(r.egfr_below),
                drug.inn,
                r.advice_en
            ),
            source: &r.source,
            rule: "renal.egfr",
        });
    }
    missing(
        out,
        FindingCode::Renal,
        unchecked,
        "未提供eGFR，肾功能相关剂量检查未进行。",
        "eGFR is not given; the renal dosing check did not run.",
        "renal.egfr_missing",
    );
}

fn grade_reaches(patient: HepaticImpairment, rule: ChildPugh) -> bool {
    let p = match patient {
        HepaticImpairment::None => 0,
        HepaticImpairment::Mild => 1,
        HepaticImpairment::Moderate => 2,
        HepaticImpairment::Severe => 3,
    };
    let r = match rule {
        ChildPugh::Mild => 1,
        ChildPugh::Moderate => 2,
        ChildPugh::Severe => 3,
    };
    p >= r
}

fn hepatic(cx: &Context<'_>, out: &mut Findings) {
    let grade = cx.req.patient.hepatic_impairment;
    let mut unchecked = Vec::new();
    for (line, d) in lines_with_drug(cx) {
        let drug = &cx.pack.drugs[d];
        if drug.hepatic.is_empty() {
            continue;
        }
        let Some(g) = grade else {
            if drug.hepatic.iter().any(|r| r.action > OrganAction::Caution) {
                unchecked.push(line.ix);
            }
            continue;
        };
        let Some(r) = drug
            .hepatic
            .iter()
            .filter(|r| grade_reaches(g, r.child_pugh))
            .max_by_key(|r| (r.action, r.child_pugh))
        else {
            continue;
        };
        let (zh_a, en_a) = action_words(r.action);
        let (zh_g, en_g) = match g {
            HepaticImpairment::Mild => ("轻度", "mild"),
            HepaticImpairment::Moderate => ("中度", "moderate"),
            _ => ("重度", "severe"),
        };
        let n = line.ix + 1;
        out.add(Draft {
            code: FindingCode::Hepatic,
            severity: organ_severity(r.action),
            items: vec![line.ix],
            zh: format!(
                "第{n}行：{zh_g}肝功能损害患者{}{zh_a}。{}",
                drug.zh, r.advice_zh
            ),
            en: format!(
                "Line {n}: {en_g} hepatic impairment: {} — {en_a}. {}",
                drug.inn, r.advice_en
            ),
            source: &r.source,
            rule: "hepatic.child_pugh",
        });
    }
    missing(
        out,
        FindingCode::Hepatic,
        unchecked,
        "未提供肝功能分级，肝功能相关检查未进行。",
        "Hepatic function is not given; the hepatic check did not run.",
        "hepatic.grade_missing",
    );
}

/// Could this patient be pregnant or breastfeeding? Not a man; age unknown or 12–55.
fn could_be(cx: &Context<'_>) -> bool {
    let p = &cx.req.patient;
    let female_or_unknown = !matches!(p.sex, Some(meddesk_domain::Sex::Male));
    let age_ok = p.age_years.is_none_or(|a| (12.0..=55.0).contains(&a));
    female_or_unknown && age_ok
}

fn reproductive(cx: &Context<'_>, out: &mut Findings, pregnancy: bool) {
    let p = &cx.req.patient;
    let state = if pregnancy { p.pregnant } else { p.lactating };
    let code = if pregnancy {
        FindingCode::Pregnancy
    } else {
        FindingCode::Lactation
    };
    let mut unchecked = Vec::new();
    for (line, d) in lines_with_drug(cx) {
        let drug = &cx.pack.drugs[d];
        let rule: Option<&ReproductiveRule> = if pregnancy {
            drug.pregnancy.as_ref()
        } else {
            drug.lactation.as_ref()
        };
        let Some(r) = rule else { continue };
        let severity = match r.rule {
            ReproductiveAdvice::Contraindicated => Severity::Block,
            ReproductiveAdvice::Avoid => Severity::Warn,
            ReproductiveAdvice::Caution => Severity::Info,
            ReproductiveAdvice::Compatible => continue,
        };
        match state {
            Some(true) => {}
            Some(false) => continue,
            None => {
                if r.rule >= ReproductiveAdvice::Avoid && could_be(cx) {
                    unchecked.push(line.ix);
                }
                continue;
            }
        }
        let (zh_a, en_a) = match r.rule {
            ReproductiveAdvice::Contraindicated => ("禁用", "contraindicated"),
            ReproductiveAdvice::Avoid => ("应避免使用", "avoid"),
            _ => ("慎用", "use with caution"),
        };
        let (zh_s, en_s) = if pregnancy {
            ("妊娠期", "pregnancy")
        } else {
            ("哺乳期", "breastfeeding")
        };
        let n = line.ix + 1;
        out.add(Draft {
            code,
            severity,
            items: vec![line.ix],
            zh: format!("第{n}行：{zh_s}{}{zh_a}。{}", drug.zh, r.note_zh),
            en: format!("Line {n}: {} in {en_s} — {en_a}. {}", drug.inn, r.note_en),
            source: &r.source,
            rule: if pregnancy {
                "pregnancy.label"
            } else {
                "lactation.label"
            },
        });
    }
    let (zh, en, rule) = if pregnancy {
        (
            "未说明是否妊娠，妊娠期用药检查未进行。",
            "Pregnancy status is not given; the pregnancy check did not run.",
            "pregnancy.status_missing",
        )
    } else {
        (
            "未说明是否哺乳，哺乳期用药检查未进行。",
            "Breastfeeding status is not given; the lactation check did not run.",
            "lactation.status_missing",
        )
    };
    missing(out, code, unchecked, zh, en, rule);
}

fn age(cx: &Context<'_>, out: &mut Findings) {
    let age = cx.req.patient.age_years;
    let mut unchecked = Vec::new();
    for (line, d) in lines_with_drug(cx) {
        let drug = &cx.pack.drugs[d];
        if drug.age.is_empty() && drug.paediatric.is_none() {
            continue;
        }
        let Some(a) = age else {
            unchecked.push(line.ix);
            continue;
        };
        let Some(r) = drug
            .age
            .iter()
            .filter(|r| a < r.below_years)
            .max_by(|x, y| {
                let sx = x.severity == RuleSeverity::Block;
                let sy = y.severity == RuleSeverity::Block;
                sx.cmp(&sy).then(y.below_years.total_cmp(&x.below_years))
            })
        else {
            continue;
        };
        let severity = match r.severity {
            RuleSeverity::Block => Severity::Block,
            RuleSeverity::Warn => Severity::Warn,
        };
        let n = line.ix + 1;
        out.add(Draft {
            code: FindingCode::Age,
            severity,
            items: vec![line.ix],
            zh: format!(
                "第{n}行：{}不宜用于{}岁以下患者。{}",
                drug.zh,
                fmt_num(r.below_years),
                r.reason_zh
            ),
            en: format!(
                "Line {n}: {} under {} years: {}",
                drug.inn,
                fmt_num(r.below_years),
                r.reason_en
            ),
            source: &r.source,
            rule: "age.label",
        });
    }
    missing(
        out,
        FindingCode::Age,
        unchecked,
        "未提供年龄，年龄禁忌和儿童剂量检查未进行（按成人剂量审核）。",
        "Age is not given; age and paediatric checks did not run (adult dosing assumed).",
        "age.missing",
    );
}
