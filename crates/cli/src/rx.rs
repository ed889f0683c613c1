//! `meddesk rx check [FILE|-]`: the batch prescription check (issue 4). JSON Lines in, one
//! JSON line out per request in the same order; a malformed line gets an error line naming
//! the field and the batch goes on (the shared contract in [`crate::batch`]). Exit status 1
//! when any line was an error.
//!
//! Fast by construction: the pack is loaded and indexed once and IO is buffered.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use meddesk_clinical::check::check;
use meddesk_clinical::check::request::CheckRequest;
use meddesk_formulary::Pack;

use crate::batch::{self, BatchSummary};

#[derive(Debug, Args)]
pub struct RxArgs {
    #[command(subcommand)]
    pub command: RxCommand,
}

#[derive(Debug, Subcommand)]
pub enum RxCommand {
    /// Check prescriptions: JSON Lines from FILE (or `-`/nothing for stdin) to stdout.
    Check {
        /// Input file; `-` or absent reads standard input.
        input: Option<PathBuf>,
        /// The knowledge pack directory (default: <assets>/formulary).
        #[arg(long)]
        pack: Option<PathBuf>,
    },
}

pub fn run(args: RxArgs, assets: &Path) -> Result<(), String> {
    match args.command {
        RxCommand::Check { input, pack } => {
            let dir = pack.unwrap_or_else(|| assets.join("formulary"));
            let pack = meddesk_formulary::load_dir(&dir).map_err(|e| e.to_string())?;
            let input = batch::input(input.as_deref())?;
            check_lines(&pack, input, batch::output())
                .map_err(|e| format!("io_error: {e}"))?
                .into_result()
        }
    }
}

/// Check every line of `input` against `pack`, one result line each to `out`.
pub fn check_lines(
    pack: &Pack,
    input: impl BufRead,
    out: impl Write,
) -> std::io::Result<BatchSummary> {
    batch::run(input, out, |req: CheckRequest| check(pack, &req))
}
