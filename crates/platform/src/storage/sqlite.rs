//! The embedded SQLite backend: one file, one writer connection (pushes hold it for the
//! whole transaction, which is the sequence lock) and one reader connection (WAL lets
//! pulls run beside a push).
//!
//! Encrypted (issue 13 §3): SQLCipher with a raw 256-bit key from a key file beside the
//! database (`<name>.key`, made on first start, 0600; one readable by others is refused), so a
//! copy of the database file is useless alone. The token-signing secret — from which the
//! platform's signing key is derived too — is kept apart from the database in `<name>.secret`
//! (0600), so a database copy or backup does not carry it. A plaintext database from before
//! is encrypted in place at the first start (its secret moved out).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use meddesk_sync::RecordKey;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{Mutex, OwnedMutexGuard};
use uuid::Uuid;

use super::{
    Account, KnownOutcome, PushTx, RefreshUse, Result, Session, Storage, StoredChange, Writes,
    decode_body, decode_outcome, parse_kind, parse_role, role_str,
};
use crate::decide::{ChangeMeta, Loaded};
use crate::error::PlatformError;
use crate::throttle::Failures;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS change_head (id INTEGER PRIMARY KEY CHECK (id = 1), head INTEGER NOT NULL);
INSERT OR IGNORE INTO change_head(id, head) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS server_secret (id INTEGER PRIMARY KEY CHECK (id = 1), secret BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
    body TEXT NOT NULL, org_id TEXT NOT NULL, specialty TEXT, physician_id TEXT,
    status TEXT NOT NULL, op_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS op_outcomes (
    op_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, outcome TEXT NOT NULL, created_at INTEGER NOT NULL,
    digest TEXT);
CREATE INDEX IF NOT EXISTS op_outcomes_age ON op_outcomes(created_at);
CREATE TABLE IF NOT EXISTS accounts (
    username TEXT PRIMARY KEY, user_id TEXT NOT NULL UNIQUE, role TEXT NOT NULL, org_id TEXT NOT NULL,
    specialties TEXT NOT NULL, verifier TEXT NOT NULL, totp_secret BLOB);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, registered_at INTEGER NOT NULL);
