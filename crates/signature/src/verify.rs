//! Offline verification of a signed prescription (R-RX-10): anyone holding the platform's
//! public keys (and, to honour revocations, its signed revocation lists) can check a document
//! with no network; a changed byte in the content, an attestation, a certificate or a
//! timestamp fails.
//!
//! Checks run in a fixed order, so each kind of tampering reports its own stable code:
//! `malformed` → `revocation_invalid` → `certificate_unknown` → `certificate_invalid` →
//! `certificate_role` → `certificate_wrong_organisation` → `certificate_expired` →
//! `certificate_revoked` → `content_changed` → `signature_invalid` → `timestamp_invalid` →
//! `timestamp_missing`.
//!
//! The trusted time of a signature is the earliest time of a valid platform timestamp over
//! it, else the signing time the signer claimed. Validity periods and suspensions are judged
//! at that time. A timestamp is not compared with the claimed time (workstation clocks drift);
//! a verifier that will not take a signer's word for the time sets `require_timestamp`.
//!
//! [`verify`] checks everything on every call; a [`Verifier`] checks the revocation lists
//! once and remembers certificates it has checked, for a server verifying many documents.

use std::collections::HashSet;
use std::sync::Mutex;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::canonical;
use crate::certificate::{Certificate, PlatformKey, RevocationList, Role};
use crate::key::{self, sha256_hex};
use crate::prescription::{
    self, Decision, FORMAT, SignedPrescription, Timestamp, TimestampOf, attested_signature,
};

/// What a verifier trusts: the platform's keys, the revocation lists it has fetched, and
/// whether every signature must carry a platform timestamp.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    pub platform_keys: Vec<PlatformKey>,
    pub revocations: Vec<RevocationList>,
    pub require_timestamp: bool,
}

impl Trust {
    fn platform_key(&self, key_id: &str) -> Option<&PlatformKey> {
        self.platform_keys.iter().find(|key| key.key_id == key_id)
    }
}

/// What a platform publishes for offline verifiers (`GET /v1/trust`, `trust.json` beside an
/// export): its keys, its signed revocation list and the certificates it issued. Public data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustBundle {
    pub platform_keys: Vec<PlatformKey>,
    pub revocations: RevocationList,
    pub certificates: Vec<Certificate>,
}

impl TrustBundle {
    /// The trust to verify with: these platform keys and this revocation list.
    pub fn trust(&self, require_timestamp: bool) -> Trust {
        Trust {
            platform_keys: self.platform_keys.clone(),
            revocations: vec![self.revocations.clone()],
            require_timestamp,
        }
    }

    /// Attach the certificates `doc` names but lacks (a signature made before its
    /// certificate existed, verified later against the platform's published ones).
    pub fn complete(&self, doc: &mut SignedPrescription) {
        let mut serials = vec![doc.physician.certificate.clone()];
        if let Some(review) = &doc.review {
            serials.push(review.certificate.clone());
        }
        for serial in serials {
            if doc.certificates.iter().all(|c| c.body.serial != serial)
                && let Some(cert) = self.certificates.iter().find(|c| c.body.serial == serial)
            {
                doc.certificates.push(cert.clone());
            }
        }
    }
}

/// A verified prescription: who signed, in which role, what was decided, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub prescription_id: String,
    pub org_id: String,
    pub content_sha256: String,
    pub physician: Signatory,
    pub review: Option<ReviewOutcome>,
}

/// One verified signature and the certificate behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signatory {
    pub user_id: String,
    pub role: Role,
    pub org_id: String,
    pub certificate: String,
    /// The time the signer claimed.
    pub signed_at_ms: i64,
    /// The platform's time for this signature, when a valid timestamp covers it.
    pub timestamp_ms: Option<i64>,
}

/// The verified pharmacist review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewOutcome {
    pub pharmacist: Signatory,
    pub decision: Decision,
    pub reasons: Vec<String>,
}

