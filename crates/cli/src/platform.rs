//! `meddesk platform serve | simulate` (issue 6): a reference platform node and the patient
//! simulator. The platform is its own crate and not a workstation use case (it is the other
//! side of sync), so these call `meddesk-platform` directly.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use meddesk_platform::simulator::{SimulateConfig, run as simulate};
use meddesk_platform::{Database, ServeConfig, serve};

#[derive(Debug, Subcommand)]
pub enum PlatformCommand {
    /// Run a platform node. Plain HTTP on loopback only: deployments put a TLS-terminating
    /// reverse proxy in front (R-SEC-3). Embedded SQLite unless --database names PostgreSQL.
    Serve {
        /// Loopback address and port; port 0 picks a free one.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// `postgres://user@host:port/db` or `sqlite:PATH`; default: SQLite in the profile's
        /// data folder (`platform/platform.sqlite3`). A database on another host needs TLS:
        /// `?sslmode=verify-full&sslrootcert=/path/ca.pem` (a plaintext link is refused).
        #[arg(long)]
        database: Option<String>,
        /// JSON list of accounts to provision at start (username, password, user_id, role,
        /// org_id, specialties, totp_secret_hex).
        #[arg(long)]
        accounts: Option<PathBuf>,
        /// Lifetime of access tokens.
        #[arg(long, default_value_t = meddesk_platform::auth::ACCESS_TTL_S)]
        access_ttl_seconds: i64,
        /// A reverse proxy (the TLS terminator in front) whose `X-Forwarded-For` names the
        /// client, for per-address sign-in throttling; repeatable.
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<std::net::IpAddr>,
    },
    /// File realistic zh-CN consultation requests (complaints, vitals, I10/E11 follow-ups,
    /// children with guardians, emergencies) through the platform API.
    Simulate {
        /// The platform, e.g. http://127.0.0.1:8787 (https:// unless loopback).
        #[arg(long)]
        server: String,
        /// Requests per minute: `N` or `N/min`.
        #[arg(long, default_value = "6/min", value_parser = parse_rate)]
        rate: f64,
        /// Stop after this many (default: run until interrupted).
        #[arg(long)]
        count: Option<u64>,
        /// An intake account on the platform.
        #[arg(long, default_value = "intake")]
        user: String,
        #[arg(long, env = "MEDDESK_PLATFORM_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "patient-simulator")]
        device: String,
        /// Seed for reproducible requests.
        #[arg(long)]
        seed: Option<u64>,
    },
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let n = s.trim().trim_end_matches("/min").trim();
    match n.parse::<f64>() {
        Ok(r) if r > 0.0 && r.is_finite() => Ok(r),
        _ => Err(format!("`{s}` is not a rate like 30/min")),
    }
}

pub fn run(command: PlatformCommand, data_dir: &Path, assets: &Path) -> Result<(), String> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| format!("internal: {e}"))?;
    match command {
        PlatformCommand::Serve {
            listen,
            database,
            accounts,
            access_ttl_seconds,
            trusted_proxies,
        } => {
            let database = Database::parse(database.as_deref(), &data_dir.join("platform"))
                .map_err(|e| e.to_string())?;
            let accounts = match accounts {
                Some(path) => {
                    meddesk_platform::serve::read_accounts(&path).map_err(|e| e.to_string())?
                }
                None => Vec::new(),
            };
            let cfg = ServeConfig {
                listen,
                database,
                accounts,
                access_ttl_s: access_ttl_seconds,
                trusted_proxies,
                pack: meddesk_platform::serve::load_pack(assets).map_err(|e| e.to_string())?,
                triage: meddesk_platform::serve::load_triage(assets).map_err(|e| e.to_string())?,
            };
            rt.block_on(serve(cfg, |addr| {
                // Scripts and tests read this line to find the port.
                println!("MedDesk platform is serving on http://{addr}");
            }))
            .map_err(|e| e.to_string())
        }
        PlatformCommand::Simulate {
            server,
            rate,
            count,
            user,
            password,
            device,
            seed,
        } => {
            let cfg = SimulateConfig {
                server,
                username: user,
                password,
                device_id: device,
                rate_per_min: rate,
                count,
                seed,
            };
            // Ids, priority and specialty only: complaints are patient data, even synthetic.
            let filed = rt
                .block_on(simulate(cfg, |r| {
                    println!("filed {} {:?} {}", r.id, r.priority, r.specialty);
                }))
                .map_err(|e| format!("{}: {e}", e.code()))?;
            println!("{filed} consultation requests filed");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("30/min"), Ok(30.0));
        assert_eq!(parse_rate("2.5"), Ok(2.5));
        assert!(parse_rate("0/min").is_err());
        assert!(parse_rate("fast").is_err());
    }
}
