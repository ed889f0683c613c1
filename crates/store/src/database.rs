//! The encrypted database: opening (wrong key vs damage), the connection settings, the
//! separate read and write handles, and audited reads and writes.
//!
//! Durability policy (issue 3 §6): the database runs in WAL mode with `synchronous = FULL`
//! on the write handle, so *every* committed transaction — a signed prescription, a
//! pharmacist decision, and the audit entries that ride in the same transaction — has its
//! WAL frames fsynced before `commit` returns. A process crash or power loss after the call
//! returns cannot lose it. The cost is one fsync per write transaction; the workload is a
//! physician's clicks, not bulk loads, and bulk loads (demo seed, sync pulls) batch many rows
//! in one transaction. The read handle never blocks the writer (WAL); SQLite's automatic checkpoint
//! (1000 pages) moves pages into the main file, and backups checkpoint explicitly first.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use zeroize::Zeroizing;

use crate::audit;
use crate::error::{Result, StoreError};
use crate::key::{DbKey, fill_random};
use crate::migrations;
use crate::profile::{ProfileFiles, read_key_check};

/// Settings chosen by measurement (docs/performance.md, "Encrypted store"): 4 KiB pages (the
/// SQLCipher default; 16 KiB measured slower), a page cache of up to 64 MiB per connection so
/// a clinic's working set is decrypted once (plain SQLite gets this from the OS page cache;
/// SQLCipher cannot, and cannot use mmap), temporary data in memory (never written out in
/// clear), and a WAL checkpoint every 16,384 pages (64 MiB) instead of SQLite's 1,000: a
/// page of an initial sync (thousands of records, ~10 MiB) otherwise paid a checkpoint on
/// every commit, copying index pages that the next page rewrites anyway — ~30% of each
/// commit (docs/performance.md, "Initial sync"). Durability is unchanged (the WAL is
/// fsynced at every commit, FULL); a crash leaves at most 64 MiB of WAL to replay at open.
const CONNECTION_PRAGMAS: &str = "
    PRAGMA foreign_keys = ON;
    PRAGMA busy_timeout = 5000;
    PRAGMA cache_size = -65536;
    PRAGMA temp_store = MEMORY;
    PRAGMA wal_autocheckpoint = 16384;
";

/// SQLCipher 4 defaults except the page HMAC: HMAC-SHA256 instead of HMAC-SHA512, because
/// CPUs with SHA extensions (most x86-64 since 2017, all Apple silicon) compute it several
/// times faster, and every page written or read from disk is authenticated. 256-bit tags keep
/// the integrity guarantee. These are not stored in the file: every open must set them (the
/// `sqlcipher` shell needs the same two pragmas to open a MedDesk database).
pub const CIPHER_PRAGMAS: &str = "
    PRAGMA cipher_hmac_algorithm = HMAC_SHA256;
    PRAGMA cipher_kdf_algorithm = PBKDF2_HMAC_SHA256;
";

/// Who is acting, for the audit trail (R-SEC-5). An id, never a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
    /// The command line and maintenance jobs.
    pub fn system() -> Self {
        Self("system".into())
    }
}

/// An open, unlocked store: one write handle (every write, and every audited read of patient
/// data, see [`Store::read`]) and one read handle (`query_only`: verification, settings,
/// audit listing), so checks never wait for the writer and can never write.
pub struct Store {
    path: PathBuf,
    write: Mutex<Connection>,
    read: Mutex<Connection>,
    field_key: Option<Zeroizing<[u8; 32]>>,
    device: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("encrypted", &self.field_key.is_some())
            .field("device", &self.device)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handle {
    Write,
    Read,
}

/// What `verify` found on a healthy database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub pages: i64,
    pub audit_entries: i64,
}

fn open_connection(
    path: &Path,
    key: Option<&DbKey>,
    handle: Handle,
    create: bool,
) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    // Every table module's statements stay prepared (parsing SQL was a quarter of the
    // initial sync's time before; docs/performance.md).
    conn.set_prepared_statement_cache_capacity(256);
    if let Some(key) = key {
        // Before the key: SQLCipher otherwise prints "hmac check failed" on stderr for a wrong
        // key, and its log could name the file.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        let statement = Zeroizing::new(format!("PRAGMA key = {};", key.pragma_value().as_str()));
        conn.execute_batch(&statement)?;
        conn.execute_batch(CIPHER_PRAGMAS)?;
    }
    // The first read of page 1: a wrong key or a damaged header fails here.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })?;
    conn.execute_batch(CONNECTION_PRAGMAS)?;
    match handle {
        Handle::Write => {
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Database(format!(
                    "journal mode {mode}, expected wal"
                )));
            }
            conn.execute_batch("PRAGMA synchronous = FULL;")?;
        }
        Handle::Read => conn.execute_batch("PRAGMA query_only = ON;")?,
    }
    Ok(conn)
}

