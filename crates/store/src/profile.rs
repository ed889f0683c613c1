//! The files of one profile folder, and how its key is found — never by a silent fallback.
//!
//! ```text
//! <data dir>/meddesk.db          the SQLCipher database (+ -wal, -shm while open)
//! <data dir>/meddesk.keycheck    public check value of the key (wrong key vs damaged file)
//! <data dir>/meddesk.key         the passphrase-wrapped key, only where no keychain is used
//! <data dir>/keychain.json       which keychain entry holds the key (no secret in it)
//! <data dir>/unlock.verifier     Argon2id verifier of the user's password (offline unlock)
//! <data dir>/backups/            default backup folder (configurable, R-SEC-4)
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Result, StoreError};
use crate::files::write_atomically;
use crate::key::{DbKey, KeySource, KeychainKeySource, PassphraseKeyFile};

/// The keychain service name every MedDesk profile uses; the account is the profile folder.
pub const KEYCHAIN_SERVICE: &str = "MedDesk database key";

#[derive(Debug, Clone)]
pub struct ProfileFiles {
    dir: PathBuf,
}

impl ProfileFiles {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn database(&self) -> PathBuf {
        self.dir.join("meddesk.db")
    }
    pub fn key_check(&self) -> PathBuf {
        self.dir.join("meddesk.keycheck")
    }
    pub fn wrapped_key(&self) -> PathBuf {
        self.dir.join("meddesk.key")
    }
    pub fn keychain_marker(&self) -> PathBuf {
        self.dir.join("keychain.json")
    }
    pub fn unlock_verifier(&self) -> PathBuf {
        self.dir.join("unlock.verifier")
    }
    pub fn default_backups(&self) -> PathBuf {
        self.dir.join("backups")
    }
    /// The database and its WAL and shared-memory files.
    pub fn database_files(&self) -> [PathBuf; 3] {
        let db = self.database();
        [db.clone(), sidecar(&db, "-wal"), sidecar(&db, "-shm")]
    }

    /// Where this profile keeps its key, from the files present.
    pub fn key_mode(&self) -> Option<KeyMode> {
        if self.wrapped_key().is_file() {
            Some(KeyMode::PassphraseFile)
        } else if self.keychain_marker().is_file() {
            Some(KeyMode::Keychain)
        } else {
            None
        }
    }

    pub(crate) fn keychain_source(&self) -> Result<KeychainKeySource> {
        let account = std::fs::canonicalize(&self.dir)
            .unwrap_or_else(|_| self.dir.clone())
            .display()
            .to_string();
        Ok(KeychainKeySource::new(KEYCHAIN_SERVICE, account))
    }
}

pub(crate) fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    Keychain,
    PassphraseFile,
}

/// What the user asked for (`--key-source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyPreference {
    /// The keychain; if it is unavailable *and* a passphrase was given, a wrapped key file,
    /// reported as [`KeyOutcome::PassphraseFileAfterKeychainFailure`].
    #[default]
    Auto,
    Keychain,
    PassphraseFile,
}

