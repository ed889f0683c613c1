//! The platform's part in electronic signatures (R-RX-10): its own signing key, the
//! certificates that bind a physician's or pharmacist's key to the person, role and
//! organisation, revocation on suspension, and the verification of every prescription
//! signature and review before they are accepted — countersigned with the platform's key and
//! time (the trusted timestamp).
//!
//! The platform key is derived from the deployment secret (HMAC-SHA256 with a fixed label),
//! so every node of a deployment signs with the same key without another secret to share.

use hmac::{Hmac, Mac};
use meddesk_signature::{
    Algorithm, Certificate, CertificateBody, Ed25519Signer, PlatformKey, PublicKey, Revocation,
    RevocationList, RevocationReason, Role, Signer,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How long a certificate is valid (R-ROLE-4 reviews prescribing rights yearly).
pub const CERTIFICATE_DAYS: i64 = 365;

/// A key generated on a workstation that was offline may sign before its certificate is
/// issued (the outbox keeps the signature until the line returns): the certificate's
/// validity starts this far back from its issue. The platform's timestamp remains the
/// trusted time of every signature.
pub const OFFLINE_GRACE_MS: i64 = 7 * 24 * 3_600_000;

const DAY_MS: i64 = 24 * 3_600_000;

/// The platform's signing identity.
pub struct PlatformSigning {
    signer: Ed25519Signer,
    key: PlatformKey,
}

impl std::fmt::Debug for PlatformSigning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformSigning")
            .field("key_id", &self.key.key_id)
            .finish_non_exhaustive()
    }
}

impl PlatformSigning {
    /// The deployment's key, derived from its secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes a key of any length");
        mac.update(b"meddesk platform signing key v1");
        let seed: [u8; 32] = mac.finalize().into_bytes().into();
        let base = Ed25519Signer::from_seed(seed);
        let key_id = format!("platform:{}", base.key_id().trim_start_matches("sha256:"));
        let signer = base.with_key_id(key_id);
        let key = PlatformKey::of(&signer);
        Self { signer, key }
    }

    pub fn key(&self) -> &PlatformKey {
        &self.key
    }

    pub fn signer(&self) -> &dyn Signer {
        &self.signer
    }

    /// Certify `public_key` for the signed-in `user_id` in `role` at `org_id`. The serial is
    /// the key's fingerprint, so the workstation knows it before the certificate exists.
    pub fn issue(
        &self,
        user_id: &str,
        role: Role,
        org_id: &str,
        algorithm: Algorithm,
        public_key: PublicKey,
        now_ms: i64,
    ) -> Result<Certificate, meddesk_signature::Error> {
        let serial = meddesk_signature::key::fingerprint(&public_key);
        meddesk_signature::issue(
            &self.signer,
            CertificateBody {
                serial,
                user_id: user_id.to_owned(),
                role,
                org_id: org_id.to_owned(),
                algorithm,
                public_key,
                not_before_ms: now_ms - OFFLINE_GRACE_MS,
                not_after_ms: now_ms + CERTIFICATE_DAYS * DAY_MS,
                issuer: self.key.key_id.clone(),
            },
        )
    }

    /// The signed revocation list as of `now_ms`.
    pub fn revocation_list(
        &self,
        revoked: &[(String, i64, String)],
        now_ms: i64,
    ) -> Result<RevocationList, meddesk_signature::Error> {
        let entries = revoked
            .iter()
            .map(|(serial, at, reason)| Revocation {
                serial: serial.clone(),
                revoked_at_ms: *at,
                reason: reason_of(reason),
            })
            .collect();
        RevocationList::issue(&self.signer, now_ms, entries)
    }
}

pub fn reason_of(text: &str) -> RevocationReason {
    match text {
        "key_compromise" => RevocationReason::KeyCompromise,
        "suspended" => RevocationReason::Suspended,
        "superseded" => RevocationReason::Superseded,
        _ => RevocationReason::Unspecified,
    }
}

/// What a workstation asks the platform to certify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateRequest {
    pub algorithm: Algorithm,
    pub public_key: PublicKey,
}

pub use meddesk_signature::TrustBundle;
