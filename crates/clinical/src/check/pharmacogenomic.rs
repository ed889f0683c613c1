//! Pharmacogenomic screening (R-RX-3, issue 14): a drug whose pack entry has
//! `[[drug.genotype]]` (carbamazepine, phenytoin, oxcarbazepine with HLA-B*15:02;
//! allopurinol with HLA-B*58:01) is checked against the patient's recorded `genotypes`.
//!
//! - a positive result → the rule's `if_positive` (block in the shipped pack);
//! - a negative result → nothing;
//! - no result for the allele → the rule's `if_untested` (warn in the shipped pack), naming
//!   the test. When the drug is already among the patient's current medications (a renewal)
//!   the untested finding is `info`: the labels place the risk of SJS/TEN in the first months
//!   of treatment, so interrupting a long-tolerated therapy for the test is noise.
//!
//! Entries are read leniently ("HLA-B*1502 positive", "HLA-B*15:02 阴性", "HLA-B*58:01 +");
//! an entry the checker cannot read is reported once as `info` and otherwise ignored.
//! Finding code `pharmacogenomic`.

use meddesk_formulary::schema::PackSeverity;

use super::request::{FindingCode, Severity};
use super::{Context, Draft, Findings};

/// A recorded result: the allele ("HLA-B*15:02") and whether the patient carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenotypeResult {
    pub allele: String,
    pub positive: bool,
}

/// Normalise an allele: "hla-b*1502" / "HLA-B*15:02" / "HLA-B 15:02" → "HLA-B*15:02".
pub fn normalise_allele(s: &str) -> Option<String> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let up = s.to_uppercase();
    let (locus, allele) = match up.split_once('*') {
        Some((l, a)) => (l.to_owned(), a.to_owned()),
        None => {
            // "HLA-B1502": the locus is the letters after "HLA-".
            let rest = up.strip_prefix("HLA-")?;
            let split = rest.find(|c: char| c.is_ascii_digit())?;
            (format!("HLA-{}", &rest[..split]), rest[split..].to_owned())
        }
    };
    if !locus.starts_with("HLA-") || locus.len() <= 4 {
        return None;
    }
    let fields: Vec<String> = if allele.contains(':') {
        allele.split(':').map(str::to_owned).collect()
    } else if allele.len() == 4 && allele.chars().all(|c| c.is_ascii_digit()) {
        vec![allele[..2].to_owned(), allele[2..].to_owned()]
    } else {
        return None;
    };
    if fields.len() < 2
        || fields
            .iter()
            .any(|f| f.len() < 2 || !f.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    // Two-field resolution is what the screening rules name.
    Some(format!("{locus}*{}:{}", fields[0], fields[1]))
}

/// Parse one recorded entry; `None` when it cannot be read.
pub fn parse_genotype(entry: &str) -> Option<GenotypeResult> {
    let t = entry.trim();
    let lower = t.to_lowercase();
    if lower.len() != t.len() {
        // Lower-casing changed byte lengths (unusual scripts): not a result we can read, and
        // slicing by the lower-case suffix would not be safe.
        return None;
    }
    const POS: &[&str] = &[
        "positive", "carrier", "detected", "present", "阳性", "携带", "pos", "+",
    ];
    const NEG: &[&str] = &[
        "negative",
        "non-carrier",
        "noncarrier",
        "not detected",
        "absent",
        "阴性",
        "未携带",
        "neg",
        "-",
    ];
    // The result word is at the end ("… negative", "…阴性", "… +"); check the negatives
    // first so "not detected" is not read as "detected".
    let cut = |w: &str| t.get(..t.len() - w.len());
    let (allele_part, positive) = if let Some(w) = NEG.iter().find(|w| lower.ends_with(*w)) {
        (cut(w)?, false)
    } else if let Some(w) = POS.iter().find(|w| lower.ends_with(*w)) {
        (cut(w)?, true)
    } else {
        return None;
    };
    let allele_part = allele_part.trim().trim_end_matches([':', '：', '=']).trim();
    let allele = normalise_allele(allele_part)?;
    Some(GenotypeResult { allele, positive })
}

