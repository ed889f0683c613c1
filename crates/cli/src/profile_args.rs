//! Which profile a command works on: `--data-dir`, `--demo`, `--assets`.

use std::path::PathBuf;

use clap::Args;
use meddesk_workstation::{Profile, ProfileKind};

#[derive(Debug, Clone, Args)]
pub struct ProfileArgs {
    /// The profile folder (default: the OS data directory, e.g. ~/.local/share/MedDesk).
    #[arg(long, global = true, env = "MEDDESK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Open the demo profile: synthetic, clearly fake patients.
    #[arg(long, global = true)]
    pub demo: bool,

    /// The shipped assets (knowledge pack, triage rules, demo data).
    #[arg(long, global = true, env = "MEDDESK_ASSETS", default_value = "assets")]
    pub assets: PathBuf,

    /// Where `db init` keeps the database key: the OS keychain, a passphrase-wrapped file
    /// (passphrase from MEDDESK_PASSPHRASE), or auto (keychain; if it is unavailable and a
    /// passphrase is set, the wrapped file, with a warning). Opening always uses the source
    /// the profile was created with.
    #[arg(long, global = true, env = "MEDDESK_KEY_SOURCE", value_enum, default_value_t = KeySourceArg::Auto)]
    pub key_source: KeySourceArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeySourceArg {
    Auto,
    Keychain,
    Passphrase,
}

impl From<KeySourceArg> for meddesk_store::KeyPreference {
    fn from(a: KeySourceArg) -> Self {
        match a {
            KeySourceArg::Auto => Self::Auto,
            KeySourceArg::Keychain => Self::Keychain,
            KeySourceArg::Passphrase => Self::PassphraseFile,
        }
    }
}

impl ProfileArgs {
    pub fn profile(&self) -> Result<Profile, String> {
        let kind = if self.demo {
            ProfileKind::Demo
        } else {
            ProfileKind::Clinic
        };
        let data_dir = match &self.data_dir {
            Some(dir) => dir.clone(),
            None => {
                let dirs = directories::ProjectDirs::from("", "", "MedDesk")
                    .ok_or("no home directory: pass --data-dir")?;
                let base = dirs.data_dir().to_path_buf();
                match kind {
                    ProfileKind::Demo => base.join("demo"),
                    ProfileKind::Clinic => base,
                }
            }
        };
        Ok(Profile {
            kind,
            data_dir,
            assets_dir: self.assets.clone(),
        })
    }
}
