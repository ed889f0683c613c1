//! Properties of the checker over generated requests (proptest), on the shipped pack:
//! any well-formed request terminates with a verdict consistent with its findings, and
//! adding a current medication never removes a finding.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use meddesk_clinical::check::request::*;
use meddesk_clinical::check::{check, verdict_of};
use meddesk_formulary::schema::{Frequency, Route};
use proptest::prelude::*;

static PACK: LazyLock<meddesk_formulary::Pack> = LazyLock::new(|| {
    let dir = std::env::var_os("MEDDESK_FORMULARY_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/formulary"));
    meddesk_formulary::load_dir(&dir).unwrap_or_else(|e| panic!("shipped pack: {e}"))
});

/// Names as a prescriber might write them: ids, Chinese, synonyms, and some unknowns.
fn names() -> Vec<String> {
    let mut v: Vec<String> = PACK
        .drugs
        .iter()
        .flat_map(|d| {
            std::iter::once(d.id.clone())
                .chain(std::iter::once(d.zh.clone()))
                .chain(d.synonyms.iter().take(1).cloned())
        })
        .collect();
    v.extend(["unknownium".to_owned(), "草药".to_owned()]);
    v
}

fn allergen_names() -> Vec<String> {
    let mut v: Vec<String> = PACK.classes.iter().map(|c| c.en.clone()).collect();
    v.extend(PACK.drugs.iter().take(40).map(|d| d.inn.clone()));
    v.push("pollen".into());
    v
}

const FREQS: [Frequency; 12] = [
    Frequency::QD,
    Frequency::BID,
    Frequency::TID,
    Frequency::QID,
    Frequency::Q4H,
    Frequency::Q6H,
    Frequency::Q8H,
    Frequency::Q12H,
    Frequency::QN,
    Frequency::QW,
    Frequency::PRN,
    Frequency::ONCE,
];
const ROUTES: [Route; 5] = [
    Route::Oral,
    Route::Iv,
    Route::Im,
    Route::Inhaled,
    Route::Topical,
];
const UNITS: [DoseUnit; 8] = [
    DoseUnit::Mg,
    DoseUnit::G,
    DoseUnit::Mcg,
    DoseUnit::Ml,
    DoseUnit::Tablet,
    DoseUnit::Capsule,
    DoseUnit::Puff,
    DoseUnit::Drop,
];
const STRENGTHS: [&str; 7] = [
    "500 mg",
    "0.25 g",
    "100 mcg/dose",
    "125 mg/5 mL",
    "10 mg",
    "5 %",
    "bogus",
];

fn item() -> impl Strategy<Value = Item> {
    let n = names();
    (
        prop::sample::select(n),
        prop::option::of(prop::sample::select(STRENGTHS.to_vec())),
        prop::option::of((0.0f64..3000.0, prop::sample::select(UNITS.to_vec()))),
        prop::option::of(prop::sample::select(ROUTES.to_vec())),
        prop::option::of(prop::sample::select(FREQS.to_vec())),
        prop::option::of(0.0f64..120.0),
        prop::option::of(0.0f64..500.0),
    )
        .prop_map(
            |(drug, strength, dose, route, frequency, days, quantity)| Item {
                drug,
                strength: strength.map(str::to_owned),
                dose: dose.map(|(value, unit)| Dose { value, unit }),
                route,
                frequency,
                days,
                quantity,
                contraindications: None,
            },
        )
}

fn patient() -> impl Strategy<Value = Patient> {
    (
        prop::option::of(0.0f64..100.0),
        prop::option::of(prop::bool::ANY),
        prop::option::of(1.0f64..150.0),
        prop::option::of(prop::bool::ANY),
        prop::option::of(prop::bool::ANY),
        prop::option::of(0.0f64..130.0),
        prop::option::of(prop::sample::select(vec![
            HepaticImpairment::None,
            HepaticImpairment::Mild,
            HepaticImpairment::Moderate,
            HepaticImpairment::Severe,
        ])),
        prop::option::of(prop::collection::vec(
            prop::sample::select(allergen_names()),
            0..3,
        )),
        prop::option::of(prop::collection::vec(prop::sample::select(names()), 0..6)),
    )
        .prop_map(
            |(age, female, weight, pregnant, lactating, egfr, hep, allergies, meds)| Patient {
                age_years: age,
                sex: female.map(|f| {
                    if f {
                        meddesk_domain::Sex::Female
                    } else {
                        meddesk_domain::Sex::Male
                    }
                }),
                weight_kg: weight,
                pregnant,
                lactating,
                egfr,
                hepatic_impairment: hep,
                allergies: allergies.map(|v| {
                    v.into_iter()
                        .map(|substance| Allergy {
                            substance,
                            reaction: None,
                        })
                        .collect()
                }),
                conditions: vec![],
                current_medications: meds,
                identity_verified: None,
                genotypes: None,
            },
        )
}

