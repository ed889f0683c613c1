//! Whether a prescription may exist at all (R-RX-8): the hard rules the workstation, the
//! platform and the pharmacist's workstation apply through this ONE function, so nothing a
//! physician signs is refused later for validity. Every finding here is a `block` that no
//! override reason passes (R-RX-7):
//!
//! - `diagnosis_missing` — no clinical diagnosis (临床诊断; 处方管理办法 §6, 处方标准);
//! - `unknown_drug` — a line that does not name a formulary medicine (raw text is never a
//!   drug: exact names only, no pinyin abbreviations, no typo correction);
//! - `template_incomplete` — a line without strength, dose and unit, route, frequency, days or
//!   quantity, or a prescription without lines (R-RX-2);
//! - `too_many_items` — more than 5 medicines (R-RX-4; 处方管理办法 §6(9));
//! - `controlled_substance` — a narcotic or psychotropic drug (R-RX-5);
//! - `course_too_long` (rule `course.regulatory_limit`) — a course beyond the limit of the
//!   consultation type: ordinary and specialist 7 days, emergency 3 days (处方管理办法 §19),
//!   chronic 12 weeks (长期处方管理规范). A longer course needs the consultation to be of a type
//!   that allows it, which is the treating physician's audited call — not an override;
//! - `identity_unverified` — the platform has not verified the patient's real name (R-REC-2).
//!   Absent (`patient.identity_verified` not stated) gives no finding, for batch callers.

use meddesk_formulary::Pack;

use super::request::{CheckRequest, ConsultationKind, Finding, FindingCode, RxDraft, Severity};
use super::{Context, Draft, Findings, controlled, fmt_num, lines, regulation};

/// The finding codes only validity produces; a finding with one of them means the
/// prescription may not exist.
pub const CODES: [FindingCode; 6] = [
    FindingCode::DiagnosisMissing,
    FindingCode::UnknownDrug,
    FindingCode::TemplateIncomplete,
    FindingCode::TooManyItems,
    FindingCode::ControlledSubstance,
    FindingCode::IdentityUnverified,
];

/// The validity findings of `req` alone (the platform's and the pharmacist's check). The
/// full checker ([`super::check`]) produces exactly these among its findings.
pub fn validate(pack: &Pack, req: &CheckRequest) -> Vec<Finding> {
    let lines = lines::prepare(pack, req);
    let cx = Context {
        pack,
        req,
        lines: &lines,
    };
    let mut out = Findings::default();
    check(&cx, &mut out);
    out.0
}

/// [`validate`] for a prescription as signed (the platform's and the pharmacist's side):
/// the draft, and what the platform verified of the patient's identity. Patient facts other
/// than identity play no part in validity.
pub fn validate_draft(
    pack: &Pack,
    draft: &RxDraft,
    identity_verified: Option<bool>,
) -> Vec<Finding> {
    let req = CheckRequest {
        id: String::new(),
        consultation: Some(super::request::Consultation {
            kind: draft.kind.unwrap_or_default(),
        }),
        patient: super::request::Patient {
            identity_verified,
            ..Default::default()
        },
        diagnoses: draft.diagnoses.clone(),
        items: draft.items.clone(),
    };
    validate(pack, &req)
}

/// The stable codes of validity findings with their lines, e.g. `unknown_drug@1`
/// (1-based), for a refusal's message: codes and line numbers, never the text.
pub fn summary(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            let code = serde_json::to_value(f.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            if f.items.is_empty() {
                code
            } else {
                let lines: Vec<String> = f.items.iter().map(|i| (i + 1).to_string()).collect();
                format!("{code}@{}", lines.join(","))
            }
        })
        .collect()
}

/// Whether a validity finding is one: every finding of [`validate`] blocks.
pub fn is_validity_finding(f: &Finding) -> bool {
    f.severity == Severity::Block
        && (CODES.contains(&f.code)
            || (f.code == FindingCode::CourseTooLong && f.rule == COURSE_RULE))
}

