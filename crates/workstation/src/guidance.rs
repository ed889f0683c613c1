//! Medication guidance for the patient (R-GUIDE-1, R-GUIDE-2): from an approved prescription,
//! a sheet in zh-CN or English built from the knowledge pack, previewed in the UI and exported
//! as a printable page or a PDF with correct Chinese text.

use std::collections::BTreeMap;

use base64::Engine as _;
use meddesk_clinical::lifecycle::RxStatus;
use meddesk_domain::Role;
use meddesk_guidance::{
    GuidanceLanguage, GuidanceLine, GuidanceSheet, MediaPage, PdfFonts, SheetHeader, build_sheet,
    drawing_files, parse_demonstration, render_html, render_pdf,
};
use meddesk_store::tables::{consultations, patients};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::intake::clinic_tz;
use crate::prescribing::{self, RxDraft};
use crate::{ApiError, Command, ErrorCode, Workstation};

fn asset_error(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::CorruptAsset, format!("{what}: {e}"))
}

fn sheet_for(
    ws: &Workstation,
    prescription_id: &str,
    language: GuidanceLanguage,
) -> Result<GuidanceSheet, ApiError> {
    let (who, store) = ws.active()?;
    let now = ws.now();
    let actor = who.actor();
    let view = prescribing::view(&store, &actor, now, prescription_id)?;
    let own = view.physician_id == who.id.0;
    if !(own || who.roles.contains(&Role::Pharmacist)) {
        return Err(ApiError::not_found("prescription"));
    }
    if view.status != RxStatus::Approved {
        return Err(ApiError::new(
            ErrorCode::RuleViolation,
            "guidance is given for an approved prescription (R-RX-6)",
        ));
    }
    let c = store.read(&actor, now, |r| {
        consultations::get(r, &view.consultation_id)
    })?;
    let patient = store.read(&actor, now, |r| patients::get(r, &c.patient_id))?;
    let prescriber = crate::account::load_user(&store, &view.physician_id, now)?
        .map(|u| u.display_name)
        .unwrap_or_else(|| view.physician_id.clone());
    let lines = guidance_lines(&view.draft)?;
    build_sheet(
        &ws.knowledge().pack,
        &lines,
        language,
        &SheetHeader {
            patient: patient.masked_name.as_str().to_owned(),
            prescriber,
            date: now.with_timezone(&clinic_tz()).date_naive(),
        },
    )
    .map_err(|e| ApiError::new(ErrorCode::InvalidValue, e.to_string()))
}

fn guidance_lines(draft: &RxDraft) -> Result<Vec<GuidanceLine>, ApiError> {
    draft
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let missing =
                |f: &str| ApiError::invalid_value(&format!("draft.items[{i}].{f}"), "is missing");
            let dose = item.dose.ok_or_else(|| missing("dose"))?;
            Ok(GuidanceLine {
                drug: item.drug.clone(),
                strength: item.strength.clone(),
                dose: dose.value,
                unit: serde_json::to_value(dose.unit)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                route: item.route.ok_or_else(|| missing("route"))?,
                frequency: item.frequency.ok_or_else(|| missing("frequency"))?,
                days: item.days.map(|d| d.ceil() as u32),
                quantity: item.quantity,
            })
        })
        .collect()
}

fn media_pages(ws: &Workstation, sheet: &GuidanceSheet) -> Result<Vec<MediaPage>, ApiError> {
    let root = ws.profile().assets_dir.join("guidance");
    let mut pages = Vec::new();
    for id in sheet.media_ids() {
        let dir = root.join(id);
        let steps =
            std::fs::read_to_string(dir.join("steps.toml")).map_err(|e| asset_error(id, e))?;
        let demonstration = parse_demonstration(id, &steps).map_err(|e| asset_error(id, e))?;
        let mut drawings = BTreeMap::new();
        for f in drawing_files(&demonstration) {
            let svg = std::fs::read_to_string(dir.join(f)).map_err(|e| asset_error(f, e))?;
            drawings.insert(f.to_owned(), svg);
        }
        pages.push(MediaPage {
            demonstration,
            drawings,
        });
    }
    Ok(pages)
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct GuidanceSheetRequest {
    pub prescription_id: String,
    pub language: GuidanceLanguage,
}

impl Command for GuidanceSheetRequest {
    const NAME: &'static str = "guidance_sheet";
    type Output = GuidanceSheet;
    async fn run(self, ws: &Workstation) -> Result<GuidanceSheet, ApiError> {
        sheet_for(ws, &self.prescription_id, self.language)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Pdf,
    Html,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct GuidanceExportRequest {
    pub prescription_id: String,
    pub language: GuidanceLanguage,
    pub format: ExportFormat,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportedFile {
    pub file_name: String,
    pub mime: String,
    /// The file's bytes, base64.
    pub base64: String,
}

impl Command for GuidanceExportRequest {
    const NAME: &'static str = "guidance_export";
    type Output = ExportedFile;
    async fn run(self, ws: &Workstation) -> Result<ExportedFile, ApiError> {
        let sheet = sheet_for(ws, &self.prescription_id, self.language)?;
        let media = media_pages(ws, &sheet)?;
        let stem = format!(
            "guidance-{}-{}",
            &self.prescription_id[..8.min(self.prescription_id.len())],
            self.language.tag()
        );
        let (bytes, mime, ext) = match self.format {
            ExportFormat::Html => (
                render_html(&sheet, &media).into_bytes(),
                "text/html",
                "html",
            ),
            ExportFormat::Pdf => {
                let fonts = ws.profile().assets_dir.join("fonts");
                let cjk = std::fs::read(fonts.join("DroidSansFallbackFull.ttf"))
                    .map_err(|e| asset_error("CJK font", e))?;
                let latin = std::fs::read(fonts.join("Roboto-Regular.ttf"))
                    .map_err(|e| asset_error("Latin font", e))?;
                let pdf = render_pdf(
                    &sheet,
                    &media,
                    &PdfFonts {
                        cjk: &cjk,
                        latin: &latin,
                    },
                )
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
                (pdf, "application/pdf", "pdf")
            }
        };
        Ok(ExportedFile {
            file_name: format!("{stem}.{ext}"),
            mime: mime.to_owned(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }
}
