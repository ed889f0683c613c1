//! Installs what MedDesk needs and the machine lacks: Debian packages (as root via apt-get,
//! otherwise prints the exact command), the UI's npm packages, tauri-driver.

use std::path::Path;
use std::process::Command;

use crate::steps::{repo_root, sh};

/// Build: WebKitGTK 4.1 and friends. Test: Xvfb, the WebKit WebDriver, Chromium, a D-Bus
/// session and Secret Service for keychain tests, PostgreSQL for the platform server, poppler
/// to read exported PDFs back.
const BUILD_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "libdbus-1-dev",
    "libwebkit2gtk-4.1-dev",
    "librsvg2-dev",
];
/// The window is zh-CN first: a Debian machine without a desktop has no CJK font, and the
/// webview would draw every Chinese character as a box.
const RUN_PACKAGES: &[&str] = &["xvfb", "xauth", "fonts-wqy-microhei"];
const TEST_PACKAGES: &[&str] = &[
    "webkit2gtk-driver",
    "chromium",
    "dbus-daemon",
    "gnome-keyring",
    "libsecret-tools",
    "postgresql",
    // pdftotext/pdfinfo read the guidance PDFs back in meddesk-guidance's tests (R-GUIDE-1).
    "poppler-utils",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Run,
    All,
}

pub fn ensure(need: Need) -> Result<(), String> {
    system_packages(need)?;
    npm_packages()?;
    if need == Need::All {
        tauri_driver()?;
    }
    Ok(())
}

fn system_packages(need: Need) -> Result<(), String> {
    if cfg!(target_os = "macos") || cfg!(windows) {
        // WebView2 / WKWebView ship with the OS; see README for the toolchain notes.
        return Ok(());
    }
    if !Path::new("/usr/bin/dpkg").exists() {
        eprintln!(
            "xtask: not a Debian-family system; install the equivalents of: {} {} {}",
            BUILD_PACKAGES.join(" "),
            RUN_PACKAGES.join(" "),
            TEST_PACKAGES.join(" ")
        );
        return Ok(());
    }
    let mut wanted: Vec<&str> = BUILD_PACKAGES.iter().chain(RUN_PACKAGES).copied().collect();
    if need == Need::All {
        wanted.extend(TEST_PACKAGES);
    }
    let missing: Vec<&str> = wanted.into_iter().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() {
        return Err(format!(
            "missing system packages; install them with:\n  sudo apt-get update && sudo apt-get install -y {list}"
        ));
    }
    eprintln!("xtask: installing system packages: {list}");
    sh(Command::new("apt-get").args(["update", "-qq"]))?;
    sh(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `npm install` (never `npm ci`: the registry here does not serve other platforms'
/// optional packages, so a lock check would fail) when node_modules is missing or older
/// than the manifest or the lock file.
fn npm_packages() -> Result<(), String> {
    let ui = repo_root().join("ui");
    let stamp = ui.join("node_modules/.package-lock.json");
    let stale = match std::fs::metadata(&stamp).and_then(|m| m.modified()) {
        Err(_) => true,
        Ok(installed_at) => ["package.json", "package-lock.json"].iter().any(|f| {
            std::fs::metadata(ui.join(f))
                .and_then(|m| m.modified())
                .map(|t| t > installed_at)
                .unwrap_or(false)
        }),
    };
    if stale {
        eprintln!("xtask: installing the UI's npm packages");
        sh(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .current_dir(&ui))?;
    }
    Ok(())
}

fn tauri_driver() -> Result<(), String> {
    let found = Command::new("tauri-driver").arg("--help").output().is_ok();
    if found {
        return Ok(());
    }
    eprintln!("xtask: installing tauri-driver 2.x from crates.io");
    // Pinned major: crates.io's newest is a 3.0 alpha.
    sh(Command::new("cargo").args(["install", "tauri-driver", "--version", "^2", "--locked"]))
}
