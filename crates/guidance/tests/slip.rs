//! The prescription slip (处方笺, R-RX-11), read back by independent implementations: poppler's
//! `pdftotext`, `pdfinfo` and `pdftoppm` (Debian package `poppler-utils`, installed by
//! `cargo xtask test`) and the `rqrr` QR decoder on the rasterized page.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::process::{Command, Stdio};

use common::fonts;
use meddesk_guidance::GuidanceError;
use meddesk_guidance::slip::{
    NOT_APPROVED_MARK, PAYLOAD_PREFIX, Slip, SlipCode, SlipKind, SlipLine, pdf, qr_modules,
};

const SIG: &str = "3f7a9c2e5b8d1f4a6c0e9b2d7f5a3c8e1b4d6f9a2c5e8b1d4f7a0c3e6b9d2f5a";
const ID: &str = "0193a8f2-7c1e-7b3a-9d52-4e1f0c6a2b7d";

fn line(name: &str, strength: &str, qty: &str, usage: &str) -> SlipLine {
    SlipLine {
        generic_name: name.into(),
        strength: strength.into(),
        quantity: qty.into(),
        usage: usage.into(),
        contraindication_notes: None,
    }
}

fn slip(kind: SlipKind, approved: bool) -> Slip {
    let mut lines = vec![
        line("苯磺酸氨氯地平片", "5 mg", "7片", "每次5 mg，每日1次，口服"),
        line(
            "盐酸二甲双胍片",
            "0.5 g",
            "21片",
            "每次0.5 g，每日3次，随餐口服",
        ),
    ];
    lines[1].contraindication_notes = Some("严重肾功能不全禁用".into());
    Slip {
        institution: "MedDesk 互联网医院".into(),
        fee_type: "医保".into(),
        patient_name: "张明".into(),
        sex: "男".into(),
        age: "56岁".into(),
        record_number: "MZ20261204001".into(),
        department: "全科医学科".into(),
        clinical_diagnosis: "原发性高血压；2型糖尿病".into(),
        date: "2026年12月04日".into(),
        kind,
        lines,
        physician: "李华".into(),
        reviewing_pharmacist: approved.then(|| "王芳".into()),
        dispensing_pharmacist: approved.then(|| "赵静".into()),
        checking_pharmacist: approved.then(|| "孙磊".into()),
        amount: approved.then(|| "¥36.50".into()),
        approved,
        verification: SlipCode {
            prescription_id: ID.into(),
            signature_sha256: SIG.into(),
            platform: "platform.meddesk.example".into(),
        },
    }
}

fn render(s: &Slip) -> Vec<u8> {
    pdf(s, &fonts().get()).unwrap()
}

fn tmp(pdf: &[u8], tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("meddesk-slip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut h: u64 = 1469598103934665603;
    for b in pdf.iter().step_by(31) {
        h = (h ^ u64::from(*b)).wrapping_mul(1099511628211);
    }
    let t = format!("{:?}", std::thread::current().id()).replace(['(', ')'], "");
    dir.join(format!("{tag}-{h:x}-{t}.pdf"))
}

/// Run a poppler tool on `pdf`; a missing tool FAILS the test, naming the package.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> Vec<u8> {
    let path = tmp(pdf, tool);
    std::fs::write(&path, pdf).unwrap();
    let mut cmd = Command::new(tool);
    cmd.args(args).arg(&path);
    if tool != "pdfinfo" {
        cmd.arg("-");
    }
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| {
        panic!(
            "`{tool}` could not run ({e}): install the Debian package poppler-utils \
             (`cargo xtask test` installs it)"
        )
    });
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn pages(pdf: &[u8]) -> usize {
    String::from_utf8(poppler("pdfinfo", &[], pdf))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .expect("pdfinfo prints the page count")
        .trim()
        .parse()
        .unwrap()
}

/// Rasterize the first page to a greyscale PGM (pdftoppm writes `<root>.pgm`).
fn rasterize(pdf: &[u8], dpi: u32) -> Vec<u8> {
    let path = tmp(pdf, "pdftoppm");
    std::fs::write(&path, pdf).unwrap();
    let root = path.with_extension("");
    let out = Command::new("pdftoppm")
        .args(["-gray", "-r", &dpi.to_string(), "-singlefile"])
        .arg(&path)
        .arg(&root)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("`pdftoppm` could not run ({e}): install the Debian package poppler-utils")
        });
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pgm = root.with_extension("pgm");
    let bytes = std::fs::read(&pgm).unwrap();
    let _ = std::fs::remove_file(&pgm);
    bytes
}

