//! The pack schema v1 as code (the contract is `assets/formulary/SCHEMA.md`). Every struct
//! denies unknown keys so a typo in the data is an error, never a silently ignored fact.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::amount::Amount;

/// `pack.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackMeta {
    pub version: String,
    pub name: String,
    pub schema: u32,
}

/// `sources.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcesFile {
    #[serde(default)]
    pub source: Vec<Source>,
}

/// What kind of primary document a source is; each kind needs its own identifier
/// (SCHEMA.md "Source kinds"; the validator in `pack.rs` enforces them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// US prescribing information (SPL): `setid`, URL on DailyMed / openFDA / fda.gov.
    FdaLabel,
    /// EU / UK Summary of Product Characteristics: `product` + `authorisation`.
    Smpc,
    /// Chinese label (说明书): `product`, `manufacturer`, `revised`.
    CnLabel,
    /// A regulation or a regulator's own document (list, announcement, safety
    /// communication): `document` (number and/or date); `publisher` is the issuing body.
    Regulation,
    /// A clinical guideline: `doi` or `pmid`.
    Guideline,
    /// A peer-reviewed paper: `doi` or `pmid`.
    Paper,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::FdaLabel => "fda_label",
            SourceKind::Smpc => "smpc",
            SourceKind::CnLabel => "cn_label",
            SourceKind::Regulation => "regulation",
            SourceKind::Guideline => "guideline",
            SourceKind::Paper => "paper",
        }
    }

    /// A label (or SmPC) is about one product: a drug fact citing it must cite the label
    /// of that drug. Guidelines, papers and regulations cover many drugs.
    pub fn is_product_document(self) -> bool {
        matches!(
            self,
            SourceKind::FdaLabel | SourceKind::Smpc | SourceKind::CnLabel
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    /// Required by the validator (optional here so a missing kind is reported with the
    /// file, entry and field rather than as a parse error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SourceKind>,
    pub title: String,
    pub publisher: String,
    /// fda_label: the SPL set id (UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// guideline / paper: "10.…".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doi: Option<String>,
    /// guideline / paper: PubMed id (digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmid: Option<String>,
    /// smpc / cn_label: the product as labelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// smpc: EMA procedure (EMEA/H/C/…) or UK PL number; cn_label: 国药准字 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorisation: Option<String>,
    /// cn_label: the marketing-authorisation holder / manufacturer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// cn_label (and optionally smpc / fda_label): revision date, "YYYY-MM-DD" or "YYYY-MM".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revised: Option<String>,
    /// regulation: document number and/or date ("食药监药化监〔2013〕230号", "2024-05-07").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// Free note, e.g. where the Chinese label differs or could not be checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub licence: String,
}

/// `classes.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassesFile {
    #[serde(default)]
    pub class: Vec<Class>,
    #[serde(default)]
    pub cross_reactivity: Vec<CrossReactivity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassKind {
    Allergy,
    Therapeutic,
    Both,
}

impl ClassKind {
    pub fn is_allergy(self) -> bool {
        matches!(self, ClassKind::Allergy | ClassKind::Both)
    }
    pub fn is_therapeutic(self) -> bool {
        matches!(self, ClassKind::Therapeutic | ClassKind::Both)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Class {
    pub id: String,
    pub en: String,
    pub zh: String,
    #[serde(default)]
    pub synonyms: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub kind: ClassKind,
    /// Optional (schema addition): the source for the class membership / duplicate-therapy
    /// grouping; findings cite it when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Severity as the pack grades a cross-reactivity (the checker uses it as is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackSeverity {
    Info,
    Warn,
    Block,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossReactivity {
    pub from: String,
    pub to: Vec<String>,
    pub severity: PackSeverity,
    pub basis_en: String,
    pub basis_zh: String,
    pub source: String,
}

/// `interactions.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionsFile {
    #[serde(default)]
    pub interaction: Vec<Interaction>,
    /// How interaction severities become finding severities (R-RX-12). Optional: a pack
    /// without it uses [`Grading::default`] (the same mapping the shipped pack states).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grading: Option<Grading>,
}

/// `[grading]` in interactions.toml: the finding severity of each interaction severity.
/// Contraindicated must block and the mapping must not decrease with the severity (the
/// validator checks both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grading {
    pub contraindicated: PackSeverity,
    pub major: PackSeverity,
    pub moderate: PackSeverity,
    pub minor: PackSeverity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Default for Grading {
    fn default() -> Self {
        Grading {
            contraindicated: PackSeverity::Block,
            major: PackSeverity::Warn,
            moderate: PackSeverity::Info,
            minor: PackSeverity::Info,
            source: None,
        }
    }
}

impl Grading {
    pub fn of(&self, s: InteractionSeverity) -> PackSeverity {
        match s {
            InteractionSeverity::Contraindicated => self.contraindicated,
            InteractionSeverity::Major => self.major,
            InteractionSeverity::Moderate => self.moderate,
            InteractionSeverity::Minor => self.minor,
        }
    }
}

/// A patient factor that makes an interaction graver (`escalate = { … }` on an
/// `[[interaction]]`): any one condition met raises the interaction to `severity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// eGFR (mL/min/1.73 m²) strictly below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egfr_below: Option<f64>,
    /// Age in years at or above this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_at_least: Option<f64>,
    /// Hepatic impairment at this Child-Pugh grade or worse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_pugh: Option<ChildPugh>,
    pub severity: InteractionSeverity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionSeverity {
    Minor,
    Moderate,
    Major,
    Contraindicated,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interaction {
    pub a: String,
    pub b: String,
    pub severity: InteractionSeverity,
    pub mechanism_en: String,
    pub mechanism_zh: String,
    pub management_en: String,
    pub management_zh: String,
    pub source: String,
    /// Optional: the patient factors that make this interaction graver (R-RX-12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate: Option<Escalation>,
}

/// A pharmacological property a drug has, which interaction rules match as
/// `property:<name>` (SCHEMA.md "Drug properties"). A closed list: an unknown name is an
/// error, so a typo never silently leaves a drug out of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrugProperty {
    /// QT prolongation with torsade de pointes documented in the label.
    QtKnown,
    /// QT prolongation documented, torsade de pointes not established.
    QtPossible,
    /// QT risk only under conditions (overdose, hypokalaemia/hypomagnesaemia, interacting
    /// drugs).
    QtConditional,
    Cyp3a4InhibitorStrong,
    Cyp3a4InhibitorModerate,
    Cyp3a4InducerStrong,
    Cyp3a4InducerModerate,
    /// Sensitive or narrow-margin CYP3A4 substrate whose label restricts strong inhibitors.
    Cyp3a4SubstrateSensitive,
    Cyp2d6InhibitorStrong,
    Cyp2d6InhibitorModerate,
    /// Sensitive CYP2D6 substrate (dextromethorphan, metoprolol …).
    Cyp2d6SubstrateSensitive,
    PgpInhibitor,
    PgpInducer,
    /// P-gp substrate whose exposure matters (narrow margin: digoxin, dabigatran …).
    PgpSubstrateSensitive,
    Serotonergic,
    Hyperkalaemic,
    /// Impairs haemostasis (anticoagulant, antiplatelet, NSAID, SSRI/SNRI).
    BleedingRisk,
    Anticoagulant,
    Antiplatelet,
    NarrowTherapeuticIndex,
}

impl DrugProperty {
    pub const ALL: [DrugProperty; 20] = [
        DrugProperty::QtKnown,
        DrugProperty::QtPossible,
        DrugProperty::QtConditional,
        DrugProperty::Cyp3a4InhibitorStrong,
        DrugProperty::Cyp3a4InhibitorModerate,
        DrugProperty::Cyp3a4InducerStrong,
        DrugProperty::Cyp3a4InducerModerate,
        DrugProperty::Cyp3a4SubstrateSensitive,
        DrugProperty::Cyp2d6InhibitorStrong,
        DrugProperty::Cyp2d6InhibitorModerate,
        DrugProperty::Cyp2d6SubstrateSensitive,
        DrugProperty::PgpInhibitor,
        DrugProperty::PgpInducer,
        DrugProperty::PgpSubstrateSensitive,
        DrugProperty::Serotonergic,
        DrugProperty::Hyperkalaemic,
        DrugProperty::BleedingRisk,
        DrugProperty::Anticoagulant,
        DrugProperty::Antiplatelet,
        DrugProperty::NarrowTherapeuticIndex,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DrugProperty::QtKnown => "qt_known",
            DrugProperty::QtPossible => "qt_possible",
            DrugProperty::QtConditional => "qt_conditional",
            DrugProperty::Cyp3a4InhibitorStrong => "cyp3a4_inhibitor_strong",
            DrugProperty::Cyp3a4InhibitorModerate => "cyp3a4_inhibitor_moderate",
            DrugProperty::Cyp3a4InducerStrong => "cyp3a4_inducer_strong",
            DrugProperty::Cyp3a4InducerModerate => "cyp3a4_inducer_moderate",
            DrugProperty::Cyp3a4SubstrateSensitive => "cyp3a4_substrate_sensitive",
            DrugProperty::Cyp2d6InhibitorStrong => "cyp2d6_inhibitor_strong",
            DrugProperty::Cyp2d6InhibitorModerate => "cyp2d6_inhibitor_moderate",
            DrugProperty::Cyp2d6SubstrateSensitive => "cyp2d6_substrate_sensitive",
            DrugProperty::PgpInhibitor => "pgp_inhibitor",
            DrugProperty::PgpInducer => "pgp_inducer",
            DrugProperty::PgpSubstrateSensitive => "pgp_substrate_sensitive",
            DrugProperty::Serotonergic => "serotonergic",
            DrugProperty::Hyperkalaemic => "hyperkalaemic",
            DrugProperty::BleedingRisk => "bleeding_risk",
            DrugProperty::Anticoagulant => "anticoagulant",
            DrugProperty::Antiplatelet => "antiplatelet",
            DrugProperty::NarrowTherapeuticIndex => "narrow_therapeutic_index",
        }
    }

    pub fn parse(s: &str) -> Option<DrugProperty> {
        DrugProperty::ALL.iter().copied().find(|p| p.as_str() == s)
    }

    /// Bit of this property in a drug's property mask.
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// `[[drug.property]]`: one sourced property of a drug.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyFact {
    pub name: DrugProperty,
    pub source: String,
}

/// `[[drug.genotype]]`: pharmacogenomic screening before a drug (HLA-B*15:02, HLA-B*58:01).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenotypeRule {
    /// "HLA-B*15:02" (locus, star, two-field allele).
    pub allele: String,
    /// No result recorded for the allele.
    pub if_untested: PackSeverity,
    /// The patient carries the allele.
    pub if_positive: PackSeverity,
    pub advice_en: String,
    pub advice_zh: String,
    pub source: String,
}

/// `[[drug.schedule]]`: the only schedules a label allows (weekly methotrexate). A line
/// with another frequency gets `severity`, unless a diagnosis matches `except_indications`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRule {
    pub frequencies: Vec<Frequency>,
    /// Applies only to these routes (all routes when empty).
    #[serde(default)]
    pub routes: Vec<Route>,
    pub severity: PackSeverity,
    /// ICD-10 patterns whose presence lifts the rule (oncology regimens …).
    #[serde(default)]
    pub except_indications: Vec<String>,
    pub reason_en: String,
    pub reason_zh: String,
    pub source: String,
}

