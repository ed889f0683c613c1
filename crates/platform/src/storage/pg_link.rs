//! How a node reaches PostgreSQL (issue 13 §3, R-SEC-3): over TLS whenever the database is not
//! on this machine, honouring libpq's `sslmode` (and `sslrootcert`) in the URL.
//!
//! | `sslmode`            | loopback / socket            | another host                     |
//! |----------------------|------------------------------|----------------------------------|
//! | absent, `disable`, `allow`, `prefer` | plain                   | **refused** (`insecure_database`) |
//! | `require`            | TLS, certificate not checked (libpq's meaning; checked against `sslrootcert` when given) | same, with a warning |
//! | `verify-ca`, `verify-full` | TLS, the certificate checked against `sslrootcert` (else the system's roots) and the host name | same |
//!
//! `prefer` may fall back to plaintext, so it does not count as TLS for a remote database.
//! `verify-ca` is checked like `verify-full` (rustls always checks the name): stricter, never
//! looser, than asked.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio_postgres::config::{Host, SslMode};

use crate::error::PlatformError;

/// What the URL asks of the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Plain,
    Tls { verify: Verify },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verify {
    /// Check the chain (against this PEM file, else the system's roots) and the host name.
    Full { roots: Option<PathBuf> },
    /// `sslmode=require` without a root certificate: encrypted, the peer not checked.
    Nothing,
}

/// The pure decision (see the module doc): `local` when every host is loopback or a socket.
pub fn transport(
    local: bool,
    sslmode: Option<&str>,
    rootcert: Option<&str>,
) -> Result<Transport, PlatformError> {
    let roots = rootcert.filter(|r| !r.is_empty()).map(PathBuf::from);
    match sslmode.unwrap_or("") {
        "" | "disable" | "allow" | "prefer" if local => Ok(Transport::Plain),
        "" | "disable" | "allow" | "prefer" => Err(PlatformError::InsecureDatabase(
            "the database is on another host and the link would be plaintext; add \
             sslmode=verify-full (and sslrootcert=…) to the URL"
                .into(),
        )),
        "require" => Ok(Transport::Tls {
            verify: match roots {
                Some(_) => Verify::Full { roots },
                None => Verify::Nothing,
            },
        }),
        "verify-ca" | "verify-full" => Ok(Transport::Tls {
            verify: Verify::Full { roots },
        }),
        other => Err(PlatformError::InvalidRequest(format!(
            "--database: unknown sslmode `{other}` (disable, prefer, require, verify-ca, verify-full)"
        ))),
    }
}

/// A parsed database URL and how to connect to it.
#[derive(Clone)]
pub struct PgLink {
    pub config: tokio_postgres::Config,
    pub tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

impl std::fmt::Debug for PgLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("PgLink")
            .field("hosts", &self.config.get_hosts())
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

fn is_local(host: &Host) -> bool {
    match host {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            name == "localhost"
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    }
}

/// Split `sslmode` and `sslrootcert` out of a `postgres://` URL's query (tokio-postgres knows
/// only part of libpq's `sslmode` values and no `sslrootcert`).
fn split_tls_params(url: &str) -> (String, Option<String>, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None, None);
    };
    let mut sslmode = None;
    let mut rootcert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => sslmode = Some(v.to_owned()),
            Some(("sslrootcert", v)) => rootcert = Some(percent_decode(v)),
            _ => kept.push(pair),
        }
    }
    let rebuilt = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (rebuilt, sslmode, rootcert)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parse `url` and decide its transport; errors name the problem, never the password.
