//! A profile: one folder of MedDesk data on this machine, and whether it is the demo.

use std::path::PathBuf;

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// Synthetic, clearly fake patients: what a new user sees first.
    Demo,
    /// A clinic's real profile.
    Clinic,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub kind: ProfileKind,
    /// Where this profile keeps its files (the encrypted cache, backups, settings).
    pub data_dir: PathBuf,
    /// The shipped assets: knowledge pack, triage rules, demo data, guidance media.
    pub assets_dir: PathBuf,
}