/// `[[drug.paediatric_regimen]]`: paediatric dosing for specific indications that replaces
/// `[drug.paediatric]` when a diagnosis matches (high-dose amoxicillin for otitis media).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaediatricRegimen {
    pub indications: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_age_years: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mg_per_kg_dose_min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mg_per_kg_dose_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mg_per_kg_day_min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mg_per_kg_day_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_dose: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adult_dosing_from_kg: Option<f64>,
    pub source: String,
}

impl PaediatricRegimen {
    /// The regimen as paediatric dosing (what the dose rules read).
    pub fn dosing(&self) -> PaediatricDosing {
        PaediatricDosing {
            min_age_years: self.min_age_years,
            mg_per_kg_dose_min: self.mg_per_kg_dose_min,
            mg_per_kg_dose_max: self.mg_per_kg_dose_max,
            mg_per_kg_day_min: self.mg_per_kg_day_min,
            mg_per_kg_day_max: self.mg_per_kg_day_max,
            max_dose: self.max_dose.clone(),
            max_daily: self.max_daily.clone(),
            adult_dosing_from_kg: self.adult_dosing_from_kg,
            source: self.source.clone(),
        }
    }
}

/// `drugs/<group>.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrugsFile {
    #[serde(default)]
    pub drug: Vec<Drug>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Controlled {
    Narcotic,
    #[serde(rename = "psychotropic_1")]
    Psychotropic1,
    #[serde(rename = "psychotropic_2")]
    Psychotropic2,
}