fn grade(s: PackSeverity) -> Severity {
    match s {
        PackSeverity::Block => Severity::Block,
        PackSeverity::Warn => Severity::Warn,
        PackSeverity::Info => Severity::Info,
    }
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let pack = cx.pack;
    let has_rules = cx
        .lines
        .iter()
        .any(|l| l.drug.is_some_and(|d| !pack.drugs[d].genotype.is_empty()));
    let entries = cx.req.patient.genotypes.as_deref().unwrap_or(&[]);
    let mut results = Vec::with_capacity(entries.len());
    let mut unreadable = Vec::new();
    for e in entries {
        match parse_genotype(e) {
            Some(r) => results.push(r),
            None => unreadable.push(e.as_str()),
        }
    }
    if !unreadable.is_empty() && has_rules {
        out.add(Draft {
            code: FindingCode::Pharmacogenomic,
            severity: Severity::Info,
            items: vec![],
            zh: format!(
                "有{}条基因检测记录无法识别（应写作如“HLA-B*15:02 阴性”），已忽略。",
                unreadable.len()
            ),
            en: format!(
                "{} genotype entr{} could not be read (write e.g. \"HLA-B*15:02 negative\") and \
                 {} ignored.",
                unreadable.len(),
                if unreadable.len() == 1 { "y" } else { "ies" },
                if unreadable.len() == 1 { "was" } else { "were" }
            ),
            source: "R-RX-3",
            rule: "pharmacogenomic.unreadable",
        });
    }
    if !has_rules {
        return;
    }
    let current: Vec<usize> = cx
        .req
        .patient
        .current_medications
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .filter_map(|m| pack.resolve_product(m))
        .collect();
    for line in cx.lines {
        let Some(d) = line.drug else { continue };
        let drug = &pack.drugs[d];
        for g in &drug.genotype {
            // A positive result wins over a negative one recorded for the same allele.
            let found = results
                .iter()
                .filter(|r| r.allele == g.allele)
                .map(|r| r.positive)
                .reduce(|a, b| a || b);
            let n = line.ix + 1;
            match found {
                Some(false) => {}
                Some(true) => out.add(Draft {
                    code: FindingCode::Pharmacogenomic,
                    severity: grade(g.if_positive),
                    items: vec![line.ix],
                    zh: format!(
                        "第{n}行：患者{}阳性，{}发生严重皮肤不良反应（SJS/TEN等）的风险显著升高。{}",
                        g.allele, drug.zh, g.advice_zh
                    ),
                    en: format!(
                        "Line {n}: the patient carries {}; {} carries a markedly higher risk of \
                         severe cutaneous reactions (SJS/TEN) in carriers. {}",
                        g.allele, drug.inn, g.advice_en
                    ),
                    source: &g.source,
                    rule: "pharmacogenomic.positive",
                }),
                None => {
                    let renewal = current.contains(&d);
                    let severity = if renewal {
                        Severity::Info
                    } else {
                        grade(g.if_untested)
                    };
                    let (zh_renew, en_renew) = if renewal {
                        (
                            "（患者已在使用该药，风险主要在用药最初数月）",
                            " (the patient already takes it; the risk lies mainly in the first \
                             months of treatment)",
                        )
                    } else {
                        ("", "")
                    };
                    out.add(Draft {
                        code: FindingCode::Pharmacogenomic,
                        severity,
                        items: vec![line.ix],
                        zh: format!(
                            "第{n}行：{}用药前应检测{}，未见检测结果{zh_renew}。{}",
                            drug.zh, g.allele, g.advice_zh
                        ),
                        en: format!(
                            "Line {n}: test for {} before {}; no result is recorded{en_renew}. {}",
                            g.allele, drug.inn, g.advice_en
                        ),
                        source: &g.source,
                        rule: if renewal {
                            "pharmacogenomic.untested_renewal"
                        } else {
                            "pharmacogenomic.untested"
                        },
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alleles_and_results_are_read_leniently() {
        let r = |s: &str| parse_genotype(s).map(|g| (g.allele, g.positive));
        assert_eq!(
            r("HLA-B*15:02 positive"),
            Some(("HLA-B*15:02".into(), true))
        );
        assert_eq!(
            r("HLA-B*1502 negative"),
            Some(("HLA-B*15:02".into(), false))
        );
        assert_eq!(r("hla-b*58:01 阳性"), Some(("HLA-B*58:01".into(), true)));
        assert_eq!(r("HLA-B*5801阴性"), Some(("HLA-B*58:01".into(), false)));
        assert_eq!(r("HLA-B*15:02 +"), Some(("HLA-B*15:02".into(), true)));
        assert_eq!(r("HLA-B*15:02: -"), Some(("HLA-B*15:02".into(), false)));
        assert_eq!(
            r("HLA-B*15:02:01 not detected"),
            Some(("HLA-B*15:02".into(), false))
        );
        assert_eq!(r("HLA-B1502 positive"), Some(("HLA-B*15:02".into(), true)));
    }

    #[test]
    fn unreadable_entries_are_none_never_a_panic() {
        for s in [
            "",
            "positive",
            "CYP2C19 poor metaboliser",
            "HLA-B*15 positive",
            "HLA-B*ab:cd negative",
            "HLA-*15:02 positive",
            "HLA-B*15:02",
            "🧬 +",
            "HLA-B*1 -",
        ] {
            assert_eq!(parse_genotype(s), None, "{s:?}");
        }
    }
}