DROP TABLE IF EXISTS refresh_tokens;
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, device_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER, revoked_reason TEXT);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS session_refresh (
    token_hash TEXT PRIMARY KEY, session_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE IF NOT EXISTS audit_anchors (
    chain_id TEXT NOT NULL, entries INTEGER NOT NULL, head TEXT NOT NULL, org_id TEXT NOT NULL,
    user_id TEXT NOT NULL, device_id TEXT NOT NULL, anchored_at INTEGER NOT NULL,
    PRIMARY KEY (chain_id, entries, head));
CREATE TABLE IF NOT EXISTS sign_in_failures (
    key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_failure INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS totp_steps (username TEXT PRIMARY KEY, last_step INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS certificates (
    serial TEXT PRIMARY KEY, user_id TEXT NOT NULL, body TEXT NOT NULL, issued_at INTEGER NOT NULL,
    revoked_at INTEGER, revoked_reason TEXT);
";

fn db(e: rusqlite::Error) -> PlatformError {
    PlatformError::Storage(format!("sqlite: {e}"))
}

#[derive(Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
    secret: Arc<zeroize::Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

/// A file that must be the owner's alone: made 0600 with `make` when absent; refused when
/// group or others may read it.
fn private_file(path: &Path, make: impl FnOnce() -> Result<Vec<u8>>) -> Result<Vec<u8>> {
    use std::io::Write as _;
    match std::fs::metadata(path) {
        Ok(meta) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                if meta.permissions().mode() & 0o077 != 0 {
                    return Err(PlatformError::InsecureKeyFile(format!(
                        "{} may be read by others; chmod 600 it",
                        path.display()
                    )));
                }
            }
            #[cfg(not(unix))]
            let _ = meta;
            std::fs::read(path)
                .map_err(|e| PlatformError::Storage(format!("cannot read {}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let bytes = make()?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            let mut f = options.open(path).map_err(|e| {
                PlatformError::Storage(format!("cannot create {}: {e}", path.display()))
            })?;
            f.write_all(&bytes)
                .and_then(|()| f.sync_all())
                .map_err(|e| {
                    PlatformError::Storage(format!("cannot write {}: {e}", path.display()))
                })?;
            Ok(bytes)
        }
        Err(e) => Err(PlatformError::Storage(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn random32() -> Result<Vec<u8>> {
    let mut bytes = vec![0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| PlatformError::Internal(format!("random: {e}")))?;
    Ok(bytes)
}

/// `platform.sqlite3` → `platform.key`, `platform.secret`.
pub fn side_file(db_path: &Path, extension: &str) -> std::path::PathBuf {
    db_path.with_extension(extension)
}

/// The database key: 64 hex digits in the key file.
fn database_key(db_path: &Path) -> Result<zeroize::Zeroizing<String>> {
    let path = side_file(db_path, "key");
    let bytes = zeroize::Zeroizing::new(private_file(&path, || {
        Ok(hex::encode(random32()?).into_bytes())
    })?);
    let text = std::str::from_utf8(&bytes)
        .map(str::trim)
        .ok()
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            PlatformError::InsecureKeyFile(format!(
                "{} is not a key (64 hex digits)",
                path.display()
            ))
        })?;
    Ok(zeroize::Zeroizing::new(text.to_owned()))
}

fn keyed(conn: &Connection, key: &str) -> Result<()> {
    let statement = zeroize::Zeroizing::new(format!("PRAGMA key = \"x'{key}'\";"));
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")
        .map_err(db)?;
    conn.execute_batch(&statement).map_err(db)
}

/// Whether the file at `path` opens without a key (a plaintext database from before).
fn is_plaintext(path: &Path) -> bool {
    Connection::open(path).is_ok_and(|c| {
        c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .is_ok()
    })
}

/// Encrypt a plaintext database in place: export into an encrypted copy, then replace.
fn encrypt_in_place(path: &Path, key: &str) -> Result<()> {
    let copy = path.with_extension("encrypting");
    let _ = std::fs::remove_file(&copy);
    {
        let conn = Connection::open(path).map_err(db)?;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(db)?;
        let attach = zeroize::Zeroizing::new(format!(
            "ATTACH DATABASE '{}' AS encrypted KEY \"x'{key}'\";",
            copy.display().to_string().replace('\'', "''")
        ));
        conn.execute_batch(&attach).map_err(db)?;
        conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))
            .map_err(db)?;
        conn.execute_batch("DETACH DATABASE encrypted;")
            .map_err(db)?;
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::rename(&copy, path)
        .map_err(|e| PlatformError::Storage(format!("cannot replace {}: {e}", path.display())))?;
    tracing::info!("the platform database was encrypted in place");
    Ok(())
}

fn open_conn(path: &Path, key: &str) -> Result<Connection> {
    let conn = Connection::open(path).map_err(db)?;
    keyed(&conn, key)?;
    // The first read of page 1: a wrong key or a damaged file fails here, by name.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|_| {
        PlatformError::Storage(format!(
            "{} does not open with its key file (wrong key, or the file is damaged)",
            path.display()
        ))
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(db)?;
    // FULL: an acknowledged operation survives a power cut, not only a killed process.
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .map_err(db)?;
    Ok(conn)
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self> {
        let key = database_key(path)?;
        if path.exists() && is_plaintext(path) {
            encrypt_in_place(path, &key)?;
        }
        let writer = open_conn(path, &key)?;
        writer.execute_batch(SCHEMA).map_err(db)?;
        // Stores made before idempotency keys bound the body digest gain its column.
        let has_digest: bool = writer
            .prepare("SELECT 1 FROM pragma_table_info('op_outcomes') WHERE name = 'digest'")
            .and_then(|mut s| s.exists([]))
            .map_err(db)?;
        if !has_digest {
            writer
                .execute_batch("ALTER TABLE op_outcomes ADD COLUMN digest TEXT")
                .map_err(db)?;
        }
        // The secret lives apart from the database; one kept inside by an older version
        // moves out (the same secret: tokens and the platform's signing key stay valid).
        let inside: Option<Vec<u8>> = writer
            .query_row("SELECT secret FROM server_secret WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)?;
        let secret =
            zeroize::Zeroizing::new(private_file(
                &side_file(path, "secret"),
                || match &inside {
                    Some(s) => Ok(s.clone()),
                    None => random32(),
                },
            )?);
        if inside.is_some() {
            writer
                .execute("DELETE FROM server_secret", [])
                .map_err(db)?;
        }
        let reader = open_conn(path, &key)?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
            secret: Arc::new(secret),
        })
    }
}

fn account_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Account, String)> {
    let specialties: String = row.get(4)?;
    let role: String = row.get(2)?;
    Ok((
        Account {
            username: row.get(0)?,
            user_id: row.get(1)?,
            role: meddesk_sync::AccountRole::Intake,
            org_id: row.get(3)?,
            specialties: serde_json::from_str(&specialties).unwrap_or_default(),
            verifier: row.get(5)?,
            totp_secret: row.get(6)?,
        },
        role,
    ))
}

fn finish_account(found: Option<(Account, String)>) -> Result<Option<Account>> {
    found
        .map(|(mut a, role)| {
            a.role = parse_role(&role)?;
            Ok(a)
        })
        .transpose()
}

const ACCOUNT_COLUMNS: &str =
    "SELECT username, user_id, role, org_id, specialties, verifier, totp_secret FROM accounts";

#[derive(Debug)]
pub struct SqliteTx {
    conn: OwnedMutexGuard<Connection>,
    head: u64,
}

impl PushTx for SqliteTx {
    fn head(&self) -> u64 {
        self.head
    }

    async fn outcomes(&mut self, op_ids: &[Uuid]) -> Result<HashMap<Uuid, KnownOutcome>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT user_id, digest, outcome FROM op_outcomes WHERE op_id = ?1")
            .map_err(db)?;
        let mut found = HashMap::new();
        for id in op_ids {
            let row: Option<(String, Option<String>, String)> = stmt
                .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
                .map_err(db)?;
            if let Some((user_id, digest, o)) = row {
                found.insert(
                    *id,
                    KnownOutcome {
                        user_id,
                        digest,
                        result: decode_outcome(&o)?,
                    },
                );
            }
        }
        Ok(found)
    }

    async fn load(&mut self, keys: &[RecordKey]) -> Result<Loaded> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT version, body FROM records WHERE kind = ?1 AND id = ?2")
            .map_err(db)?;
        let mut loaded = Loaded::new();
        for key in keys {
            let row: Option<(i64, String)> = stmt
                .query_row(params![key.kind.as_str(), key.id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(db)?;
            if let Some((v, body)) = row {
                loaded.insert(key.clone(), (v.unsigned_abs(), decode_body(&body)?));
            }
        }
        Ok(loaded)
    }

    async fn commit(self, w: Writes) -> Result<()> {
        let conn = self.conn;
        let write = || -> rusqlite::Result<()> {
            let mut rec = conn.prepare_cached(
                "INSERT INTO records(kind, id, version, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(kind, id) DO UPDATE SET version = excluded.version, body = excluded.body",
            )?;
            for (key, version, body) in &w.records {
                rec.execute(params![key.kind.as_str(), key.id, *version as i64, body])?;
            }
            let mut ch = conn.prepare_cached(
                "INSERT INTO changes(seq, kind, id, version, body, org_id, specialty, physician_id, status, op_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for c in &w.changes {
                ch.execute(params![
                    c.seq as i64,
                    c.kind.as_str(),
                    c.id,
                    c.version as i64,
                    c.body,
                    c.meta.org_id,
                    c.meta.specialty,
                    c.meta.physician_id,
                    c.meta.status,
                    c.op_id.to_string()
                ])?;
            }
            let mut out = conn.prepare_cached(
                "INSERT INTO op_outcomes(op_id, user_id, digest, outcome, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (id, user, digest, outcome) in &w.outcomes {
                out.execute(params![id.to_string(), user, digest, outcome, w.now_ms])?;
            }
            conn.execute(
                "UPDATE change_head SET head = ?1 WHERE id = 1",
                [w.head as i64],
            )?;
            conn.execute_batch("COMMIT")
        };
        match write() {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(db(e))
            }
        }
    }

    async fn rollback(self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }
}

