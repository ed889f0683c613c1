//! The prescription slip (处方笺, R-RX-11) as a PDF, in the layout of 处方管理办法 附件
//! 《处方标准》: 前记 (institution, 费别, patient name, sex, age, record number, department,
//! clinical diagnosis, date), 正文 ("Rp", then per line the generic name, strength, quantity
//! and usage), 后记 (prescribing physician, drug amount, reviewing, dispensing and
//! checking/issuing pharmacists — a blank line where not yet signed), the paper colour and
//! corner label by type, and a QR code a pharmacy scans to verify the signature.
//!
//! Layout decisions:
//! - **Size: A5 portrait** (148 × 210 mm). The 处方标准 fixes content and colour, not size;
//!   A5 is what most outpatient slips are printed on. Five medicines (the limit of 处方管理办法
//!   §6) with long usages fit one page; a slip whose 正文 does not fit continues on further
//!   pages, each a complete slip frame (前记, 后记, QR) numbered 第k/n页.
//! - **Paper colour** is a full-page fill: 普通 white, 急诊 light yellow (#FFF9C1), 儿科 light
//!   green (#D8F1D3). The corner label is printed top-right in a box for every type (普通,
//!   急诊, 儿科, 长期处方), so a slip printed in black and white on white paper still says
//!   what it is. A chronic-disease (long-term, 长期处方管理规范（试行）2021) prescription
//!   prints on white paper like an ordinary one, labelled "长期处方".
//! - **Not yet approved** (`approved == false`): a red banner "未审核 — 不得调配" under the
//!   title and the same words large and diagonal across the page (drawn behind the text).
//! - **The QR code** carries [`SlipCode::payload`]: `meddesk-rx:1;id=<prescription id>;
//!   sig=<signature sha256>;p=<platform>` (see there), error correction level M, a quiet
//!   zone of 4 modules on a white square, dark modules as filled rectangles.
//!
//! Pure: the caller passes the fonts (as for the guidance sheet) and writes the bytes. The
//! caller formats every text (date, age, quantity, usage) and decides what is masked.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, TextStr};
use qrcode::{Color, EcLevel, QrCode};

use meddesk_formulary::schema::{Frequency, Route};

use crate::error::GuidanceError;
use crate::pdf::{FontRefs, FontSet, PdfFonts, show, show_matrix, wrap};
use crate::sheet::GuidanceLanguage;
use crate::words;

/// The type of prescription: paper colour and corner label (处方标准 二、处方颜色).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlipKind {
    /// 普通处方: white.
    Ordinary,
    /// 急诊处方: light yellow, "急诊" top right.
    Emergency,
    /// 儿科处方: light green, "儿科" top right.
    Paediatric,
    /// A chronic-disease long-term prescription (长期处方): white like an ordinary one,
    /// labelled "长期处方".
    Chronic,
}

impl SlipKind {
    /// The corner label printed top right.
    pub fn label(self) -> &'static str {
        match self {
            SlipKind::Ordinary => "普通",
            SlipKind::Emergency => "急诊",
            SlipKind::Paediatric => "儿科",
            SlipKind::Chronic => "长期处方",
        }
    }

    /// The paper colour (RGB, 0–1) filled behind the whole page.
    pub fn paper_rgb(self) -> (f32, f32, f32) {
        match self {
            SlipKind::Ordinary | SlipKind::Chronic => (1.0, 1.0, 1.0),
            SlipKind::Emergency => (1.0, 0.976, 0.757),
            SlipKind::Paediatric => (0.847, 0.945, 0.827),
        }
    }
}

/// One 正文 line: what the pharmacy dispenses. Every text is printed as given.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SlipLine {
    /// The generic name (通用名), e.g. "苯磺酸氨氯地平片".
    pub generic_name: String,
    /// e.g. "5 mg".
    pub strength: String,
    /// e.g. "28片".
    pub quantity: String,
    /// e.g. "每次5 mg，每日1次，口服".
    pub usage: String,
    /// 禁忌说明 (R-RX-2), printed small under the usage when present.
    #[serde(default)]
    pub contraindication_notes: Option<String>,
}

