//! Algorithms, keys, signatures and the [`Signer`] trait.
//!
//! Why Ed25519 now: it is the simplest sound default — deterministic (no per-signature
//! randomness to get wrong), small keys and signatures, fast, and verified strictly here
//! (no malleable or small-order encodings). Chinese CA practice uses SM2 signatures with SM3
//! digests (GB/T 32918, GM/T 0003); a CA-issued SM2 key or a hardware token plugs in as another
//! [`Signer`] and another [`Algorithm`] variant, without changing the document format: every
//! certificate names its key's algorithm and every platform key carries its own.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::Signer as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::Error;

/// A signature algorithm. Non-exhaustive: SM2/SM3 is the planned second variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Algorithm {
    /// RFC 8032 Ed25519, verified strictly.
    #[serde(rename = "ed25519")]
    Ed25519,
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ed25519 => "ed25519",
        })
    }
}

macro_rules! base64_bytes {
    ($name:ident, $what:literal) => {
        #[doc = concat!($what, ", serialized as standard padded base64.")]
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(Vec<u8>);

        impl $name {
            pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
                Self(bytes.into())
            }
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }
            pub fn to_base64(&self) -> String {
                STANDARD.encode(&self.0)
            }
            pub fn from_base64(text: &str) -> Option<Self> {
                STANDARD.decode(text).ok().map(Self)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_base64())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_base64())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::from_base64(&text).ok_or_else(|| {
                    serde::de::Error::custom(concat!($what, " is not standard padded base64"))
                })
            }
        }
    };
}

base64_bytes!(PublicKey, "A public key's raw bytes");
base64_bytes!(SignatureBytes, "A signature's raw bytes");

/// Something that signs with a private key bound to a person or to the platform: an
/// [`Ed25519Signer`] from the OS keychain today; a CA-issued key or a hardware token later.
pub trait Signer {
    /// The key's id: a platform key's name in `Trust`, or the key a certificate certifies.
    fn key_id(&self) -> &str;
    fn algorithm(&self) -> Algorithm;
    fn public_key(&self) -> PublicKey;
    fn sign(&self, message: &[u8]) -> Result<SignatureBytes, Error>;
}

/// An Ed25519 private key. The secret is zeroized on drop and never shown by `Debug`.
pub struct Ed25519Signer {
    key_id: String,
    key: ed25519_dalek::SigningKey,
}

impl Ed25519Signer {
    /// The key whose RFC 8032 seed is `seed`. Its key id is [`fingerprint`] of the public key
    /// until [`Self::with_key_id`] names it.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let seed = Zeroizing::new(seed);
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let key_id = fingerprint(&PublicKey::from_bytes(key.verifying_key().to_bytes()));
        Self { key_id, key }
    }

    /// A new key from the operating system's randomness.
    pub fn generate() -> Result<Self, Error> {
        let mut seed = Zeroizing::new([0_u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|_| Error::RandomUnavailable)?;
        Ok(Self::from_seed(*seed))
    }

    pub fn with_key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = key_id.into();
        self
    }

    /// The seed, for the caller to keep in the OS keychain; zeroized when dropped.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.key.to_bytes())
    }
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("key_id", &self.key_id)
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

impl Signer for Ed25519Signer {
    fn key_id(&self) -> &str {
        &self.key_id
    }
    fn algorithm(&self) -> Algorithm {
        Algorithm::Ed25519
    }
    fn public_key(&self) -> PublicKey {
        PublicKey::from_bytes(self.key.verifying_key().to_bytes())
    }
    fn sign(&self, message: &[u8]) -> Result<SignatureBytes, Error> {
        let signature = self
            .key
            .try_sign(message)
            .map_err(|e| Error::SigningFailed(e.to_string()))?;
        Ok(SignatureBytes::from_bytes(signature.to_bytes()))
    }
}

