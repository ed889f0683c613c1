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

/// The settings key of the platform's trust bundle (its keys, signed revocation list and
/// certificates; no patient data) and of when it was fetched.
pub const TRUST_SETTING: &str = "platform.trust";
const TRUST_FETCHED_SETTING: &str = "platform.trust_fetched_at";

/// The trust bundle is refreshed at most every 10 minutes (revocations reach a verifier
/// that soon), and at once when there is none.
const TRUST_MAX_AGE_MS: i64 = 10 * 60_000;

pub(crate) fn trust_wanted(store: &Store, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let fetched = store.setting(TRUST_FETCHED_SETTING)?;
    Ok(match fetched.and_then(|v| v.parse::<i64>().ok()) {
        Some(at) => now.timestamp_millis() - at > TRUST_MAX_AGE_MS,
        None => true,
    })
}

pub(crate) fn store_trust(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    trust: &serde_json::Value,
) -> Result<(), ApiError> {
    // Kept only when it parses as a trust bundle.
    let bundle: TrustBundle = serde_json::from_value(trust.clone())
        .map_err(|e| ApiError::internal(format!("trust bundle: {e}")))?;
    let json = serde_json::to_string(&bundle).map_err(ApiError::internal)?;
    store.write(actor, now, |w| {
        meddesk_store::tables::settings::set(w, TRUST_SETTING, &json)?;
        meddesk_store::tables::settings::set(
            w,
            TRUST_FETCHED_SETTING,
            &now.timestamp_millis().to_string(),
        )
    })?;
    Ok(())
}

/// The platform's trust bundle as last fetched.
pub(crate) fn trust_bundle(store: &Store) -> Result<Option<TrustBundle>, ApiError> {
    Ok(store
        .setting(TRUST_SETTING)?
        .and_then(|json| serde_json::from_str(&json).ok()))
}

pub use meddesk_signature::TrustBundle;

/// What the workstation could verify of a prescription's electronic signatures, offline,
/// against the platform's trust bundle as last fetched (R-RX-10).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SignatureStatus {
    /// Every signature verifies against a platform key and an unrevoked certificate.
    Verified,
    /// Signed by a key whose certificate the platform has not published yet (signed
    /// offline); the platform verifies it when it arrives.
    PendingCertificate,
    /// No trust bundle yet (this workstation never reached the platform).
    NotChecked,
    /// A signature is missing or does not verify: `code` says why.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct SignatureCheck {
    pub status: SignatureStatus,
    /// The verifier's code when invalid (`signature_missing`, `content_changed`,
    /// `certificate_revoked`, …).
    pub code: Option<String>,
    /// The platform's trusted time of the physician's signature, when timestamped (unix ms).
    #[ts(type = "number | null")]
    pub timestamp_ms: Option<i64>,
}

/// Verify a stored signature document (JSON) against the stored trust bundle.
pub(crate) fn check(store: &Store, document: Option<&str>) -> Result<SignatureCheck, ApiError> {
    let invalid = |code: &str| SignatureCheck {
        status: SignatureStatus::Invalid,
        code: Some(code.to_owned()),
        timestamp_ms: None,
    };
    let Some(json) = document else {
        return Ok(invalid("signature_missing"));
    };
    let Ok(mut doc) = serde_json::from_str::<meddesk_signature::SignedPrescription>(json) else {
        return Ok(invalid("malformed"));
    };
    let Some(bundle) = trust_bundle(store)? else {
        return Ok(SignatureCheck {
            status: SignatureStatus::NotChecked,
            code: None,
            timestamp_ms: None,
        });
    };
    bundle.complete(&mut doc);
    Ok(
        match meddesk_signature::verify(&doc, &bundle.trust(false)) {
            Ok(v) => SignatureCheck {
                status: SignatureStatus::Verified,
                code: None,
                timestamp_ms: v.physician.timestamp_ms,
            },
            Err(e) if e.code() == "certificate_unknown" => SignatureCheck {
                status: SignatureStatus::PendingCertificate,
                code: Some(e.code().to_owned()),
                timestamp_ms: None,
            },
            Err(e) => invalid(e.code()),
        },
    )
}
