//! The encrypted local cache: SQLCipher database, forward-only migrations, one module per
//! table, the sync outbox and the tamper-evident audit trail (R-SEC-1, R-SEC-4..6, R-REC-3).
//!
//! Must never: hold a decrypted key longer than the session is unlocked, write patient data
//! to logs or error messages, or know about Tauri, HTTP or the UI.
//!
//! # Crypto library per platform (`rusqlite` feature `bundled-sqlcipher`)
//! SQLCipher is compiled from source by `libsqlite3-sys`; only its crypto provider differs:
//! - **Linux**: the system `libcrypto` (OpenSSL 3). Build needs `libssl-dev` and
//!   `pkg-config`; run needs `libssl3`, present on every desktop distribution. Chosen over
//!   the vendored OpenSSL because it builds in ¼ of the time and gets distribution security
//!   updates.
//! - **macOS**: Apple CommonCrypto (Security framework), selected automatically by
//!   `libsqlite3-sys` when `OPENSSL_DIR` is not set. Nothing to install.
//! - **Windows**: no system OpenSSL exists, so this crate turns on
//!   `bundled-sqlcipher-vendored-openssl` for Windows targets only (OpenSSL built from
//!   source, statically linked; the build needs Perl, as `openssl-src` documents).
//!
//! # Keychain per platform (`keyring` 3)
//! Secret Service over D-Bus on Linux (`sync-secret-service` + `crypto-rust`: needs
//! `libdbus-1-dev` and `pkg-config` to build, a D-Bus session with an unlocked keyring to
//! run), Keychain on macOS (`apple-native`), Credential Manager on Windows
//! (`windows-native`). Without a keychain the key is passphrase-wrapped ([`key`]), and that
//! fallback is always an explicit [`KeyOutcome`], never silent.

pub mod audit;
pub mod backup;
mod database;
pub mod error;
mod files;
pub mod key;
pub mod lock;
pub mod migrations;
pub mod profile;
pub mod tables;

pub use database::{Actor, CIPHER_PRAGMAS, Reader, Store, VerifyReport, Writer};
pub use error::{Result, StoreError};
pub use key::{
    DbKey, FORBID_KEYCHAIN_ENV, KeySource, KeySourceKind, KeychainKeySource, MemoryKeySource,
    PassphraseKeyFile,
};
pub use lock::{DEFAULT_IDLE_TIMEOUT, PasswordVerifier, Session, idle_lock_due};
pub use profile::{KeyMode, KeyOutcome, KeyPreference, ProfileFiles};
