//! Start a platform node: pick the backend, provision accounts, refuse insecure listening.
//!
//! TLS choice: the node itself speaks plain HTTP and therefore listens on loopback only.
//! A deployment puts a TLS-terminating reverse proxy (nginx, Caddy) on the same host in
//! front of it; any non-loopback address is refused (R-SEC-3: HTTPS only).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::auth;
use crate::error::PlatformError;
use crate::http::{AppState, now_ms, router};
use crate::storage::postgres::PgStore;
use crate::storage::sqlite::SqliteStore;
use crate::storage::{Account, OUTCOME_RETENTION_MS, Storage};

/// Where the state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Database {
    /// `postgres://…`/`postgresql://…` or `sqlite:PATH`; `None`: SQLite in `default_dir`.
    pub fn parse(arg: Option<&str>, default_dir: &Path) -> Result<Self, PlatformError> {
        match arg {
            None => Ok(Database::Sqlite(default_dir.join("platform.sqlite3"))),
            Some(s) if s.starts_with("postgres://") || s.starts_with("postgresql://") => {
                Ok(Database::Postgres(s.to_owned()))
            }
            Some(s) => match s.strip_prefix("sqlite:") {
                Some(path) if !path.is_empty() => Ok(Database::Sqlite(PathBuf::from(path))),
                _ => Err(PlatformError::InvalidRequest(
                    "--database must be postgres://… or sqlite:PATH".into(),
                )),
            },
        }
    }
}

pub use meddesk_sync::AccountSeed;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub database: Database,
    pub accounts: Vec<AccountSeed>,
    pub access_ttl_s: i64,
    /// Reverse proxies (the TLS terminator in front of the node) whose `X-Forwarded-For`
    /// names the client, for per-address sign-in throttling. Empty: the peer's own address
    /// (none when it is loopback).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The knowledge pack the workstations check against: the node validates prescriptions
    /// with the same rule (R-RX-8, R-SEC-8).
    pub pack: std::sync::Arc<meddesk_formulary::Pack>,
    /// The triage rules the workstations load: the node routes arriving requests with them
    /// (issue 13 §2: one rule, both sides).
    pub triage: std::sync::Arc<meddesk_clinical::triage::TriageRules>,
}

/// The knowledge pack of an assets folder (`<assets>/formulary`), for a node's
/// [`ServeConfig::pack`]; an unreadable pack stops the start with an error naming it.
pub fn load_pack(assets: &Path) -> Result<std::sync::Arc<meddesk_formulary::Pack>, PlatformError> {
    let dir = assets.join("formulary");
    meddesk_formulary::load_dir(&dir)
        .map(std::sync::Arc::new)
        .map_err(|e| {
            PlatformError::InvalidRequest(format!("knowledge pack {}: {e}", dir.display()))
        })
}

/// The triage rules of an assets folder (`<assets>/triage/rules.toml`), for a node's
/// [`ServeConfig::triage`]; unreadable or invalid rules stop the start with an error naming
/// the file.
pub fn load_triage(
    assets: &Path,
) -> Result<std::sync::Arc<meddesk_clinical::triage::TriageRules>, PlatformError> {
    let path = assets.join("triage").join("rules.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        PlatformError::InvalidRequest(format!("triage rules {}: {e}", path.display()))
    })?;
    meddesk_clinical::triage::TriageRules::from_toml(&text, &path.display().to_string())
        .map(std::sync::Arc::new)
        .map_err(|e| PlatformError::InvalidRequest(format!("triage rules {}: {e}", path.display())))
}

/// Refuse anything but loopback: this node has no TLS of its own (see the module doc).
pub fn check_listen(addr: &SocketAddr) -> Result<(), PlatformError> {
    if addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(PlatformError::InsecureListen(format!(
            "refusing to serve plain HTTP on {addr}; listen on 127.0.0.1 behind a TLS-terminating reverse proxy (R-SEC-3)"
        )))
    }
}

