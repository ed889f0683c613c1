//! A prescription line's contraindication notes (禁忌说明, R-RX-2), pre-filled from the
//! knowledge pack: the label's Contraindications section where the pack holds it
//! (`contraindications.toml`), then every patient-factor rule the pack marks as a
//! contraindication (renal, hepatic, pregnancy, lactation, age) — each from its own sourced
//! fact. The physician may edit the result; nothing here is invented.

use meddesk_formulary::schema::{
    ChildPugh, Drug, OrganAction, ReproductiveAdvice, ReproductiveRule, RuleSeverity,
};
use serde::Serialize;
use ts_rs::TS;

/// The notes in both languages (same length, same order) and the sources they rest on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct ContraindicationNotes {
    pub zh: Vec<String>,
    pub en: Vec<String>,
    pub sources: Vec<String>,
}

impl ContraindicationNotes {
    fn push(&mut self, zh: String, en: String, source: &str) {
        if self.zh.contains(&zh) {
            return;
        }
        self.zh.push(zh);
        self.en.push(en);
        if !self.sources.iter().any(|s| s == source) {
            self.sources.push(source.to_owned());
        }
    }

    /// One line of text for the prescription line (`；` between notes in Chinese).
    pub fn text_zh(&self) -> String {
        self.zh.join("；")
    }

    pub fn text_en(&self) -> String {
        self.en.join("; ")
    }
}

/// The contraindication notes of `drug`, as the pack sources them.
pub fn contraindication_notes(drug: &Drug) -> ContraindicationNotes {
    let mut out = ContraindicationNotes::default();
    if let Some(c) = &drug.contraindications {
        for (zh, en) in c.zh.iter().zip(&c.en) {
            out.push(zh.clone(), en.clone(), &c.source);
        }
    }
    for r in &drug.renal {
        if r.action == OrganAction::Contraindicated {
            let limit = number(r.egfr_below);
            out.push(
                format!("肾功能不全（eGFR<{limit} mL/min/1.73 m²）者禁用"),
                format!("Contraindicated with eGFR below {limit} mL/min/1.73 m²"),
                &r.source,
            );
        }
    }
    for h in &drug.hepatic {
        if h.action == OrganAction::Contraindicated {
            let (zh, en) = match h.child_pugh {
                ChildPugh::Mild => ("轻度", "mild"),
                ChildPugh::Moderate => ("中度", "moderate"),
                ChildPugh::Severe => ("重度", "severe"),
            };
            out.push(
                format!("{zh}及以上肝功能不全者禁用"),
                format!("Contraindicated in {en} or worse hepatic impairment"),
                &h.source,
            );
        }
    }
    let reproductive = |r: &Option<ReproductiveRule>| {
        r.as_ref()
            .filter(|r| r.rule == ReproductiveAdvice::Contraindicated)
            .map(|r| r.source.clone())
    };
    if let Some(source) = reproductive(&drug.pregnancy) {
        out.push(
            "孕妇禁用".into(),
            "Contraindicated in pregnancy".into(),
            &source,
        );
    }
    if let Some(source) = reproductive(&drug.lactation) {
        out.push(
            "哺乳期妇女禁用".into(),
            "Contraindicated during breastfeeding".into(),
            &source,
        );
    }
    for a in &drug.age {
        if a.severity == RuleSeverity::Block {
            let age = number(a.below_years);
            out.push(
                format!("{age}岁以下禁用"),
                format!("Contraindicated under {age} years of age"),
                &a.source,
            );
        }
    }
    out
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack() -> meddesk_formulary::Pack {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/formulary");
        meddesk_formulary::load_dir(&dir).expect("shipped pack")
    }

    #[test]
    fn notes_come_from_the_labels_contraindications_and_the_contraindicating_rules() {
        let pack = pack();
        let mut with_notes = 0;
        for drug in &pack.drugs {
            let n = contraindication_notes(drug);
            assert_eq!(n.zh.len(), n.en.len(), "{}", drug.id);
            assert!(n.zh.is_empty() == n.sources.is_empty(), "{}", drug.id);
            for s in &n.sources {
                assert!(
                    !s.trim().is_empty(),
                    "{}: a note without its source",
                    drug.id
                );
            }
            // Every label note the pack holds is in the line's notes, first and in order.
            if let Some(c) = &drug.contraindications {
                assert_eq!(&n.zh[..c.zh.len()], c.zh.as_slice(), "{}", drug.id);
            }
            // Every contraindicating renal rule appears, with its threshold.
            for r in drug
                .renal
                .iter()
                .filter(|r| r.action == OrganAction::Contraindicated)
            {
                let limit = number(r.egfr_below);
                assert!(
                    n.zh.iter().any(|z| z.contains(&format!("eGFR<{limit}"))),
                    "{}: {:?}",
                    drug.id,
                    n.zh
                );
            }
            if !n.zh.is_empty() {
                with_notes += 1;
            }
        }
        assert!(with_notes > 0, "no drug of the shipped pack has notes");
    }

    #[test]
    fn a_drug_with_no_contraindicating_fact_has_no_invented_note() {
        let pack = pack();
        for drug in &pack.drugs {
            let has_fact = drug.contraindications.is_some()
                || drug
                    .renal
                    .iter()
                    .any(|r| r.action == OrganAction::Contraindicated)
                || drug
                    .hepatic
                    .iter()
                    .any(|h| h.action == OrganAction::Contraindicated)
                || [&drug.pregnancy, &drug.lactation].iter().any(|r| {
                    r.as_ref()
                        .is_some_and(|r| r.rule == ReproductiveAdvice::Contraindicated)
                })
                || drug.age.iter().any(|a| a.severity == RuleSeverity::Block);
            assert_eq!(
                contraindication_notes(drug).zh.is_empty(),
                !has_fact,
                "{}",
                drug.id
            );
        }
    }
}
