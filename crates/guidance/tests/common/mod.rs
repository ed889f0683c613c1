//! Shared test fixtures: the SHIPPED knowledge pack, fonts and demonstration media, read from
//! the repository's `assets/` (tests do the IO the crate never does).
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use meddesk_formulary::Pack;
use meddesk_guidance::{
    GuidanceLanguage, GuidanceLine, GuidanceSheet, MediaPage, PdfFonts, SheetHeader, build_sheet,
    drawing_files, parse_demonstration,
};
use serde::Deserialize;

pub fn assets() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets")
}

pub fn pack() -> &'static Pack {
    static PACK: OnceLock<Pack> = OnceLock::new();
    PACK.get_or_init(|| {
        meddesk_formulary::load_dir(&assets().join("formulary")).expect("the shipped pack loads")
    })
}

pub struct Fonts {
    pub cjk: Vec<u8>,
    pub latin: Vec<u8>,
}

impl Fonts {
    pub fn get(&self) -> PdfFonts<'_> {
        PdfFonts {
            cjk: &self.cjk,
            latin: &self.latin,
        }
    }
}

pub fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts {
        cjk: std::fs::read(assets().join("fonts/DroidSansFallbackFull.ttf")).unwrap(),
        latin: std::fs::read(assets().join("fonts/Roboto-Regular.ttf")).unwrap(),
    })
}

/// Every demonstration shipped under `assets/guidance/`.
pub fn media() -> Vec<MediaPage> {
    let dir = assets().join("guidance");
    let mut pages = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    for folder in entries {
        let id = folder.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(folder.join("steps.toml")).unwrap();
        let demonstration = parse_demonstration(&id, &text).unwrap();
        let mut drawings = BTreeMap::new();
        for f in drawing_files(&demonstration) {
            drawings.insert(
                f.to_owned(),
                std::fs::read_to_string(folder.join(f)).unwrap(),
            );
        }
        pages.push(MediaPage {
            demonstration,
            drawings,
        });
    }
    pages
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub language: GuidanceLanguage,
    pub header: SheetHeader,
    pub lines: Vec<GuidanceLine>,
}

pub fn fixture(name: &str) -> Fixture {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

pub fn sheet(name: &str) -> GuidanceSheet {
    let f = fixture(name);
    build_sheet(pack(), &f.lines, f.language, &f.header).unwrap()
}