/// Administration routes (schema v1). Aliases accept the abbreviations and Chinese terms a
/// prescription line may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    #[serde(alias = "po", alias = "PO", alias = "by mouth", alias = "口服")]
    Oral,
    #[serde(
        alias = "IV",
        alias = "intravenous",
        alias = "静脉",
        alias = "静脉注射",
        alias = "静脉滴注"
    )]
    Iv,
    #[serde(
        alias = "IM",
        alias = "intramuscular",
        alias = "肌内注射",
        alias = "肌注"
    )]
    Im,
    #[serde(alias = "SC", alias = "subcutaneous", alias = "皮下注射")]
    Sc,
    #[serde(alias = "inhalation", alias = "吸入")]
    Inhaled,
    #[serde(alias = "外用", alias = "skin")]
    Topical,
    #[serde(alias = "PR", alias = "直肠")]
    Rectal,
    #[serde(alias = "阴道")]
    Vaginal,
    #[serde(alias = "SL", alias = "舌下")]
    Sublingual,
    #[serde(alias = "eye", alias = "滴眼")]
    Ophthalmic,
    #[serde(alias = "鼻用")]
    Nasal,
    #[serde(alias = "透皮")]
    Transdermal,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Oral => "oral",
            Route::Iv => "iv",
            Route::Im => "im",
            Route::Sc => "sc",
            Route::Inhaled => "inhaled",
            Route::Topical => "topical",
            Route::Rectal => "rectal",
            Route::Vaginal => "vaginal",
            Route::Sublingual => "sublingual",
            Route::Ophthalmic => "ophthalmic",
            Route::Nasal => "nasal",
            Route::Transdermal => "transdermal",
        }
    }
}

