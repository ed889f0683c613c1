//! `meddesk rx check [FILE|-]`: the batch prescription check (issue 4). JSON Lines in, one
//! JSON line out per request in the same order; a malformed line gets an error line naming
//! the field and the batch goes on (the shared contract in [`crate::batch`]). Exit status 1
//! when any line was an error.
//!
//! Fast by construction: the pack is loaded and indexed once and IO is buffered.
//!
//! `meddesk rx export <ID | --all> --out DIR` writes each electronically signed
//! prescription of the profile as its signed document (`<id>.json`) with the platform's
//! trust bundle (`trust.json`); `meddesk rx verify FILE…` checks every signature,
//! certificate and timestamp offline (R-RX-10) and exits non-zero naming what failed.

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
    /// Verify signed prescriptions offline: every signature, certificate and timestamp.
    Verify {
        /// Signed prescription documents (`meddesk rx export` writes them).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The platform's trust bundle (`GET /v1/trust`); default: `trust.json` beside
        /// each file, as `rx export` writes it.
        #[arg(long)]
        trust: Option<PathBuf>,
        /// Also require the platform's timestamp on every signature.
        #[arg(long)]
        require_timestamp: bool,
    },
    /// Export the profile's electronically signed prescriptions as signed documents.
    Export {
        /// One prescription id (or use --all).
        id: Option<String>,
        /// Every signed prescription of the profile.
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// The folder to write `<id>.json`, `<id>.pdf` (the 处方笺) and `trust.json` to.
        #[arg(long)]
        out: PathBuf,
        /// The institution printed on the 处方笺.
        #[arg(long, default_value = meddesk_workstation::slip::DEFAULT_INSTITUTION)]
        institution: String,
    },
}

