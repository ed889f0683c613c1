//! The steps behind `run`, `test`, `bindings` and `measure`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use crate::prereq::{self, Need};

pub fn repo_root() -> PathBuf {
    // xtask/ sits at the root of the workspace.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Run a command to completion; a failure names the command.
pub fn sh(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(repo_root());
    c
}

fn npm(args: &[&str]) -> Command {
    let mut c = Command::new("npm");
    c.args(args).current_dir(repo_root().join("ui"));
    c
}

fn build_ui() -> Result<(), String> {
    sh(&mut npm(&["run", "--silent", "build"]))
}

/// Builds the desktop app (its UI is embedded from ui/dist at compile time).
fn build_desktop(extra: &[&str]) -> Result<(), String> {
    sh(cargo()
        .args(["build", "-p", "meddesk-desktop", "-p", "meddesk-cli"])
        .args(extra))
}

fn has_display() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// Wrap a command in `xvfb-run` when there is no display (CI, a headless server).
fn with_display(program: &str, args: &[String]) -> Command {
    if has_display() || cfg!(not(target_os = "linux")) {
        let mut c = Command::new(program);
        c.args(args);
        c
    } else {
        let mut c = Command::new("xvfb-run");
        c.args(["-a", "-s", "-screen 0 1280x800x24", program])
            .args(args);
        c
    }
}

// ---------------------------------------------------------------------------------------
// cargo xtask run
// ---------------------------------------------------------------------------------------

pub fn run_app(args: &[String]) -> Result<(), String> {
    prereq::ensure(Need::Run)?;
    build_ui()?;
    build_desktop(&[])?;
    let root = repo_root();
    let app = root.join("target/debug/meddesk-desktop");
    let mut app_args = vec![
        "--demo".to_owned(),
        "--assets".to_owned(),
        root.join("assets").display().to_string(),
    ];
    app_args.extend(args.iter().cloned());
    if !has_display() {
        eprintln!(
            "xtask: no display found; MedDesk runs under a virtual X server (Xvfb). \
             Run this from a desktop session to see the window."
        );
    }
    eprintln!("xtask: opening MedDesk (demo profile)");
    sh(&mut with_display(&app.display().to_string(), &app_args))
}

// ---------------------------------------------------------------------------------------
// cargo xtask test
// ---------------------------------------------------------------------------------------

struct Outcome {
    name: &'static str,
    secs: f64,
    ok: bool,
}

pub fn test_all(args: &[String]) -> Result<(), String> {
    let keep_going = args.iter().any(|a| a == "--keep-going");
    let started = Instant::now();
    let root = repo_root();
    let mut outcomes: Vec<Outcome> = Vec::new();

    let mut step =
        |name: &'static str, f: &mut dyn FnMut() -> Result<(), String>| -> Result<(), String> {
            eprintln!("\n━━ {name}");
            let t0 = Instant::now();
            let result = f();
            let secs = t0.elapsed().as_secs_f64();
            if let Err(e) = &result {
                eprintln!("✗ {name}: {e}");
            }
            outcomes.push(Outcome {
                name,
                secs,
                ok: result.is_ok(),
            });
            if result.is_err() && !keep_going {
                return Err(format!("step `{name}` failed"));
            }
            Ok(())
        };

    let real_profile = RealProfileGuard::capture();
    let isolated = isolate_environment(&root)?;

    let result = (|| -> Result<(), String> {
        step("prerequisites", &mut || prereq::ensure(Need::All))?;
        step("PostgreSQL for the platform tests", &mut postgres_available)?;
        step("ui build", &mut build_ui)?;
        step("cargo fmt --check", &mut || {
            sh(cargo().args(["fmt", "--all", "--check"]))
        })?;
        step(
            "crates/ free of Tauri and WebKit",
            &mut core_crates_without_webview,
        )?;
        step("clippy -D warnings", &mut || {
            sh(cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ]))
        })?;
        // One build of every target (bins, tests, the hello-world baseline) with the same
        // feature set the test run uses, so nothing is compiled twice.
        step("build workspace (all targets)", &mut || {
            sh(cargo().args(["build", "--workspace", "--all-targets", "--locked"]))
        })?;
        step("rust tests (incl. bindings staleness)", &mut || {
            if Command::new("cargo-nextest")
                .arg("--version")
                .output()
                .is_ok()
            {
                sh(cargo().args([
                    "nextest",
                    "run",
                    "--workspace",
                    "--locked",
                    "--no-fail-fast",
                ]))?;
                // nextest does not run doctests.
                sh(cargo().args(["test", "--workspace", "--doc", "--locked"]))
            } else {
                sh(cargo().args(["test", "--workspace", "--locked"]))
            }
        })?;
        step("tsc --noEmit", &mut || {
            sh(&mut npm(&["run", "--silent", "typecheck"]))
        })?;
        step("eslint", &mut || sh(&mut npm(&["run", "--silent", "lint"])))?;
        step("vitest", &mut || sh(&mut npm(&["run", "--silent", "test"])))?;
        step("playwright e2e (meddesk serve + Chromium)", &mut || {
            sh(npm(&["run", "--silent", "e2e"])
                .env("MEDDESK_BIN", root.join("target/debug/meddesk")))
        })?;
        step("desktop smoke (Xvfb + tauri-driver)", &mut || {
            let app = root
                .join("target/debug/meddesk-desktop")
                .display()
                .to_string();
            sh(
                with_display("node", &["tests/desktop/smoke.mjs".to_owned(), app])
                    .current_dir(&root),
            )
        })?;
        step("tests kept off the real profile", &mut || {
            real_profile.assert_untouched()
        })?;
        Ok(())
    })();
    drop(isolated);

    eprintln!("\n━━ summary ({:.0} s)", started.elapsed().as_secs_f64());
    for o in &outcomes {
        eprintln!(
            "{} {:<45} {:>7.1} s",
            if o.ok { "✓" } else { "✗" },
            o.name,
            o.secs
        );
    }
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    result?;
    if failed > 0 {
        return Err(format!("{failed} step(s) failed"));
    }
    eprintln!("all {} steps passed", outcomes.len());
    Ok(())
}

