//! `meddesk db init|verify|backup|restore`: the encrypted local cache's maintenance
//! (R-SEC-1, R-SEC-4, R-SEC-6). Errors print their stable code (`wrong_key: …`).

use std::path::PathBuf;

use chrono::Utc;
use clap::Subcommand;
use meddesk_store::backup::{self, BackupPolicy, MINIMUM_RETENTION_DAYS};
use meddesk_store::tables::settings;
use meddesk_store::{Actor, DbKey, KeyOutcome, ProfileFiles, Store, StoreError, profile};
use zeroize::Zeroizing;

use crate::profile_args::ProfileArgs;

/// Where a headless run takes the passphrase from (no keychain, CI, scripts).
pub const PASSPHRASE_ENV: &str = "MEDDESK_PASSPHRASE";

use meddesk_store::tables::settings::{
    BACKUP_FOLDER as SETTING_BACKUP_FOLDER, RETENTION_DAYS as SETTING_RETENTION_DAYS,
};

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the profile's encrypted database and its key (OS keychain, or a
    /// passphrase-wrapped key file with --key-source passphrase / MEDDESK_PASSPHRASE).
    Init,
    /// Check every page (HMAC), SQLite's integrity_check and the audit chain.
    Verify,
    /// Write an encrypted backup: incremental, or full with --full (a full one is made
    /// anyway when none exists this month).
    Backup {
        #[arg(long)]
        full: bool,
        /// The backup folder (remembered for later runs; default: <profile>/backups).
        #[arg(long)]
        folder: Option<PathBuf>,
        /// Keep backups this many days (remembered; at least 1096, i.e. three years).
        #[arg(long)]
        retention_days: Option<u32>,
    },
    /// Restore a backup: it is verified on a copy first; the live database is replaced only
    /// if the copy verifies, and is moved aside, never deleted.
    Restore { file: PathBuf },
}

pub fn run(args: &ProfileArgs, command: DbCommand) -> Result<(), String> {
    let files = files(args)?;
    match command {
        DbCommand::Init => init(args, &files),
        DbCommand::Verify => verify(args, &files),
        DbCommand::Backup {
            full,
            folder,
            retention_days,
        } => run_backup(args, &files, full, folder, retention_days),
        DbCommand::Restore { file } => {
            let key = load_key(args, &files)?;
            let report = backup::restore(&files, &file, &key, Utc::now()).map_err(code)?;
            println!(
                "restored {} ({} audit entries verified)",
                report.from.display(),
                report.audit_entries
            );
            if let Some(prev) = report.previous_moved_to {
                println!("the previous database was moved to {}", prev.display());
            }
            // Issue 13 §4: the entries made since this backup are gone; the platform's anchors
            // of the old chain keep that visible, and the trail goes on as a new chain.
            let store = meddesk_store::Store::open(&files, &key, Utc::now()).map_err(code)?;
            let chain = meddesk_workstation::sync::anchor::restart_chain(&store, Utc::now())
                .map_err(code)?;
            println!(
                "the audit trail continues as {chain}; the platform keeps the anchors of the previous chain"
            );
            Ok(())
        }
    }
}

pub fn files(args: &ProfileArgs) -> Result<ProfileFiles, String> {
    Ok(ProfileFiles::new(args.profile()?.data_dir))
}

/// A store error as the command line prints it: the code first.
pub fn code(e: StoreError) -> String {
    // Display already starts with the code for every variant but `io`/`database`.
    let text = e.to_string();
    if text.starts_with(e.code()) {
        text
    } else {
        format!("{}: {text}", e.code())
    }
}

fn passphrase() -> Option<Zeroizing<String>> {
    std::env::var(PASSPHRASE_ENV)
        .ok()
        .filter(|p| !p.is_empty())
        .map(Zeroizing::new)
}

pub fn load_key(_args: &ProfileArgs, files: &ProfileFiles) -> Result<DbKey, String> {
    let source = profile::key_source(files, passphrase()).map_err(code)?;
    source.load().map_err(code)
}

/// As [`open`], and for the demo profile without `MEDDESK_PASSPHRASE` the demo's public
/// passphrase (it holds synthetic patients only): what a read-only export of the demo needs.
pub fn open_or_demo(args: &ProfileArgs) -> Result<(ProfileFiles, DbKey, Store), String> {
    let files = files(args)?;
    let given = passphrase().or_else(|| {
        args.demo
            .then(|| Zeroizing::new(meddesk_workstation::demo::DEMO_PASSPHRASE.to_owned()))
    });
    let key = profile::key_source(&files, given)
        .map_err(code)?
        .load()
        .map_err(code)?;
    let store =
        Store::open(&files, &key, Utc::now()).map_err(|e| with_restore_hint(&files, &key, e))?;
    Ok((files, key, store))
}