fn text(pdf: &[u8]) -> String {
    String::from_utf8(poppler("pdftotext", &["-enc", "UTF-8"], pdf)).unwrap()
}

/// Squash whitespace: extracted text wraps and spaces where the layout did.
fn flat(s: &str) -> String {
    s.split_whitespace().collect()
}

/// The (first) page's content stream, uncompressed as the engine writes it.
fn content(pdf: &[u8]) -> String {
    let body = String::from_utf8_lossy(pdf).into_owned();
    let start = body.find("stream\n").unwrap() + "stream\n".len();
    let end = start + body[start..].find("endstream").unwrap();
    body[start..end].to_owned()
}

#[test]
fn the_file_is_a_well_formed_a5_pdf() {
    let pdf = render(&slip(SlipKind::Ordinary, true));
    assert!(pdf.starts_with(b"%PDF-1."), "header");
    let tail = String::from_utf8_lossy(&pdf[pdf.len().saturating_sub(64)..]).into_owned();
    assert!(tail.trim_end().ends_with("%%EOF"), "{tail}");
    let at = tail.rfind("startxref").expect("startxref");
    let offset: usize = tail[at + "startxref".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(pdf[offset..].starts_with(b"xref"), "startxref → xref");
    let body = String::from_utf8_lossy(&pdf);
    for needle in [
        "/Subtype /Type0",
        "/Subtype /CIDFontType2",
        "/ToUnicode",
        "/MediaBox [0 0 419.528 595.276]",
        "/Lang (zh-CN)",
    ] {
        assert!(body.contains(needle), "{needle}");
    }
    assert!(pdf.len() < 200_000, "font subsets: {} bytes", pdf.len());
    let info = String::from_utf8(poppler("pdfinfo", &[], &pdf)).unwrap();
    // A5: 148 × 210 mm.
    assert!(info.contains("419.528 x 595.276 pts"), "{info}");
    assert_eq!(pages(&pdf), 1);
}

#[test]
fn every_field_extracts_as_text() {
    let s = slip(SlipKind::Ordinary, true);
    let t = flat(&text(&render(&s)));
    let mut expected: Vec<String> = [
        "处方笺",
        "费别：",
        "姓名：",
        "性别：",
        "年龄：",
        "门诊病历号：",
        "科别：",
        "临床诊断：",
        "开具日期：",
        "Rp",
        "医师：",
        "药品金额：",
        "审核药师：",
        "调配药师：",
        "核对、发药药师：",
        "（以下空白）",
        "禁忌说明：严重肾功能不全禁用",
        "处方编号：",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    expected.extend(
        [
            &s.institution,
            &s.fee_type,
            &s.patient_name,
            &s.sex,
            &s.age,
            &s.record_number,
            &s.department,
            &s.clinical_diagnosis,
            &s.date,
            &s.physician,
            &s.verification.prescription_id,
        ]
        .into_iter()
        .cloned(),
    );
    for p in [
        &s.reviewing_pharmacist,
        &s.dispensing_pharmacist,
        &s.checking_pharmacist,
        &s.amount,
    ] {
        expected.push(p.clone().unwrap());
    }
    for l in &s.lines {
        expected.extend([
            l.generic_name.clone(),
            l.strength.clone(),
            format!("×{}", l.quantity),
            format!("用法：{}", l.usage),
        ]);
    }
    for e in expected {
        assert!(t.contains(&flat(&e)), "{e:?} not extracted from:\n{t}");
    }
}

#[test]
fn the_not_approved_mark_is_there_exactly_until_approval() {
    for kind in [SlipKind::Ordinary, SlipKind::Emergency] {
        let t = flat(&text(&render(&slip(kind, false))));
        assert!(t.contains(&flat(NOT_APPROVED_MARK)), "{t}");
        // Banner and diagonal.
        assert!(t.matches("不得调配").count() >= 1, "{t}");
        let pdf = render(&slip(kind, false));
        assert!(content(&pdf).contains(" Tm\n"), "the diagonal mark");

        let t = flat(&text(&render(&slip(kind, true))));
        assert!(!t.contains("未审核") && !t.contains("不得调配"), "{t}");
        assert!(!content(&render(&slip(kind, true))).contains(" Tm\n"));
    }
    assert_eq!(NOT_APPROVED_MARK, "未审核 — 不得调配");
}

#[test]
fn unsigned_fields_are_blank_lines() {
    let s = slip(SlipKind::Ordinary, false);
    let t = flat(&text(&render(&s)));
    for label in ["审核药师：", "调配药师：", "核对、发药药师：", "药品金额："]
    {
        assert!(t.contains(label), "{label}");
    }
    for name in ["王芳", "赵静", "孙磊", "36.50"] {
        assert!(!t.contains(name), "{name}");
    }
    assert!(t.contains("医师：李华"));
}

#[test]
fn paper_colour_and_corner_label_follow_the_kind() {
    let cases = [
        (SlipKind::Ordinary, "1 1 1 rg", "普通"),
        (SlipKind::Emergency, "1 0.976 0.757 rg", "急诊"),
        (SlipKind::Paediatric, "0.847 0.945 0.827 rg", "儿科"),
        (SlipKind::Chronic, "1 1 1 rg", "长期处方"),
    ];
    for (kind, fill, label) in cases {
        assert_eq!(kind.label(), label);
        let pdf = render(&slip(kind, true));
        let c = content(&pdf);
        // The first thing painted is the whole page in the paper colour.
        assert!(
            c.starts_with(&format!("{fill}\n0 0 419.528 595.276 re\nf\n")),
            "{kind:?}: {}",
            &c[..80]
        );
        let t = flat(&text(&pdf));
        assert!(t.contains(label), "{kind:?}: {label} in {t}");
        for (other, _, other_label) in cases {
            if other != kind && !label.contains(other_label) {
                assert!(!t.contains(other_label), "{kind:?} shows {other_label}");
            }
        }
    }
}

#[test]
fn the_payload_format_is_stable_and_parses_back() {
    let code = slip(SlipKind::Ordinary, true).verification;
    let p = code.payload().unwrap();
    assert_eq!(
        p,
        format!("meddesk-rx:1;id={ID};sig={SIG};p=platform.meddesk.example")
    );
    assert!(p.starts_with(PAYLOAD_PREFIX));
    assert_eq!(SlipCode::parse(&p), Some(code.clone()));
    for bad in [
        p.replace("meddesk-rx:1", "meddesk-rx:2"),
        p.replace(";p=", ";q="),
        format!("{p};x=1"),
        p.replace(SIG, &SIG.to_uppercase()),
        p.replace(SIG, &SIG[..63]),
    ] {
        assert_eq!(SlipCode::parse(&bad), None, "{bad}");
    }
    for (field, code) in [
        (
            "verification.signature_sha256",
            SlipCode {
                signature_sha256: "abc".into(),
                ..code.clone()
            },
        ),
        (
            "verification.prescription_id",
            SlipCode {
                prescription_id: "a;sig=0".into(),
                ..code.clone()
            },
        ),
        (
            "verification.platform",
            SlipCode {
                platform: String::new(),
                ..code.clone()
            },
        ),
    ] {
        let err = code.payload().unwrap_err();
        assert_eq!(err.code(), "slip_invalid");
        assert!(err.to_string().contains(field), "{err}");
        let mut s = slip(SlipKind::Ordinary, true);
        s.verification = code;
        assert_eq!(pdf(&s, &fonts().get()).unwrap_err().code(), "slip_invalid");
    }
}

/// Decode every QR code in a greyscale image.
fn decode(w: usize, h: usize, pixel: impl FnMut(usize, usize) -> u8) -> Vec<String> {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, pixel);
    img.detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, s)| s))
        .collect()
}

