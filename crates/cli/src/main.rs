//! `meddesk`: the MedDesk command line. Every subcommand is one call into the workstation.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use meddesk_cli::{profile_args::ProfileArgs, serve::Server};
use meddesk_workstation::{SystemClock, Workstation};

/// The process allocator (see `mimalloc` in the workspace Cargo.toml): the initial sync and
/// the checker allocate many small values.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "meddesk",
    version,
    about = "MedDesk physician workstation: command line"
)]
struct Cli {
    #[command(flatten)]
    profile: ProfileArgs,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the built UI and the workstation commands on loopback (browser tests, development).
    Serve {
        /// The built UI (`npm run build` in ui/).
        #[arg(long, default_value = "ui/dist")]
        ui: PathBuf,
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// Set up a clinic: its encrypted profile, its first administrator (with the TOTP
    /// enrolment shown as a QR code) and its platform (issue 13 §0).
    Setup(meddesk_cli::setup::SetupArgs),
    /// The clinic's accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The encrypted local database: init, verify, backup, restore (issue 3).
    Db {
        #[command(subcommand)]
        command: meddesk_cli::db::DbCommand,
    },
    /// The tamper-evident audit trail (R-SEC-5).
    Audit {
        #[command(subcommand)]
        command: meddesk_cli::audit::AuditCommand,
    },
    /// The demo profile's synthetic data.
    Demo {
        #[command(subcommand)]
        command: meddesk_cli::demo::DemoCommand,
    },
    /// Check prescriptions against the knowledge pack (JSON Lines batch, issue 4).
    Rx(meddesk_cli::rx::RxArgs),
    /// Validate, search and show the drug knowledge pack.
    Kb(meddesk_cli::kb::KbArgs),
    /// Triage consultation requests (JSON Lines batch); `--rules FILE` tests a rules file.
    Triage(meddesk_cli::triage::TriageArgs),
    /// The reference platform node and the patient simulator (issue 6).
    Platform {
        #[command(subcommand)]
        command: meddesk_cli::platform::PlatformCommand,
    },
}

#[derive(Debug, clap::Subcommand)]
enum UserCommand {
    /// Add an account (the same id and password as the person's platform account).
    Add(meddesk_cli::setup::UserAddArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MEDDESK_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("meddesk: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let profile = cli.profile.profile()?;
    match cli.command {
        Command::Setup(args) => meddesk_cli::setup::setup(&cli.profile, args),
        Command::User {
            command: UserCommand::Add(args),
        } => meddesk_cli::setup::user_add(&cli.profile, args),
        Command::Db { command } => meddesk_cli::db::run(&cli.profile, command),
        Command::Audit { command } => meddesk_cli::audit::run(&cli.profile, command),
        Command::Demo { command } => meddesk_cli::demo::run(&cli.profile, command),
        Command::Rx(args) => meddesk_cli::rx::run(args, &cli.profile),
        Command::Kb(args) => meddesk_cli::kb::run(args, &cli.profile.assets),
        Command::Triage(args) => meddesk_cli::triage::run(args, &cli.profile.assets),
        Command::Platform { command } => {
            meddesk_cli::platform::run(command, &profile.data_dir, &profile.assets_dir)
        }
        Command::Serve { ui, port } => {
            if !ui.join("index.html").is_file() {
                return Err(format!(
                    "invalid_ui: {} has no index.html; build the UI first (npm run build in ui/)",
                    ui.display()
                ));
            }
            let passphrase = std::env::var("MEDDESK_PASSPHRASE")
                .ok()
                .map(zeroize::Zeroizing::new);
            let ws = Workstation::open_profile(profile, Arc::new(SystemClock), passphrase)
                .map_err(|e| format!("{}: {}", e.code_str(), e.message))?;
            let rt = tokio::runtime::Runtime::new().map_err(|e| format!("internal: {e}"))?;
            connect_platform(&ws, &rt)?;
            rt.block_on(async move {
                let server = Server::bind(ws, ui, port).await.map_err(|e| {
                    format!("listen_failed: cannot listen on 127.0.0.1:{port}: {e}")
                })?;
                // Tests read this line to find the port and the token.
                println!("MedDesk is serving on {}", server.url());
                server.run().await.map_err(|e| format!("internal: {e}"))
            })
        }
    }
}

/// The demo profile syncs with its embedded platform (and its patient simulator) on
/// loopback; a clinic profile with `MEDDESK_PLATFORM_URL` when set.
fn connect_platform(ws: &Workstation, rt: &tokio::runtime::Runtime) -> Result<(), String> {
    use meddesk_workstation::sync::PlatformLink;
    let link = match ws.profile().kind {
        meddesk_workstation::ProfileKind::Demo => {
            let platform =
                meddesk_platform::embedded::bind(meddesk_platform::embedded::EmbeddedConfig {
                    dir: ws.profile().data_dir.join("platform"),
                    accounts: meddesk_workstation::demo::platform_accounts(),
                    arrivals_per_min: meddesk_workstation::demo::arrivals_per_min(),
                    pack: ws.knowledge().pack.clone(),
                    triage: ws.knowledge().triage.clone(),
                })
                .map_err(|e| format!("{}: {e}", e.code()))?;
            let link = PlatformLink::embedded(platform.url());
            let handle = rt.handle().clone();
            return ws
                .connect_embedded_platform(
                    link,
                    Box::new(move || {
                        handle.spawn(async move {
                            if let Err(e) = platform.run().await {
                                eprintln!(
                                    "meddesk: the embedded demo platform stopped: {}",
                                    e.code()
                                );
                            }
                        });
                    }),
                )
                .map_err(|e| format!("{}: {}", e.code_str(), e.message));
        }
        meddesk_workstation::ProfileKind::Clinic => {
            PlatformLink::for_clinic(&ws.profile().data_dir)
        }
    };
    if let Some(link) = link {
        ws.connect_platform(link)
            .map_err(|e| format!("{}: {}", e.code_str(), e.message))?;
    }
    Ok(())
}
