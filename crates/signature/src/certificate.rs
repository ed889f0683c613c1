//! Certificates: the platform binds a person's public key to their user id, role and
//! organisation for a validity period, and withdraws that binding with signed revocation
//! lists (R-RX-10).
//!
//! Each signed object is signed over the canonical JSON of its fields plus a `purpose` member
//! (`meddesk/certificate`, `meddesk/revocation-list`), so a platform signature made for one
//! kind of object can never be replayed as another.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::key::{self, Algorithm, PublicKey, SignatureBytes, Signer};
use crate::{Error, canonical};

const CERTIFICATE_PURPOSE: &str = "meddesk/certificate";
const REVOCATION_LIST_PURPOSE: &str = "meddesk/revocation-list";

/// The role a certificate grants: who may sign a prescription, who may review it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Physician,
    Pharmacist,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Physician => "physician",
            Self::Pharmacist => "pharmacist",
        })
    }
}

/// A platform signing key a verifier trusts: the issuer of certificates, revocation lists
/// and timestamps. It carries its algorithm so an SM2 platform key can sit beside Ed25519.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformKey {
    pub key_id: String,
    pub algorithm: Algorithm,
    pub public_key: PublicKey,
}

impl PlatformKey {
    /// The public half of a platform signer.
    pub fn of(signer: &dyn Signer) -> Self {
        Self {
            key_id: signer.key_id().to_owned(),
            algorithm: signer.algorithm(),
            public_key: signer.public_key(),
        }
    }
}

/// What the platform certifies: this key belongs to this user, in this role, at this
/// organisation, from `not_before_ms` to `not_after_ms` (both inclusive, unix ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateBody {
    /// Unique per issuer; revocation lists name certificates by it.
    pub serial: String,
    pub user_id: String,
    pub role: Role,
    pub org_id: String,
    pub algorithm: Algorithm,
    pub public_key: PublicKey,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
    /// The key id of the platform key that signs this certificate.
    pub issuer: String,
}

impl CertificateBody {
    /// Whether `time_ms` lies in the validity period (both ends inclusive).
    pub fn is_valid_at(&self, time_ms: i64) -> bool {
        self.not_before_ms <= time_ms && time_ms <= self.not_after_ms
    }
}

/// A certificate body and the issuer's signature over its canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    pub body: CertificateBody,
    pub signature: SignatureBytes,
}

/// The platform `issuer` certifies `body`. The body must name the issuer's key id.
pub fn issue(issuer: &dyn Signer, body: CertificateBody) -> Result<Certificate, Error> {
    if body.issuer != issuer.key_id() {
        return Err(Error::IssuerMismatch {
            key_id: issuer.key_id().to_owned(),
            issuer: body.issuer,
        });
    }
    let signature = issuer.sign(&signed_bytes(CERTIFICATE_PURPOSE, &body)?)?;
    Ok(Certificate { body, signature })
}

impl Certificate {
    /// Checks the issuer's signature with the issuer's key (the caller picks the key by
    /// `body.issuer`; [`crate::verify()`] does so from its `Trust`).
    pub fn check(&self, issuer: &PlatformKey) -> Result<(), Error> {
        if issuer.key_id != self.body.issuer {
            return Err(Error::IssuerMismatch {
                key_id: issuer.key_id.clone(),
                issuer: self.body.issuer.clone(),
            });
        }
        let message = self.signed_bytes()?;
        key::verify(
            issuer.algorithm,
            &issuer.public_key,
            &message,
            &self.signature,
        )
    }
}

impl Certificate {
    /// The bytes the issuer signs: the canonical body with `"purpose":"meddesk/certificate"`.
    pub fn signed_bytes(&self) -> Result<Vec<u8>, Error> {
        signed_bytes(CERTIFICATE_PURPOSE, &self.body)
    }
}

/// Why a certificate was revoked. The reason decides which signatures fall with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    /// The private key may be in other hands: no signature by it can be trusted, whenever made.
    KeyCompromise,
    /// Suspended (e.g. prescribing rights under review): signatures made before stay valid.
    Suspended,
    /// Replaced by a new certificate: signatures made before stay valid.
    Superseded,
    /// No reason given: treated like a key compromise, the safe reading.
    Unspecified,
}

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    pub serial: String,
    pub revoked_at_ms: i64,
    pub reason: RevocationReason,
}

impl Revocation {
    /// Whether this revocation invalidates a signature whose trusted time is `time_ms`:
    /// always for a key compromise or no reason; from `revoked_at_ms` on (inclusive) for a
    /// suspension or a supersession.
    pub fn invalidates(&self, time_ms: i64) -> bool {
        match self.reason {
            RevocationReason::KeyCompromise | RevocationReason::Unspecified => true,
            RevocationReason::Suspended | RevocationReason::Superseded => {
                time_ms >= self.revoked_at_ms
            }
        }
    }
}

/// The certificates a platform key has revoked, as of `issued_at_ms`, signed by that key.
/// Serials are the issuer's, so a list only ever revokes certificates of its own issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationList {
    pub issuer: String,
    pub issued_at_ms: i64,
    pub entries: Vec<Revocation>,
    pub signature: SignatureBytes,
}

#[derive(Serialize)]
struct RevocationListBody<'a> {
    issuer: &'a str,
    issued_at_ms: i64,
    entries: &'a [Revocation],
}

impl RevocationList {
    /// The platform `issuer` signs a list of `entries` as of `issued_at_ms`.
    pub fn issue(
        issuer: &dyn Signer,
        issued_at_ms: i64,
        entries: Vec<Revocation>,
    ) -> Result<Self, Error> {
        let body = RevocationListBody {
            issuer: issuer.key_id(),
            issued_at_ms,
            entries: &entries,
        };
        let signature = issuer.sign(&signed_bytes(REVOCATION_LIST_PURPOSE, &body)?)?;
        Ok(Self {
            issuer: issuer.key_id().to_owned(),
            issued_at_ms,
            entries,
            signature,
        })
    }

    /// Checks the issuer's signature over the list.
    pub fn check(&self, issuer: &PlatformKey) -> Result<(), Error> {
        if issuer.key_id != self.issuer {
            return Err(Error::IssuerMismatch {
                key_id: issuer.key_id.clone(),
                issuer: self.issuer.clone(),
            });
        }
        let body = RevocationListBody {
            issuer: &self.issuer,
            issued_at_ms: self.issued_at_ms,
            entries: &self.entries,
        };
        let message = signed_bytes(REVOCATION_LIST_PURPOSE, &body)?;
        key::verify(
            issuer.algorithm,
            &issuer.public_key,
            &message,
            &self.signature,
        )
    }

    /// The entries revoking certificate `serial` of this list's issuer.
    pub fn entries_for<'a>(
        &'a self,
        issuer: &'a str,
        serial: &'a str,
    ) -> impl Iterator<Item = &'a Revocation> + 'a {
        self.entries
            .iter()
            .filter(move |entry| self.issuer == issuer && entry.serial == serial)
    }
}

/// The canonical JSON of `body`'s fields plus `"purpose": purpose`.
pub(crate) fn signed_bytes<T: Serialize>(purpose: &str, body: &T) -> Result<Vec<u8>, Error> {
    let mut value = serde_json::to_value(body).map_err(|e| Error::Encoding(e.to_string()))?;
    let Value::Object(map) = &mut value else {
        return Err(Error::Encoding(
            "a signed body must be an object".to_owned(),
        ));
    };
    map.insert("purpose".to_owned(), Value::String(purpose.to_owned()));
    canonical::to_vec(&value)
}
