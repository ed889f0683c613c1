//! The drug knowledge pack: its schema, the loader and validator for `assets/formulary/`,
//! and name search (English, Chinese, pinyin, synonyms).
//!
//! Must never: do IO beyond reading the pack files it is pointed at, read the clock, or hold
//! a clinical fact without its source. Facts come from the pack data, never from code.

pub mod amount;
pub mod error;
pub mod index;
pub mod pack;
pub mod provenance;
pub mod schema;

pub use amount::{Amount, Dimension, Measure, Unit};
pub use error::{FormularyError, Issue};
pub use index::{Hit, NameIndex, NameKind, Target};
pub use pack::{Pack, PackFile, Ref, load_dir};
pub use provenance::CitationStats;
pub use schema::Contraindications;