/// What the QR code carries: enough for a pharmacy to find the signed prescription and check
/// that it is the one this slip was printed from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SlipCode {
    /// The prescription id (ASCII, no `;`, `=` or whitespace).
    pub prescription_id: String,
    /// Lowercase hex SHA-256 (64 digits) of the signature the pharmacy verifies — in a MedDesk
    /// signed document, the physician signature digest the platform countersigned
    /// (`signature_sha256`).
    pub signature_sha256: String,
    /// The platform that holds and countersigned the prescription, e.g. its host name
    /// (ASCII, no `;`, `=` or whitespace).
    pub platform: String,
}

/// The prefix and version of [`SlipCode::payload`].
pub const PAYLOAD_PREFIX: &str = "meddesk-rx:1;";

impl SlipCode {
    /// The string the QR code encodes:
    ///
    /// `meddesk-rx:1;id=<prescription_id>;sig=<signature_sha256>;p=<platform>`
    ///
    /// `meddesk-rx` names the scheme, `1` is the format version (a reader refuses another);
    /// the three fields come in this order, each once; `sig` is 64 lowercase hex digits;
    /// `id` and `p` are printable ASCII without `;`, `=` or spaces. Errors name the field.
    pub fn payload(&self) -> Result<String, GuidanceError> {
        check_token("verification.prescription_id", &self.prescription_id)?;
        check_token("verification.platform", &self.platform)?;
        if self.signature_sha256.len() != 64
            || !self
                .signature_sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(GuidanceError::SlipInvalid {
                field: "verification.signature_sha256",
                reason: "must be 64 lowercase hex digits",
            });
        }
        Ok(format!(
            "{PAYLOAD_PREFIX}id={};sig={};p={}",
            self.prescription_id, self.signature_sha256, self.platform
        ))
    }

    /// Read a payload back (what a pharmacy's scanner does); `None` if it is not exactly the
    /// version-1 format.
    pub fn parse(payload: &str) -> Option<SlipCode> {
        let rest = payload.strip_prefix(PAYLOAD_PREFIX)?;
        let mut parts = rest.split(';');
        let id = parts.next()?.strip_prefix("id=")?;
        let sig = parts.next()?.strip_prefix("sig=")?;
        let platform = parts.next()?.strip_prefix("p=")?;
        if parts.next().is_some() {
            return None;
        }
        let code = SlipCode {
            prescription_id: id.to_owned(),
            signature_sha256: sig.to_owned(),
            platform: platform.to_owned(),
        };
        code.payload().ok().map(|_| code)
    }
}

fn check_token(field: &'static str, v: &str) -> Result<(), GuidanceError> {
    if v.is_empty() {
        return Err(GuidanceError::SlipInvalid {
            field,
            reason: "must not be empty",
        });
    }
    if !v
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b';' && b != b'=')
    {
        return Err(GuidanceError::SlipInvalid {
            field,
            reason: "printable ASCII without `;` or `=`",
        });
    }
    Ok(())
}

/// Everything printed on a 处方笺. Texts are printed as given: the caller formats dates and
/// ages and decides what is masked.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Slip {
    /// 医疗机构名称.
    pub institution: String,
    /// 费别: e.g. 自费 / 医保 / 公费.
    pub fee_type: String,
    pub patient_name: String,
    pub sex: String,
    /// e.g. "34岁", "3月".
    pub age: String,
    /// 门诊病历号.
    pub record_number: String,
    /// 科别.
    pub department: String,
    /// 临床诊断 (may hold several, as one text).
    pub clinical_diagnosis: String,
    /// 开具日期, formatted by the caller.
    pub date: String,
    pub kind: SlipKind,
    /// The 正文 (at least one line).
    pub lines: Vec<SlipLine>,
    /// 医师 (prescribing physician).
    pub physician: String,
    /// 审核药师.
    pub reviewing_pharmacist: Option<String>,
    /// 调配药师.
    pub dispensing_pharmacist: Option<String>,
    /// 核对、发药药师.
    pub checking_pharmacist: Option<String>,
    /// 药品金额, formatted by the caller; a blank line when absent.
    #[serde(default)]
    pub amount: Option<String>,
    /// Whether a pharmacist approved it; before that the slip is marked 未审核 — 不得调配.
    pub approved: bool,
    pub verification: SlipCode,
}

/// The words marking a slip that may not be dispensed yet.
pub const NOT_APPROVED_MARK: &str = "未审核 — 不得调配";

