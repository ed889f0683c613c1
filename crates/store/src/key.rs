//! The database key and where it lives (R-SEC-6).
//!
//! The key is 256 random bits used as a *raw* SQLCipher key (`PRAGMA key = "x'…'"`), so no
//! key derivation runs on every open. It is kept by a [`KeySource`]:
//! - [`KeychainKeySource`]: the OS keychain through `keyring` 3 (Secret Service on Linux,
//!   Keychain on macOS, Credential Manager on Windows). The normal case.
//! - [`PassphraseKeyFile`]: where no keychain exists (headless Linux, CI) the key is stored
//!   wrapped: Argon2id turns the passphrase into a 256-bit wrapping key
//!   ([`WRAP_PARAMS`]: m = 64 MiB, t = 3, p = 1, 16-byte random salt, RFC 9106's memory-
//!   constrained profile with p = 1 because the `argon2` crate is single-threaded) and
//!   XChaCha20-Poly1305 encrypts the key with a random 24-byte nonce. A wrong passphrase
//!   fails the AEAD tag: `wrong_key`. Never chosen silently: see [`crate::profile`].
//! - [`MemoryKeySource`]: an explicit in-memory source for tests and benchmarks.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Result, StoreError};

/// A 256-bit database key. Zeroized when dropped; `Debug` never shows it.
#[derive(Clone)]
pub struct DbKey(Zeroizing<[u8; 32]>);

impl DbKey {
    /// A fresh random key from the OS.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        fill_random(bytes.as_mut())?;
        Ok(Self(bytes))
    }

    pub fn from_bytes(mut bytes: [u8; 32]) -> Self {
        let key = Self(Zeroizing::new(bytes));
        bytes.zeroize();
        key
    }

    /// Parse 64 hex digits (the keychain's stored form).
    pub fn from_hex(text: &str) -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), bytes.as_mut())
            .map_err(|_| StoreError::WrongKey("the stored key is not 64 hex digits".into()))?;
        Ok(Self(bytes))
    }

    /// The key as 64 hex digits: what a keychain entry or key file keeps, and what a test
    /// that opens the file as someone holding the key would (zeroized when dropped).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    /// The value for `PRAGMA key`: a raw key, so SQLCipher skips its PBKDF2.
    pub(crate) fn pragma_value(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("\"x'{}'\"", self.to_hex().as_str()))
    }

    /// A public check value for this key: SHA-256 over a domain tag and the key, first 16
    /// bytes, hex. Lets `open` tell a wrong key from a damaged file *before* touching the
    /// database; a 256-bit random key cannot be recovered from it.
    pub fn check_value(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"meddesk key check v1\0");
        h.update(self.0.as_ref());
        hex::encode(&h.finalize()[..16])
    }

    /// A separate key for field-level encryption of patient identifiers, derived with a
    /// domain tag so it never equals the page key.
    pub(crate) fn field_key(&self) -> Zeroizing<[u8; 32]> {
        let mut h = Sha256::new();
        h.update(b"meddesk identifier field key v1\0");
        h.update(self.0.as_ref());
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&h.finalize());
        out
    }
}

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbKey(<redacted>)")
    }
}

impl PartialEq for DbKey {
    fn eq(&self, other: &Self) -> bool {
        // Constant time: keys are compared only in tests, but cheaply done right.
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |a, (x, y)| a | (x ^ y))
            == 0
    }
}

pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| StoreError::Database(format!("no OS randomness: {e}")))
}

/// Which kind of source holds a profile's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySourceKind {
    Keychain,
    PassphraseFile,
    Memory,
}

/// Somewhere a database key is kept.
pub trait KeySource: fmt::Debug + Send + Sync {
    fn kind(&self) -> KeySourceKind;
    /// The stored key; `not_initialized` when there is none yet.
    fn load(&self) -> Result<DbKey>;
    /// Store `key`, replacing any previous one.
    fn save(&self, key: &DbKey) -> Result<()>;
}

/// An explicit in-memory key source: tests and benchmarks, never the user's keychain.
#[derive(Debug, Default)]
pub struct MemoryKeySource(Mutex<Option<DbKey>>);

impl MemoryKeySource {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_key(key: DbKey) -> Self {
        Self(Mutex::new(Some(key)))
    }
}

impl KeySource for MemoryKeySource {
    fn kind(&self) -> KeySourceKind {
        KeySourceKind::Memory
    }

    fn load(&self) -> Result<DbKey> {
        let guard = self.0.lock().map_err(|_| StoreError::Locked)?;
        guard
            .clone()
            .ok_or_else(|| StoreError::NotInitialized("the in-memory key source is empty".into()))
    }

    fn save(&self, key: &DbKey) -> Result<()> {
        *self.0.lock().map_err(|_| StoreError::Locked)? = Some(key.clone());
        Ok(())
    }
}

