//! The prescription slip (处方笺, R-RX-11) of a stored prescription: what the physician
//! wrote and signed, for whom, and who reviewed it, laid out by `meddesk_guidance::slip`.
//! The printed slip carries the patient's name as the platform verified it (the screen shows
//! it masked); before approval it is marked 未审核 — 不得调配; its QR code lets a pharmacy
//! verify the signature (prescription id, the physician's signature digest, the platform).

use chrono::{DateTime, FixedOffset, Utc};
use meddesk_clinical::check::request::{ConsultationKind, RxDraft};
use meddesk_domain::{Sex, TriageRoute};
use meddesk_guidance::PdfFonts;
use meddesk_guidance::slip::{Slip, SlipCode, SlipKind, SlipLine};
use meddesk_store::tables::{consultations, patients, users};
use meddesk_store::{Actor, Store};

use crate::knowledge::Knowledge;
use crate::{ApiError, ErrorCode};

/// The clinic's time zone for the slip's date (China Standard Time).
const CLINIC_OFFSET_S: i32 = 8 * 3600;

fn wire<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The 科别 of a specialty code as the platform routes it (unknown codes print as given).
fn department_zh(specialty: &str) -> String {
    match specialty {
        "cardiology" => "心血管内科",
        "endocrinology" => "内分泌科",
        "general" | "general_practice" => "全科",
        "emergency" => "急诊科",
        "pediatrics" => "儿科",
        "dermatology" => "皮肤科",
        "respiratory" => "呼吸内科",
        "gastroenterology" => "消化内科",
        "neurology" => "神经内科",
        "gynaecology" | "gynecology" => "妇科",
        "urology" => "泌尿外科",
        other => other,
    }
    .to_owned()
}

/// The slip of prescription `id` as a PDF.
pub fn pdf(
    store: &Store,
    knowledge: &Knowledge,
    assets: &std::path::Path,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
    institution: &str,
) -> Result<Vec<u8>, ApiError> {
    let l = crate::prescribing::load(store, actor, now, id)?;
    let draft: RxDraft = serde_json::from_str(&l.doc.draft).map_err(ApiError::internal)?;
    let (c, p, ids, physician, reviews) = store.read(actor, now, |r| {
        let c = consultations::get(r, &l.row.consultation_id)?;
        let p = patients::get(r, &c.patient_id)?;
        let ids = patients::identifiers(r, &c.patient_id)?;
        let physician = users::get(r, &l.row.physician_id)?;
        let reviews = meddesk_store::tables::pharmacist_reviews::of_prescription(r, id)?;
        Ok((c, p, ids, physician, reviews))
    })?;
    let pack = &knowledge.pack;
    let lines = draft
        .items
        .iter()
        .map(|item| {
            let drug = pack
                .resolve_prescribed(&item.drug)
                .and_then(|d| pack.drugs.get(d));
            let unit = item.dose.map(|d| wire(&d.unit));
            let usage = meddesk_guidance::slip::usage_zh(
                item.dose.map(|d| d.value).zip(unit.as_deref()),
                item.frequency,
                item.route,
                item.days,
            );
            SlipLine {
                generic_name: drug
                    .map(|d| format!("{} {}", d.zh, d.inn))
                    .unwrap_or_else(|| item.drug.clone()),
                strength: item.strength.clone().unwrap_or_default(),
                quantity: item
                    .quantity
                    .map(meddesk_guidance::slip::number_text)
                    .unwrap_or_default(),
                usage,
                contraindication_notes: item
                    .contraindications
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
            }
        })
        .collect();
    let approved = l.lifecycle.status_at(now) == meddesk_clinical::lifecycle::RxStatus::Approved;
    let reviewer = reviews
        .iter()
        .rev()
        .find(|r| r.approved)
        .map(|r| r.pharmacist_id.clone());
    let reviewer_name = match &reviewer {
        Some(u) => store
            .read(actor, now, |r| users::get(r, u))?
            .map(|u| u.display_name)
            .or(reviewer.clone()),
        None => None,
    };
    let signature: Option<meddesk_signature::SignedPrescription> = l
        .doc
        .signature
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    let (signature_sha256, platform) = match &signature {
        Some(doc) => (
            meddesk_signature::key::sha256_hex(doc.physician.signature.as_bytes()),
            doc.timestamps
                .first()
                .map(|t| t.issuer.clone())
                .unwrap_or_else(|| "pending".into()),
        ),
        None => ("unsigned".into(), "none".into()),
    };
    let kind = match (draft.kind, p.age_years) {
        (_, Some(age)) if age < 14 => SlipKind::Paediatric,
        (Some(ConsultationKind::Emergency), _) => SlipKind::Emergency,
        (Some(ConsultationKind::Chronic), _) => SlipKind::Chronic,
        _ => SlipKind::Ordinary,
    };
    let offset = FixedOffset::east_opt(CLINIC_OFFSET_S)
        .ok_or_else(|| ApiError::internal("the clinic's time zone offset is out of range"))?;
    let date = l
        .lifecycle
        .signed_at
        .unwrap_or(now)
        .with_timezone(&offset)
        .format("%Y-%m-%d")
        .to_string();
    let department = match &c.route {
        TriageRoute::General => "全科".to_owned(),
        TriageRoute::Emergency => "急诊".to_owned(),
        TriageRoute::Specialist { specialty } => department_zh(specialty),
    };
    let slip = Slip {
        institution: institution.to_owned(),
        fee_type: "自费".into(),
        patient_name: ids
            .map(|i| i.into_inner().full_name)
            .unwrap_or_else(|| p.masked_name.as_str().to_owned()),
        sex: match p.sex {
            Some(Sex::Female) => "女".into(),
            Some(Sex::Male) => "男".into(),
            None => String::new(),
        },
        age: p.age_years.map(|a| format!("{a}岁")).unwrap_or_default(),
        record_number: c
            .id
            .0
            .to_string()
            .chars()
            .rev()
            .take(12)
            .collect::<String>()
            .chars()
            .rev()
            .collect(),
        department,
        clinical_diagnosis: draft.diagnoses.join("；"),
        date,
        kind,
        lines,
        physician: physician
            .map(|u| u.display_name)
            .unwrap_or_else(|| l.row.physician_id.clone()),
        reviewing_pharmacist: if approved { reviewer_name } else { None },
        dispensing_pharmacist: None,
        checking_pharmacist: None,
        amount: None,
        approved,
        verification: SlipCode {
            prescription_id: id.to_owned(),
            signature_sha256,
            platform,
        },
    };
    let fonts = assets.join("fonts");
    let read = |name: &str| {
        std::fs::read(fonts.join(name))
            .map_err(|e| ApiError::new(ErrorCode::CorruptAsset, format!("fonts/{name}: {e}")))
    };
    let cjk = read("DroidSansFallbackFull.ttf")?;
    let latin = read("Roboto-Regular.ttf")?;
    meddesk_guidance::slip::pdf(
        &slip,
        &PdfFonts {
            cjk: &cjk,
            latin: &latin,
        },
    )
    .map_err(|e| ApiError::new(ErrorCode::Internal, format!("slip: {e}")))
}

