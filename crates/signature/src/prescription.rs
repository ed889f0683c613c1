//! The signed prescription document (`meddesk-signed-prescription/1`) and the functions that
//! build it: the physician signs, the pharmacist reviews (a second signature over the
//! physician's signature and the decision), the platform timestamps each signature.
//!
//! The content is opaque here except for two string fields, `prescription_id` and `org_id`:
//! the caller decides what a prescription holds (pseudonymous patient id, diagnosis, lines,
//! checker findings with the pack version, override reasons, validity). What is signed is the
//! SHA-256 of its RFC 8785 canonical form, so the document can travel as any JSON.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::certificate::{Certificate, Role};
use crate::key::{SignatureBytes, Signer, sha256_hex};
use crate::{Error, canonical};

/// The document's `format` member.
pub const FORMAT: &str = "meddesk-signed-prescription/1";

pub(crate) const SIGN_PURPOSE: &str = "meddesk/prescription/sign";
pub(crate) const REVIEW_PURPOSE: &str = "meddesk/prescription/review";
pub(crate) const TIMESTAMP_PURPOSE: &str = "meddesk/timestamp";

/// A prescription, its signatures and the certificates needed to verify them offline.
/// Unknown members are refused, so nothing unsigned can ride along.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedPrescription {
    pub format: String,
    pub content: Value,
    pub physician: Attestation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    #[serde(default)]
    pub timestamps: Vec<Timestamp>,
    pub certificates: Vec<Certificate>,
}

/// The physician's signature: certificate `certificate` signed the canonical JSON
/// `{"certificate","content_sha256","purpose":"meddesk/prescription/sign","signed_at_ms"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// The serial of the signing certificate.
    pub certificate: String,
    pub signed_at_ms: i64,
    /// Lowercase hex SHA-256 of the canonical content.
    pub content_sha256: String,
    pub signature: SignatureBytes,
}

/// The pharmacist's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// The pharmacist's review: certificate `certificate` signed the canonical JSON of every
/// field but `signature`, plus `"purpose":"meddesk/prescription/review"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub certificate: String,
    pub decision: Decision,
    pub reasons: Vec<String>,
    pub decided_at_ms: i64,
    /// Lowercase hex SHA-256 of the physician's signature bytes: the review is bound to
    /// exactly one signed prescription.
    pub physician_signature_sha256: String,
    pub signature: SignatureBytes,
}

/// Which signature a timestamp countersigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampOf {
    Sign,
    Review,
}

impl fmt::Display for TimestampOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sign => "sign",
            Self::Review => "review",
        })
    }
}

/// The platform's countersignature: signature digest `signature_sha256` existed at `time_ms`
/// (the trusted time). Signed over the canonical JSON of every field but `signature`, plus
/// `"purpose":"meddesk/timestamp"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timestamp {
    pub of: TimestampOf,
    pub signature_sha256: String,
    pub time_ms: i64,
    /// The key id of the platform key that signed.
    pub issuer: String,
    pub signature: SignatureBytes,
}

/// The physician signs `content` with `signer`, whose key `cert` certifies, at `at_ms`.
/// Refuses what a verifier would refuse: a non-physician or other-organisation certificate,
/// a certificate not valid at `at_ms`, a signer whose key is not the certificate's.
pub fn sign_prescription(
    content: Value,
    cert: &Certificate,
    signer: &dyn Signer,
    at_ms: i64,
) -> Result<SignedPrescription, Error> {
    let ids = content_ids(&content)?;
    check_signing_certificate(cert, signer, Role::Physician, ids.org_id, at_ms)?;
    let mut doc = attest(content, cert.body.serial.clone(), signer, at_ms)?;
    doc.certificates.push(cert.clone());
    Ok(doc)
}