/// Set in the environment of tests and CI: any keychain access fails at once, so a test that
/// would touch the user's real keychain fails instead.
pub const FORBID_KEYCHAIN_ENV: &str = "MEDDESK_FORBID_KEYCHAIN";

/// The OS keychain (R-SEC-6). The key is stored as 64 hex digits under `service`/`account`.
#[derive(Debug, Clone)]
pub struct KeychainKeySource {
    pub service: String,
    pub account: String,
}

impl KeychainKeySource {
    pub fn new(service: impl Into<String>, account: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            account: account.into(),
        }
    }

    fn entry(&self) -> Result<keyring::Entry> {
        // The crate's own unit tests never reach a real keychain, whatever the environment.
        if cfg!(test) || std::env::var_os(FORBID_KEYCHAIN_ENV).is_some() {
            return Err(StoreError::KeychainUnavailable(format!(
                "keychain access is forbidden in this process ({FORBID_KEYCHAIN_ENV} is set)"
            )));
        }
        keyring::Entry::new(&self.service, &self.account).map_err(keychain_error)
    }
}

fn keychain_error(e: keyring::Error) -> StoreError {
    match e {
        keyring::Error::NoEntry => {
            StoreError::NotInitialized("no database key in the OS keychain".into())
        }
        // The platform errors carry OS messages, never the secret.
        other => StoreError::KeychainUnavailable(other.to_string()),
    }
}

impl KeySource for KeychainKeySource {
    fn kind(&self) -> KeySourceKind {
        KeySourceKind::Keychain
    }

    fn load(&self) -> Result<DbKey> {
        let secret = Zeroizing::new(self.entry()?.get_password().map_err(keychain_error)?);
        DbKey::from_hex(&secret)
    }

    fn save(&self, key: &DbKey) -> Result<()> {
        let entry = self.entry()?;
        entry.set_password(&key.to_hex()).map_err(keychain_error)?;
        // Read it back: keyring silently falls back to a mock store when built without a
        // platform feature; a key that does not round-trip must not be relied on.
        let back = self.load()?;
        if &back != key {
            return Err(StoreError::KeychainUnavailable(
                "the keychain did not return the key just stored".into(),
            ));
        }
        Ok(())
    }
}

/// Argon2id parameters for wrapping the key with a passphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapParams {
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

/// The documented defaults: 64 MiB, 3 passes, 1 lane (≈0.3 s on a 2-core laptop).
pub const WRAP_PARAMS: WrapParams = WrapParams {
    m_cost_kib: 64 * 1024,
    t_cost: 3,
    p_cost: 1,
};

/// Parameters below this are refused when reading a key file, so a tampered file cannot
/// downgrade the KDF to something brute-forceable.
const MIN_WRAP_PARAMS: WrapParams = WrapParams {
    m_cost_kib: 19 * 1024,
    t_cost: 2,
    p_cost: 1,
};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrappedKeyFile {
    format: String,
    kdf: String,
    params: WrapParams,
    salt: String,
    aead: String,
    nonce: String,
    ciphertext: String,
}

const WRAPPED_FORMAT: &str = "meddesk-wrapped-key-v1";

/// The key wrapped with a passphrase in a file (see the module doc for the construction).
pub struct PassphraseKeyFile {
    path: PathBuf,
    passphrase: Zeroizing<String>,
    params: WrapParams,
}

impl fmt::Debug for PassphraseKeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassphraseKeyFile")
            .field("path", &self.path)
            .field("passphrase", &"<redacted>")
            .field("params", &self.params)
            .finish()
    }
}