const COURSE_RULE: &str = "course.regulatory_limit";

/// Course limits in days (R-RX-4).
pub fn course_limit(kind: ConsultationKind) -> f64 {
    match kind {
        ConsultationKind::Ordinary | ConsultationKind::Specialist => 7.0,
        ConsultationKind::Emergency => 3.0,
        ConsultationKind::Chronic => 84.0,
    }
}

/// The consultation type before the treating physician sets one: a chronic-disease
/// follow-up is chronic, an emergency-priority request is an emergency, anything else is
/// ordinary. The workstation shows it and the platform holds a signature to it, so both
/// call this one rule.
pub fn default_consultation_kind(
    chronic_followup: bool,
    priority: meddesk_domain::Priority,
) -> ConsultationKind {
    if chronic_followup {
        ConsultationKind::Chronic
    } else if priority == meddesk_domain::Priority::Emergency {
        ConsultationKind::Emergency
    } else {
        ConsultationKind::Ordinary
    }
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    diagnosis(cx, out);
    identity(cx, out);
    items(cx, out);
    controlled::check(cx, out);
    course(cx, out);
}

fn diagnosis(cx: &Context<'_>, out: &mut Findings) {
    if cx.req.diagnoses.iter().any(|d| !d.trim().is_empty()) {
        return;
    }
    let source = regulation(
        cx.pack,
        "cn-rx-admin-measures",
        "Art. 5-6; 附件 处方标准",
        "处方管理办法 (2007) 第五条、第六条, 附件 处方标准; R-RX-8",
    );
    out.add(Draft {
        code: FindingCode::DiagnosisMissing,
        severity: Severity::Block,
        items: vec![],
        zh: "处方未填写临床诊断：须有ICD-10诊断或医师确认的诊断。".into(),
        en: "The prescription has no clinical diagnosis: add an ICD-10 diagnosis or confirm a \
             written one."
            .into(),
        source: &source,
        rule: "diagnosis.present",
    });
}

fn identity(cx: &Context<'_>, out: &mut Findings) {
    if cx.req.patient.identity_verified != Some(false) {
        return;
    }
    let source = "互联网诊疗管理办法（试行）(2018), 互联网医院管理办法（试行）(2018): real-name \
                  patients; R-REC-2";
    out.add(Draft {
        code: FindingCode::IdentityUnverified,
        severity: Severity::Block,
        items: vec![],
        zh: "患者身份未经平台实名核验，不得开具处方。".into(),
        en: "The patient's identity has not been verified by the platform; no prescription \
             can be issued."
            .into(),
        source,
        rule: "patient.identity_verified",
    });
}

fn items(cx: &Context<'_>, out: &mut Findings) {
    let pack = cx.pack;
    let n = cx.req.items.len();
    if n > lines::MAX_ITEMS {
        let source = regulation(
            pack,
            "cn-rx-admin-measures",
            "Art. 6(9)",
            "处方管理办法 (2007) 第六条(九); R-RX-4",
        );
        let max = lines::MAX_ITEMS;
        out.add(Draft {
            code: FindingCode::TooManyItems,
            severity: Severity::Block,
            items: (0..n).collect(),
            zh: format!("处方含{n}种药品，每张处方不得超过{max}种药品。"),
            en: format!(
                "The prescription has {n} medicines; at most {max} are allowed per prescription."
            ),
            source: &source,
            rule: "items.max_5",
        });
    }
    if n == 0 {
        out.add(Draft {
            code: FindingCode::TemplateIncomplete,
            severity: Severity::Block,
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
            unknown(cx, line.ix, &item.drug, out);
            continue;
        };
        let drug = &pack.drugs[d];
        let mut missing: Vec<&str> = Vec::new();
        match &item.strength {
            None => missing.push("strength"),
            Some(s) if s.trim().is_empty() => missing.push("strength"),
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
                severity: Severity::Block,
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
                source: "R-RX-2 (seed 002 §3.3.3); 处方管理办法 附件 处方标准",
                rule: "line.complete",
            });
        }
    }
}