/// The platform's tests start throw-away PostgreSQL clusters
/// (crates/platform/tests/support/postgres.rs): fail early, naming the package, when the
/// server binaries are missing rather than deep inside the test run.
fn postgres_available() -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    let found = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            let bin = e.path().join("bin");
            bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()
        });
    if found {
        Ok(())
    } else {
        Err("PostgreSQL server binaries (initdb, pg_ctl under /usr/lib/postgresql/*/bin) are missing: install the Debian package `postgresql`".into())
    }
}

/// No crate under `crates/` may depend on Tauri or WebKitGTK (ARCHITECTURE.md invariant):
/// their tests must build on a machine without a webview.
fn core_crates_without_webview() -> Result<(), String> {
    let crates_dir = repo_root().join("crates");
    let mut packages = Vec::new();
    for entry in std::fs::read_dir(&crates_dir).map_err(|e| format!("cannot list crates/: {e}"))? {
        let name = entry.map_err(|e| e.to_string())?.file_name();
        packages.push(format!("meddesk-{}", name.to_string_lossy()));
    }
    packages.sort();
    let mut cmd = cargo();
    cmd.args([
        "tree",
        "--locked",
        "-e",
        "normal,build,dev",
        "--prefix",
        "none",
    ]);
    for p in &packages {
        cmd.args(["-p", p]);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let tree = String::from_utf8_lossy(&out.stdout);
    let offending: Vec<&str> = tree
        .lines()
        .filter(|l| l.starts_with("tauri") || l.starts_with("webkit2gtk") || l.starts_with("wry "))
        .collect();
    if !offending.is_empty() {
        return Err(format!(
            "crates/ depend on the webview: {}",
            offending.join(", ")
        ));
    }
    eprintln!(
        "{} crates checked: no tauri, wry or webkit2gtk in their dependency trees",
        packages.len()
    );
    Ok(())
}

/// Points every per-user location the code under test could write to (data, config, cache,
/// the D-Bus session that reaches the keychain) at a throw-away folder.
struct Isolation {
    dir: PathBuf,
}

impl Drop for Isolation {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn isolate_environment(root: &Path) -> Result<Isolation, String> {
    let dir = root.join("target/test-home");
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["data", "config", "cache", "runtime"] {
        std::fs::create_dir_all(dir.join(sub))
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    // SAFETY-free: xtask is single-threaded here; children inherit these.
    set_env("XDG_DATA_HOME", dir.join("data"));
    set_env("XDG_CONFIG_HOME", dir.join("config"));
    set_env("XDG_CACHE_HOME", dir.join("cache"));
    // No test may reach the user's keychain: the session bus address points nowhere, so
    // anything that tried would fail loudly instead of touching real secrets.
    set_env(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/meddesk-test-bus",
    );
    set_env("MEDDESK_TEST_ISOLATED", "1");
    Ok(Isolation { dir })
}

fn set_env(key: &str, value: impl AsRef<std::ffi::OsStr>) {
    #[allow(unsafe_code)]
    // SAFETY: called before any thread is spawned by xtask; only children read these.
    unsafe {
        std::env::set_var(key, value);
    }
}

/// The user's real MedDesk folders, captured before the tests run: whether they exist and
/// the newest modification time inside. The tests must leave them exactly as they were.
struct RealProfileGuard {
    dirs: Vec<(PathBuf, Option<SystemTime>)>,
}

impl RealProfileGuard {
    fn capture() -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let data = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".local/share"));
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".config"));
        let dirs = [
            // `directories` lower-cases the application name on Linux.
            data.join("meddesk"),
            config.join("meddesk"),
            data.join("MedDesk"),
            data.join("org.meddesk.workstation"),
        ]
        .into_iter()
        .map(|d| {
            let stamp = newest_mtime(&d);
            (d, stamp)
        })
        .collect();
        Self { dirs }
    }

    fn assert_untouched(&self) -> Result<(), String> {
        for (dir, before) in &self.dirs {
            let after = newest_mtime(dir);
            if after != *before {
                return Err(format!(
                    "a test wrote to the real profile folder {} (before: {before:?}, after: {after:?})",
                    dir.display()
                ));
            }
        }
        eprintln!(
            "real profile folders untouched: {}",
            self.dirs
                .iter()
                .map(|(d, _)| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(())
    }
}

fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let mut newest = meta.modified().ok()?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).ok()?.flatten() {
            if let Some(t) = newest_mtime(&entry.path()) {
                newest = newest.max(t);
            }
        }
    }
    Some(newest)
}