const PAGE_W: f32 = 419.528;
const PAGE_H: f32 = 595.276;
const M: f32 = 28.0;
const CW: f32 = PAGE_W - 2.0 * M;

const INK: (f32, f32, f32) = (0.0, 0.0, 0.0);
const MUTED: (f32, f32, f32) = (0.33, 0.33, 0.33);
const RED: (f32, f32, f32) = (0.78, 0.0, 0.0);
const WATERMARK: (f32, f32, f32) = (0.96, 0.62, 0.62);

const FIELD: f32 = 10.0;
const ROW: f32 = 18.0;
const NAME_SIZE: f32 = 10.5;
const USAGE_SIZE: f32 = 9.5;
const NOTE_SIZE: f32 = 8.0;
/// The QR square including its quiet zone, in points.
const QR_SIZE: f32 = 96.0;
/// Baseline of the first 前记 row.
const FRONT_TOP: f32 = PAGE_H - M - 88.0;
/// Height of the 后记 block at the bottom of every page.
const FOOT_H: f32 = 4.0 * ROW + 30.0;
/// The 正文's left indent (room for "Rp").
const BODY_X: f32 = 26.0;
/// From the rule under the 前记 to the top of the 正文.
const BODY_GAP: f32 = 12.0;
const DIAG_LEADING: f32 = FIELD * 1.4;

/// Render the slip as a PDF (A5 portrait; more pages only if the 正文 does not fit one).
pub fn pdf(slip: &Slip, fonts: &PdfFonts<'_>) -> Result<Vec<u8>, GuidanceError> {
    validate(slip)?;
    let payload = slip.verification.payload()?;
    let qr = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).map_err(|_| {
        GuidanceError::SlipInvalid {
            field: "verification",
            reason: "too long for a QR code",
        }
    })?;

    let mut set = FontSet::new(fonts)?;
    let body = body_lines(slip, &set);
    let body_bottom = M + FOOT_H + 4.0;
    let pages = paginate(&body, front_rule_y(slip, &set) - BODY_GAP, body_bottom);
    let total = pages.len();
    let contents: Vec<Vec<u8>> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| page(slip, &qr, p, i + 1, total, &mut set))
        .collect();

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let tree = alloc();
    let info = alloc();
    let font_refs: Vec<FontRefs> = (0..2)
        .map(|_| FontRefs {
            type0: alloc(),
            cid: alloc(),
            descriptor: alloc(),
            file: alloc(),
            cmap: alloc(),
        })
        .collect();
    let page_refs: Vec<(Ref, Ref)> = (0..total).map(|_| (alloc(), alloc())).collect();
    pdf.catalog(catalog).pages(tree).lang(TextStr("zh-CN"));
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(total as i32);
    pdf.document_info(info)
        .title(TextStr("处方笺"))
        .producer(TextStr("MedDesk"));
    for ((page_id, content_id), content) in page_refs.iter().zip(contents) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(*content_id);
        let mut res = page.resources();
        let mut f = res.fonts();
        f.pair(Name(b"F0"), font_refs[0].type0);
        f.pair(Name(b"F1"), font_refs[1].type0);
        f.finish();
        res.finish();
        page.finish();
        pdf.stream(*content_id, &content);
    }
    for (slot, refs) in set.slots.iter().zip(&font_refs) {
        slot.write(&mut pdf, refs)?;
    }
    Ok(pdf.finish())
}

fn validate(slip: &Slip) -> Result<(), GuidanceError> {
    if slip.lines.is_empty() {
        return Err(GuidanceError::NoLines);
    }
    for (i, l) in slip.lines.iter().enumerate() {
        for (field, v) in [
            ("generic_name", &l.generic_name),
            ("quantity", &l.quantity),
            ("usage", &l.usage),
        ] {
            if v.trim().is_empty() {
                return Err(GuidanceError::InvalidLine {
                    line: i + 1,
                    field,
                    reason: "must not be empty on a 处方笺",
                });
            }
        }
    }
    Ok(())
}

/// The y of the rule under the 前记 (the diagnosis may take several rows).
fn front_rule_y(slip: &Slip, set: &FontSet<'_>) -> f32 {
    let rows = diagnosis_rows(slip, set).len().max(1);
    FRONT_TOP - 3.0 * ROW - (rows - 1) as f32 * DIAG_LEADING - 10.0
}

