//! Patient medication-guidance sheets (R-GUIDE-1, R-GUIDE-2): a pure builder that turns the
//! knowledge pack and an approved prescription's lines into a [`GuidanceSheet`] (zh-CN or
//! en), the demonstration media index (`assets/guidance/<id>/steps.toml`), and two renderers:
//! a self-contained printable HTML page and a PDF with embedded, subset fonts. The same PDF
//! engine renders the prescription slip (处方笺, R-RX-11): [`slip::pdf`].
//!
//! Must never: do IO (callers pass the pack, the media files and the font bytes), read the
//! clock (the date is an argument), invent clinical text (every fact is the pack's, verbatim,
//! with its source; a medicine without a guidance block says so), or put patient data into
//! an error message.

pub mod error;
pub mod html;
pub mod media;
pub mod pdf;
pub mod sheet;
pub mod slip;
mod words;

pub use error::GuidanceError;
pub use html::render_html;
pub use media::{
    DemoStep, Demonstration, MediaPage, MediaSource, drawing_files, parse_demonstration,
};
pub use pdf::{PdfFonts, missing_glyphs, render_pdf};
pub use sheet::{
    GuidanceLanguage, GuidanceLine, GuidanceSheet, HowToTake, MediaLink, MedicineGuidance,
    PackGuidance, SheetHeader, SheetLabels, SourceNote, build_sheet,
};
pub use slip::{Slip, SlipCode, SlipKind, SlipLine};