pub fn link(url: &str) -> Result<PgLink, PlatformError> {
    let (rest, sslmode, rootcert) = split_tls_params(url);
    let mut config = tokio_postgres::Config::from_str(&rest).map_err(|e| {
        PlatformError::InvalidRequest(format!("--database is not a PostgreSQL URL: {e}"))
    })?;
    let local = !config.get_hosts().is_empty() && config.get_hosts().iter().all(is_local);
    let tls = match transport(local, sslmode.as_deref(), rootcert.as_deref())? {
        Transport::Plain => {
            config.ssl_mode(SslMode::Disable);
            None
        }
        Transport::Tls { verify } => {
            config.ssl_mode(SslMode::Require);
            if verify == Verify::Nothing {
                tracing::warn!(
                    "sslmode=require without sslrootcert: the link is encrypted but the \
                     database's certificate is not checked; prefer verify-full"
                );
            }
            Some(tokio_postgres_rustls::MakeRustlsConnect::new(
                client_config(&verify)?,
            ))
        }
    };
    Ok(PgLink { config, tls })
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn client_config(verify: &Verify) -> Result<rustls::ClientConfig, PlatformError> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| PlatformError::Internal(format!("tls: {e}")))?;
    let config = match verify {
        Verify::Full { roots } => {
            let mut store = rustls::RootCertStore::empty();
            match roots {
                Some(path) => {
                    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                        .and_then(|it| it.collect())
                        .map_err(|e| {
                            PlatformError::InvalidRequest(format!(
                                "sslrootcert {}: not a PEM certificate file ({e})",
                                path.display()
                            ))
                        })?;
                    if certs.is_empty() {
                        return Err(PlatformError::InvalidRequest(format!(
                            "sslrootcert {}: no certificate in the file",
                            path.display()
                        )));
                    }
                    for cert in certs {
                        store.add(cert).map_err(|e| {
                            PlatformError::InvalidRequest(format!(
                                "sslrootcert {}: {e}",
                                path.display()
                            ))
                        })?;
                    }
                }
                None => {
                    for cert in rustls_native_certs::load_native_certs().certs {
                        let _ = store.add(cert);
                    }
                    if store.is_empty() {
                        return Err(PlatformError::InvalidRequest(
                            "no system root certificates; give sslrootcert=… in the URL".into(),
                        ));
                    }
                }
            }
            builder.with_root_certificates(store).with_no_client_auth()
        }
        Verify::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider())))
            .with_no_client_auth(),
    };
    Ok(config)
}

/// `sslmode=require`: libpq encrypts without checking who answers. Handshake signatures are
/// still verified (the session is really with the holder of the presented key).
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_database_needs_tls_and_loopback_may_go_without() {
        assert_eq!(
            transport(true, None, None).expect("local"),
            Transport::Plain
        );
        assert_eq!(
            transport(true, Some("prefer"), None).expect("local"),
            Transport::Plain
        );
        for mode in [None, Some("disable"), Some("allow"), Some("prefer")] {
            let err = transport(false, mode, None).expect_err("plaintext to another host");
            assert_eq!(err.code(), "insecure_database", "{mode:?}");
        }
        assert_eq!(
            transport(false, Some("require"), None).expect("tls"),
            Transport::Tls {
                verify: Verify::Nothing
            }
        );
        assert_eq!(
            transport(false, Some("require"), Some("/ca.pem")).expect("tls"),
            Transport::Tls {
                verify: Verify::Full {
                    roots: Some("/ca.pem".into())
                }
            }
        );
        assert_eq!(
            transport(false, Some("verify-full"), None).expect("tls"),
            Transport::Tls {
                verify: Verify::Full { roots: None }
            }
        );
        assert_eq!(
            transport(true, Some("bogus"), None)
                .expect_err("unknown")
                .code(),
            "invalid_request"
        );
    }

    #[test]
    fn urls_are_read_for_their_hosts_and_tls_parameters() {
        let err = link("postgres://u:secret@db.example.cn:5432/meddesk").expect_err("remote");
        assert_eq!(err.code(), "insecure_database");
        assert!(!err.to_string().contains("secret"), "no password in errors");
        let local = link("postgres://u@127.0.0.1:5432/meddesk?application_name=x").expect("local");
        assert!(local.tls.is_none());
        let unix = link("postgresql://u@%2Fvar%2Frun%2Fpostgresql/meddesk").expect("socket");
        assert!(unix.tls.is_none());
        let (rest, mode, root) = split_tls_params(
            "postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&x=1",
        );
        assert_eq!(rest, "postgres://u@h/db?x=1");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/etc/ca.pem"));
        let missing =
            link("postgres://u@db.example.cn/db?sslmode=verify-full&sslrootcert=/nonexistent.pem")
                .expect_err("no such file");
        assert!(
            missing.to_string().contains("/nonexistent.pem"),
            "{missing}"
        );
    }
}