/// Checks `signature` over `message` by `public_key`. Ed25519 is verified strictly
/// (`verify_strict`: canonical S, no small-order key or R), so one message has one valid
/// signature encoding per key.
pub fn verify(
    algorithm: Algorithm,
    public_key: &PublicKey,
    message: &[u8],
    signature: &SignatureBytes,
) -> Result<(), Error> {
    match algorithm {
        Algorithm::Ed25519 => {
            let bytes: &[u8; 32] = public_key
                .as_bytes()
                .try_into()
                .map_err(|_| Error::KeyInvalid { algorithm })?;
            let key = decompressed(bytes).ok_or(Error::KeyInvalid { algorithm })?;
            let signature = ed25519_dalek::Signature::from_slice(signature.as_bytes())
                .map_err(|_| Error::SignatureInvalid)?;
            key.verify_strict(message, &signature)
                .map_err(|_| Error::SignatureInvalid)
        }
    }
}

/// A verifying key as a curve point, decompressed once per thread and key: a verifier checks
/// thousands of documents signed by a handful of keys (physicians, pharmacists, the
/// platform), and decompression is a field square root each time. The cache is bounded.
fn decompressed(bytes: &[u8; 32]) -> Option<ed25519_dalek::VerifyingKey> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    const MAX_KEYS: usize = 4_096;
    thread_local! {
        static KEYS: RefCell<HashMap<[u8; 32], ed25519_dalek::VerifyingKey>> =
            RefCell::new(HashMap::new());
    }
    KEYS.with(|keys| {
        if let Some(key) = keys.borrow().get(bytes) {
            return Some(*key);
        }
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes).ok()?;
        let mut keys = keys.borrow_mut();
        if keys.len() >= MAX_KEYS {
            keys.clear();
        }
        keys.insert(*bytes, key);
        Some(key)
    })
}

/// A short, stable id for a public key: `sha256:` and the first 16 bytes of its SHA-256, hex.
pub fn fingerprint(public_key: &PublicKey) -> String {
    let digest = Sha256::digest(public_key.as_bytes());
    format!("sha256:{}", hex::encode(&digest[..16]))
}

/// Lowercase hex SHA-256, the digest form every document field uses.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 §7.1, TEST 2: the one-byte message 0x72.
    #[test]
    fn rfc8032_test_vector() {
        let seed: [u8; 32] =
            hex::decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
                .unwrap()
                .try_into()
                .unwrap();
        let signer = Ed25519Signer::from_seed(seed);
        assert_eq!(
            hex::encode(signer.public_key().as_bytes()),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
        );
        let signature = signer.sign(&[0x72]).unwrap();
        assert_eq!(
            hex::encode(signature.as_bytes()),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
             085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        );
        verify(
            Algorithm::Ed25519,
            &signer.public_key(),
            &[0x72],
            &signature,
        )
        .unwrap();
        assert_eq!(
            verify(
                Algorithm::Ed25519,
                &signer.public_key(),
                &[0x73],
                &signature
            )
            .unwrap_err()
            .code(),
            "signature_invalid"
        );
    }

    #[test]
    fn seed_round_trips_and_debug_hides_it() {
        let signer = Ed25519Signer::generate()
            .unwrap()
            .with_key_id("platform-2026");
        let again = Ed25519Signer::from_seed(*signer.seed());
        assert_eq!(again.public_key(), signer.public_key());
        let debug = format!("{signer:?}");
        assert!(debug.contains("platform-2026"));
        assert!(!debug.contains(&hex::encode(*signer.seed())));
        assert!(!debug.contains(&STANDARD.encode(*signer.seed())));
    }

    #[test]
    fn keys_and_signatures_are_padded_base64() {
        let key = PublicKey::from_bytes(vec![0xfb; 32]);
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, "\"+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=\"");
        assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), key);
        assert!(serde_json::from_str::<PublicKey>("\"+/v7+/s\"").is_err());
        assert!(serde_json::from_str::<SignatureBytes>("\"-_\"").is_err());
    }

    #[test]
    fn wrong_length_key_is_invalid_not_a_panic() {
        let err = verify(
            Algorithm::Ed25519,
            &PublicKey::from_bytes(vec![1; 31]),
            b"m",
            &SignatureBytes::from_bytes(vec![0; 64]),
        )
        .unwrap_err();
        assert_eq!(err.code(), "key_invalid");
    }
}
