//! Render a sample prescription slip (处方笺) to look at it:
//! `cargo run -p meddesk-guidance --example slip -- /tmp/slip.pdf [emergency|paediatric|chronic|ordinary] [approved|pending] [long]`
//! (`long`: long institution and department names and five medicines, to check the fit).

use std::path::Path;

use meddesk_guidance::PdfFonts;
use meddesk_guidance::slip::{Slip, SlipCode, SlipKind, SlipLine, pdf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .ok_or("usage: slip <out.pdf> [kind] [approved]")?;
    let kind = match args.get(2).map(String::as_str) {
        Some("emergency") => SlipKind::Emergency,
        Some("paediatric") => SlipKind::Paediatric,
        Some("chronic") => SlipKind::Chronic,
        _ => SlipKind::Ordinary,
    };
    let approved = args.get(3).is_some_and(|a| a == "approved");
    let line = |name: &str, strength: &str, qty: &str, usage: &str| SlipLine {
        generic_name: name.into(),
        strength: strength.into(),
        quantity: qty.into(),
        usage: usage.into(),
        contraindication_notes: None,
    };
    let mut lines = vec![
        line("苯磺酸氨氯地平片", "5 mg", "7片", "每次5 mg，每日1次，口服"),
        line(
            "盐酸二甲双胍片",
            "0.5 g",
            "21片",
            "每次0.5 g，每日3次，随餐口服",
        ),
    ];
    lines[1].contraindication_notes = Some("严重肾功能不全（eGFR < 30）禁用".into());
    let long = args.get(4).is_some_and(|a| a == "long");
    if long {
        for i in 3..=5 {
            lines.push(line(
                &format!("阿托伐他汀钙片（第{i}种）"),
                "20 mg",
                "14片",
                "每次20 mg，每晚1次，口服；服药期间定期复查肝功能",
            ));
        }
    }
    let mut slip = Slip {
        institution: "MedDesk 互联网医院".into(),
        fee_type: "自费".into(),
        patient_name: "张明".into(),
        sex: "男".into(),
        age: "56岁".into(),
        record_number: "MZ20261204001".into(),
        department: "全科医学科".into(),
        clinical_diagnosis: "原发性高血压（I10）；2型糖尿病（E11.9）".into(),
        date: "2026年12月04日".into(),
        kind,
        lines,
        physician: "李华".into(),
        reviewing_pharmacist: approved.then(|| "王芳".into()),
        dispensing_pharmacist: None,
        checking_pharmacist: None,
        amount: None,
        approved,
        verification: SlipCode {
            prescription_id: "0193a8f2-7c1e-7b3a-9d52-4e1f0c6a2b7d".into(),
            signature_sha256: "3f7a9c2e5b8d1f4a6c0e9b2d7f5a3c8e1b4d6f9a2c5e8b1d4f7a0c3e6b9d2f5a"
                .into(),
            platform: "platform.meddesk.example".into(),
        },
    };
    if long {
        slip.institution = "某某省某某市第一人民医院互联网医院（儿童医学中心分院）".into();
        slip.department = "小儿呼吸与过敏反应专病门诊".into();
        slip.clinical_diagnosis =
            "原发性高血压 2级（高危）；2型糖尿病伴周围神经病变；高脂血症；慢性稳定型心绞痛".into();
    }
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    let cjk = std::fs::read(assets.join("fonts/DroidSansFallbackFull.ttf"))?;
    let latin = std::fs::read(assets.join("fonts/Roboto-Regular.ttf"))?;
    let bytes = pdf(
        &slip,
        &PdfFonts {
            cjk: &cjk,
            latin: &latin,
        },
    )?;
    std::fs::write(out, bytes)?;
    println!("wrote {out}");
    Ok(())
}
