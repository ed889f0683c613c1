//! MedDesk's developer commands. The README names exactly two:
//!
//! - `cargo xtask run`  — install what is missing, build, open MedDesk with the demo profile;
//! - `cargo xtask test` — install what is missing, run every check CI runs.
//!
//! Also: `cargo xtask bindings` (regenerate the TypeScript bindings), `cargo xtask measure`
//! (desktop start-up and idle memory against a hello-world Tauri window).
//!
//! Std only, so it compiles before any system package is installed.

mod prereq;
mod steps;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => steps::run_app(&args[1..]),
        Some("test") => steps::test_all(&args[1..]),
        Some("bindings") => steps::bindings(),
        Some("measure") => steps::measure(&args[1..]),
        Some("prereq") => prereq::ensure(prereq::Need::All),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  \
                 run        build and open MedDesk with the demo profile\n  \
                 test       run every check (what CI runs)\n  \
                 bindings   regenerate ui/src/backend/bindings.ts\n  \
                 measure    desktop start-up and idle memory vs a hello-world Tauri window\n  \
                 prereq     install missing system packages, npm packages and tauri-driver"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