pub fn run(args: RxArgs, profile: &crate::profile_args::ProfileArgs) -> Result<(), String> {
    let assets = profile.assets.as_path();
    match args.command {
        RxCommand::Verify {
            files,
            trust,
            require_timestamp,
        } => verify_files(&files, trust.as_deref(), require_timestamp),
        RxCommand::Export {
            id,
            all,
            out,
            institution,
        } => export(profile, id.as_deref(), all, &out, &institution),
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

/// A signed document larger than this is not a prescription (a hostile or corrupted file).
const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("unreadable: {}: {e}", path.display()))?;
    if meta.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "too_large: {} is {} bytes; a {what} is at most {MAX_DOCUMENT_BYTES}",
            path.display(),
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("unreadable: {}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "malformed: {} is not a {what} (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// Verify each file; print one line per file; fail when any does not verify. One verifier
/// per trust bundle: a certificate met in many documents is checked once.
pub fn verify_files(
    files: &[PathBuf],
    trust: Option<&Path>,
    require_timestamp: bool,
) -> Result<(), String> {
    let mut verifiers: std::collections::HashMap<PathBuf, Loaded> = Default::default();
    let mut failed = 0usize;
    for file in files {
        let trust_path = match trust {
            Some(path) => path.to_path_buf(),
            None => file.parent().unwrap_or(Path::new(".")).join("trust.json"),
        };
        let outcome = match verifiers.entry(trust_path.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(e) => {
                load_trust(&trust_path, trust.is_some(), require_timestamp).map(|l| e.insert(l))
            }
        }
        .and_then(|loaded| verify_one(file, loaded));
        match outcome {
            Ok(line) => println!("ok {}: {line}", file.display()),
            Err(e) => {
                failed += 1;
                println!("FAIL {}: {e}", file.display());
            }
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(format!(
            "verification_failed: {failed} of {} document(s) did not verify",
            files.len()
        ))
    }
}

/// A trust bundle and the verifier made from it.
struct Loaded {
    bundle: meddesk_signature::TrustBundle,
    verifier: meddesk_signature::Verifier,
}

fn load_trust(path: &Path, given: bool, require_timestamp: bool) -> Result<Loaded, String> {
    if !given && !path.is_file() {
        return Err(format!(
            "trust_missing: no --trust given and no {} beside the document",
            path.display()
        ));
    }
    let bundle: meddesk_signature::TrustBundle = read_json(path, "trust bundle")?;
    let verifier = meddesk_signature::Verifier::new(bundle.trust(require_timestamp))
        .map_err(|e| format!("{}: {e}", e.code()))?;
    Ok(Loaded { bundle, verifier })
}

fn verify_one(file: &Path, loaded: &Loaded) -> Result<String, String> {
    let mut doc: meddesk_signature::SignedPrescription = read_json(file, "signed prescription")?;
    loaded.bundle.complete(&mut doc);
    let v = loaded
        .verifier
        .verify(&doc)
        .map_err(|e| format!("{}: {e}", e.code()))?;
    let at = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let mut line = format!(
        "prescription {} signed by {} at {}",
        v.prescription_id,
        v.physician.user_id,
        at(v.physician.timestamp_ms.unwrap_or(v.physician.signed_at_ms))
    );
    if let Some(r) = &v.review {
        line.push_str(&format!(
            "; {} by {} at {}",
            match r.decision {
                meddesk_signature::Decision::Approve => "approved",
                meddesk_signature::Decision::Reject => "rejected",
            },
            r.pharmacist.user_id,
            at(r.pharmacist
                .timestamp_ms
                .unwrap_or(r.pharmacist.signed_at_ms))
        ));
    } else {
        line.push_str("; not reviewed");
    }
    Ok(line)
}

/// Write the profile's signed prescription documents and the platform's trust bundle.
fn export(
    profile: &crate::profile_args::ProfileArgs,
    id: Option<&str>,
    all: bool,
    out: &Path,
    institution: &str,
) -> Result<(), String> {
    if id.is_none() && !all {
        return Err("invalid_request: name a prescription id or pass --all".into());
    }
    let (_, _, store) = crate::db::open_or_demo(profile)?;
    let knowledge = meddesk_workstation::knowledge::Knowledge::load(&profile.assets)
        .map_err(|e| format!("{}: {}", e.code_str(), e.message))?;
    let now = chrono::Utc::now();
    let actor = meddesk_store::Actor::new("meddesk-cli");
    let docs = store
        .read(&actor, now, |r| {
            meddesk_store::tables::workflow_documents::signed_documents(r)
        })
        .map_err(crate::db::code)?;
    let chosen: Vec<&(String, String)> = docs
        .iter()
        .filter(|(rx, _)| id.is_none_or(|want| want == rx))
        .collect();
    if chosen.is_empty() {
        return Err(match id {
            Some(_) => "not_found: no electronically signed prescription with that id".into(),
            None => "not_found: the profile holds no electronically signed prescription".into(),
        });
    }
    std::fs::create_dir_all(out).map_err(|e| format!("unwritable: {}: {e}", out.display()))?;
    for (rx, json) in &chosen {
        // Written as parsed and re-serialised: what is exported is a well-formed document.
        let doc: meddesk_signature::SignedPrescription =
            serde_json::from_str(json).map_err(|_| {
                format!("corrupt_database: the signature document of {rx} is unreadable")
            })?;
        let text = serde_json::to_string_pretty(&doc).map_err(|e| format!("internal: {e}"))?;
        let path = out.join(format!("{rx}.json"));
        std::fs::write(&path, text).map_err(|e| format!("unwritable: {}: {e}", path.display()))?;
        // The 处方笺 (R-RX-11), marked 未审核 — 不得调配 until approved.
        let slip = meddesk_workstation::slip::pdf(
            &store,
            &knowledge,
            &profile.assets,
            &actor,
            now,
            rx,
            institution,
        )
        .map_err(|e| format!("{}: {}", e.code_str(), e.message))?;
        let path = out.join(format!("{rx}.pdf"));
        std::fs::write(&path, slip).map_err(|e| format!("unwritable: {}: {e}", path.display()))?;
    }
    match store
        .setting(meddesk_workstation::signing::TRUST_SETTING)
        .map_err(crate::db::code)?
    {
        Some(trust) => {
            let path = out.join("trust.json");
            std::fs::write(&path, trust)
                .map_err(|e| format!("unwritable: {}: {e}", path.display()))?;
        }
        None => eprintln!(
            "note: this profile has no platform trust bundle (it never synced); verify with \
             --trust and the platform's GET /v1/trust"
        ),
    }
    println!(
        "exported {} signed prescription(s) to {}",
        chosen.len(),
        out.display()
    );
    Ok(())
}