/// The institution printed on a slip when the clinic has not named one.
pub const DEFAULT_INSTITUTION: &str = "互联网医院";

/// The 处方笺 of a prescription as a PDF, to print or keep (R-RX-11): for the physician who
/// wrote it, a pharmacist once it is signed, or an administrator. Before approval it is
/// marked 未审核 — 不得调配.
#[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct RxSlipRequest {
    pub prescription_id: String,
}

impl crate::Command for RxSlipRequest {
    const NAME: &'static str = "rx_slip";
    type Output = crate::guidance::ExportedFile;
    async fn run(self, ws: &crate::Workstation) -> Result<crate::guidance::ExportedFile, ApiError> {
        use base64::Engine as _;
        use meddesk_domain::Role;
        let (who, store) = ws.active()?;
        let now = ws.now();
        let actor = who.actor();
        let l = crate::prescribing::load(&store, &actor, now, &self.prescription_id)?;
        let own = l.row.physician_id == who.id.0;
        let reviewer = who.roles.contains(&Role::Pharmacist)
            && l.lifecycle.status != meddesk_clinical::lifecycle::RxStatus::Draft;
        if !(own || reviewer || who.roles.contains(&Role::Administrator)) {
            return Err(ApiError::not_found("prescription"));
        }
        let bytes = pdf(
            &store,
            ws.knowledge(),
            &ws.profile().assets_dir,
            &actor,
            now,
            &self.prescription_id,
            DEFAULT_INSTITUTION,
        )?;
        let short = &self.prescription_id[..8.min(self.prescription_id.len())];
        Ok(crate::guidance::ExportedFile {
            file_name: format!("rx-slip-{short}.pdf"),
            mime: "application/pdf".into(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }
}
