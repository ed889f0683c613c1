//! Indication against diagnosis (R-RX-3): a drug whose labelled indications (ICD-10 codes,
//! prefixes or ranges) match none of the consultation's diagnoses or the patient's recorded
//! conditions is flagged. Graded for precision: when no diagnosis is even in the same ICD-10
//! chapter (letter) as a labelled indication — an antibiotic for hypertension — it is a
//! `warn` (off-label use needs a reason); a near miss in the same chapter (a PPI for
//! gastritis when the label lists reflux and ulcer) is `info`, because labels list fewer
//! indications than practice uses and warning on those teaches prescribers to click through.
//! No coded diagnosis (none, or written ones only) → `info`.

use super::request::{FindingCode, Severity};
use super::{Context, Draft, Findings};

/// Does an ICD-10 code fall under a pack pattern ("J02" prefix, "J01-J06" range)? The one
/// ICD-10 matcher of the crate ([`crate::icd10`]); a malformed pattern matches nothing (the
/// pack validator refuses it at load).
pub fn icd_matches(pattern: &str, code: &str) -> bool {
    crate::icd10::Icd10Range::parse(pattern).is_ok_and(|r| r.contains(code))
}

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let req = cx.req;
    let codes: Vec<&str> = req
        .diagnoses
        .iter()
        .chain(req.patient.conditions.iter())
        .map(String::as_str)
        // A written diagnosis ("急性扁桃体炎") is a valid clinical diagnosis (R-RX-8) but
        // not a code the labels' indications can be matched against: it leaves the check
        // to the `info` below rather than calling every drug off-label.
        .filter(|c| crate::icd10::Icd10Range::parse(c).is_ok())
        .collect();
    let mut unchecked = Vec::new();
    for line in cx.lines {
        let Some(d) = line.drug else { continue };
        let drug = &cx.pack.drugs[d];
        if drug.indications.is_empty() {
            continue;
        }
        if codes.is_empty() {
            unchecked.push(line.ix);
            continue;
        }
        let ok = drug
            .indications
            .iter()
            .any(|p| codes.iter().any(|c| icd_matches(p, c)));
        if ok {
            continue;
        }
        let same_chapter = drug.indications.iter().any(|p| {
            let letter = p.trim().chars().next().map(|c| c.to_ascii_uppercase());
            codes
                .iter()
                .any(|c| c.trim().chars().next().map(|c| c.to_ascii_uppercase()) == letter)
        });
        let severity = if same_chapter {
            Severity::Info
        } else {
            Severity::Warn
        };
        let source = drug
            .indications_source
            .clone()
            .unwrap_or_else(|| "R-RX-3".to_owned());
        let n = line.ix + 1;
        out.add(Draft {
            code: FindingCode::Indication,
            severity,
            items: vec![line.ix],
            zh: format!(
                "第{n}行：{}的适应症（{}）与诊断不符；超说明书用药请注明理由。",
                drug.zh,
                drug.indications.join("、")
            ),
            en: format!(
                "Line {n}: the diagnoses match none of {}'s labelled indications ({}); state the \
                 reason for off-label use.",
                drug.inn,
                drug.indications.join(", ")
            ),
            source: &source,
            rule: if same_chapter {
                "indication.icd10_same_chapter"
            } else {
                "indication.icd10"
            },
        });
    }
    if !unchecked.is_empty() {
        out.add(Draft {
            code: FindingCode::Indication,
            severity: Severity::Info,
            items: unchecked,
            zh: "未提供诊断，适应症检查未进行。".into(),
            en: "No diagnosis is given; the indication check did not run.".into(),
            source: "R-RX-3",
            rule: "indication.diagnosis_missing",
        });
    }
}

#[cfg(test)]
mod tests {
    use super::icd_matches;

    #[test]
    fn prefixes_and_ranges_match_icd10_codes() {
        assert!(icd_matches("J02", "J02.9"));
        assert!(icd_matches("J01-J06", "j06.9"));
        assert!(icd_matches("J01-J06", "J01"));
        assert!(!icd_matches("J01-J06", "J10.1"));
        assert!(!icd_matches("J01-J06", "J0"));
        assert!(icd_matches("N39.0", "N39.0"));
        assert!(!icd_matches("N39.0", "N39.1"));
        assert!(!icd_matches("I10", "J02"));
    }
}