impl PassphraseKeyFile {
    pub fn new(path: impl Into<PathBuf>, passphrase: Zeroizing<String>) -> Result<Self> {
        if passphrase.is_empty() {
            return Err(StoreError::PassphraseRequired(
                "the passphrase is empty".into(),
            ));
        }
        Ok(Self {
            path: path.into(),
            passphrase,
            params: WRAP_PARAMS,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn wrapping_key(&self, salt: &[u8], params: WrapParams) -> Result<Zeroizing<[u8; 32]>> {
        let p = argon2::Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(32))
            .map_err(|e| StoreError::WrongKey(format!("bad key file parameters: {e}")))?;
        let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(self.passphrase.as_bytes(), salt, out.as_mut())
            .map_err(|e| StoreError::WrongKey(format!("key derivation failed: {e}")))?;
        Ok(out)
    }
}

impl KeySource for PassphraseKeyFile {
    fn kind(&self) -> KeySourceKind {
        KeySourceKind::PassphraseFile
    }

    fn load(&self) -> Result<DbKey> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotInitialized(format!(
                    "no wrapped key file at {}",
                    self.path.display()
                )));
            }
            Err(e) => return Err(StoreError::io(self.path.display().to_string(), e)),
        };
        let file: WrappedKeyFile = serde_json::from_str(&text).map_err(|e| {
            StoreError::WrongKey(format!("{} is not a key file: {e}", self.path.display()))
        })?;
        if file.format != WRAPPED_FORMAT
            || file.kdf != "argon2id"
            || file.aead != "xchacha20poly1305"
        {
            return Err(StoreError::WrongKey(format!(
                "{} has an unknown key file format",
                self.path.display()
            )));
        }
        let p = file.params;
        if p.m_cost_kib < MIN_WRAP_PARAMS.m_cost_kib
            || p.t_cost < MIN_WRAP_PARAMS.t_cost
            || p.p_cost < MIN_WRAP_PARAMS.p_cost
        {
            return Err(StoreError::WrongKey(format!(
                "{} asks for key derivation parameters below the minimum",
                self.path.display()
            )));
        }
        let bad = |what: &str| StoreError::WrongKey(format!("key file field {what} is malformed"));
        let salt = hex::decode(&file.salt).map_err(|_| bad("salt"))?;
        let nonce = hex::decode(&file.nonce).map_err(|_| bad("nonce"))?;
        let ciphertext = hex::decode(&file.ciphertext).map_err(|_| bad("ciphertext"))?;
        if nonce.len() != 24 || salt.len() < 16 {
            return Err(bad("nonce/salt length"));
        }
        let wrapping = self.wrapping_key(&salt, p)?;
        let cipher = XChaCha20Poly1305::new(wrapping.as_ref().into());
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    XNonce::from_slice(&nonce),
                    Payload {
                        msg: &ciphertext,
                        aad: WRAPPED_FORMAT.as_bytes(),
                    },
                )
                .map_err(|_| {
                    StoreError::WrongKey("the passphrase does not unwrap the database key".into())
                })?,
        );
        let mut bytes = [0u8; 32];
        if plain.len() != 32 {
            return Err(bad("ciphertext length"));
        }
        bytes.copy_from_slice(&plain);
        Ok(DbKey::from_bytes(bytes))
    }

    fn save(&self, key: &DbKey) -> Result<()> {
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 24];
        fill_random(&mut salt)?;
        fill_random(&mut nonce)?;
        let wrapping = self.wrapping_key(&salt, self.params)?;
        let cipher = XChaCha20Poly1305::new(wrapping.as_ref().into());
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: key.0.as_ref(),
                    aad: WRAPPED_FORMAT.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Database("key wrapping failed".into()))?;
        let file = WrappedKeyFile {
            format: WRAPPED_FORMAT.into(),
            kdf: "argon2id".into(),
            params: self.params,
            salt: hex::encode(salt),
            aead: "xchacha20poly1305".into(),
            nonce: hex::encode(nonce),
            ciphertext: hex::encode(ciphertext),
        };
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| StoreError::Database(format!("key file encoding: {e}")))?;
        crate::files::write_atomically(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = DbKey::from_bytes([0xab; 32]);
        assert!(!format!("{key:?}").contains("ab"));
    }

    #[test]
    fn pragma_value_is_a_raw_key_literal() {
        let key = DbKey::from_bytes([1; 32]);
        let v = key.pragma_value();
        assert!(v.starts_with("\"x'0101"));
        assert_eq!(v.len(), 64 + 5);
    }

    #[test]
    fn wrapped_key_round_trips_and_wrong_passphrase_is_wrong_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let key = DbKey::generate().unwrap();
        PassphraseKeyFile::new(&path, Zeroizing::new("correct horse".into()))
            .unwrap()
            .save(&key)
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(key.to_hex().as_str()),
            "never stored in clear"
        );
        let back = PassphraseKeyFile::new(&path, Zeroizing::new("correct horse".into()))
            .unwrap()
            .load()
            .unwrap();
        assert_eq!(back, key);
        let err = PassphraseKeyFile::new(&path, Zeroizing::new("wrong".into()))
            .unwrap()
            .load()
            .unwrap_err();
        assert_eq!(err.code(), "wrong_key");
    }

    #[test]
    fn downgraded_kdf_parameters_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let source = PassphraseKeyFile::new(&path, Zeroizing::new("pw".into())).unwrap();
        source.save(&DbKey::generate().unwrap()).unwrap();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"m_cost_kib\": 65536", "\"m_cost_kib\": 8");
        std::fs::write(&path, text).unwrap();
        assert_eq!(source.load().unwrap_err().code(), "wrong_key");
    }

    #[test]
    fn keychain_is_never_reached_from_unit_tests() {
        let err = KeychainKeySource::new("meddesk-test", "nobody")
            .load()
            .unwrap_err();
        assert_eq!(err.code(), "keychain_unavailable");
    }
}