/// Dosing frequencies (schema v1 and the check request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub enum Frequency {
    #[serde(
        alias = "qd",
        alias = "OD",
        alias = "od",
        alias = "每日一次",
        alias = "一日一次"
    )]
    QD,
    #[serde(
        alias = "bid",
        alias = "每日两次",
        alias = "每日二次",
        alias = "一日两次"
    )]
    BID,
    #[serde(alias = "tid", alias = "每日三次", alias = "一日三次")]
    TID,
    #[serde(alias = "qid", alias = "每日四次", alias = "一日四次")]
    QID,
    #[serde(alias = "q4h", alias = "每4小时一次")]
    Q4H,
    #[serde(alias = "q6h", alias = "每6小时一次")]
    Q6H,
    #[serde(alias = "q8h", alias = "每8小时一次")]
    Q8H,
    #[serde(alias = "q12h", alias = "每12小时一次")]
    Q12H,
    #[serde(alias = "qn", alias = "每晚一次", alias = "睡前")]
    QN,
    #[serde(alias = "qw", alias = "每周一次")]
    QW,
    #[serde(alias = "prn", alias = "必要时")]
    PRN,
    #[serde(
        alias = "once",
        alias = "STAT",
        alias = "stat",
        alias = "立即",
        alias = "单次"
    )]
    ONCE,
}

impl Frequency {
    /// Scheduled administrations per day; `None` for PRN (no schedule). QW counts the day it
    /// is taken (1), ONCE one administration.
    pub fn doses_per_day(self) -> Option<f64> {
        Some(match self {
            Frequency::QD | Frequency::QN | Frequency::QW | Frequency::ONCE => 1.0,
            Frequency::BID | Frequency::Q12H => 2.0,
            Frequency::TID | Frequency::Q8H => 3.0,
            Frequency::QID | Frequency::Q6H => 4.0,
            Frequency::Q4H => 6.0,
            Frequency::PRN => return None,
        })
    }

    /// Administrations over a course of `days`.
    pub fn doses_over(self, days: f64) -> Option<f64> {
        match self {
            Frequency::ONCE => Some(1.0),
            Frequency::QW => Some((days / 7.0).ceil().max(1.0)),
            Frequency::PRN => None,
            f => f.doses_per_day().map(|d| d * days),
        }
    }

