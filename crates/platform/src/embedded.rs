//! The embedded platform of the demo profile: a node on 127.0.0.1 with its SQLite store in
//! the demo profile's folder, and the patient simulator filing synthetic requests into it,
//! so a new user sees consultations arrive in the queue and sync. [`bind`] reserves the
//! port first, so the workstation knows the address before the node is up.

use std::path::PathBuf;
use std::time::Duration;

use meddesk_sync::AccountSeed;

use crate::error::PlatformError;
use crate::serve::{Database, ServeConfig, serve_on};
use crate::simulator::{self, SimulateConfig};

/// What the embedded node and its simulator need.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// The node's SQLite file lives here (`platform.sqlite3`).
    pub dir: PathBuf,
    /// Provisioned at start; the simulator files requests with the first intake account.
    pub accounts: Vec<AccountSeed>,
    /// New requests per minute; 0 turns the simulator off.
    pub arrivals_per_min: f64,
    /// The workstation's own knowledge pack: one validity rule on both sides (R-RX-8).
    pub pack: std::sync::Arc<meddesk_formulary::Pack>,
    /// The workstation's own triage rules: the platform routes with them (issue 13 §2).
    pub triage: std::sync::Arc<meddesk_clinical::triage::TriageRules>,
}

/// A bound, not yet running, embedded platform.
#[derive(Debug)]
pub struct Embedded {
    listener: std::net::TcpListener,
    url: String,
    cfg: EmbeddedConfig,
}

/// Reserve a loopback port for the embedded platform.
pub fn bind(cfg: EmbeddedConfig) -> Result<Embedded, PlatformError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| PlatformError::Internal(format!("cannot listen on 127.0.0.1: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| PlatformError::Internal(format!("listener: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| PlatformError::Internal(format!("local address: {e}")))?;
    Ok(Embedded {
        listener,
        url: format!("http://{addr}"),
        cfg,
    })
}

impl Embedded {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Serve and simulate until the process ends (spawn it on the front's runtime).
    pub async fn run(self) -> Result<(), PlatformError> {
        let listener = tokio::net::TcpListener::from_std(self.listener)
            .map_err(|e| PlatformError::Internal(format!("listener: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| PlatformError::Internal(format!("local address: {e}")))?;
        std::fs::create_dir_all(&self.cfg.dir).map_err(|e| {
            PlatformError::Storage(format!("cannot create {}: {e}", self.cfg.dir.display()))
        })?;
        let serve_cfg = ServeConfig {
            listen: addr,
            database: Database::Sqlite(self.cfg.dir.join("platform.sqlite3")),
            accounts: self.cfg.accounts.clone(),
            access_ttl_s: crate::auth::ACCESS_TTL_S,
            trusted_proxies: Vec::new(),
            pack: self.cfg.pack.clone(),
            triage: self.cfg.triage.clone(),
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let node = tokio::spawn(serve_on(listener, serve_cfg, move |_| {
            let _ = ready_tx.send(());
        }));
        let intake = self
            .cfg
            .accounts
            .iter()
            .find(|a| a.role == meddesk_sync::AccountRole::Intake)
            .cloned();
        if ready_rx.await.is_ok()
            && self.cfg.arrivals_per_min > 0.0
            && let Some(intake) = intake
        {
            tokio::spawn(simulate(
                self.url.clone(),
                intake,
                self.cfg.arrivals_per_min,
            ));
        }
        node.await
            .map_err(|e| PlatformError::Internal(format!("embedded platform: {e}")))?
    }
}

/// File requests forever; a failure (the node restarting) is retried after a pause.
async fn simulate(url: String, intake: AccountSeed, arrivals_per_min: f64) {
    loop {
        let run = simulator::run(
            SimulateConfig {
                server: url.clone(),
                username: intake.username.clone(),
                password: intake.password.clone(),
                device_id: "demo-patient-simulator".into(),
                rate_per_min: arrivals_per_min,
                count: None,
                seed: None,
            },
            |_| {},
        )
        .await;
        if let Err(e) = run {
            tracing::warn!(
                code = e.code(),
                "demo simulator stopped; restarting in 10 s"
            );
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}