pub fn read_accounts(path: &Path) -> Result<Vec<AccountSeed>, PlatformError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        PlatformError::InvalidRequest(format!("cannot read {}: {e}", path.display()))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        PlatformError::InvalidRequest(format!(
            "{}: not a list of accounts (line {} column {})",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

async fn provision<S: Storage>(store: &S, seeds: &[AccountSeed]) -> Result<(), PlatformError> {
    for seed in seeds {
        let existing = store.account_by_username(&seed.username).await?;
        let password = seed.password.clone();
        let had_account = existing.is_some();
        let verifier = match existing {
            Some(a)
                if {
                    let v = a.verifier.clone();
                    let p = password.clone();
                    tokio::task::spawn_blocking(move || auth::verify_password(&p, &v))
                        .await
                        .unwrap_or(false)
                } =>
            {
                a.verifier
            }
            _ => {
                let hashed = tokio::task::spawn_blocking(move || auth::hash_password(&password))
                    .await
                    .map_err(|e| PlatformError::Internal(format!("hash: {e}")))??;
                if had_account {
                    // A changed password ends every session opened with the old one.
                    store
                        .revoke_user_sessions(&seed.user_id, now_ms(), "password_changed")
                        .await?;
                }
                hashed
            }
        };
        let totp_secret = seed
            .totp_secret_hex
            .as_deref()
            .map(hex::decode)
            .transpose()
            .map_err(|_| PlatformError::InvalidRequest("`totp_secret_hex` is not hex".into()))?;
        store
            .put_account(&Account {
                username: seed.username.clone(),
                user_id: seed.user_id.clone(),
                role: seed.role,
                org_id: seed.org_id.clone(),
                specialties: seed.specialties.clone(),
                verifier,
                totp_secret,
            })
            .await?;
    }
    Ok(())
}

/// Bind, then call `ready` with the bound address (tests and the CLI print it), then serve
/// until the process ends.
pub async fn serve(cfg: ServeConfig, ready: impl FnOnce(SocketAddr)) -> Result<(), PlatformError> {
    check_listen(&cfg.listen)?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| PlatformError::Internal(format!("cannot listen on {}: {e}", cfg.listen)))?;
    serve_on(listener, cfg, ready).await
}

/// [`serve`] on a listener the caller already bound (the embedded platform binds first so
/// the workstation knows its address before the node is up).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    cfg: ServeConfig,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), PlatformError> {
    let addr = listener
        .local_addr()
        .map_err(|e| PlatformError::Internal(format!("local address: {e}")))?;
    check_listen(&addr)?;
    match &cfg.database {
        Database::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    PlatformError::Storage(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            let store = SqliteStore::open(path)?;
            ready_after_setup(store, &cfg, listener, addr, ready).await
        }
        Database::Postgres(url) => {
            let store = PgStore::open(url).await?;
            ready_after_setup(store, &cfg, listener, addr, ready).await
        }
    }
}

async fn ready_after_setup<S: Storage>(
    store: S,
    cfg: &ServeConfig,
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), PlatformError> {
    provision(&store, &cfg.accounts).await?;
    let purged = store
        .purge_outcomes(now_ms() - OUTCOME_RETENTION_MS, now_ms())
        .await?;
    if purged > 0 {
        tracing::info!(purged, "expired idempotency keys purged");
    }
    let state = AppState::new(
        store,
        cfg.access_ttl_s,
        cfg.pack.clone(),
        cfg.triage.clone(),
    )
    .await?
    .with_trusted_proxies(cfg.trusted_proxies.clone());
    ready(addr);
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .map_err(|e| PlatformError::Internal(format!("serve: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_served_without_tls() {
        assert!(check_listen(&"127.0.0.1:8080".parse().expect("addr")).is_ok());
        assert!(check_listen(&"[::1]:8080".parse().expect("addr")).is_ok());
        let err = check_listen(&"0.0.0.0:8080".parse().expect("addr")).expect_err("refused");
        assert_eq!(err.code(), "insecure_listen");
        assert!(check_listen(&"192.168.1.5:443".parse().expect("addr")).is_err());
    }

    #[test]
    fn database_argument() {
        let dir = Path::new("/tmp/x");
        assert_eq!(
            Database::parse(None, dir).expect("default"),
            Database::Sqlite(dir.join("platform.sqlite3"))
        );
        assert_eq!(
            Database::parse(Some("postgres://u@127.0.0.1:5/db"), dir).expect("pg"),
            Database::Postgres("postgres://u@127.0.0.1:5/db".into())
        );
        assert_eq!(
            Database::parse(Some("sqlite:/var/p.db"), dir).expect("sqlite"),
            Database::Sqlite("/var/p.db".into())
        );
        assert!(Database::parse(Some("mysql://x"), dir).is_err());
    }
}