/// A SQLite "not a database" on the first read, classified: with the key check value
/// confirming the key, the file is damaged; without it we cannot tell, and say so.
fn classify_open_error(e: StoreError, key_confirmed: bool) -> StoreError {
    match e {
        StoreError::CorruptDatabase(_) if key_confirmed => StoreError::CorruptDatabase(
            "the database header fails authentication although the key is right".into(),
        ),
        StoreError::CorruptDatabase(_) => StoreError::WrongKey(
            "the key does not open this database (or its header is damaged)".into(),
        ),
        other => other,
    }
}

impl Store {
    /// Create a new encrypted database in `files` (which must not have one yet) and apply
    /// every migration.
    pub fn create(files: &ProfileFiles, key: &DbKey, now: DateTime<Utc>) -> Result<Self> {
        let db = files.database();
        if db.exists() {
            return Err(StoreError::AlreadyInitialized(format!(
                "{} exists",
                db.display()
            )));
        }
        std::fs::create_dir_all(files.dir())
            .map_err(|e| StoreError::io(files.dir().display().to_string(), e))?;
        if read_key_check(files)?.is_none() {
            crate::files::write_atomically(&files.key_check(), key.check_value().as_bytes())?;
        }
        Self::open_path(&db, Some(key), true, true, now)
    }

    /// Open an existing profile database with `key`. A key that does not match the profile's
    /// key check value is refused before the file is opened (`wrong_key`, file untouched).
    pub fn open(files: &ProfileFiles, key: &DbKey, now: DateTime<Utc>) -> Result<Self> {
        let db = files.database();
        if !db.is_file() {
            return Err(StoreError::NotInitialized(format!(
                "{} has no database; run `meddesk db init`",
                files.dir().display()
            )));
        }
        let confirmed = match read_key_check(files)? {
            Some(check) if check != key.check_value() => {
                return Err(StoreError::WrongKey(
                    "the key does not match this profile's database; nothing was opened".into(),
                ));
            }
            Some(_) => true,
            None => false,
        };
        Self::open_path(&db, Some(key), confirmed, false, now)
    }

    /// Open a database file directly (a restored copy, a backup). `key_confirmed` says
    /// whether the caller already knows the key is right.
    pub fn open_file(
        path: &Path,
        key: &DbKey,
        key_confirmed: bool,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        if !path.is_file() {
            return Err(StoreError::NotInitialized(format!(
                "{} does not exist",
                path.display()
            )));
        }
        Self::open_path(path, Some(key), key_confirmed, false, now)
    }

    /// An unencrypted store, only for the SQLCipher-vs-SQLite benchmark (same schema, same
    /// code path, no key). Never used for patient data.
    #[doc(hidden)]
    pub fn open_unencrypted_for_benchmark(path: &Path, now: DateTime<Utc>) -> Result<Self> {
        Self::open_path(path, None, true, true, now)
    }

