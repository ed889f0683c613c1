//! The drug knowledge pack: its schema, the loader and validator for `assets/formulary/`,
//! and name search (English, Chinese, pinyin, synonyms).
//!
//! Must never: do IO beyond reading the pack files it is pointed at, read the clock, or hold
//! a clinical fact without its source. Facts come from the pack data, never from code.