fn diagnosis_rows(slip: &Slip, set: &FontSet<'_>) -> Vec<String> {
    let label_w = set.width("临床诊断：", FIELD);
    wrap(&slip.clinical_diagnosis, CW - label_w, FIELD, set)
}

/// One laid-out 正文 line.
struct BodyLine {
    x: f32,
    text: String,
    size: f32,
    rgb: (f32, f32, f32),
    /// Right-aligned text on the same baseline (the quantity).
    right: Option<String>,
    /// Space from the previous baseline.
    advance: f32,
    /// The first line of a medicine: keep the medicine together on a page.
    starts_item: bool,
}

fn body_lines(slip: &Slip, set: &FontSet<'_>) -> Vec<BodyLine> {
    let mut v = Vec::new();
    let indent = BODY_X + 14.0;
    for (i, l) in slip.lines.iter().enumerate() {
        let qty = format!("× {}", l.quantity.trim());
        let qty_w = set.width(&qty, NAME_SIZE);
        let head = format!(
            "{}. {}  {}",
            i + 1,
            l.generic_name.trim(),
            l.strength.trim()
        );
        for (k, t) in wrap(head.trim_end(), CW - BODY_X - qty_w - 16.0, NAME_SIZE, set)
            .into_iter()
            .enumerate()
        {
            v.push(BodyLine {
                x: M + if k == 0 { BODY_X } else { indent },
                text: t,
                size: NAME_SIZE,
                rgb: INK,
                right: (k == 0).then(|| qty.clone()),
                advance: NAME_SIZE * 1.4 + if k == 0 && i > 0 { 4.0 } else { 0.0 },
                starts_item: k == 0,
            });
        }
        let usage = format!("用法：{}", l.usage.trim());
        for t in wrap(&usage, CW - indent, USAGE_SIZE, set) {
            v.push(BodyLine {
                x: M + indent,
                text: t,
                size: USAGE_SIZE,
                rgb: INK,
                right: None,
                advance: USAGE_SIZE * 1.45,
                starts_item: false,
            });
        }
        let note = l
            .contraindication_notes
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        if let Some(n) = note {
            for t in wrap(&format!("禁忌说明：{n}"), CW - indent, NOTE_SIZE, set) {
                v.push(BodyLine {
                    x: M + indent,
                    text: t,
                    size: NOTE_SIZE,
                    rgb: MUTED,
                    right: None,
                    advance: NOTE_SIZE * 1.45,
                    starts_item: false,
                });
            }
        }
    }
    v.push(BodyLine {
        x: M + BODY_X + (CW - BODY_X) / 2.0,
        text: "（以下空白）".to_owned(),
        size: USAGE_SIZE,
        rgb: MUTED,
        right: None,
        advance: USAGE_SIZE * 2.0,
        starts_item: false,
    });
    v
}

/// Split the 正文 into pages: baselines from `top` down to `bottom`, a medicine kept whole
/// when it fits a page.
fn paginate(lines: &[BodyLine], top: f32, bottom: f32) -> Vec<Vec<(f32, &BodyLine)>> {
    let mut pages: Vec<Vec<(f32, &BodyLine)>> = vec![Vec::new()];
    let mut y = top;
    for (i, line) in lines.iter().enumerate() {
        let mut need = line.advance;
        if line.starts_item {
            need += lines[i + 1..]
                .iter()
                .take_while(|l| !l.starts_item)
                .map(|l| l.advance)
                .sum::<f32>();
        }
        let full_page = top - bottom;
        let has_content = pages.last().is_some_and(|p| !p.is_empty());
        if has_content && (y - need < bottom && need <= full_page || y - line.advance < bottom) {
            pages.push(Vec::new());
            y = top;
        }
        let advance = if pages.last().is_some_and(|p| p.is_empty()) {
            line.size
        } else {
            line.advance
        };
        y -= advance;
        if let Some(p) = pages.last_mut() {
            p.push((y, line));
        }
    }
    pages
}