    fn open_path(
        path: &Path,
        key: Option<&DbKey>,
        key_confirmed: bool,
        create: bool,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        if !create {
            check_file_shape(path)?;
        }
        let mut write = open_connection(path, key, Handle::Write, create)
            .map_err(|e| classify_open_error(e, key_confirmed))?;
        if migrations::current_version(&write)? < migrations::latest_version() {
            migrations::apply_all(&mut write)?;
        } else if migrations::current_version(&write)? > migrations::latest_version() {
            return Err(StoreError::SchemaTooNew {
                found: migrations::current_version(&write)?,
                known: migrations::latest_version(),
            });
        }
        let device = device_id(&write, now)?;
        let read = open_connection(path, key, Handle::Read, false)?;
        Ok(Self {
            path: path.to_path_buf(),
            write: Mutex::new(write),
            read: Mutex::new(read),
            field_key: key.map(DbKey::field_key),
            device,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This installation's device id (audit entries carry it).
    pub fn device(&self) -> &str {
        &self.device
    }

    pub(crate) fn writer(&self) -> Result<MutexGuard<'_, Connection>> {
        self.write
            .lock()
            .map_err(|_| StoreError::Database("the write handle was poisoned by a panic".into()))
    }

    fn reader(&self) -> Result<MutexGuard<'_, Connection>> {
        self.read
            .lock()
            .map_err(|_| StoreError::Database("the read handle was poisoned by a panic".into()))
    }

    /// Run `f` in one immediate write transaction; the audit entries `f` appends commit (or
    /// roll back) with the change itself.
    pub fn write<T>(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = {
            let mut w = Writer {
                conn: &tx,
                actor,
                at: now.timestamp_millis(),
                device: &self.device,
                field_key: self.field_key.as_ref(),
                grouped: false,
            };
            f(&mut w)?
        };
        tx.commit()?;
        Ok(out)
    }

    /// A read of patient records: `f` runs inside one immediate transaction on the *write*
    /// handle, and every record it touches is audited as read (R-SEC-5) in that same
    /// transaction, so the data is returned only together with its durable audit entry.
    ///
    /// Why the write handle: an audited read is a write. On a separate reader, SQLite
    /// discards the reader's whole page cache whenever another connection commits, so every
    /// audited read would start cold and SQLCipher would decrypt and authenticate every page
    /// again (measured 3–8× slower than plain SQLite on the benchmark mix; docs/performance.md).
    /// The read handle serves the reads that are not patient records and must never wait for
    /// the writer: integrity and audit verification, settings, the audit listing.
    pub fn read<T>(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Reader<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.writer()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (out, touched) = {
            let mut r = Reader {
                conn: &tx,
                field_key: self.field_key.as_ref(),
                touched: Vec::new(),
            };
            let out = f(&mut r)?;
            (out, std::mem::take(&mut r.touched))
        };
        let at = now.timestamp_millis();
        for (record_type, id) in &touched {
            audit::append(
                &tx,
                &audit::Entry {
                    at,
                    who: &actor.0,
                    action: audit::Action::Read,
                    record_type,
                    record_id: id,
                    device: &self.device,
                },
            )?;
        }
        tx.commit()?;
        Ok(out)
    }

    /// Full check: every page's HMAC (SQLCipher), SQLite's integrity_check, the audit chain.
    pub fn verify(&self) -> Result<VerifyReport> {
        let conn = self.reader()?;
        if self.field_key.is_some() {
            let mut stmt = conn.prepare("PRAGMA cipher_integrity_check")?;
            let failures: Vec<String> = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<_>>()?;
            if let Some(first) = failures.first() {
                return Err(StoreError::CorruptDatabase(format!(
                    "{} page(s) fail authentication; first: {first}",
                    failures.len()
                )));
            }
        }
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let lines: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<_>>()?;
        if lines.len() != 1 || lines[0] != "ok" {
            return Err(StoreError::CorruptDatabase(format!(
                "integrity_check: {}",
                lines.first().map(String::as_str).unwrap_or("no answer")
            )));
        }
        let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let audit_entries = audit::verify(&conn)?.entries;
        Ok(VerifyReport {
            pages,
            audit_entries,
        })
    }

    /// Only the audit chain (`meddesk audit verify`).
    pub fn verify_audit(&self) -> Result<audit::ChainReport> {
        audit::verify(&*self.reader()?)
    }

    /// How many audit entries there are (cheap: no verification).
    pub fn audit_entries(&self) -> Result<i64> {
        Ok(self
            .reader()?
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM audit", [], |r| r.get(0))?)
    }

    /// Verify the audit chain and compare it with an outside anchor (the platform's, a
    /// backup's): a cut tail or a rewrite shows here even though the chain verifies.
    pub fn audit_against(
        &self,
        anchor: &audit::Anchor,
    ) -> Result<(audit::ChainReport, audit::AnchorCheck)> {
        let conn = self.reader()?;
        let report = audit::verify(&conn)?;
        let check = audit::against_anchor(&conn, &report, anchor)?;
        Ok((report, check))
    }

    /// The newest audit entries, newest first (who/what/which record/when; no content).
    pub fn recent_audit(&self, limit: u32) -> Result<Vec<audit::AuditRow>> {
        audit::recent(&*self.reader()?, limit)
    }

    /// SQLite's query plan for `sql` (tests assert the intake queue uses its index).
    #[doc(hidden)]
    pub fn explain_for_tests(&self, sql: &str) -> String {
        let Ok(conn) = self.reader() else {
            return String::new();
        };
        let Ok(mut stmt) = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")) else {
            return String::new();
        };
        let n = stmt.parameter_count();
        let params: Vec<i64> = vec![50; n];
        stmt.query_map(rusqlite::params_from_iter(params), |r| {
            r.get::<_, String>(3)
        })
        .map(|rows| rows.filter_map(|r| r.ok()).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
    }

    /// A profile setting (no patient data; not audited).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        crate::tables::settings::get(&*self.reader()?, key)
    }

    /// Move every WAL frame into the main file and truncate the WAL; fails if a reader holds
    /// an old snapshot. Backups call this first.
    pub fn checkpoint(&self) -> Result<()> {
        let conn = self.writer()?;
        checkpoint_truncate(&conn)
    }
}

pub(crate) fn checkpoint_truncate(conn: &Connection) -> Result<()> {
    let (busy, log, done): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    if busy != 0 || log != done {
        return Err(StoreError::Database(format!(
            "checkpoint incomplete (busy {busy}, {done} of {log} frames)"
        )));
    }
    Ok(())
}

/// A database file is whole pages (at least 512 bytes each): a length that is not a
/// multiple of 512 is a truncated file, refused before SQLite sees it.
fn check_file_shape(path: &Path) -> Result<()> {
    let len = std::fs::metadata(path)
        .map_err(|e| StoreError::io(path.display().to_string(), e))?
        .len();
    if len == 0 || len % 512 != 0 {
        return Err(StoreError::CorruptDatabase(format!(
            "{} is {len} bytes, not whole pages: truncated",
            path.display()
        )));
    }
    Ok(())
}

fn device_id(conn: &Connection, now: DateTime<Utc>) -> Result<String> {
    use rusqlite::OptionalExtension;
    let existing: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'device_id'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let _ = now;
    let id = uuid::Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO settings(key, value) VALUES ('device_id', ?1)",
        [&id],
    )?;
    Ok(id)
}