    /// Two frequencies a label treats as the same schedule (TID ≈ Q8H, BID ≈ Q12H,
    /// QID ≈ Q6H, QD ≈ QN): a prescription writing one where the label lists the other is
    /// not a frequency error.
    pub fn same_schedule(self, other: Frequency) -> bool {
        use Frequency::*;
        self == other
            || matches!(
                (self, other),
                (TID, Q8H)
                    | (Q8H, TID)
                    | (BID, Q12H)
                    | (Q12H, BID)
                    | (QID, Q6H)
                    | (Q6H, QID)
                    | (QD, QN)
                    | (QN, QD)
            )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::QD => "QD",
            Frequency::BID => "BID",
            Frequency::TID => "TID",
            Frequency::QID => "QID",
            Frequency::Q4H => "Q4H",
            Frequency::Q6H => "Q6H",
            Frequency::Q8H => "Q8H",
            Frequency::Q12H => "Q12H",
            Frequency::QN => "QN",
            Frequency::QW => "QW",
            Frequency::PRN => "PRN",
            Frequency::ONCE => "ONCE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    pub form: String,
    pub strength: Amount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drug {
    pub id: String,
    pub inn: String,
    pub zh: String,
    #[serde(default)]
    pub synonyms: Vec<String>,
    #[serde(default)]
    pub atc: Vec<String>,
    pub group: String,
    #[serde(default)]
    pub classes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled: Option<Controlled>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled_source: Option<String>,
    #[serde(default)]
    pub routes: Vec<Route>,
    #[serde(default)]
    pub forms: Vec<Form>,
    #[serde(default)]
    pub indications: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indications_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adult: Option<AdultDosing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paediatric: Option<PaediatricDosing>,
    #[serde(default)]
    pub age: Vec<AgeRule>,
    #[serde(default)]
    pub renal: Vec<RenalRule>,
    #[serde(default)]
    pub hepatic: Vec<HepaticRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pregnancy: Option<ReproductiveRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lactation: Option<ReproductiveRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<Guidance>,
    /// `[[drug.property]]`: what interaction rules match (`property:<name>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub property: Vec<PropertyFact>,
    /// `[[drug.genotype]]`: pharmacogenomic screening.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub genotype: Vec<GenotypeRule>,
    /// `[[drug.schedule]]`: schedules the label allows, graded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<ScheduleRule>,
    /// `[[drug.paediatric_regimen]]`: indication-specific paediatric dosing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paediatric_regimen: Vec<PaediatricRegimen>,
    /// The label's contraindications as short notes (禁忌说明, R-RX-2), attached at load
    /// from `contraindications.toml`; a drug file may not carry them itself (the loader
    /// rejects it). `None`: the label's section has not been transcribed (not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contraindications: Option<Contraindications>,
}

/// A drug's label contraindications as short, patient-independent notes (禁忌说明), in
/// both languages, note for note (`zh[i]` and `en[i]` say the same thing). A prescription
/// line is pre-filled from them; the physician may edit the line's copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contraindications {
    pub zh: Vec<String>,
    pub en: Vec<String>,
    /// "<source-id> <locator>", e.g. "fda-amoxicillin §4 Contraindications".
    pub source: String,
}

/// `contraindications.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContraindicationsFile {
    #[serde(default)]
    pub contraindications: Vec<ContraindicationEntry>,
}

/// One `[[contraindications]]` entry: a drug id of the pack and its notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContraindicationEntry {
    pub drug: String,
    pub zh: Vec<String>,
    pub en: Vec<String>,
    pub source: String,
}

/// The longest contraindication note, in characters (a prescription line's 禁忌说明 is a
/// short note, not the label's text).
pub const CONTRAINDICATION_NOTE_MAX_CHARS: usize = 120;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdultDosing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_min: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose_max: Option<Amount>,
    #[serde(default)]
    pub frequencies: Vec<Frequency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days: Option<u32>,
    /// Optional: a weight-based daily cap (valproate 60 mg/kg/day); above → `daily_dose_high`
    /// (block) when the weight is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_mg_per_kg_day: Option<f64>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaediatricDosing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_age_years: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mg_per_kg_dose_min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mg_per_kg_dose_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mg_per_kg_day_min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mg_per_kg_day_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_dose: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adult_dosing_from_kg: Option<f64>,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSeverity {
    Block,
    Warn,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeRule {
    pub below_years: f64,
    pub severity: RuleSeverity,
    pub reason_en: String,
    pub reason_zh: String,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganAction {
    Caution,
    ReduceDose,
    MaxDaily,
    Avoid,
    Contraindicated,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenalRule {
    pub egfr_below: f64,
    pub action: OrganAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_daily: Option<Amount>,
    pub advice_en: String,
    pub advice_zh: String,
    pub source: String,
}

/// Child-Pugh grade; `None` is "no impairment" in requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildPugh {
    Mild,
    Moderate,
    Severe,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HepaticRule {
    pub child_pugh: ChildPugh,
    pub action: OrganAction,
    pub advice_en: String,
    pub advice_zh: String,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReproductiveAdvice {
    Compatible,
    Caution,
    Avoid,
    Contraindicated,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReproductiveRule {
    pub rule: ReproductiveAdvice,
    pub note_en: String,
    pub note_zh: String,
    pub source: String,
}

/// Patient-facing guidance (R-GUIDE-1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guidance {
    pub mechanism_en: String,
    pub mechanism_zh: String,
    pub effect_en: String,
    pub effect_zh: String,
    #[serde(default)]
    pub adverse_en: Vec<String>,
    #[serde(default)]
    pub adverse_zh: Vec<String>,
    #[serde(default)]
    pub adherence_en: Vec<String>,
    #[serde(default)]
    pub adherence_zh: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
    pub source: String,
}