impl Storage for SqliteStore {
    type Tx = SqliteTx;

    async fn begin(&self) -> Result<SqliteTx> {
        let conn = self.writer.clone().lock_owned().await;
        // A transaction left open by a crashed task must not leak into this one.
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
        let head: i64 = match conn.query_row("SELECT head FROM change_head WHERE id = 1", [], |r| {
            r.get(0)
        }) {
            Ok(h) => h,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(db(e));
            }
        };
        Ok(SqliteTx {
            conn,
            head: head.unsigned_abs(),
        })
    }

    async fn pull(&self, after: u64, limit: u32) -> Result<(Vec<StoredChange>, u64)> {
        let conn = self.reader.lock().await;
        // One read transaction: the page and the head are a consistent snapshot.
        conn.execute_batch("BEGIN").map_err(db)?;
        let result = (|| -> Result<(Vec<StoredChange>, u64)> {
            let head: i64 = conn
                .query_row("SELECT head FROM change_head WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .map_err(db)?;
            let mut stmt = conn
                .prepare_cached(
                    "SELECT seq, kind, id, version, body, org_id, specialty, physician_id, status, op_id
                     FROM changes WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![after as i64, head, limit], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                        ChangeMeta {
                            org_id: r.get(5)?,
                            specialty: r.get(6)?,
                            physician_id: r.get(7)?,
                            status: r.get(8)?,
                        },
                        r.get::<_, String>(9)?,
                    ))
                })
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, kind, id, version, body, meta, op_id) = row.map_err(db)?;
                out.push(StoredChange {
                    seq: seq.unsigned_abs(),
                    kind: parse_kind(&kind)?,
                    id,
                    version: version.unsigned_abs(),
                    body,
                    meta,
                    op_id: Uuid::parse_str(&op_id)
                        .map_err(|e| PlatformError::Internal(format!("stored op id: {e}")))?,
                });
            }
            Ok((out, head.unsigned_abs()))
        })();
        let _ = conn.execute_batch("COMMIT");
        result
    }

    async fn head(&self) -> Result<u64> {
        let conn = self.reader.lock().await;
        let head: i64 = conn
            .query_row("SELECT head FROM change_head WHERE id = 1", [], |r| {
                r.get(0)
            })
            .map_err(db)?;
        Ok(head.unsigned_abs())
    }

    async fn secret(&self) -> Result<Vec<u8>> {
        Ok(self.secret.as_ref().to_vec())
    }

    async fn account_by_username(&self, username: &str) -> Result<Option<Account>> {
        let conn = self.reader.lock().await;
        let found = conn
            .query_row(
                &format!("{ACCOUNT_COLUMNS} WHERE username = ?1"),
                [username],
                account_row,
            )
            .optional()
            .map_err(db)?;
        finish_account(found)
    }

    async fn account_by_user_id(&self, user_id: &str) -> Result<Option<Account>> {
        let conn = self.reader.lock().await;
        let found = conn
            .query_row(
                &format!("{ACCOUNT_COLUMNS} WHERE user_id = ?1"),
                [user_id],
                account_row,
            )
            .optional()
            .map_err(db)?;
        finish_account(found)
    }

    async fn put_account(&self, a: &Account) -> Result<()> {
        let conn = self.writer.lock().await;
        conn.execute(
            "INSERT INTO accounts(username, user_id, role, org_id, specialties, verifier, totp_secret)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(username) DO UPDATE SET user_id = excluded.user_id, role = excluded.role,
               org_id = excluded.org_id, specialties = excluded.specialties,
               verifier = excluded.verifier, totp_secret = excluded.totp_secret",
            params![
                a.username,
                a.user_id,
                role_str(a.role),
                a.org_id,
                serde_json::to_string(&a.specialties).unwrap_or_else(|_| "[]".into()),
                a.verifier,
                a.totp_secret
            ],
        )
        .map_err(db)?;
        Ok(())
    }

    async fn register_device(
        &self,
        device_id: &str,
        user_id: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let conn = self.writer.lock().await;
        conn.execute(
            "INSERT OR IGNORE INTO devices(device_id, user_id, name, registered_at) VALUES (?1, ?2, ?3, ?4)",
            params![device_id, user_id, name, now_ms],
        )
        .map_err(db)?;
        let owner: String = conn
            .query_row(
                "SELECT user_id FROM devices WHERE device_id = ?1",
                [device_id],
                |r| r.get(0),
            )
            .map_err(db)?;
        Ok(owner == user_id)
    }

    async fn device_owner(&self, device_id: &str) -> Result<Option<String>> {
        let conn = self.reader.lock().await;
        conn.query_row(
            "SELECT user_id FROM devices WHERE device_id = ?1",
            [device_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)
    }

    async fn open_session(&self, x: &Session) -> Result<()> {
        let conn = self.writer.lock().await;
        conn.execute(
            "INSERT INTO sessions(session_id, user_id, device_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                x.session_id,
                x.user_id,
                x.device_id,
                x.created_ms,
                x.expires_ms
            ],
        )
        .map_err(db)?;
        Ok(())
    }

    async fn session(&self, session_id: &str) -> Result<Option<Session>> {
        let conn = self.reader.lock().await;
        conn.query_row(
            "SELECT session_id, user_id, device_id, created_at, expires_at, revoked_at, revoked_reason
             FROM sessions WHERE session_id = ?1",
            [session_id],
            |r| {
                Ok(Session {
                    session_id: r.get(0)?,
                    user_id: r.get(1)?,
                    device_id: r.get(2)?,
                    created_ms: r.get(3)?,
                    expires_ms: r.get(4)?,
                    revoked_ms: r.get(5)?,
                    revoked_reason: r.get(6)?,
                })
            },
        )
        .optional()
        .map_err(db)
    }

    async fn revoke_session(&self, session_id: &str, at_ms: i64, reason: &str) -> Result<bool> {
        let conn = self.writer.lock().await;
        let n = conn
            .execute(
                "UPDATE sessions SET revoked_at = ?2, revoked_reason = ?3
                 WHERE session_id = ?1 AND revoked_at IS NULL",
                params![session_id, at_ms, reason],
            )
            .map_err(db)?;
        Ok(n == 1)
    }

    async fn revoke_user_sessions(&self, user_id: &str, at_ms: i64, reason: &str) -> Result<u64> {
        let conn = self.writer.lock().await;
        let n = conn
            .execute(
                "UPDATE sessions SET revoked_at = ?2, revoked_reason = ?3
                 WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2",
                params![user_id, at_ms, reason],
            )
            .map_err(db)?;
        Ok(n as u64)
    }

    async fn save_refresh(
        &self,
        token_hash: &str,
        session_id: &str,
        expires_ms: i64,
    ) -> Result<()> {
        let conn = self.writer.lock().await;
        conn.execute(
            "INSERT INTO session_refresh(token_hash, session_id, expires_at) VALUES (?1, ?2, ?3)",
            params![token_hash, session_id, expires_ms],
        )
        .map_err(db)?;
        Ok(())
    }

    async fn use_refresh(&self, token_hash: &str, now_ms: i64) -> Result<RefreshUse> {
        let conn = self.writer.lock().await;
        let fresh: Option<String> = conn
            .query_row(
                "UPDATE session_refresh SET used_at = ?2
                 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
                 RETURNING session_id",
                params![token_hash, now_ms],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        if let Some(session_id) = fresh {
            return Ok(RefreshUse::Fresh { session_id });
        }
        let used: Option<String> = conn
            .query_row(
                "SELECT session_id FROM session_refresh WHERE token_hash = ?1 AND used_at IS NOT NULL",
                [token_hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        Ok(
            used.map_or(RefreshUse::Unknown, |session_id| RefreshUse::Reused {
                session_id,
            }),
        )
    }

    async fn sign_in_failures(&self, key: &str) -> Result<Option<Failures>> {
        let conn = self.reader.lock().await;
        let row: Option<(i64, i64)> = conn
            .query_row(
                "SELECT failures, last_failure FROM sign_in_failures WHERE key = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db)?;
        Ok(row.map(|(count, last_ms)| Failures {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            last_ms,
        }))
    }

    async fn note_sign_in_failure(
        &self,
        key: &str,
        now_ms: i64,
        forget_after_ms: i64,
    ) -> Result<()> {
        let conn = self.writer.lock().await;
        conn.execute(
            "INSERT INTO sign_in_failures(key, failures, last_failure) VALUES (?1, 1, ?2)
             ON CONFLICT(key) DO UPDATE SET
               failures = CASE WHEN ?2 - sign_in_failures.last_failure >= ?3 THEN 1
                               ELSE sign_in_failures.failures + 1 END,
               last_failure = ?2",
            params![key, now_ms, forget_after_ms],
        )
        .map_err(db)?;
        Ok(())
    }

    async fn clear_sign_in_failures(&self, key: &str) -> Result<()> {
        let conn = self.writer.lock().await;
        conn.execute("DELETE FROM sign_in_failures WHERE key = ?1", [key])
            .map_err(db)?;
        Ok(())
    }

    async fn purge_outcomes(&self, before_ms: i64, now_ms: i64) -> Result<u64> {
        let conn = self.writer.lock().await;
        let n = conn
            .execute("DELETE FROM op_outcomes WHERE created_at < ?1", [before_ms])
            .map_err(db)?;
        conn.execute_batch(&format!(
            "DELETE FROM session_refresh WHERE expires_at < {now_ms}
               OR session_id IN (SELECT session_id FROM sessions
                                 WHERE expires_at < {now_ms} OR revoked_at IS NOT NULL);
             DELETE FROM sessions WHERE expires_at < {now_ms};"
        ))
        .map_err(db)?;
        Ok(n as u64)
    }

    async fn accept_totp_step(&self, username: &str, step: u64) -> Result<bool> {
        let step =
            i64::try_from(step).map_err(|_| PlatformError::InvalidRequest("totp step".into()))?;
        let conn = self.writer.lock().await;
        let n = conn
            .execute(
                "INSERT INTO totp_steps(username, last_step) VALUES (?1, ?2)
                 ON CONFLICT(username) DO UPDATE SET last_step = excluded.last_step
                 WHERE totp_steps.last_step < excluded.last_step",
                params![username, step],
            )
            .map_err(db)?;
        Ok(n == 1)
    }

    async fn latest_anchor(
        &self,
        chain_id: &str,
    ) -> Result<Option<(meddesk_sync::AnchoredAudit, String)>> {
        let conn = self.reader.lock().await;
        let row: Option<(i64, String, i64, String)> = conn
            .query_row(
                "SELECT entries, head, anchored_at, org_id FROM audit_anchors WHERE chain_id = ?1
                 ORDER BY entries DESC, anchored_at DESC LIMIT 1",
                [chain_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(db)?;
        Ok(row.map(|(entries, head, at, org)| {
            (
                meddesk_sync::AnchoredAudit {
                    entries: u64::try_from(entries).unwrap_or(0),
                    head,
                    anchored_at_ms: at,
                },
                org,
            )
        }))
    }

    async fn put_anchor(
        &self,
        a: &meddesk_sync::AuditAnchor,
        org_id: &str,
        user_id: &str,
        device_id: &str,
        at_ms: i64,
    ) -> Result<()> {
        let entries = i64::try_from(a.entries)
            .map_err(|_| PlatformError::InvalidRequest("`entries` is too large".into()))?;
        let conn = self.writer.lock().await;
        conn.execute(
            "INSERT INTO audit_anchors(chain_id, entries, head, org_id, user_id, device_id, anchored_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
            params![a.chain_id, entries, a.head, org_id, user_id, device_id, at_ms],
        )
        .map_err(db)?;
        Ok(())
    }

    async fn put_certificate(
        &self,
        serial: &str,
        user_id: &str,
        body: &str,
        issued_at_ms: i64,
    ) -> Result<()> {
        let conn = self.writer.lock().await;
        conn.execute(
            "INSERT INTO certificates(serial, user_id, body, issued_at) VALUES (?1, ?2, ?3, ?4)",
            params![serial, user_id, body, issued_at_ms],
        )
        .map_err(db)?;
        Ok(())
    }

    async fn certificate(&self, serial: &str) -> Result<Option<String>> {
        let conn = self.reader.lock().await;
        conn.query_row(
            "SELECT body FROM certificates WHERE serial = ?1",
            [serial],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)
    }

    async fn certificates(&self) -> Result<Vec<String>> {
        let conn = self.reader.lock().await;
        let mut stmt = conn
            .prepare_cached("SELECT body FROM certificates ORDER BY issued_at, serial")
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(db)?;
        Ok(rows)
    }

    async fn revoke_certificates(&self, user_id: &str, at_ms: i64, reason: &str) -> Result<u64> {
        let conn = self.writer.lock().await;
        let n = conn
            .execute(
                "UPDATE certificates SET revoked_at = ?2, revoked_reason = ?3
                 WHERE user_id = ?1 AND revoked_at IS NULL",
                params![user_id, at_ms, reason],
            )
            .map_err(db)?;
        Ok(n as u64)
    }

    async fn revocations(&self) -> Result<Vec<(String, i64, String)>> {
        let conn = self.reader.lock().await;
        let mut stmt = conn
            .prepare_cached(
                "SELECT serial, revoked_at, revoked_reason FROM certificates
                 WHERE revoked_at IS NOT NULL ORDER BY revoked_at, serial",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                ))
            })
            .map_err(db)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db)?;
        Ok(rows)
    }
}

#[cfg(test)]
mod encryption {
    use super::*;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn account(username: &str) -> Account {
        Account {
            username: username.into(),
            user_id: format!("u-{username}"),
            role: meddesk_sync::AccountRole::Physician,
            org_id: "org-1".into(),
            specialties: vec!["cardiology".into()],
            verifier: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            totp_secret: None,
        }
    }

    #[tokio::test]
    async fn the_database_is_encrypted_and_the_secret_kept_apart() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("platform.sqlite3");
        let store = SqliteStore::open(&path).expect("opens");
        store
            .put_account(&account("王明文医生"))
            .await
            .expect("stored");
        let secret = store.secret().await.expect("secret");
        drop(store);
        let bytes = std::fs::read(&path).expect("file");
        assert!(
            !bytes.starts_with(b"SQLite format 3"),
            "not a plaintext SQLite file"
        );
        assert!(!contains(&bytes, "王明文医生".as_bytes()));
        assert!(!is_plaintext(&path), "does not open without the key");
        use std::os::unix::fs::PermissionsExt as _;
        for side in ["key", "secret"] {
            let meta = std::fs::metadata(side_file(&path, side)).expect("side file");
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{side}");
        }
        assert_eq!(
            std::fs::read(side_file(&path, "secret")).expect("secret file"),
            secret
        );
        // Reopened: the same secret, the same data.
        let again = SqliteStore::open(&path).expect("reopens");
        assert_eq!(again.secret().await.expect("secret"), secret);
        assert!(
            again
                .account_by_username("王明文医生")
                .await
                .expect("read")
                .is_some()
        );
    }

    #[tokio::test]
    async fn a_plaintext_database_from_before_is_encrypted_in_place_keeping_its_secret() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("platform.sqlite3");
        let old_secret = [9u8; 32];
        {
            let conn = Connection::open(&path).expect("plain");
            conn.execute_batch(SCHEMA).expect("schema");
            conn.execute(
                "INSERT OR REPLACE INTO server_secret(id, secret) VALUES (1, ?1)",
                [&old_secret[..]],
            )
            .expect("secret");
            conn.execute(
                "INSERT INTO records(kind, id, version, body) VALUES ('physician', 'doc', 1, '{}')",
                [],
            )
            .expect("a record");
        }
        let store = SqliteStore::open(&path).expect("migrates");
        assert_eq!(store.secret().await.expect("secret"), old_secret.to_vec());
        let (rows, _) = store.pull(0, 10).await.expect("pull");
        assert!(
            rows.is_empty(),
            "no changes, but the record table came along"
        );
        let kept: i64 = store
            .reader
            .lock()
            .await
            .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
            .expect("count");
        assert_eq!(kept, 1);
        let inside: i64 = store
            .reader
            .lock()
            .await
            .query_row("SELECT count(*) FROM server_secret", [], |r| r.get(0))
            .expect("count");
        assert_eq!(inside, 0, "the secret left the database");
        drop(store);
        assert!(!is_plaintext(&path));
    }

    #[test]
    fn a_key_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("platform.sqlite3");
        let key = side_file(&path, "key");
        std::fs::write(&key, "ab".repeat(32)).expect("key");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = SqliteStore::open(&path).expect_err("refused");
        assert_eq!(err.code(), "insecure_key_file");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::fs::write(&key, "not a key").expect("key");
        assert_eq!(
            SqliteStore::open(&path).expect_err("refused").code(),
            "insecure_key_file"
        );
    }
}
