//! Electronic signatures for prescriptions (R-RX-10): the physician's signature and the
//! pharmacist's approval are cryptographic signatures by keys bound to the person, over a
//! canonical encoding of exactly what was signed, with a trusted time from the platform.
//!
//! - [`canonical`] — RFC 8785 JSON Canonicalization Scheme: the bytes that are hashed and signed.
//! - [`key`] — algorithms, keys, signatures and the [`Signer`] trait (a keychain key today,
//!   a CA-issued key or a hardware token later).
//! - [`certificate`] — the platform's binding of key ↔ user ↔ role ↔ organisation, with
//!   validity, and its signed revocation lists.
//! - [`prescription`] — the signed prescription document and the functions that build it
//!   (sign, review, timestamp).
//! - [`mod@verify`] — offline verification of a document against the platform keys a verifier
//!   trusts, with one stable error code per failure.
//!
//! This crate must never do IO or read the clock: keys, certificates, revocation lists and
//! times (unix milliseconds) come in as arguments, and the one source of randomness is
//! [`Ed25519Signer::generate`]. It never stores a private key (the caller puts
//! [`Ed25519Signer::seed`] in the OS keychain) and never puts content values (patient data)
//! into an error: errors name fields, serials and key ids.

pub mod canonical;
pub mod certificate;
pub mod key;
pub mod prescription;
pub mod verify;

pub use certificate::{
    Certificate, CertificateBody, PlatformKey, Revocation, RevocationList, RevocationReason, Role,
    issue,
};
pub use key::{Algorithm, Ed25519Signer, PublicKey, SignatureBytes, Signer};
pub use prescription::{
    Attestation, Decision, FORMAT, Review, SignedPrescription, Timestamp, TimestampOf, add_review,
    add_timestamp, attach_certificate, review_pending, serial_of, sign_prescription,
    sign_prescription_pending,
};
pub use verify::{
    ReviewOutcome, Signatory, Trust, TrustBundle, Verified, Verifier, VerifyError, verify,
};

/// What can go wrong while encoding, signing or building a document. Verification has its own
/// error, [`VerifyError`], whose codes a verifier branches on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// NaN and ±Infinity have no JSON form (RFC 8785 §3.2.2.3).
    #[error("a number is not finite; canonical JSON has no form for NaN or Infinity")]
    NumberNotFinite,
    /// An integer beyond ±2^53 would be rounded by the IEEE 754 form JCS prescribes, so two
    /// different values would sign as the same bytes: refused instead.
    #[error("an integer is beyond ±2^53 and cannot be signed exactly in canonical JSON")]
    NumberOutOfRange,
    #[error("value could not be encoded as JSON: {0}")]
    Encoding(String),
    #[error("the public key is not a valid {algorithm} key")]
    KeyInvalid { algorithm: Algorithm },
    #[error("the signature does not verify")]
    SignatureInvalid,
    #[error("operating-system randomness is unavailable")]
    RandomUnavailable,
    #[error("signing failed: {0}")]
    SigningFailed(String),
    #[error("content must be a JSON object with a string field `{field}`")]
    ContentMalformed { field: &'static str },
    #[error("the signer's key ({key_id}) is not the key certificate {serial} certifies")]
    KeyMismatch { key_id: String, serial: String },
    #[error("the issuer's key id ({key_id}) is not the issuer named in the body ({issuer})")]
    IssuerMismatch { key_id: String, issuer: String },
    #[error("certificate {serial} is not a {expected} certificate")]
    CertificateRole { serial: String, expected: Role },
    #[error("certificate {serial} belongs to another organisation than the prescription")]
    CertificateWrongOrganisation { serial: String },
    #[error("certificate {serial} is not valid at the signing time")]
    CertificateExpired { serial: String },
    #[error("the document already holds a different certificate with serial {serial}")]
    CertificateConflict { serial: String },
    #[error("the prescription already has a review")]
    AlreadyReviewed,
    #[error("there is no {of} signature to timestamp")]
    NothingToTimestamp { of: TimestampOf },
}

impl Error {
    /// A stable snake_case code a caller can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NumberNotFinite => "number_not_finite",
            Self::NumberOutOfRange => "number_out_of_range",
            Self::Encoding(_) => "encoding",
            Self::KeyInvalid { .. } => "key_invalid",
            Self::SignatureInvalid => "signature_invalid",
            Self::RandomUnavailable => "random_unavailable",
            Self::SigningFailed(_) => "signing_failed",
            Self::ContentMalformed { .. } => "content_malformed",
            Self::KeyMismatch { .. } => "key_mismatch",
            Self::IssuerMismatch { .. } => "issuer_mismatch",
            Self::CertificateRole { .. } => "certificate_role",
            Self::CertificateWrongOrganisation { .. } => "certificate_wrong_organisation",
            Self::CertificateExpired { .. } => "certificate_expired",
            Self::CertificateConflict { .. } => "certificate_conflict",
            Self::AlreadyReviewed => "already_reviewed",
            Self::NothingToTimestamp { .. } => "nothing_to_timestamp",
        }
    }
}