/// Why a document does not verify. Details name fields, serials and key ids, never content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("malformed document: {detail}")]
    Malformed { detail: String },
    #[error("revocation list of issuer {issuer} does not verify against a trusted platform key")]
    RevocationInvalid { issuer: String },
    #[error("certificate {serial} is unknown or not issued by a trusted platform key")]
    CertificateUnknown { serial: String },
    #[error("certificate {serial}: the issuer's signature does not verify")]
    CertificateInvalid { serial: String },
    #[error("certificate {serial} is not a {expected} certificate")]
    CertificateRole { serial: String, expected: Role },
    #[error("certificate {serial} belongs to another organisation than the prescription")]
    CertificateWrongOrganisation { serial: String },
    #[error("certificate {serial} is not valid at the {of} signature's trusted time")]
    CertificateExpired { serial: String, of: TimestampOf },
    #[error("certificate {serial} is revoked for the {of} signature")]
    CertificateRevoked { serial: String, of: TimestampOf },
    #[error("the content is not what the physician signed")]
    ContentChanged,
    #[error("the {of} signature does not verify")]
    SignatureInvalid { of: TimestampOf },
    #[error("a timestamp of the {of} signature does not verify")]
    TimestampInvalid { of: TimestampOf },
    #[error("the {of} signature has no platform timestamp")]
    TimestampMissing { of: TimestampOf },
}

impl VerifyError {
    /// A stable snake_case code a caller can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed",
            Self::RevocationInvalid { .. } => "revocation_invalid",
            Self::CertificateUnknown { .. } => "certificate_unknown",
            Self::CertificateInvalid { .. } => "certificate_invalid",
            Self::CertificateRole { .. } => "certificate_role",
            Self::CertificateWrongOrganisation { .. } => "certificate_wrong_organisation",
            Self::CertificateExpired { .. } => "certificate_expired",
            Self::CertificateRevoked { .. } => "certificate_revoked",
            Self::ContentChanged => "content_changed",
            Self::SignatureInvalid { .. } => "signature_invalid",
            Self::TimestampInvalid { .. } => "timestamp_invalid",
            Self::TimestampMissing { .. } => "timestamp_missing",
        }
    }
}

fn malformed(detail: impl Into<String>) -> VerifyError {
    VerifyError::Malformed {
        detail: detail.into(),
    }
}

/// One signature of the document and what verification learns about it on the way.
struct Signed<'a> {
    of: TimestampOf,
    serial: &'a str,
    role: Role,
    claimed_ms: i64,
    cert: &'a Certificate,
    timestamp_ms: Option<i64>,
}

impl Signed<'_> {
    fn trusted_ms(&self) -> i64 {
        self.timestamp_ms.unwrap_or(self.claimed_ms)
    }
}

/// Verifies `doc` against `trust`, offline. Checks every signature on every call, the
/// revocation lists' and the certificates' included; a [`Verifier`] remembers those.
pub fn verify(doc: &SignedPrescription, trust: &Trust) -> Result<Verified, VerifyError> {
    check(doc, trust, None)
}

/// A verifier for many documents: checks the revocation lists once, when made, and remembers
/// the certificates it has checked (by the digest of issuer key, certified bytes and
/// signature), so a physician's certificate is verified once rather than per prescription.
/// The answers are those of [`verify`].
#[derive(Debug)]
pub struct Verifier {
    trust: Trust,
    checked: Mutex<HashSet<[u8; 32]>>,
}

/// How many checked certificates a [`Verifier`] remembers before it starts afresh.
const REMEMBERED_CERTIFICATES: usize = 4_096;

impl Verifier {
    /// Fails with `revocation_invalid` when a revocation list is not the platform's.
    pub fn new(trust: Trust) -> Result<Self, VerifyError> {
        check_revocation_lists(&trust)?;
        Ok(Self {
            trust,
            checked: Mutex::new(HashSet::new()),
        })
    }

    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    pub fn verify(&self, doc: &SignedPrescription) -> Result<Verified, VerifyError> {
        check(doc, &self.trust, Some(&self.checked))
    }
}

fn check_revocation_lists(trust: &Trust) -> Result<(), VerifyError> {
    for list in &trust.revocations {
        let checked = trust
            .platform_key(&list.issuer)
            .is_some_and(|key| list.check(key).is_ok());
        if !checked {
            return Err(VerifyError::RevocationInvalid {
                issuer: list.issuer.clone(),
            });
        }
    }
    Ok(())
}

