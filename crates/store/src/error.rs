//! The store's errors. Each has a stable snake_case code the CLI prints and the UI branches on.
//! Messages name files, tables and ids, never patient data.

/// Everything that can go wrong in the encrypted store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key (or the passphrase that unwraps it) does not open this database. Nothing was
    /// written.
    #[error("wrong_key: {0}")]
    WrongKey(String),
    /// The database file is damaged (truncated, bit-flipped, failed integrity_check).
    /// Nothing was overwritten; restore from a backup (`meddesk db restore FILE`).
    #[error("corrupt_database: {0}")]
    CorruptDatabase(String),
    /// The session is locked: the key is gone from memory until the user unlocks.
    #[error("locked: the workstation is locked; unlock with your password")]
    Locked,
    /// The user's password does not match the cached verifier.
    #[error("wrong_password: the password does not match")]
    WrongPassword,
    /// The OS keychain could not be used. Never followed by a silent fallback: the caller
    /// decides, explicitly, to use a passphrase-wrapped key instead (R-SEC-6).
    #[error("keychain_unavailable: {0}")]
    KeychainUnavailable(String),
    /// A passphrase is needed (no keychain, or the profile uses a wrapped key file).
    #[error("passphrase_required: {0}")]
    PassphraseRequired(String),
    /// No database (or no key) exists yet in this profile.
    #[error("not_initialized: {0}")]
    NotInitialized(String),
    /// `db init` on a profile that already has a database.
    #[error("already_initialized: {0}")]
    AlreadyInitialized(String),
    /// The audit hash chain is broken at `seq` (edited, deleted, inserted or reordered entry).
    #[error("audit_chain_broken: first broken link at entry {seq}: {reason}")]
    AuditChainBroken { seq: i64, reason: &'static str },
    /// A backup file failed verification; nothing was replaced.
    #[error("backup_invalid: {0}")]
    BackupInvalid(String),
    /// A retention shorter than the legal minimum was asked for (R-SEC-4).
    #[error("retention_too_short: {days} days is below the minimum of {minimum} days")]
    RetentionTooShort { days: u32, minimum: u32 },
    /// The database was written by a newer MedDesk (forward-only migrations).
    #[error("schema_too_new: database schema version {found} is newer than this build's {known}")]
    SchemaTooNew { found: i64, known: i64 },
    /// A record asked for by id does not exist.
    #[error("not_found: {record_type} {id}")]
    NotFound {
        record_type: &'static str,
        id: String,
    },
    /// A write broke a rule the schema enforces (foreign key, check, trigger).
    #[error("constraint_violation: {0}")]
    Constraint(String),
    /// Files around the database (key file, backups folder) could not be read or written.
    #[error("io: {context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// Any other SQLite failure. The message is SQLite's, which never contains bound values.
    #[error("database: {0}")]
    Database(String),
}

impl StoreError {
    /// The stable code (the text before the colon in `Display`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongKey(_) => "wrong_key",
            Self::CorruptDatabase(_) => "corrupt_database",
            Self::Locked => "locked",
            Self::WrongPassword => "wrong_password",
            Self::KeychainUnavailable(_) => "keychain_unavailable",
            Self::PassphraseRequired(_) => "passphrase_required",
            Self::NotInitialized(_) => "not_initialized",
            Self::AlreadyInitialized(_) => "already_initialized",
            Self::AuditChainBroken { .. } => "audit_chain_broken",
            Self::BackupInvalid(_) => "backup_invalid",
            Self::RetentionTooShort { .. } => "retention_too_short",
            Self::SchemaTooNew { .. } => "schema_too_new",
            Self::NotFound { .. } => "not_found",
            Self::Constraint(_) => "constraint_violation",
            Self::Io { .. } => "io",
            Self::Database(_) => "database",
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                // SQLCipher reports a page whose HMAC fails as "not a database"; once the key
                // has been checked against the key check value this means damage.
                C::NotADatabase | C::DatabaseCorrupt => Self::CorruptDatabase(e.to_string()),
                C::ConstraintViolation => Self::Constraint(e.to_string()),
                _ => Self::Database(e.to_string()),
            },
            _ => Self::Database(e.to_string()),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