/// One write transaction: the table modules' write functions take this, and every one of
/// them appends its audit entry through it.
pub struct Writer<'a> {
    conn: &'a Connection,
    actor: &'a Actor,
    at: i64,
    device: &'a str,
    field_key: Option<&'a Zeroizing<[u8; 32]>>,
    /// Inside [`Writer::grouped`]: the rows' own entries give way to the group's one.
    grouped: bool,
}

impl std::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("actor", self.actor).finish()
    }
}

impl Writer<'_> {
    pub fn conn(&self) -> &Connection {
        self.conn
    }

    /// The transaction's timestamp (Unix ms), the `now` the caller passed.
    pub fn now_ms(&self) -> i64 {
        self.at
    }

    pub fn audit(
        &mut self,
        action: audit::Action,
        record_type: &str,
        record_id: &str,
    ) -> Result<()> {
        if self.grouped {
            return Ok(());
        }
        audit::append(
            self.conn,
            &audit::Entry {
                at: self.at,
                who: &self.actor.0,
                action,
                record_type,
                record_id,
                device: self.device,
            },
        )
    }

    /// Write the rows of one record (a consultation pulled from the platform: its patient,
    /// its queue row, its intake document) under ONE audit entry for `record_type`/`record_id`
    /// instead of one per row. The entry commits with the rows, as every entry does; rows
    /// written by `f` for other records must not be grouped here.
    pub fn grouped<T>(
        &mut self,
        action: audit::Action,
        record_type: &str,
        record_id: &str,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        let outer = self.grouped;
        self.grouped = true;
        let out = f(self);
        self.grouped = outer;
        let out = out?;
        self.audit(action, record_type, record_id)?;
        Ok(out)
    }

    /// Encrypt a field (patient identifiers) with the field key: 24-byte nonce ‖ ciphertext.
    /// `aad` binds it to its row so a blob copied to another patient does not decrypt.
    pub fn seal(&self, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
        let key = self.field_key.ok_or_else(|| {
            StoreError::Database("field encryption needs an encrypted store".into())
        })?;
        let mut nonce = [0u8; 24];
        fill_random(&mut nonce)?;
        let cipher = XChaCha20Poly1305::new(key.as_ref().into());
        let ct = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Database("field encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }
}

/// One read snapshot. Table modules' read functions call [`Reader::touched`] for each
/// patient-bearing record they return, so the read is audited.
pub struct Reader<'a> {
    conn: &'a Connection,
    field_key: Option<&'a Zeroizing<[u8; 32]>>,
    touched: Vec<(String, String)>,
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("touched", &self.touched.len())
            .finish()
    }
}

impl Reader<'_> {
    pub fn conn(&self) -> &Connection {
        self.conn
    }

    pub fn touched(&mut self, record_type: &str, record_id: &str) {
        self.touched
            .push((record_type.to_owned(), record_id.to_owned()));
    }

    pub fn open_sealed(&self, aad: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let key = self.field_key.ok_or_else(|| {
            StoreError::Database("field encryption needs an encrypted store".into())
        })?;
        if sealed.len() < 24 + 16 {
            return Err(StoreError::CorruptDatabase(
                "an encrypted field is too short".into(),
            ));
        }
        let cipher = XChaCha20Poly1305::new(key.as_ref().into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&sealed[..24]),
                Payload {
                    msg: &sealed[24..],
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError::CorruptDatabase("an encrypted field fails authentication".into())
            })?;
        Ok(Zeroizing::new(plain))
    }
}
