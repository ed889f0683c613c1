//! The check request and response on the wire (the `meddesk rx check` JSON Lines contract of
//! issue 4, and later the UI). Unknown fields are errors so a typo (`allergys`) is never a
//! silently skipped check.

use meddesk_domain::Sex;
use meddesk_formulary::schema::{Frequency, Route};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// The caller's id, echoed in the response; a JSON number is accepted and kept as text.
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub consultation: Option<Consultation>,
    #[serde(default)]
    pub patient: Patient,
    #[serde(default)]
    pub diagnoses: Vec<String>,
    pub items: Vec<Item>,
}

fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(match Id::deserialize(d)? {
        Id::Text(s) => s,
        Id::Number(n) => n.to_string(),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Consultation {
    pub kind: ConsultationKind,
}

pub use meddesk_domain::ConsultationKind;

/// Every field is optional: a check that needs an absent field says so as `info`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub age_years: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sex: Option<Sex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub weight_kg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pregnant: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub lactating: Option<bool>,
    /// mL/min/1.73 m².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub egfr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hepatic_impairment: Option<HepaticImpairment>,
    /// Absent means "not recorded" (the allergy check says it did not run); empty means
    /// "no known allergies".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub allergies: Option<Vec<Allergy>>,
    #[serde(default)]
    pub conditions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub current_medications: Option<Vec<String>>,
    /// Real-name verification by the platform (R-REC-2). `false` blocks a prescription
    /// (`identity_unverified`); absent means "not stated" and gives no finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub identity_verified: Option<bool>,
    /// Pharmacogenomic results, e.g. "HLA-B*15:02 negative", "HLA-B*58:01 positive"
    /// ("HLA-B*1502", "阳性"/"阴性" and "+"/"-" are accepted). Absent means "not recorded";
    /// an entry the checker cannot read is reported as `info` and otherwise ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub genotypes: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HepaticImpairment {
    #[serde(alias = "无", alias = "normal")]
    None,
    #[serde(alias = "A", alias = "child_pugh_a", alias = "轻度")]
    Mild,
    #[serde(alias = "B", alias = "child_pugh_b", alias = "中度")]
    Moderate,
    #[serde(alias = "C", alias = "child_pugh_c", alias = "重度")]
    Severe,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Allergy {
    /// A drug or a class, in English, Chinese, pinyin or a synonym ("penicillins", "NSAIDs").
    pub substance: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reaction: Option<String>,
}

/// One prescription line (R-RX-2). Fields a complete line needs are optional here so a
/// half-filled template is reported as `template_incomplete`, not as a malformed request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub drug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub strength: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub dose: Option<Dose>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub route: Option<Route>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub frequency: Option<Frequency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub days: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub quantity: Option<f64>,
    /// 禁忌说明 (R-RX-2): the line's contraindication notes as the physician left them —
    /// pre-filled from the pack's label contraindications ([`crate::contraindications`]),
    /// editable, signed with the line and printed on the 处方笺.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub contraindications: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Dose {
    pub value: f64,
    pub unit: DoseUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub enum DoseUnit {
    #[serde(rename = "mg", alias = "MG", alias = "Mg", alias = "毫克")]
    Mg,
    #[serde(rename = "g", alias = "G", alias = "克")]
    G,
    #[serde(
        rename = "mcg",
        alias = "µg",
        alias = "μg",
        alias = "ug",
        alias = "MCG",
        alias = "微克"
    )]
    Mcg,
    #[serde(rename = "IU", alias = "iu")]
    Iu,
    #[serde(rename = "U", alias = "u", alias = "单位")]
    U,
    #[serde(rename = "mL", alias = "ml", alias = "ML", alias = "毫升")]
    Ml,
    #[serde(rename = "tablet", alias = "tablets", alias = "片")]
    Tablet,
    #[serde(rename = "capsule", alias = "capsules", alias = "粒")]
    Capsule,
    #[serde(rename = "puff", alias = "puffs", alias = "揿", alias = "喷")]
    Puff,
    #[serde(rename = "drop", alias = "drops", alias = "滴")]
    Drop,
    #[serde(rename = "sachet", alias = "sachets", alias = "袋")]
    Sachet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warn,
    Block,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Warn,
    Block,
}

/// Stable finding codes (the UI and the pharmacist branch on them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FindingCode {
    UnknownDrug,
    TemplateIncomplete,
    TooManyItems,
    Allergy,
    CrossAllergy,
    DoseHigh,
    DoseLow,
    DailyDoseHigh,
    Frequency,
    Route,
    Renal,
    Hepatic,
    Pregnancy,
    Lactation,
    Age,
    Interaction,
    DuplicateTherapy,
    CourseTooLong,
    ControlledSubstance,
    Indication,
    QuantityMismatch,
    /// No clinical diagnosis (临床诊断) on the prescription (R-RX-8).
    DiagnosisMissing,
    /// The patient's identity is not verified by the platform (R-REC-2, R-RX-8).
    IdentityUnverified,
    /// Pharmacogenomic screening (HLA-B*15:02 before carbamazepine, HLA-B*58:01 before
    /// allopurinol …): untested → the pack's grade naming the test, carrier → block.
    Pharmacogenomic,
}

impl FindingCode {
    pub const ALL: [FindingCode; 24] = [
        FindingCode::UnknownDrug,
        FindingCode::TemplateIncomplete,
        FindingCode::TooManyItems,
        FindingCode::Allergy,
        FindingCode::CrossAllergy,
        FindingCode::DoseHigh,
        FindingCode::DoseLow,
        FindingCode::DailyDoseHigh,
        FindingCode::Frequency,
        FindingCode::Route,
        FindingCode::Renal,
        FindingCode::Hepatic,
        FindingCode::Pregnancy,
        FindingCode::Lactation,
        FindingCode::Age,
        FindingCode::Interaction,
        FindingCode::DuplicateTherapy,
        FindingCode::CourseTooLong,
        FindingCode::ControlledSubstance,
        FindingCode::Indication,
        FindingCode::QuantityMismatch,
        FindingCode::DiagnosisMissing,
        FindingCode::IdentityUnverified,
        FindingCode::Pharmacogenomic,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub zh: String,
    pub en: String,
}

/// One finding (R-RX-7): severity, the lines involved, the reason in both languages, the
/// source of the fact and the rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    /// 0-based indexes into the request's `items`.
    pub items: Vec<usize>,
    pub message: Message,
    pub source: String,
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct CheckResponse {
    pub id: String,
    pub verdict: Verdict,
    /// The pack version the check ran against.
    pub pack: String,
    /// SHA-256 of the pack files, so a result can be traced to the exact facts.
    pub pack_hash: String,
    pub findings: Vec<Finding>,
}

/// A prescription's content as the physician writes and signs it: the consultation type,
/// the diagnoses and the lines. The workstation stores it as the draft, signs it, and the
/// platform and the pharmacist's workstation re-run [`super::validity`] on exactly this.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct RxDraft {
    #[serde(default)]
    #[ts(optional)]
    pub kind: Option<ConsultationKind>,
    #[serde(default)]
    pub diagnoses: Vec<String>,
    pub items: Vec<Item>,
}

/// A request that could not be checked (`meddesk rx check` error line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct CheckErrorLine {
    pub id: Option<String>,
    pub error: CheckError,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct CheckError {
    /// `invalid_json` or `invalid_request`.
    pub code: String,
    /// Names the field; never echoes the value (it may be patient data).
    pub message: String,
}