fn request() -> impl Strategy<Value = CheckRequest> {
    (
        prop::option::of(prop::sample::select(vec![
            ConsultationKind::Ordinary,
            ConsultationKind::Emergency,
            ConsultationKind::Chronic,
            ConsultationKind::Specialist,
        ])),
        patient(),
        prop::collection::vec(
            prop::sample::select(vec!["J02.9", "I10", "E11.9", "N39.0", "Z00"]),
            0..3,
        ),
        prop::collection::vec(item(), 0..8),
    )
        .prop_map(|(kind, patient, dx, items)| CheckRequest {
            id: "p".into(),
            consultation: kind.map(|kind| Consultation { kind }),
            patient,
            diagnoses: dx.into_iter().map(str::to_owned).collect(),
            items,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_request_gets_a_verdict_consistent_with_its_findings(req in request()) {
        let res = check(&PACK, &req);
        prop_assert_eq!(res.verdict, verdict_of(&res.findings));
        prop_assert_eq!(res.id, req.id.clone());
        for f in &res.findings {
            prop_assert!(f.items.iter().all(|i| *i < req.items.len()));
            prop_assert!(!f.message.en.is_empty() && !f.message.zh.is_empty() && !f.source.is_empty());
        }
        if req.items.len() > 5 {
            prop_assert_eq!(res.verdict, Verdict::Block);
        }
    }

    #[test]
    fn adding_a_current_medication_never_removes_a_finding(
        req in request(),
        extra in prop::sample::select(names()),
    ) {
        let before = check(&PACK, &req);
        let mut more = req.clone();
        let added = PACK.resolve_product(&extra);
        more.patient.current_medications.get_or_insert_with(Vec::new).push(extra);
        let after = check(&PACK, &more);
        // One designed exception: a genotype screen is for starting a drug (the labels put
        // the reaction risk in the first months), so a patient already taking the line's
        // drug gets it as `info`, not `warn` (check/pharmacogenomic.rs).
        let renewal = |f: &Finding| {
            f.code == FindingCode::Pharmacogenomic
                && f.items.iter().any(|&i| {
                    added.is_some() && PACK.resolve_prescribed(&req.items[i].drug) == added
                })
        };
        for f in before.findings.iter().filter(|f| !renewal(f)) {
            prop_assert!(after.findings.contains(f), "lost {:?}", f);
        }
        let rank = |v: Verdict| match v { Verdict::Pass => 0, Verdict::Warn => 1, Verdict::Block => 2 };
        if !before.findings.iter().any(renewal) {
            prop_assert!(rank(after.verdict) >= rank(before.verdict));
        }
    }

    /// R-RX-8: the platform's and the pharmacist's validity check is the checker's, finding
    /// for finding — never a second rule set that could disagree.
    #[test]
    fn validity_is_exactly_the_checkers_validity_findings(req in request()) {
        let full = check(&PACK, &req);
        let valid = meddesk_clinical::check::validity::validate(&PACK, &req);
        let from_full: Vec<_> = full
            .findings
            .iter()
            .filter(|f| meddesk_clinical::check::validity::is_validity_finding(f))
            .cloned()
            .collect();
        prop_assert_eq!(&valid, &from_full);
        for f in &valid {
            prop_assert_eq!(f.severity, meddesk_clinical::check::request::Severity::Block);
        }
        if req.diagnoses.is_empty() {
            prop_assert!(valid.iter().any(|f| f.code == FindingCode::DiagnosisMissing));
        }
    }
}