/// A line that names no formulary medicine. The text is the physician's own input, so it
/// is quoted back to them (it is not patient data); a close name is suggested, never
/// substituted.
fn unknown(cx: &Context<'_>, ix: usize, text: &str, out: &mut Findings) {
    let pack = cx.pack;
    let hint = pack
        .index
        .search(text, 1)
        .into_iter()
        .next()
        .and_then(|h| match h.target {
            meddesk_formulary::Target::Drug(d) => Some(&pack.drugs[d]),
            meddesk_formulary::Target::Class(_) => None,
        });
    let (zh_hint, en_hint) = match hint {
        Some(d) => (
            format!("是否为“{}”？请从药品列表中选择。", d.zh),
            format!(" Did you mean {}? Pick it from the drug list.", d.inn),
        ),
        None => (
            "请从药品列表中选择。".to_owned(),
            " Pick a medicine from the drug list.".to_owned(),
        ),
    };
    let source = format!("knowledge pack {}; R-RX-8", pack.meta.version);
    let shown: String = text.chars().take(40).collect();
    out.add(Draft {
        code: FindingCode::UnknownDrug,
        severity: Severity::Block,
        items: vec![ix],
        zh: format!(
            "第{}行“{}”不是知识库中的药品，处方不能开具未知药品。{zh_hint}",
            ix + 1,
            shown
        ),
        en: format!(
            "Line {}: \"{}\" is not a medicine of the knowledge pack; a prescription cannot name an \
             unknown drug.{en_hint}",
            ix + 1,
            shown
        ),
        source: &source,
        rule: "drug.unknown",
    });
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

fn course(cx: &Context<'_>, out: &mut Findings) {
    let kind = cx
        .req
        .consultation
        .as_ref()
        .map(|c| c.kind)
        .unwrap_or_default();
    let limit = course_limit(kind);
    let (zh_kind, en_kind, source) = match kind {
        ConsultationKind::Ordinary | ConsultationKind::Specialist => (
            if kind == ConsultationKind::Ordinary {
                "普通（常见病）处方"
            } else {
                "专科处方"
            },
            if kind == ConsultationKind::Ordinary {
                "an ordinary prescription"
            } else {
                "a specialist prescription"
            },
            regulation(
                cx.pack,
                "cn-rx-admin-measures",
                "Art. 19",
                "处方管理办法 (2007) 第十九条; R-RX-4",
            ),
        ),
        ConsultationKind::Emergency => (
            "急诊处方",
            "an emergency prescription",
            regulation(
                cx.pack,
                "cn-rx-admin-measures",
                "Art. 19",
                "处方管理办法 (2007) 第十九条; R-RX-4",
            ),
        ),
        ConsultationKind::Chronic => (
            "长期（慢性病）处方",
            "a long-term (chronic) prescription",
            regulation(
                cx.pack,
                "cn-long-term-rx-2021",
                "(≤ 12 weeks)",
                "长期处方管理规范（试行）(2021); R-RX-4",
            ),
        ),
    };
    for line in cx.lines {
        let Some(days) = line.item.days.filter(|d| d.is_finite()) else {
            continue;
        };
        if !super::above(days, limit) {
            continue;
        }
        out.add(Draft {
            code: FindingCode::CourseTooLong,
            severity: Severity::Block,
            items: vec![line.ix],
            zh: format!(
                "第{}行疗程{}天，超过{zh_kind}{}天的上限；如病情需要更长疗程，请先将问诊类型改为相应类型并说明理由。",
                line.ix + 1,
                fmt_num(days),
                fmt_num(limit)
            ),
            en: format!(
                "Line {}: a {}-day course exceeds the {}-day limit for {en_kind}; a longer course \
                 needs a consultation type that allows it (changed with a reason).",
                line.ix + 1,
                fmt_num(days),
                fmt_num(limit)
            ),
            source: &source,
            rule: COURSE_RULE,
        });
    }
}