/// The physician's attestation over `content` naming certificate `serial`, and no
/// certificate yet.
fn attest(
    content: Value,
    serial: String,
    signer: &dyn Signer,
    at_ms: i64,
) -> Result<SignedPrescription, Error> {
    let content_sha256 = sha256_hex(&canonical::to_vec(&content)?);
    let message = sign_message(&serial, &content_sha256, at_ms)?;
    let signature = signer.sign(&message)?;
    Ok(SignedPrescription {
        format: FORMAT.to_owned(),
        content,
        physician: Attestation {
            certificate: serial,
            signed_at_ms: at_ms,
            content_sha256,
            signature,
        },
        review: None,
        timestamps: Vec::new(),
        certificates: Vec::new(),
    })
}

/// The pharmacist reviews the signed prescription: `decision` with `reasons`, at `at_ms`,
/// signed over the physician's signature digest. A document takes one review.
pub fn add_review(
    doc: &mut SignedPrescription,
    cert: &Certificate,
    signer: &dyn Signer,
    decision: Decision,
    reasons: Vec<String>,
    at_ms: i64,
) -> Result<(), Error> {
    if doc.review.is_some() {
        return Err(Error::AlreadyReviewed);
    }
    let ids = content_ids(&doc.content)?;
    check_signing_certificate(cert, signer, Role::Pharmacist, ids.org_id, at_ms)?;
    let mut review = Review {
        certificate: cert.body.serial.clone(),
        decision,
        reasons,
        decided_at_ms: at_ms,
        physician_signature_sha256: sha256_hex(doc.physician.signature.as_bytes()),
        signature: SignatureBytes::from_bytes(Vec::new()),
    };
    review.signature = signer.sign(&review_message(&review)?)?;
    add_certificate(doc, cert)?;
    doc.review = Some(review);
    Ok(())
}

/// The serial a platform gives the certificate of `signer`'s key: its fingerprint, known
/// before the certificate exists.
pub fn serial_of(signer: &dyn Signer) -> String {
    crate::key::fingerprint(&signer.public_key())
}

/// As [`sign_prescription`], for a key whose certificate is not on this workstation yet (a
/// key made offline): the attestation names the serial the platform will give it
/// ([`serial_of`]) and the document carries no certificate. The platform adds the
/// certificate when it accepts the signature; until then the document does not verify.
pub fn sign_prescription_pending(
    content: Value,
    signer: &dyn Signer,
    at_ms: i64,
) -> Result<SignedPrescription, Error> {
    content_ids(&content)?;
    attest(content, serial_of(signer), signer, at_ms)
}

/// As [`add_review`], for a pharmacist's key whose certificate is not here yet: the review
/// names [`serial_of`] the key; the platform adds the certificate when it accepts it.
pub fn review_pending(
    doc: &SignedPrescription,
    signer: &dyn Signer,
    decision: Decision,
    reasons: Vec<String>,
    at_ms: i64,
) -> Result<Review, Error> {
    if doc.review.is_some() {
        return Err(Error::AlreadyReviewed);
    }
    content_ids(&doc.content)?;
    let mut review = Review {
        certificate: serial_of(signer),
        decision,
        reasons,
        decided_at_ms: at_ms,
        physician_signature_sha256: sha256_hex(doc.physician.signature.as_bytes()),
        signature: SignatureBytes::from_bytes(Vec::new()),
    };
    review.signature = signer.sign(&review_message(&review)?)?;
    Ok(review)
}

/// Add a certificate the document needs (e.g. the platform adding the one it issued for a
/// pending signature). The same certificate twice is fine; another one with its serial is not.
pub fn attach_certificate(doc: &mut SignedPrescription, cert: &Certificate) -> Result<(), Error> {
    add_certificate(doc, cert)
}