/// A labelled field: "label：value" with a rule under the value to `end`. Returns nothing;
/// an empty value leaves the rule blank (to be signed by hand).
fn field(
    c: &mut Content,
    set: &mut FontSet<'_>,
    label: &str,
    value: &str,
    x: f32,
    end: f32,
    y: f32,
) {
    let label = format!("{label}：");
    show(c, set, &label, x, y, FIELD, INK);
    let vx = x + set.width(&label, FIELD);
    let size = fit(set, value, end - vx - 4.0, FIELD);
    show(c, set, value, vx + 2.0, y, size, INK);
    c.set_stroke_rgb(MUTED.0, MUTED.1, MUTED.2);
    c.set_line_width(0.5);
    c.move_to(vx, y - 3.0);
    c.line_to(end, y - 3.0);
    c.stroke();
}

/// The font size at which `text` fits `max` points: `size`, or smaller down to 60 % of it
/// (past that it runs over rather than becoming unreadable).
fn fit(set: &FontSet<'_>, text: &str, max: f32, size: f32) -> f32 {
    let w = set.width(text, size);
    if w <= max || w <= 0.0 {
        size
    } else {
        (size * max / w).max(size * 0.6)
    }
}

fn rule(c: &mut Content, y: f32, width: f32) {
    c.set_stroke_rgb(INK.0, INK.1, INK.2);
    c.set_line_width(width);
    c.move_to(M, y);
    c.line_to(PAGE_W - M, y);
    c.stroke();
}

fn centered(
    c: &mut Content,
    set: &mut FontSet<'_>,
    text: &str,
    y: f32,
    size: f32,
    rgb: (f32, f32, f32),
) {
    let w = set.width(text, size);
    show(c, set, text, (PAGE_W - w) / 2.0, y, size, rgb);
}

