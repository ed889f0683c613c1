//! Render a prescription (JSON: `{"language", "header", "lines"}`, as in `tests/fixtures/`)
//! against the shipped pack to `<out>.html` and `<out>.pdf`, to look at the result:
//! `cargo run -p meddesk-guidance --example render -- crates/guidance/tests/fixtures/diabetes_hypertension.zh.json /tmp/sheet`

use std::collections::BTreeMap;
use std::path::Path;

use meddesk_guidance::{
    GuidanceLanguage, GuidanceLine, MediaPage, PdfFonts, SheetHeader, build_sheet, drawing_files,
    parse_demonstration, render_html, render_pdf,
};

#[derive(serde::Deserialize)]
struct Request {
    language: GuidanceLanguage,
    header: SheetHeader,
    lines: Vec<GuidanceLine>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (input, out) = match args.as_slice() {
        [_, input, out] => (input, out),
        _ => return Err("usage: render <prescription.json> <output prefix>".into()),
    };
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    let pack = meddesk_formulary::load_dir(&assets.join("formulary"))?;
    let req: Request = serde_json::from_str(&std::fs::read_to_string(input)?)?;
    let sheet = build_sheet(&pack, &req.lines, req.language, &req.header)?;
    let mut media = Vec::new();
    for id in ["insulin-pen", "inhaler"] {
        let dir = assets.join("guidance").join(id);
        let demonstration =
            parse_demonstration(id, &std::fs::read_to_string(dir.join("steps.toml"))?)?;
        let mut drawings = BTreeMap::new();
        for f in drawing_files(&demonstration) {
            drawings.insert(f.to_owned(), std::fs::read_to_string(dir.join(f))?);
        }
        media.push(MediaPage {
            demonstration,
            drawings,
        });
    }
    let cjk = std::fs::read(assets.join("fonts/DroidSansFallbackFull.ttf"))?;
    let latin = std::fs::read(assets.join("fonts/Roboto-Regular.ttf"))?;
    std::fs::write(format!("{out}.html"), render_html(&sheet, &media))?;
    let pdf = render_pdf(
        &sheet,
        &media,
        &PdfFonts {
            cjk: &cjk,
            latin: &latin,
        },
    )?;
    std::fs::write(format!("{out}.pdf"), pdf)?;
    println!("wrote {out}.html and {out}.pdf");
    Ok(())
}