/// Whether `cert` verifies under `issuer`, consulting and filling `memory` when given.
fn certificate_is_valid(
    cert: &Certificate,
    issuer: &PlatformKey,
    memory: Option<&Mutex<HashSet<[u8; 32]>>>,
) -> bool {
    let Some(memory) = memory else {
        return cert.check(issuer).is_ok();
    };
    let Ok(certified) = cert.signed_bytes() else {
        return false;
    };
    let mut hasher = Sha256::new();
    for part in [
        issuer.key_id.as_bytes(),
        issuer.algorithm.to_string().as_bytes(),
        issuer.public_key.as_bytes(),
        &certified,
        cert.signature.as_bytes(),
    ] {
        // Length-prefixed, so no two different inputs hash alike.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    let digest: [u8; 32] = hasher.finalize().into();
    if memory.lock().is_ok_and(|checked| checked.contains(&digest)) {
        return true;
    }
    let valid = cert.check(issuer).is_ok();
    if valid {
        if let Ok(mut checked) = memory.lock() {
            if checked.len() >= REMEMBERED_CERTIFICATES {
                checked.clear();
            }
            checked.insert(digest);
        }
    }
    valid
}

fn check(
    doc: &SignedPrescription,
    trust: &Trust,
    memory: Option<&Mutex<HashSet<[u8; 32]>>>,
) -> Result<Verified, VerifyError> {
    // malformed
    if doc.format != FORMAT {
        return Err(malformed("format"));
    }
    let ids = prescription::content_ids(&doc.content).map_err(|e| malformed(e.to_string()))?;
    let canonical_content =
        canonical::to_vec(&doc.content).map_err(|e| malformed(format!("content: {e}")))?;
    for (i, cert) in doc.certificates.iter().enumerate() {
        if doc.certificates[..i]
            .iter()
            .any(|other| other.body.serial == cert.body.serial)
        {
            return Err(malformed(format!(
                "certificate {} appears twice",
                cert.body.serial
            )));
        }
    }

    // revocation_invalid: the verifier's own inputs must be the platform's (a Verifier
    // checked them when it was made).
    if memory.is_none() {
        check_revocation_lists(trust)?;
    }

    // certificate_unknown: every signature's certificate is in the document, and every
    // certificate the document carries names a trusted issuer.
    let find = |serial: &str| {
        doc.certificates
            .iter()
            .find(|cert| cert.body.serial == serial)
            .ok_or_else(|| VerifyError::CertificateUnknown {
                serial: serial.to_owned(),
            })
    };
    let mut signed = vec![Signed {
        of: TimestampOf::Sign,
        serial: &doc.physician.certificate,
        role: Role::Physician,
        claimed_ms: doc.physician.signed_at_ms,
        cert: find(&doc.physician.certificate)?,
        timestamp_ms: None,
    }];
    if let Some(review) = &doc.review {
        signed.push(Signed {
            of: TimestampOf::Review,
            serial: &review.certificate,
            role: Role::Pharmacist,
            claimed_ms: review.decided_at_ms,
            cert: find(&review.certificate)?,
            timestamp_ms: None,
        });
    }
    for cert in &doc.certificates {
        if trust.platform_key(&cert.body.issuer).is_none() {
            return Err(VerifyError::CertificateUnknown {
                serial: cert.body.serial.clone(),
            });
        }
    }
    // certificate_invalid
    for cert in &doc.certificates {
        let valid = trust
            .platform_key(&cert.body.issuer)
            .is_some_and(|key| certificate_is_valid(cert, key, memory));
        if !valid {
            return Err(VerifyError::CertificateInvalid {
                serial: cert.body.serial.clone(),
            });
        }
    }
    // certificate_role
    for s in &signed {
        let cert = s.cert;
        if cert.body.role != s.role {
            return Err(VerifyError::CertificateRole {
                serial: s.serial.to_owned(),
                expected: s.role,
            });
        }
    }
    // certificate_wrong_organisation
    for s in &signed {
        if s.cert.body.org_id != ids.org_id {
            return Err(VerifyError::CertificateWrongOrganisation {
                serial: s.serial.to_owned(),
            });
        }
    }

    // Timestamps are checked now, because they give the trusted time validity and revocation
    // are judged at; a bad one is reported in its place in the order, further down.
    let mut bad_timestamp = None;
    for timestamp in &doc.timestamps {
        if timestamp_is_valid(doc, timestamp, trust) {
            if let Some(s) = signed.iter_mut().find(|s| s.of == timestamp.of) {
                s.timestamp_ms = Some(
                    s.timestamp_ms
                        .map_or(timestamp.time_ms, |t| t.min(timestamp.time_ms)),
                );
            }
        } else if bad_timestamp.is_none() {
            bad_timestamp = Some(timestamp.of);
        }
    }

    // certificate_expired
    for s in &signed {
        if !s.cert.body.is_valid_at(s.trusted_ms()) {
            return Err(VerifyError::CertificateExpired {
                serial: s.serial.to_owned(),
                of: s.of,
            });
        }
    }
    // certificate_revoked
    for s in &signed {
        let cert = s.cert;
        let revoked = trust.revocations.iter().any(|list| {
            list.entries_for(&cert.body.issuer, &cert.body.serial)
                .any(|entry| entry.invalidates(s.trusted_ms()))
        });
        if revoked {
            return Err(VerifyError::CertificateRevoked {
                serial: s.serial.to_owned(),
                of: s.of,
            });
        }
    }

    // content_changed: an exact string comparison, so the digest's spelling is fixed too.
    let content_sha256 = sha256_hex(&canonical_content);
    if content_sha256 != doc.physician.content_sha256 {
        return Err(VerifyError::ContentChanged);
    }

    // signature_invalid
    let physician_cert = signed[0].cert;
    let message = prescription::sign_message(
        &doc.physician.certificate,
        &doc.physician.content_sha256,
        doc.physician.signed_at_ms,
    )
    .map_err(|e| malformed(format!("physician: {e}")))?;
    key::verify(
        physician_cert.body.algorithm,
        &physician_cert.body.public_key,
        &message,
        &doc.physician.signature,
    )
    .map_err(|_| VerifyError::SignatureInvalid {
        of: TimestampOf::Sign,
    })?;
    if let (Some(review), Some(s)) = (&doc.review, signed.get(1)) {
        let cert = s.cert;
        let bound =
            review.physician_signature_sha256 == sha256_hex(doc.physician.signature.as_bytes());
        let message =
            prescription::review_message(review).map_err(|e| malformed(format!("review: {e}")))?;
        let valid = bound
            && key::verify(
                cert.body.algorithm,
                &cert.body.public_key,
                &message,
                &review.signature,
            )
            .is_ok();
        if !valid {
            return Err(VerifyError::SignatureInvalid {
                of: TimestampOf::Review,
            });
        }
    }

    // timestamp_invalid, timestamp_missing
    if let Some(of) = bad_timestamp {
        return Err(VerifyError::TimestampInvalid { of });
    }
    if trust.require_timestamp {
        if let Some(s) = signed.iter().find(|s| s.timestamp_ms.is_none()) {
            return Err(VerifyError::TimestampMissing { of: s.of });
        }
    }

    let signatory = |s: &Signed<'_>| -> Result<Signatory, VerifyError> {
        let body = &s.cert.body;
        Ok(Signatory {
            user_id: body.user_id.clone(),
            role: body.role,
            org_id: body.org_id.clone(),
            certificate: body.serial.clone(),
            signed_at_ms: s.claimed_ms,
            timestamp_ms: s.timestamp_ms,
        })
    };
    let review = match (&doc.review, signed.get(1)) {
        (Some(review), Some(s)) => Some(ReviewOutcome {
            pharmacist: signatory(s)?,
            decision: review.decision,
            reasons: review.reasons.clone(),
        }),
        _ => None,
    };
    Ok(Verified {
        prescription_id: ids.prescription_id.to_owned(),
        org_id: ids.org_id.to_owned(),
        content_sha256,
        physician: signatory(&signed[0])?,
        review,
    })
}

/// A timestamp is valid when a trusted platform key signed it and its digest is the digest of
/// the signature it names.
fn timestamp_is_valid(doc: &SignedPrescription, timestamp: &Timestamp, trust: &Trust) -> bool {
    let Some(key) = trust.platform_key(&timestamp.issuer) else {
        return false;
    };
    let Some(signature) = attested_signature(doc, timestamp.of) else {
        return false;
    };
    if timestamp.signature_sha256 != sha256_hex(signature.as_bytes()) {
        return false;
    }
    prescription::timestamp_message(timestamp).is_ok_and(|message| {
        key::verify(
            key.algorithm,
            &key.public_key,
            &message,
            &timestamp.signature,
        )
        .is_ok()
    })
}