#[test]
fn the_qr_modules_decode_to_the_payload() {
    let code = slip(SlipKind::Ordinary, true).verification;
    let modules = qr_modules(&code).unwrap();
    let n = modules.len();
    // Version 8 (49 modules) at level M holds the ~140-byte payload.
    assert!((45..=57).contains(&n) && (n - 17) % 4 == 0, "{n} modules");
    assert!(modules.iter().all(|r| r.len() == n));
    let (scale, quiet) = (4, 4);
    let side = (n + 2 * quiet) * scale;
    let decoded = decode(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark = mx >= quiet
            && my >= quiet
            && mx < n + quiet
            && my < n + quiet
            && modules[my - quiet][mx - quiet];
        if dark { 0 } else { 255 }
    });
    assert_eq!(decoded, vec![code.payload().unwrap()]);
}

/// The QR code as printed: rasterize the page (pdftoppm) and scan it.
#[test]
fn the_printed_qr_code_scans_on_every_paper_colour() {
    for kind in [
        SlipKind::Emergency,
        SlipKind::Paediatric,
        SlipKind::Ordinary,
    ] {
        let s = slip(kind, false);
        let pgm = rasterize(&render(&s), 300);
        let (w, h, pixels) = parse_pgm(&pgm);
        let decoded = decode(w, h, |x, y| pixels[y * w + x]);
        assert_eq!(decoded, vec![s.verification.payload().unwrap()], "{kind:?}");
    }
}