fn page(
    slip: &Slip,
    qr: &QrCode,
    body: &[(f32, &BodyLine)],
    n: usize,
    total: usize,
    set: &mut FontSet<'_>,
) -> Vec<u8> {
    let mut c = Content::new();

    // The paper.
    let paper = slip.kind.paper_rgb();
    c.set_fill_rgb(paper.0, paper.1, paper.2);
    c.rect(0.0, 0.0, PAGE_W, PAGE_H);
    c.fill_nonzero();

    // Not approved: the diagonal mark, behind everything else.
    if !slip.approved {
        let size = 34.0;
        let w = set.width(NOT_APPROVED_MARK, size);
        let angle = (PAGE_H - 2.0 * M).atan2(PAGE_W - 2.0 * M);
        let (s, co) = angle.sin_cos();
        let (cx, cy) = (PAGE_W / 2.0, PAGE_H / 2.0 - 20.0);
        let x = cx - w / 2.0 * co + size * 0.35 * s;
        let y = cy - w / 2.0 * s - size * 0.35 * co;
        show_matrix(
            &mut c,
            set,
            NOT_APPROVED_MARK,
            [co, s, -s, co, x, y],
            size,
            WATERMARK,
        );
    }

    // The corner label, top right, in a box.
    let label = slip.kind.label();
    let lw = set.width(label, 12.0);
    let (bx, by) = (PAGE_W - M - lw - 12.0, PAGE_H - M - 22.0);
    c.set_stroke_rgb(INK.0, INK.1, INK.2);
    c.set_line_width(1.0);
    c.rect(bx, by, lw + 12.0, 22.0);
    c.stroke();
    show(&mut c, set, label, bx + 6.0, by + 7.0, 12.0, INK);

    // Header.
    let mut y = PAGE_H - M - 14.0;
    // Centred between the margins, clear of the corner label on both sides.
    let room = PAGE_W - 2.0 * (M + lw + 12.0 + 8.0);
    let size = fit(set, &slip.institution, room, 14.0);
    centered(&mut c, set, &slip.institution, y, size, INK);
    y -= 26.0;
    centered(&mut c, set, "处方笺", y, 18.0, INK);
    y -= 20.0;
    if !slip.approved {
        let size = 10.5;
        let w = set.width(NOT_APPROVED_MARK, size);
        let x = (PAGE_W - w) / 2.0;
        c.set_stroke_rgb(RED.0, RED.1, RED.2);
        c.set_line_width(1.2);
        c.rect(x - 8.0, y - 4.5, w + 16.0, size + 6.0);
        c.stroke();
        show(&mut c, set, NOT_APPROVED_MARK, x, y, size, RED);
    }
    let id = format!("处方编号：{}", slip.verification.prescription_id);
    let idw = set.width(&id, 7.0);
    show(&mut c, set, &id, PAGE_W - M - idw, y - 13.0, 7.0, MUTED);

    // 前记.
    y = FRONT_TOP;
    let col1 = M + CW * 0.46;
    let col2 = M + CW * 0.72;
    let end = PAGE_W - M;
    field(&mut c, set, "费别", &slip.fee_type, M, col1 - 10.0, y);
    field(&mut c, set, "门诊病历号", &slip.record_number, col1, end, y);
    y -= ROW;
    field(&mut c, set, "姓名", &slip.patient_name, M, col1 - 10.0, y);
    field(&mut c, set, "性别", &slip.sex, col1, col2 - 10.0, y);
    field(&mut c, set, "年龄", &slip.age, col2, end, y);
    y -= ROW;
    field(&mut c, set, "科别", &slip.department, M, col1 - 10.0, y);
    field(&mut c, set, "开具日期", &slip.date, col1, end, y);
    y -= ROW;
    let rows = diagnosis_rows(slip, set);
    let label_w = set.width("临床诊断：", FIELD);
    for (i, r) in rows.iter().enumerate() {
        if i == 0 {
            field(&mut c, set, "临床诊断", r, M, end, y);
        } else {
            y -= DIAG_LEADING;
            show(&mut c, set, r, M + label_w + 2.0, y, FIELD, INK);
            c.set_stroke_rgb(MUTED.0, MUTED.1, MUTED.2);
            c.set_line_width(0.5);
            c.move_to(M + label_w, y - 3.0);
            c.line_to(end, y - 3.0);
            c.stroke();
        }
    }
    y -= 10.0;
    rule(&mut c, y, 1.2);

    // 正文: "Rp" beside the first medicine.
    let rp_y = body.first().map_or(y - BODY_GAP - NAME_SIZE, |(b, _)| *b);
    show(&mut c, set, "Rp", M, rp_y, 17.0, INK);
    for (by, line) in body {
        let x = if line.text == "（以下空白）" {
            line.x - set.width(&line.text, line.size) / 2.0
        } else {
            line.x
        };
        show(&mut c, set, &line.text, x, *by, line.size, line.rgb);
        if let Some(r) = &line.right {
            let w = set.width(r, line.size);
            show(&mut c, set, r, PAGE_W - M - w, *by, line.size, line.rgb);
        }
    }

    // 后记: fields on the left, the QR code on the right.
    let top = M + FOOT_H;
    rule(&mut c, top, 1.2);
    let qx = PAGE_W - M - QR_SIZE;
    let qy = M + 2.0;
    let fend = qx - 12.0;
    let mut fy = top - 15.0;
    let blank = |v: &Option<String>| v.as_deref().unwrap_or("").to_owned();
    field(&mut c, set, "医师", &slip.physician, M, M + 150.0, fy);
    field(
        &mut c,
        set,
        "药品金额",
        &blank(&slip.amount),
        M + 160.0,
        fend,
        fy,
    );
    fy -= ROW;
    field(
        &mut c,
        set,
        "审核药师",
        &blank(&slip.reviewing_pharmacist),
        M,
        fend,
        fy,
    );
    fy -= ROW;
    field(
        &mut c,
        set,
        "调配药师",
        &blank(&slip.dispensing_pharmacist),
        M,
        fend,
        fy,
    );
    fy -= ROW;
    field(
        &mut c,
        set,
        "核对、发药药师",
        &blank(&slip.checking_pharmacist),
        M,
        fend,
        fy,
    );
    let sig = &slip.verification.signature_sha256;
    let note = format!(
        "扫描二维码核验电子签名 · 签名摘要 {}…",
        sig.get(..16).unwrap_or(sig)
    );
    show(&mut c, set, &note, M, M + 2.0, 7.0, MUTED);
    draw_qr(&mut c, qr, qx, qy, QR_SIZE);
    if total > 1 {
        let t = format!("第{n}/{total}页");
        let w = set.width(&t, 7.5);
        show(&mut c, set, &t, (PAGE_W - w) / 2.0, M - 14.0, 7.5, MUTED);
    }
    c.finish().to_vec()
}

