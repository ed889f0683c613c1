//! The prescription checker (R-RX-3 … R-RX-7): pure — the loaded pack and the request in,
//! graded findings out. No IO, no clock (ages arrive in years). One module per rule family;
//! each adds findings to [`Findings`] and never removes one.
//!
//! Alert fatigue is a safety problem too: a clean, label-conformant prescription yields no
//! `warn` or `block`; `info` is used for checks that could not run (missing patient data).

pub mod allergy;
pub mod controlled;
pub mod dose;
pub mod indication;
pub mod interaction;
pub mod lines;
pub mod patient;
pub mod pharmacogenomic;
pub mod regimen;
pub mod request;
pub mod validity;

use meddesk_formulary::{Amount, Measure, Pack};

use request::{
    CheckRequest, CheckResponse, Finding, FindingCode, Item, Message, Severity, Verdict,
};

/// Check one request against the pack.
pub fn check(pack: &Pack, req: &CheckRequest) -> CheckResponse {
    let lines = lines::prepare(pack, req);
    let mut out = Findings::default();
    let cx = Context {
        pack,
        req,
        lines: &lines,
    };
    validity::check(&cx, &mut out);
    lines::check(&cx, &mut out);
    allergy::check(&cx, &mut out);
    dose::check(&cx, &mut out);
    regimen::check(&cx, &mut out);
    pharmacogenomic::check(&cx, &mut out);
    patient::check(&cx, &mut out);
    interaction::check(&cx, &mut out);
    indication::check(&cx, &mut out);
    let findings = out.0;
    let verdict = verdict_of(&findings);
    CheckResponse {
        id: req.id.clone(),
        verdict,
        pack: pack.meta.version.clone(),
        pack_hash: pack.content_hash.clone(),
        findings,
    }
}

/// `block` if any finding blocks, else `warn` if any warns, else `pass` (info never stops a
/// prescription). R-RX-7.
pub fn verdict_of(findings: &[Finding]) -> Verdict {
    match findings.iter().map(|f| f.severity).max() {
        Some(Severity::Block) => Verdict::Block,
        Some(Severity::Warn) => Verdict::Warn,
        _ => Verdict::Pass,
    }
}

/// What every rule family sees.
#[derive(Debug)]
pub struct Context<'a> {
    pub pack: &'a Pack,
    pub req: &'a CheckRequest,
    pub lines: &'a [Line<'a>],
}

/// A prescription line with its drug resolved and its dose converted once.
#[derive(Debug)]
pub struct Line<'a> {
    pub ix: usize,
    pub item: &'a Item,
    /// Index into `pack.drugs`; `None` for an unknown drug.
    pub drug: Option<usize>,
    pub strength: Option<Amount>,
    /// One administration in base units (mg, U, mL), when the units allow it.
    pub single: Option<Measure>,
    /// Dispensing units (tablets, capsules, sachets) per administration.
    pub units_per_dose: Option<f64>,
}

impl Line<'_> {
    /// The amount taken on a day of treatment; `None` for PRN or without a dose.
    pub fn daily(&self) -> Option<Measure> {
        let s = self.single?;
        let per_day = self.item.frequency?.doses_per_day()?;
        Some(Measure {
            value: s.value * per_day,
            dim: s.dim,
        })
    }
}

/// The findings collected so far.
#[derive(Debug, Default)]
pub struct Findings(pub Vec<Finding>);

/// The pieces of a finding; `Findings::add` builds it.
#[derive(Debug)]
pub struct Draft<'s> {
    pub code: FindingCode,
    pub severity: Severity,
    pub items: Vec<usize>,
    pub zh: String,
    pub en: String,
    pub source: &'s str,
    pub rule: &'s str,
}

impl Findings {
    pub fn add(&mut self, d: Draft<'_>) {
        self.0.push(Finding {
            code: d.code,
            severity: d.severity,
            items: d.items,
            message: Message { zh: d.zh, en: d.en },
            source: d.source.to_owned(),
            rule: d.rule.to_owned(),
        });
    }
}

/// A regulation cited by a rule that is not a drug fact: by its pack source id when the pack
/// defines it, else by name (so the finding still says where the rule comes from).
pub fn regulation(pack: &Pack, id: &str, locator: &str, fallback: &str) -> String {
    if pack.source(id).is_some() {
        format!("{id} {locator}")
    } else {
        fallback.to_owned()
    }
}

pub(crate) fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// "500 mg" / "2 g" for a base-unit measure.
pub(crate) fn fmt_measure(m: Measure) -> String {
    use meddesk_formulary::Dimension::*;
    match m.dim {
        Mass if m.value >= 1000.0 && (m.value / 1000.0).fract() == 0.0 => {
            format!("{} g", fmt_num(m.value / 1000.0))
        }
        Mass if m.value < 1.0 => format!("{} mcg", fmt_num(m.value * 1000.0)),
        Mass => format!("{} mg", fmt_num(m.value)),
        Units => format!("{} U", fmt_num(m.value)),
        Volume => format!("{} mL", fmt_num(m.value)),
        Percent => format!("{} %", fmt_num(m.value)),
        Count => format!("{} dose(s)", fmt_num(m.value)),
        Amount => format!("{} mmol", fmt_num(m.value)),
    }
}

/// Relative tolerance for float comparisons of doses (rounding in conversions only).
pub(crate) const EPS: f64 = 1e-6;

pub(crate) fn above(value: f64, limit: f64) -> bool {
    value > limit * (1.0 + EPS)
}

pub(crate) fn below(value: f64, limit: f64) -> bool {
    value < limit * (1.0 - EPS)
}