/// A binary (P5) PGM: header tokens then one byte per pixel.
fn parse_pgm(data: &[u8]) -> (usize, usize, &[u8]) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(std::str::from_utf8(&data[start..i]).unwrap().to_owned());
    }
    assert_eq!(fields[0], "P5");
    assert_eq!(fields[3], "255");
    let (w, h) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = &data[i + 1..];
    assert_eq!(pixels.len(), w * h);
    (w, h, pixels)
}

#[test]
fn five_medicines_fit_one_page_and_more_continue_on_numbered_pages() {
    let usage = "每次1片，每日2次，早晚餐后口服；如出现头晕、心悸或明显乏力请暂停并联系医生";
    let mut s = slip(SlipKind::Chronic, true);
    s.clinical_diagnosis =
        "原发性高血压 2级（高危）；2型糖尿病伴周围神经病变；高脂血症；慢性稳定型心绞痛".into();
    s.lines = (1..=5)
        .map(|i| {
            let mut l = line(
                &format!("长名称药品第{i}号缓释片"),
                "0.5 g",
                "56片",
                "每次1片，每日2次，早晚餐后口服",
            );
            l.contraindication_notes =
                Some("对本品任何成分过敏者禁用；严重肝肾功能不全者禁用".into());
            l
        })
        .collect();
    let pdf_bytes = render(&s);
    assert_eq!(pages(&pdf_bytes), 1);
    let t = flat(&text(&pdf_bytes));
    assert!(t.contains(&flat(&s.clinical_diagnosis)), "{t}");
    assert!(t.contains("5.长名称药品第5号缓释片"));
    assert!(t.contains("（以下空白）"));

    s.lines = (1..=14)
        .map(|i| line(&format!("长名称药品第{i}号缓释片"), "0.5 g", "56片", usage))
        .collect();
    let pdf_bytes = render(&s);
    let n = pages(&pdf_bytes);
    assert!(n >= 2, "{n} pages");
    let mut all = String::new();
    for k in 1..=n {
        let page = flat(
            &String::from_utf8(poppler(
                "pdftotext",
                &["-enc", "UTF-8", "-f", &k.to_string(), "-l", &k.to_string()],
                &pdf_bytes,
            ))
            .unwrap(),
        );
        assert!(page.contains(&format!("第{k}/{n}页")), "page {k}: {page}");
        // Every page is a whole slip frame: 前记, 后记 and the label.
        for part in ["处方笺", "姓名：张明", "审核药师：", "长期处方"] {
            assert!(page.contains(part), "page {k} lacks {part}");
        }
        all.push_str(&page);
    }
    for i in 1..=14 {
        assert!(
            all.contains(&format!("{i}.长名称药品第{i}号缓释片")),
            "line {i} lost"
        );
    }
    assert_eq!(all.matches("（以下空白）").count(), 1);
}

#[test]
fn a_slip_without_lines_or_with_an_empty_line_is_refused() {
    let mut s = slip(SlipKind::Ordinary, true);
    s.lines.clear();
    assert_eq!(pdf(&s, &fonts().get()).unwrap_err(), GuidanceError::NoLines);
    let mut s = slip(SlipKind::Ordinary, true);
    s.lines[1].usage = " ".into();
    let err = pdf(&s, &fonts().get()).unwrap_err();
    assert_eq!(err.code(), "invalid_line");
    assert!(err.to_string().contains("line 2") && err.to_string().contains("usage"));
}

#[test]
fn rendering_is_deterministic() {
    let s = slip(SlipKind::Paediatric, false);
    assert_eq!(render(&s), render(&s));
}

#[test]
fn long_values_still_print_whole() {
    let mut s = slip(SlipKind::Paediatric, false);
    s.institution = "某某省某某市第一人民医院互联网医院（儿童医学中心分院）".into();
    s.department = "小儿呼吸与过敏反应专病门诊".into();
    s.record_number = "MZ-2026-12-04-000000123456".into();
    let pdf_bytes = render(&s);
    assert_eq!(pages(&pdf_bytes), 1);
    let t = flat(&text(&pdf_bytes));
    for v in [&s.institution, &s.department, &s.record_number] {
        assert!(t.contains(v.as_str()), "{v} in {t}");
    }
}
