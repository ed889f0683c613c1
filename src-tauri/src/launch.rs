//! How the desktop app is started: which profile, where the assets are.
//!
//! `meddesk-desktop [--demo] [--data-dir DIR] [--assets DIR]`; the same settings can come
//! from `MEDDESK_DATA_DIR` and `MEDDESK_ASSETS` (used by the test harness so that tests
//! never touch the user's real profile).

use std::path::PathBuf;

use meddesk_workstation::{Profile, ProfileKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchOptions {
    pub demo: bool,
    pub data_dir: Option<PathBuf>,
    pub assets: PathBuf,
}

impl LaunchOptions {
    pub fn from_env_and_args(args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut options = Self {
            demo: false,
            data_dir: std::env::var_os("MEDDESK_DATA_DIR").map(PathBuf::from),
            assets: std::env::var_os("MEDDESK_ASSETS")
                .map(PathBuf::from)
                .unwrap_or_else(default_assets),
        };
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--demo" => options.demo = true,
                "--data-dir" => {
                    options.data_dir = Some(args.next().ok_or("--data-dir needs a folder")?.into());
                }
                "--assets" => {
                    options.assets = args.next().ok_or("--assets needs a folder")?.into();
                }
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        Ok(options)
    }

    pub fn profile(&self) -> Profile {
        let kind = if self.demo {
            ProfileKind::Demo
        } else {
            ProfileKind::Clinic
        };
        let data_dir = self.data_dir.clone().unwrap_or_else(|| {
            let base = directories::ProjectDirs::from("", "", "MedDesk")
                .map(|d| d.data_dir().to_path_buf())
                .unwrap_or_else(|| PathBuf::from(".meddesk"));
            if self.demo { base.join("demo") } else { base }
        });
        Profile {
            kind,
            data_dir,
            assets_dir: self.assets.clone(),
        }
    }
}

/// Next to the executable in an install (`../share/meddesk/assets`), else `./assets` in a
/// checkout.
fn default_assets() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("../share/meddesk/assets")))
        .filter(|p| p.is_dir())
        .unwrap_or_else(|| PathBuf::from("assets"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<LaunchOptions, String> {
        LaunchOptions::from_env_and_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_parse_and_unknown_ones_are_named() {
        let o = parse(&["--demo", "--data-dir", "/tmp/x", "--assets", "/a"]).expect("parses");
        assert!(o.demo);
        assert_eq!(o.data_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(o.profile().data_dir, PathBuf::from("/tmp/x"));
        let err = parse(&["--verbose"]).unwrap_err();
        assert!(err.contains("--verbose"));
        assert!(parse(&["--data-dir"]).is_err());
    }
}
