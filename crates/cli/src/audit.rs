//! `meddesk audit verify`: walk the audit hash chain and report the first broken link
//! (R-SEC-5), then compare it with the last anchor the platform confirmed: a cut tail
//! (`audit_tail_cut`) or a rewrite (`audit_rewritten`) by someone holding the key.

use clap::Subcommand;

use crate::db::{code, open};
use crate::profile_args::ProfileArgs;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the audit trail's hash chain; names the first broken entry.
    Verify,
}

pub fn run(args: &ProfileArgs, command: AuditCommand) -> Result<(), String> {
    match command {
        AuditCommand::Verify => {
            let (_, _, store) = open(args)?;
            let report = store.verify_audit().map_err(code)?;
            // Issue 13 §4: a chain that verifies on its own may still have lost its newest
            // entries or been rewritten; the platform's last confirmed anchor shows that.
            let against =
                meddesk_workstation::sync::anchor::against_last_anchor(&store, chrono::Utc::now())
                    .map_err(code)?;
            match against {
                None => println!(
                    "ok: audit chain of {} entries intact, head {} (never anchored on a platform)",
                    report.entries,
                    hex::encode(report.head)
                ),
                Some((kept, standing)) => {
                    if let Some((problem, message)) = standing.problem() {
                        return Err(format!("{problem}: {message}"));
                    }
                    println!(
                        "ok: audit chain of {} entries intact, head {}; holds the platform's anchor of {} entries ({})",
                        report.entries,
                        hex::encode(report.head),
                        kept.entries,
                        chrono::DateTime::from_timestamp_millis(kept.anchored_at_ms)
                            .map_or_else(String::new, |t| t.to_rfc3339())
                    );
                }
            }
            Ok(())
        }
    }
}