/// The platform countersigns the `of` signature at `time_ms` with its own key.
pub fn add_timestamp(
    doc: &mut SignedPrescription,
    of: TimestampOf,
    platform: &dyn Signer,
    time_ms: i64,
) -> Result<(), Error> {
    let signature = attested_signature(doc, of).ok_or(Error::NothingToTimestamp { of })?;
    let mut timestamp = Timestamp {
        of,
        signature_sha256: sha256_hex(signature.as_bytes()),
        time_ms,
        issuer: platform.key_id().to_owned(),
        signature: SignatureBytes::from_bytes(Vec::new()),
    };
    timestamp.signature = platform.sign(&timestamp_message(&timestamp)?)?;
    doc.timestamps.push(timestamp);
    Ok(())
}

/// The signature a timestamp of `of` countersigns, if the document has it.
pub(crate) fn attested_signature(
    doc: &SignedPrescription,
    of: TimestampOf,
) -> Option<&SignatureBytes> {
    match of {
        TimestampOf::Sign => Some(&doc.physician.signature),
        TimestampOf::Review => doc.review.as_ref().map(|review| &review.signature),
    }
}

pub(crate) struct ContentIds<'a> {
    pub prescription_id: &'a str,
    pub org_id: &'a str,
}

pub(crate) fn content_ids(content: &Value) -> Result<ContentIds<'_>, Error> {
    let Value::Object(map) = content else {
        return Err(Error::ContentMalformed { field: "content" });
    };
    let field = |name: &'static str| {
        map.get(name)
            .and_then(Value::as_str)
            .ok_or(Error::ContentMalformed { field: name })
    };
    Ok(ContentIds {
        prescription_id: field("prescription_id")?,
        org_id: field("org_id")?,
    })
}

pub(crate) fn sign_message(
    certificate: &str,
    content_sha256: &str,
    signed_at_ms: i64,
) -> Result<Vec<u8>, Error> {
    canonical::to_vec(&serde_json::json!({
        "purpose": SIGN_PURPOSE,
        "certificate": certificate,
        "content_sha256": content_sha256,
        "signed_at_ms": signed_at_ms,
    }))
}

pub(crate) fn review_message(review: &Review) -> Result<Vec<u8>, Error> {
    canonical::to_vec(&serde_json::json!({
        "purpose": REVIEW_PURPOSE,
        "certificate": review.certificate,
        "decision": review.decision,
        "reasons": review.reasons,
        "decided_at_ms": review.decided_at_ms,
        "physician_signature_sha256": review.physician_signature_sha256,
    }))
}

pub(crate) fn timestamp_message(timestamp: &Timestamp) -> Result<Vec<u8>, Error> {
    canonical::to_vec(&serde_json::json!({
        "purpose": TIMESTAMP_PURPOSE,
        "of": timestamp.of,
        "signature_sha256": timestamp.signature_sha256,
        "time_ms": timestamp.time_ms,
        "issuer": timestamp.issuer,
    }))
}

fn check_signing_certificate(
    cert: &Certificate,
    signer: &dyn Signer,
    role: Role,
    org_id: &str,
    at_ms: i64,
) -> Result<(), Error> {
    let body = &cert.body;
    if body.role != role {
        return Err(Error::CertificateRole {
            serial: body.serial.clone(),
            expected: role,
        });
    }
    if body.org_id != org_id {
        return Err(Error::CertificateWrongOrganisation {
            serial: body.serial.clone(),
        });
    }
    if !body.is_valid_at(at_ms) {
        return Err(Error::CertificateExpired {
            serial: body.serial.clone(),
        });
    }
    if body.algorithm != signer.algorithm() || body.public_key != signer.public_key() {
        return Err(Error::KeyMismatch {
            key_id: signer.key_id().to_owned(),
            serial: body.serial.clone(),
        });
    }
    Ok(())
}

fn add_certificate(doc: &mut SignedPrescription, cert: &Certificate) -> Result<(), Error> {
    match doc
        .certificates
        .iter()
        .find(|held| held.body.serial == cert.body.serial)
    {
        Some(held) if held == cert => Ok(()),
        Some(_) => Err(Error::CertificateConflict {
            serial: cert.body.serial.clone(),
        }),
        None => {
            doc.certificates.push(cert.clone());
            Ok(())
        }
    }
}