/// Where a new key went. The fallback is a state of its own so the caller must show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOutcome {
    Keychain,
    PassphraseFile,
    /// The keychain failed (the reason is the keychain's error code and message); the key is
    /// in the passphrase-wrapped file instead.
    PassphraseFileAfterKeychainFailure {
        reason: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct KeychainMarker {
    service: String,
    account: String,
}

/// Create and store the key of a new profile.
pub fn create_key(
    files: &ProfileFiles,
    preference: KeyPreference,
    passphrase: Option<Zeroizing<String>>,
) -> Result<(DbKey, KeyOutcome)> {
    if files.key_mode().is_some() || files.database().exists() {
        return Err(StoreError::AlreadyInitialized(format!(
            "{} already has a database or a key",
            files.dir().display()
        )));
    }
    std::fs::create_dir_all(files.dir())
        .map_err(|e| StoreError::io(files.dir().display().to_string(), e))?;
    let key = DbKey::generate()?;
    let to_file = |passphrase: Zeroizing<String>| -> Result<()> {
        PassphraseKeyFile::new(files.wrapped_key(), passphrase)?.save(&key)
    };
    let outcome = match preference {
        KeyPreference::PassphraseFile => {
            to_file(passphrase.ok_or_else(no_passphrase)?)?;
            KeyOutcome::PassphraseFile
        }
        KeyPreference::Keychain => {
            save_to_keychain(files, &key)?;
            KeyOutcome::Keychain
        }
        KeyPreference::Auto => match save_to_keychain(files, &key) {
            Ok(()) => KeyOutcome::Keychain,
            Err(e @ StoreError::KeychainUnavailable(_)) => match passphrase {
                Some(p) => {
                    to_file(p)?;
                    KeyOutcome::PassphraseFileAfterKeychainFailure {
                        reason: e.to_string(),
                    }
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        },
    };
    write_atomically(&files.key_check(), key.check_value().as_bytes())?;
    Ok((key, outcome))
}

fn no_passphrase() -> StoreError {
    StoreError::PassphraseRequired(
        "set MEDDESK_PASSPHRASE (or type it at the prompt) for a passphrase-wrapped key".into(),
    )
}

fn save_to_keychain(files: &ProfileFiles, key: &DbKey) -> Result<()> {
    let source = files.keychain_source()?;
    source.save(key)?;
    let marker = KeychainMarker {
        service: source.service.clone(),
        account: source.account.clone(),
    };
    let text = serde_json::to_string_pretty(&marker)
        .map_err(|e| StoreError::Database(format!("keychain marker encoding: {e}")))?;
    write_atomically(&files.keychain_marker(), text.as_bytes())
}

/// The key source this profile was set up with. A profile that uses the keychain never
/// falls back to a passphrase when the keychain is unavailable: that is `keychain_unavailable`.
pub fn key_source(
    files: &ProfileFiles,
    passphrase: Option<Zeroizing<String>>,
) -> Result<Box<dyn KeySource>> {
    match files.key_mode() {
        None => Err(StoreError::NotInitialized(format!(
            "{} has no database key; run `meddesk db init`",
            files.dir().display()
        ))),
        Some(KeyMode::Keychain) => {
            let text = std::fs::read_to_string(files.keychain_marker())
                .map_err(|e| StoreError::io(files.keychain_marker().display().to_string(), e))?;
            let marker: KeychainMarker = serde_json::from_str(&text).map_err(|e| {
                StoreError::KeychainUnavailable(format!("keychain.json is malformed: {e}"))
            })?;
            Ok(Box::new(KeychainKeySource::new(
                marker.service,
                marker.account,
            )))
        }
        Some(KeyMode::PassphraseFile) => Ok(Box::new(PassphraseKeyFile::new(
            files.wrapped_key(),
            passphrase.ok_or_else(no_passphrase)?,
        )?)),
    }
}

/// The stored key check value, if any.
pub(crate) fn read_key_check(files: &ProfileFiles) -> Result<Option<String>> {
    match std::fs::read_to_string(files.key_check()) {
        Ok(t) => Ok(Some(t.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io(files.key_check().display().to_string(), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_falls_back_only_explicitly_and_only_with_a_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let files = ProfileFiles::new(dir.path().join("p"));
        // Unit tests can never reach the keychain, so Auto sees it as unavailable.
        let err = create_key(&files, KeyPreference::Auto, None).unwrap_err();
        assert_eq!(err.code(), "keychain_unavailable");
        assert!(files.key_mode().is_none(), "nothing stored after a refusal");

        let (key, outcome) = create_key(
            &files,
            KeyPreference::Auto,
            Some(Zeroizing::new("pw-1".into())),
        )
        .unwrap();
        assert!(matches!(
            outcome,
            KeyOutcome::PassphraseFileAfterKeychainFailure { ref reason } if reason.starts_with("keychain_unavailable")
        ));
        assert_eq!(files.key_mode(), Some(KeyMode::PassphraseFile));
        let loaded = key_source(&files, Some(Zeroizing::new("pw-1".into())))
            .unwrap()
            .load()
            .unwrap();
        assert_eq!(loaded, key);
        assert_eq!(
            key_source(&files, None).unwrap_err().code(),
            "passphrase_required"
        );
    }

    #[test]
    fn explicit_keychain_preference_never_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let files = ProfileFiles::new(dir.path());
        let err = create_key(
            &files,
            KeyPreference::Keychain,
            Some(Zeroizing::new("pw".into())),
        )
        .unwrap_err();
        assert_eq!(err.code(), "keychain_unavailable");
        assert!(!files.wrapped_key().exists());
    }
}