// ---------------------------------------------------------------------------------------
// cargo xtask bindings / measure
// ---------------------------------------------------------------------------------------

pub fn bindings() -> Result<(), String> {
    sh(cargo()
        .args([
            "test",
            "-q",
            "-p",
            "meddesk-workstation",
            "--test",
            "api",
            "generated_typescript_bindings_are_up_to_date",
        ])
        .env("MEDDESK_UPDATE_BINDINGS", "1"))?;
    eprintln!("xtask: wrote ui/src/backend/bindings.ts");
    Ok(())
}

pub fn measure(args: &[String]) -> Result<(), String> {
    let release = args.iter().any(|a| a == "--release");
    let rounds = args
        .iter()
        .find_map(|a| a.strip_prefix("--rounds="))
        .unwrap_or("5")
        .to_owned();
    prereq::ensure(Need::All)?;
    build_ui()?;
    let profile = if release { "release" } else { "debug" };
    let mut extra = vec!["-p", "hello-tauri"];
    if release {
        extra.push("--release");
    }
    build_desktop(&extra)?;
    let root = repo_root();
    let bin = |name: &str| {
        root.join("target")
            .join(profile)
            .join(name)
            .display()
            .to_string()
    };
    sh(with_display(
        "node",
        &[
            "tests/desktop/measure.mjs".to_owned(),
            bin("meddesk-desktop"),
            bin("hello-tauri"),
            rounds,
        ],
    )
    .current_dir(&root))
}
