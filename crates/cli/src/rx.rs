//! `meddesk rx check [FILE|-]`: the batch prescription check (issue 4). JSON Lines in, one
//! JSON line out per request in the same order; a malformed line gets an error line naming
//! the field and the batch goes on. Exit status 1 when any line was an error.
//!
//! Fast by construction: the pack is loaded and indexed once and IO is buffered. Error
//! messages name fields, never values (they may be patient data).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use meddesk_clinical::check::check;
use meddesk_clinical::check::request::{CheckError, CheckErrorLine, CheckRequest};
use meddesk_formulary::Pack;

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
            let stdout = std::io::stdout();
            let out = BufWriter::with_capacity(1 << 16, stdout.lock());
            let summary = match input.as_deref() {
                None => batch(&pack, std::io::stdin().lock(), out),
                Some(p) if p == Path::new("-") => batch(&pack, std::io::stdin().lock(), out),
                Some(p) => {
                    let f = std::fs::File::open(p)
                        .map_err(|e| format!("input_unreadable: {}: {e}", p.display()))?;
                    batch(&pack, BufReader::with_capacity(1 << 16, f), out)
                }
            }
            .map_err(|e| format!("io_error: {e}"))?;
            if summary.errors > 0 {
                Err(format!(
                    "{} of {} line(s) could not be checked (see the error lines)",
                    summary.errors,
                    summary.errors + summary.answered
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// Counts of one batch run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchSummary {
    pub answered: u64,
    pub errors: u64,
}

/// Check every line of `input` against `pack`, one result line each to `out`, same order.
/// Blank lines are skipped (they are not requests). This is the JSON Lines contract that
/// `crate::batch` also implements for triage; it lives here too so `rx check` does not
/// depend on that module while it does not build (see the report of issue 4).
pub fn batch(
    pack: &Pack,
    mut input: impl BufRead,
    mut out: impl Write,
) -> std::io::Result<BatchSummary> {
    let mut summary = BatchSummary::default();
    let mut line = String::new();
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        buf.clear();
        match parse_request(text) {
            Ok(req) => {
                serde_json::to_writer(&mut buf, &check(pack, &req))
                    .map_err(std::io::Error::other)?;
                summary.answered += 1;
            }
            Err(err) => {
                serde_json::to_writer(&mut buf, &err).map_err(std::io::Error::other)?;
                summary.errors += 1;
            }
        }
        buf.push(b'\n');
        out.write_all(&buf)?;
    }
    out.flush()?;
    Ok(summary)
}

/// Parse one request line; on failure the error line, which names the field by its path
/// (`patient.allergys`) and never echoes the offending value (it may be patient data).
pub fn parse_request(text: &str) -> Result<CheckRequest, CheckErrorLine> {
    let mut de = serde_json::Deserializer::from_str(text);
    let id = || {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| match v.get("id") {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
    };
    let err = match serde_path_to_error::deserialize::<_, CheckRequest>(&mut de) {
        Ok(req) => match de.end() {
            Ok(()) => return Ok(req),
            Err(e) => {
                return Err(CheckErrorLine {
                    id: Some(req.id),
                    error: CheckError {
                        code: "invalid_json".into(),
                        message: format!(
                            "trailing characters after the request ({})",
                            position(&e)
                        ),
                    },
                });
            }
        },
        Err(e) => e,
    };
    let path = err.path().to_string();
    let inner = err.into_inner();
    let (code, what) = if inner.is_syntax() || inner.is_eof() {
        (
            "invalid_json",
            format!("the line is not valid JSON ({})", position(&inner)),
        )
    } else {
        ("invalid_request", describe(&inner))
    };
    let message = if path.is_empty() || path == "." || inner.is_syntax() {
        what
    } else {
        format!("field `{path}`: {what}")
    };
    Err(CheckErrorLine {
        id: id(),
        error: CheckError {
            code: code.into(),
            message,
        },
    })
}

fn position(e: &serde_json::Error) -> String {
    format!("line {} column {}", e.line(), e.column())
}

/// serde's message without the offending value: `invalid type: string "…", expected f64`
/// becomes `invalid type, expected f64`; an unknown enum value is not repeated either.
fn describe(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let msg = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => full.as_str(),
    };
    let expected = msg.find(", expected ").map(|i| &msg[i + 2..]);
    for (prefix, label) in [
        ("invalid type", "invalid type"),
        ("invalid value", "invalid value"),
        ("unknown variant", "unknown value"),
        ("invalid length", "invalid length"),
    ] {
        if msg.starts_with(prefix) {
            return match expected {
                Some(x) => format!("{label}, {x}"),
                None => label.to_owned(),
            };
        }
    }
    // Unknown, missing and duplicate field messages name only field names.
    msg.to_owned()
}
