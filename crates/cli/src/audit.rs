//! `meddesk audit verify`: walk the audit hash chain and report the first broken link
//! (R-SEC-5).

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
            println!(
                "ok: audit chain of {} entries intact, head {}",
                report.entries,
                hex::encode(report.head)
            );
            Ok(())
        }
    }
}
