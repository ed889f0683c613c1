//! Electronic signatures on this workstation (R-RX-10): each physician's and pharmacist's
//! signing key — made on first need, kept sealed in the encrypted profile (whose key lives
//! in the OS keychain or is passphrase-wrapped), never shown — and the certificate the
//! platform issues for it at the next sync. A key made offline signs at once: the signature
//! names the serial the platform will give the key (its fingerprint) and the platform
//! attaches the certificate when it accepts the signature.

use chrono::{DateTime, Utc};
use meddesk_signature::{Certificate, Ed25519Signer, Signer};
use meddesk_store::tables::signing_keys;
use meddesk_store::{Actor, Store};

use crate::ApiError;

/// A user's signing identity: the key and, once issued, its certificate.
#[derive(Debug)]
pub(crate) struct Identity {
    pub signer: Ed25519Signer,
    pub certificate: Option<Certificate>,
}

/// The signing identity of `user_id`, made on first need.
pub(crate) fn identity(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    user_id: &str,
) -> Result<Identity, ApiError> {
    if let Some(found) = store.read(actor, now, |r| signing_keys::get(r, user_id))? {
        return Ok(Identity {
            signer: Ed25519Signer::from_seed(*found.seed),
            certificate: found
                .certificate
                .as_deref()
                .and_then(|c| serde_json::from_str(c).ok()),
        });
    }
    let signer = Ed25519Signer::generate().map_err(ApiError::internal)?;
    let key_id = signer.key_id().to_owned();
    let seed = signer.seed();
    store.write(actor, now, |w| {
        signing_keys::insert(w, user_id, &key_id, &seed)
    })?;
    Ok(Identity {
        signer,
        certificate: None,
    })
}

/// The certificate request for `user_id`'s key, when it has none yet.
pub(crate) fn certificate_request(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    user_id: &str,
) -> Result<Option<serde_json::Value>, ApiError> {
    let id = identity(store, actor, now, user_id)?;
    if id.certificate.is_some() {
        return Ok(None);
    }
    Ok(Some(serde_json::json!({
        "algorithm": id.signer.algorithm(),
        "public_key": id.signer.public_key(),
    })))
}

/// Keep the certificate the platform issued, if it certifies this user's key.
pub(crate) fn store_certificate(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    user_id: &str,
    certificate: &serde_json::Value,
) -> Result<(), ApiError> {
    let cert: Certificate = serde_json::from_value(certificate.clone())
        .map_err(|e| ApiError::internal(format!("certificate: {e}")))?;
    let id = identity(store, actor, now, user_id)?;
    if cert.body.public_key != id.signer.public_key() || cert.body.user_id != user_id {
        return Err(ApiError::internal(
            "the platform certified another key or user than this one",
        ));
    }
    let json = serde_json::to_string(&cert).map_err(ApiError::internal)?;
    store.write(actor, now, |w| {
        signing_keys::set_certificate(w, user_id, &json)
    })?;
    Ok(())
}