/// The QR code at (x, y) (bottom left), `size` points square including a 4-module quiet
/// zone on white; each run of dark modules in a row is one filled rectangle.
fn draw_qr(c: &mut Content, qr: &QrCode, x: f32, y: f32, size: f32) {
    let w = qr.width();
    let colors = qr.to_colors();
    let quiet = 4.0;
    let m = size / (w as f32 + 2.0 * quiet);
    c.set_fill_rgb(1.0, 1.0, 1.0);
    c.rect(x, y, size, size);
    c.fill_nonzero();
    c.set_fill_rgb(0.0, 0.0, 0.0);
    for row in 0..w {
        let mut col = 0;
        while col < w {
            if colors[row * w + col] == Color::Dark {
                let start = col;
                while col < w && colors[row * w + col] == Color::Dark {
                    col += 1;
                }
                c.rect(
                    x + (quiet + start as f32) * m,
                    y + size - (quiet + row as f32 + 1.0) * m,
                    (col - start) as f32 * m,
                    m,
                );
            } else {
                col += 1;
            }
        }
    }
    c.fill_nonzero();
}

/// The QR code's modules as rows of booleans (dark = true), for tests and callers that draw
/// it elsewhere (e.g. on screen).
pub fn qr_modules(code: &SlipCode) -> Result<Vec<Vec<bool>>, GuidanceError> {
    let payload = code.payload()?;
    let qr = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).map_err(|_| {
        GuidanceError::SlipInvalid {
            field: "verification",
            reason: "too long for a QR code",
        }
    })?;
    let w = qr.width();
    Ok(qr
        .to_colors()
        .chunks(w)
        .map(|r| r.iter().map(|c| *c == Color::Dark).collect())
        .collect())
}

/// A line's 用法 as a Chinese slip writes it — "每次1片，每日1次，口服，疗程7天" — in the words
/// the guidance sheet uses; what the line does not say is left out.
pub fn usage_zh(
    dose: Option<(f64, &str)>,
    frequency: Option<Frequency>,
    route: Option<Route>,
    days: Option<f64>,
) -> String {
    let zh = GuidanceLanguage::ZhCn;
    let course = |d: f64| {
        if d.fract() == 0.0 && d >= 1.0 && d <= f64::from(u32::MAX) {
            // Whole days: the sheet's wording.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            words::course(zh, d as u32)
        } else {
            format!("疗程{}天", words::number(d))
        }
    };
    [
        dose.map(|(v, unit)| format!("每次{}", words::dose(zh, v, unit))),
        frequency.map(|f| words::frequency(zh, f).to_owned()),
        route.map(|r| words::route(zh, r).to_owned()),
        days.map(course),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("，")
}

/// A number as the slip writes it: 28, 0.5 (no trailing zeros).
pub fn number_text(v: f64) -> String {
    words::number(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/fonts")
            .join(name);
        std::fs::read(path).expect("shipped font")
    }

    #[test]
    fn usage_reads_in_the_sheets_words_and_leaves_out_what_the_line_does_not_say() {
        assert_eq!(
            usage_zh(
                Some((1.0, "tablet")),
                Some(Frequency::QD),
                Some(Route::Oral),
                Some(30.0)
            ),
            "每次1片，每日1次，口服，疗程30天"
        );
        assert_eq!(
            usage_zh(Some((0.5, "mg")), None, Some(Route::Inhaled), Some(2.5)),
            "每次0.5 mg，吸入，疗程2.5天"
        );
        assert_eq!(usage_zh(None, None, None, None), "");
        assert_eq!(number_text(28.0), "28");
    }

    #[test]
    fn a_long_value_shrinks_to_its_field_but_stays_readable() {
        let (cjk, latin) = (
            font("DroidSansFallbackFull.ttf"),
            font("Roboto-Regular.ttf"),
        );
        let set = FontSet::new(&PdfFonts {
            cjk: &cjk,
            latin: &latin,
        })
        .expect("fonts parse");
        assert_eq!(fit(&set, "全科", 100.0, 10.0), 10.0);
        let long = "心血管内科高血压与动脉硬化专病门诊";
        let size = fit(&set, long, 120.0, 10.0);
        assert!(size < 10.0 && set.width(long, size) <= 120.01, "{size}");
        assert_eq!(fit(&set, &long.repeat(4), 120.0, 10.0), 6.0);
        assert_eq!(fit(&set, "", 0.0, 10.0), 10.0);
    }
}