/// Open the profile's store with its own key source.
pub fn open(args: &ProfileArgs) -> Result<(ProfileFiles, DbKey, Store), String> {
    let files = files(args)?;
    let key = load_key(args, &files)?;
    let store =
        Store::open(&files, &key, Utc::now()).map_err(|e| with_restore_hint(&files, &key, e))?;
    Ok((files, key, store))
}

fn with_restore_hint(files: &ProfileFiles, key: &DbKey, e: StoreError) -> String {
    let is_corrupt = matches!(e, StoreError::CorruptDatabase(_));
    let mut message = code(e);
    if is_corrupt {
        let scratch = files.dir().join(".restore-probe");
        if let Ok(Some(good)) =
            backup::newest_good(&files.default_backups(), key, &scratch, Utc::now())
        {
            message.push_str(&format!(
                "\nthe newest good backup is {0}; restore it with: meddesk db restore {0}",
                good.display()
            ));
        }
        let _ = std::fs::remove_dir(&scratch);
    }
    message
}

pub(crate) fn init(args: &ProfileArgs, files: &ProfileFiles) -> Result<(), String> {
    let (key, outcome) =
        profile::create_key(files, args.key_source.into(), passphrase()).map_err(code)?;
    match &outcome {
        KeyOutcome::Keychain => println!("database key stored in the OS keychain"),
        KeyOutcome::PassphraseFile => println!(
            "database key stored wrapped with your passphrase (Argon2id) in {}",
            files.wrapped_key().display()
        ),
        KeyOutcome::PassphraseFileAfterKeychainFailure { reason } => {
            // Never silent (R-SEC-6): say why the keychain was not used.
            eprintln!("warning: the OS keychain is unavailable ({reason})");
            println!(
                "database key stored wrapped with your passphrase (Argon2id) in {} instead",
                files.wrapped_key().display()
            );
        }
    }
    let store = Store::create(files, &key, Utc::now()).map_err(code)?;
    println!("created encrypted database {}", store.path().display());
    Ok(())
}

fn verify(args: &ProfileArgs, files: &ProfileFiles) -> Result<(), String> {
    let key = load_key(args, files)?;
    let store =
        Store::open(files, &key, Utc::now()).map_err(|e| with_restore_hint(files, &key, e))?;
    let report = store
        .verify()
        .map_err(|e| with_restore_hint(files, &key, e))?;
    println!(
        "ok: {} pages authenticated, integrity_check ok, audit chain of {} entries intact",
        report.pages, report.audit_entries
    );
    Ok(())
}

fn run_backup(
    args: &ProfileArgs,
    files: &ProfileFiles,
    full: bool,
    folder: Option<PathBuf>,
    retention_days: Option<u32>,
) -> Result<(), String> {
    let key = load_key(args, files)?;
    let store =
        Store::open(files, &key, Utc::now()).map_err(|e| with_restore_hint(files, &key, e))?;
    let now = Utc::now();
    let stored = |k: &str| store.setting(k).map_err(code);
    let folder = match folder {
        Some(f) => f,
        None => stored(SETTING_BACKUP_FOLDER)?
            .map(PathBuf::from)
            .unwrap_or_else(|| files.default_backups()),
    };
    let retention = match retention_days {
        Some(d) => d,
        None => stored(SETTING_RETENTION_DAYS)?
            .and_then(|d| d.parse().ok())
            .unwrap_or(MINIMUM_RETENTION_DAYS),
    };
    let policy = BackupPolicy::new(&folder, retention).map_err(code)?;
    let folder_text = folder.display().to_string();
    store
        .write(&Actor::system(), now, |w| {
            settings::set(w, SETTING_BACKUP_FOLDER, &folder_text)?;
            settings::set(w, SETTING_RETENTION_DAYS, &retention.to_string())
        })
        .map_err(code)?;
    let report = store.backup(&policy, full, &key, now).map_err(code)?;
    println!(
        "{} backup {} ({} bytes, {} pages); retention {} days",
        match report.kind {
            backup::BackupKind::Full => "full",
            backup::BackupKind::Incremental => "incremental",
        },
        report.path.display(),
        report.bytes,
        report.pages_in_body,
        policy.retention_days()
    );
    for p in report.pruned {
        println!("removed expired backup {}", p.display());
    }
    Ok(())
}
