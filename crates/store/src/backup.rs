//! Backups (R-SEC-4): a monthly full archive and daily incrementals, encrypted, in a
//! configurable folder, kept at least three years; restore verifies before it replaces.
//!
//! A backup holds the database's own SQLCipher pages, so it is encrypted with the database
//! key and useless without it. A *full* backup is the whole (checkpointed) database file; an
//! *incremental* holds only the pages that differ from the state its parent backup restores
//! to (SQLCipher rewrites a page with a fresh IV when it changes, and leaves unchanged pages
//! byte-identical, so the diff is exactly the changed pages).
//!
//! File layout (`.mdbk`): `MEDDESK-BACKUP-1\n`, a 4-byte big-endian header length, the JSON
//! [`Header`] (ids, times, hashes — no patient data), the body (full: the file; incremental:
//! repeated 4-byte page number + page), and a trailing SHA-256 over everything before it.
//!
//! The snapshot is taken on the store's own write handle after a `wal_checkpoint(TRUNCATE)`
//! while both handles are held, so nothing in this process writes meanwhile. A profile is
//! used by one process at a time (the app or the command line).

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit;
use crate::database::{Actor, Store, checkpoint_truncate};
use crate::error::{Result, StoreError};
use crate::files::{sync_dir, temp_sibling, write_atomically};
use crate::key::DbKey;
use crate::profile::{ProfileFiles, sidecar};

const MAGIC: &[u8] = b"MEDDESK-BACKUP-1\n";
pub const EXTENSION: &str = "mdbk";
/// A header is a few hundred bytes of JSON; anything claiming more is not a backup (a hostile
/// length must not make us allocate gigabytes).
const MAX_HEADER_LEN: usize = 64 * 1024;
/// SQLite's page sizes.
const PAGE_SIZES: std::ops::RangeInclusive<u32> = 512..=65_536;

/// Three years, counting a leap day (R-SEC-4). Nothing can be configured below it.
pub const MINIMUM_RETENTION_DAYS: u32 = 3 * 365 + 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    Full,
    Incremental,
}

/// Everything about a backup except its pages. No patient data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub kind: BackupKind,
    pub id: String,
    pub created_at: i64,
    /// The full backup this chain starts from (its own id for a full one).
    pub base_id: String,
    /// The backup this one is a diff against (none for a full one).
    pub parent_id: Option<String>,
    /// 0 for the full backup, then 1, 2, … along the chain.
    pub sequence: u32,
    pub page_size: u32,
    /// Length of the restored database file.
    pub db_len: u64,
    /// SHA-256 of the restored database file.
    pub content_sha256: String,
    /// The database key's check value: a backup made with another key is refused early.
    pub key_check: String,
    /// The audit chain at backup time (anchors it: see `audit`).
    pub audit_entries: i64,
    pub audit_head: String,
    pub pages_in_body: u32,
}

/// Retention and placement of backups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupPolicy {
    pub folder: PathBuf,
    retention_days: u32,
}

impl BackupPolicy {
    /// Refuses a retention below [`MINIMUM_RETENTION_DAYS`] (`retention_too_short`).
    pub fn new(folder: impl Into<PathBuf>, retention_days: u32) -> Result<Self> {
        if retention_days < MINIMUM_RETENTION_DAYS {
            return Err(StoreError::RetentionTooShort {
                days: retention_days,
                minimum: MINIMUM_RETENTION_DAYS,
            });
        }
        Ok(Self {
            folder: folder.into(),
            retention_days,
        })
    }

    pub fn retention_days(&self) -> u32 {
        self.retention_days
    }
}

/// A backup file found in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    pub path: PathBuf,
    pub header: Header,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub kind: BackupKind,
    pub bytes: u64,
    pub pages_in_body: u32,
    /// Expired backups removed by the retention policy.
    pub pruned: Vec<PathBuf>,
}

/// Which backup is due at `now` (pure): a full one when none was made this calendar month
/// (UTC), else an incremental when the newest backup is at least a day old.
pub fn due(now: DateTime<Utc>, existing: &[Header]) -> Option<BackupKind> {
    let month = (now.year(), now.month());
    let full_this_month = existing.iter().any(|h| {
        h.kind == BackupKind::Full
            && DateTime::from_timestamp_millis(h.created_at)
                .is_some_and(|t| (t.year(), t.month()) == month)
    });
    if !full_this_month {
        return Some(BackupKind::Full);
    }
    let newest = existing.iter().map(|h| h.created_at).max()?;
    (now.timestamp_millis() - newest >= 24 * 3600 * 1000).then_some(BackupKind::Incremental)
}

/// Which backups the retention policy removes at `now` (pure). A chain (a full backup and its
/// incrementals) goes only when *every* member is older than the retention, and the newest
/// full backup's chain is always kept.
pub fn expired(now: DateTime<Utc>, existing: &[BackupFile], retention_days: u32) -> Vec<PathBuf> {
    let retention_days = retention_days.max(MINIMUM_RETENTION_DAYS);
    let cutoff = now.timestamp_millis() - i64::from(retention_days) * 24 * 3600 * 1000;
    let newest_full = existing
        .iter()
        .filter(|b| b.header.kind == BackupKind::Full)
        .max_by_key(|b| b.header.created_at)
        .map(|b| b.header.id.clone());
    let mut out = Vec::new();
    let bases: std::collections::BTreeSet<&str> =
        existing.iter().map(|b| b.header.base_id.as_str()).collect();
    for base in bases {
        if Some(base) == newest_full.as_deref() {
            continue;
        }
        let chain: Vec<&BackupFile> = existing
            .iter()
            .filter(|b| b.header.base_id == base)
            .collect();
        if chain.iter().all(|b| b.header.created_at < cutoff) {
            out.extend(chain.iter().map(|b| b.path.clone()));
        }
    }
    out.sort();
    out
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn encode(header: &Header, body: &[u8]) -> Result<Vec<u8>> {
    let h = serde_json::to_vec(header)
        .map_err(|e| StoreError::Database(format!("backup header encoding: {e}")))?;
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + h.len() + body.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(h.len() as u32).to_be_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(body);
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    Ok(out)
}

/// Parse a backup file, checking its trailing hash. Any damage: `backup_invalid`.
pub fn read_backup(path: &Path) -> Result<(Header, Vec<u8>)> {
    let bytes = fs::read(path).map_err(|e| StoreError::io(path.display().to_string(), e))?;
    let invalid = |why: &str| StoreError::BackupInvalid(format!("{}: {why}", path.display()));
    if bytes.len() < MAGIC.len() + 4 + 32 || !bytes.starts_with(MAGIC) {
        return Err(invalid("not a MedDesk backup"));
    }
    let (content, digest) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(content).as_slice() != digest {
        return Err(invalid("the file is damaged (checksum mismatch)"));
    }
    let rest = &content[MAGIC.len()..];
    let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
    if len > MAX_HEADER_LEN {
        return Err(invalid("the header length is impossible"));
    }
    if rest.len() < 4 + len {
        return Err(invalid("truncated header"));
    }
    let header: Header =
        serde_json::from_slice(&rest[4..4 + len]).map_err(|_| invalid("malformed header"))?;
    check_header(&header).map_err(|why| invalid(&why))?;
    Ok((header, rest[4 + len..].to_vec()))
}

/// What a well-formed header must say, whatever wrote it: a real page size, a length in whole
/// pages, and a chain position that fits its kind (a full backup starts its own chain at 0;
/// an incremental names its parent and comes after it).
fn check_header(h: &Header) -> std::result::Result<(), String> {
    if !PAGE_SIZES.contains(&h.page_size) || !h.page_size.is_power_of_two() {
        return Err(format!(
            "page size {} is not a SQLite page size",
            h.page_size
        ));
    }
    if h.db_len % u64::from(h.page_size) != 0 {
        return Err("the database length is not whole pages".into());
    }
    match h.kind {
        BackupKind::Full if h.sequence != 0 || h.parent_id.is_some() || h.base_id != h.id => {
            Err("a full backup that is not the start of its chain".into())
        }
        BackupKind::Incremental if h.sequence == 0 || h.parent_id.is_none() => {
            Err("an incremental backup without a parent".into())
        }
        _ => Ok(()),
    }
}

/// Every readable backup in `folder`, oldest first. Unreadable files are skipped here (and
/// reported by `restore` if asked for).
pub fn list(folder: &Path) -> Result<Vec<BackupFile>> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(folder) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(StoreError::io(folder.display().to_string(), e)),
    };
    for entry in entries {
        let path = entry
            .map_err(|e| StoreError::io(folder.display().to_string(), e))?
            .path();
        if path.extension().and_then(|e| e.to_str()) != Some(EXTENSION) {
            continue;
        }
        if let Ok(header) = read_header_only(&path) {
            out.push(BackupFile { path, header });
        }
    }
    out.sort_by(|a, b| {
        (a.header.created_at, a.header.sequence).cmp(&(b.header.created_at, b.header.sequence))
    });
    Ok(out)
}

fn read_header_only(path: &Path) -> Result<Header> {
    use std::io::Read;
    let mut f = fs::File::open(path).map_err(|e| StoreError::io(path.display().to_string(), e))?;
    let mut head = vec![0u8; MAGIC.len() + 4];
    f.read_exact(&mut head)
        .map_err(|_| StoreError::BackupInvalid(format!("{}: too short", path.display())))?;
    if !head.starts_with(MAGIC) {
        return Err(StoreError::BackupInvalid(format!(
            "{}: not a backup",
            path.display()
        )));
    }
    let n = &head[MAGIC.len()..];
    let len = u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize;
    if len > MAX_HEADER_LEN {
        return Err(StoreError::BackupInvalid(format!(
            "{}: the header length is impossible",
            path.display()
        )));
    }
    let mut h = vec![0u8; len];
    f.read_exact(&mut h)
        .map_err(|_| StoreError::BackupInvalid(format!("{}: truncated header", path.display())))?;
    let header: Header = serde_json::from_slice(&h)
        .map_err(|_| StoreError::BackupInvalid(format!("{}: malformed header", path.display())))?;
    check_header(&header)
        .map_err(|why| StoreError::BackupInvalid(format!("{}: {why}", path.display())))?;
    Ok(header)
}

/// Rebuild the database bytes a backup restores to, following its chain in its folder.
pub fn reconstruct(path: &Path) -> Result<(Header, Vec<u8>)> {
    let (target, body) = read_backup(path)?;
    let folder = path.parent().unwrap_or(Path::new("."));
    // Walk parents back to the full backup. Each step goes one back along the chain
    // (sequence − 1, same base), so a hostile folder cannot make the walk loop.
    let mut chain = vec![(target.clone(), body)];
    while let Some((child, _)) = chain
        .last()
        .filter(|(h, _)| h.kind == BackupKind::Incremental)
    {
        let child = child.clone();
        let Some(parent_id) = child.parent_id.clone() else {
            return Err(StoreError::BackupInvalid(
                "an incremental backup without a parent".into(),
            ));
        };
        let parent = list(folder)?
            .into_iter()
            .find(|b| b.header.id == parent_id)
            .ok_or_else(|| {
                StoreError::BackupInvalid(format!(
                    "backup {parent_id} (needed by {}) is missing from {}",
                    path.display(),
                    folder.display()
                ))
            })?;
        let (parent_header, parent_body) = read_backup(&parent.path)?;
        if parent_header.id != parent_id
            || parent_header.base_id != child.base_id
            || parent_header.sequence.checked_add(1) != Some(child.sequence)
        {
            return Err(StoreError::BackupInvalid(format!(
                "backup {} does not continue the chain of {} (a cycle or a foreign backup)",
                parent_header.id, child.id
            )));
        }
        chain.push((parent_header, parent_body));
    }
    chain.reverse();
    let mut db = Vec::new();
    for (h, body) in &chain {
        apply(&mut db, h, body)?;
        if sha_hex(&db) != h.content_sha256 {
            return Err(StoreError::BackupInvalid(format!(
                "backup {} does not rebuild the database it recorded",
                h.id
            )));
        }
    }
    Ok((target, db))
}

fn apply(db: &mut Vec<u8>, h: &Header, body: &[u8]) -> Result<()> {
    match h.kind {
        BackupKind::Full => {
            if body.len() as u64 != h.db_len {
                return Err(StoreError::BackupInvalid(
                    "the full backup's body differs from its recorded length".into(),
                ));
            }
            *db = body.to_vec();
        }
        BackupKind::Incremental => {
            let ps = h.page_size as usize;
            let record = 4 + ps;
            if body.len() % record != 0 {
                return Err(StoreError::BackupInvalid(
                    "incremental body is not whole pages".into(),
                ));
            }
            // The database can only grow by the pages the body carries: a hostile length
            // cannot make us allocate more than the file holds.
            let most =
                (db.len() as u64).saturating_add(body.len() as u64 / record as u64 * ps as u64);
            if h.db_len > most {
                return Err(StoreError::BackupInvalid(
                    "the recorded length is more than the chain can rebuild".into(),
                ));
            }
            db.resize(
                usize::try_from(h.db_len).map_err(|_| {
                    StoreError::BackupInvalid("the recorded length is too large".into())
                })?,
                0,
            );
            for rec in body.chunks_exact(record) {
                let page = u32::from_be_bytes([rec[0], rec[1], rec[2], rec[3]]) as usize;
                let fits = page
                    .checked_mul(ps)
                    .and_then(|start| start.checked_add(ps).map(|end| (start, end)))
                    .filter(|(_, end)| *end <= db.len());
                let Some((start, end)) = fits else {
                    return Err(StoreError::BackupInvalid("a page lies past the end".into()));
                };
                db[start..end].copy_from_slice(&rec[4..]);
            }
        }
    }
    if db.len() as u64 != h.db_len {
        return Err(StoreError::BackupInvalid(
            "restored length differs from the header".into(),
        ));
    }
    Ok(())
}

impl Store {
    /// The profile's backup policy from its settings (folder, retention), with the defaults
    /// (`files`' `backups/`, the 3-year minimum) where none is set.
    pub fn backup_policy(&self, files: &crate::ProfileFiles) -> Result<BackupPolicy> {
        use crate::tables::settings;
        let folder = self
            .setting(settings::BACKUP_FOLDER)?
            .map(PathBuf::from)
            .unwrap_or_else(|| files.default_backups());
        let retention = self
            .setting(settings::RETENTION_DAYS)?
            .and_then(|d| d.parse().ok())
            .unwrap_or(MINIMUM_RETENTION_DAYS);
        BackupPolicy::new(folder, retention)
    }

    /// Write a backup into `policy.folder`: `Full` when asked or when no full backup exists
    /// this month, else an incremental against the newest backup of the current chain. Then
    /// apply the retention policy.
    pub fn backup(
        &self,
        policy: &BackupPolicy,
        force_full: bool,
        key: &DbKey,
        now: DateTime<Utc>,
    ) -> Result<BackupReport> {
        fs::create_dir_all(&policy.folder)
            .map_err(|e| StoreError::io(policy.folder.display().to_string(), e))?;
        let existing = list(&policy.folder)?;
        let headers: Vec<Header> = existing.iter().map(|b| b.header.clone()).collect();
        let month_full = due(now, &headers) != Some(BackupKind::Full);
        let key_check = key.check_value();
        // The parent: the newest backup of the newest full backup's chain, made with this key.
        let parent = existing
            .iter()
            .filter(|b| b.header.kind == BackupKind::Full && b.header.key_check == key_check)
            .max_by_key(|b| b.header.created_at)
            .and_then(|full| {
                existing
                    .iter()
                    .filter(|b| b.header.base_id == full.header.id)
                    .max_by_key(|b| b.header.sequence)
            });
        let kind = if force_full || !month_full || parent.is_none() {
            BackupKind::Full
        } else {
            BackupKind::Incremental
        };

        self.write(&Actor::system(), now, |w| {
            w.audit(
                audit::Action::Backup,
                "database",
                match kind {
                    BackupKind::Full => "full",
                    BackupKind::Incremental => "incremental",
                },
            )
        })?;
        let (db, page_size, chain) = self.snapshot()?;
        let id = uuid::Uuid::new_v4().to_string();
        let (header, body) = match (kind, parent) {
            (BackupKind::Incremental, Some(parent)) => {
                let (parent_header, parent_db) = reconstruct(&parent.path)?;
                let ps = page_size as usize;
                let mut body = Vec::new();
                let mut pages = 0u32;
                for (i, page) in db.chunks(ps).enumerate() {
                    let old = parent_db.get(i * ps..(i + 1) * ps);
                    if old != Some(page) {
                        body.extend_from_slice(&(i as u32).to_be_bytes());
                        body.extend_from_slice(page);
                        pages += 1;
                    }
                }
                let header = Header {
                    kind,
                    id,
                    created_at: now.timestamp_millis(),
                    base_id: parent_header.base_id.clone(),
                    parent_id: Some(parent_header.id.clone()),
                    sequence: parent_header.sequence + 1,
                    page_size,
                    db_len: db.len() as u64,
                    content_sha256: sha_hex(&db),
                    key_check,
                    audit_entries: chain.entries,
                    audit_head: hex::encode(chain.head),
                    pages_in_body: pages,
                };
                (header, body)
            }
            _ => {
                let header = Header {
                    kind: BackupKind::Full,
                    id: id.clone(),
                    created_at: now.timestamp_millis(),
                    base_id: id,
                    parent_id: None,
                    sequence: 0,
                    page_size,
                    db_len: db.len() as u64,
                    content_sha256: sha_hex(&db),
                    key_check,
                    audit_entries: chain.entries,
                    audit_head: hex::encode(chain.head),
                    pages_in_body: (db.len() / page_size as usize) as u32,
                };
                (header, db)
            }
        };
        let name = format!(
            "meddesk-{}-{}.{EXTENSION}",
            now.format("%Y%m%dT%H%M%S%3fZ"),
            match header.kind {
                BackupKind::Full => "full",
                BackupKind::Incremental => "incremental",
            }
        );
        let path = policy.folder.join(name);
        let bytes = encode(&header, &body)?;
        write_atomically(&path, &bytes)?;

        let mut all = list(&policy.folder)?;
        if !all.iter().any(|b| b.path == path) {
            return Err(StoreError::BackupInvalid(
                "the backup just written cannot be read back".into(),
            ));
        }
        // Verified after writing: read back from the folder, its chain rebuilds the very
        // database it recorded (an unreadable share or a flipped bit shows now, not at the
        // restore years later).
        if let Err(e) = reconstruct(&path) {
            let _ = fs::remove_file(&path);
            return Err(StoreError::BackupInvalid(format!(
                "the backup just written does not rebuild the database ({e})"
            )));
        }
        let pruned = expired(now, &all, policy.retention_days);
        for p in &pruned {
            fs::remove_file(p).map_err(|e| StoreError::io(p.display().to_string(), e))?;
        }
        all.retain(|b| !pruned.contains(&b.path));
        Ok(BackupReport {
            path,
            kind: header.kind,
            bytes: bytes.len() as u64,
            pages_in_body: header.pages_in_body,
            pruned,
        })
    }

    /// The database file's bytes at a consistent point, with the audit chain at that point.
    fn snapshot(&self) -> Result<(Vec<u8>, u32, audit::ChainReport)> {
        let conn = self.writer()?;
        checkpoint_truncate(&conn)?;
        // SQLCipher answers `page_size` as text (it is its `cipher_page_size`).
        let page_size: u32 = conn
            .query_row("PRAGMA page_size", [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| match v {
                rusqlite::types::Value::Integer(n) => u32::try_from(n).unwrap_or(0),
                rusqlite::types::Value::Text(t) => t.parse().unwrap_or(0),
                _ => 0,
            })?;
        let chain = audit::verify(&conn)?;
        let db = fs::read(self.path())
            .map_err(|e| StoreError::io(self.path().display().to_string(), e))?;
        if page_size == 0 || db.len() % page_size as usize != 0 {
            return Err(StoreError::CorruptDatabase(
                "the database file is not whole pages".into(),
            ));
        }
        drop(conn);
        Ok((db, page_size, chain))
    }
}

/// The result of a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    pub from: PathBuf,
    pub audit_entries: i64,
    /// Where the replaced database was moved (never deleted).
    pub previous_moved_to: Option<PathBuf>,
}

/// Restore `backup` into the profile: rebuild the database beside the live one, open it with
/// `key`, run `cipher_integrity_check`, `integrity_check` and the audit chain, and only then
/// move the live database (and its -wal/-shm) aside and rename the copy into place. Any
/// failure before that leaves the live files untouched (`backup_invalid`).
pub fn restore(
    files: &ProfileFiles,
    backup: &Path,
    key: &DbKey,
    now: DateTime<Utc>,
) -> Result<RestoreReport> {
    let (header, db) = reconstruct(backup)?;
    if header.key_check != key.check_value() {
        return Err(StoreError::BackupInvalid(
            "the backup was made with another database key".into(),
        ));
    }
    fs::create_dir_all(files.dir())
        .map_err(|e| StoreError::io(files.dir().display().to_string(), e))?;
    let live = files.database();
    let candidate = temp_sibling(&live);
    let cleanup = |p: &Path| {
        for f in [p.to_path_buf(), sidecar(p, "-wal"), sidecar(p, "-shm")] {
            let _ = fs::remove_file(f);
        }
    };
    let checked = (|| {
        write_atomically(&candidate, &db)?;
        let store = Store::open_file(&candidate, key, true, now).map_err(|e| {
            StoreError::BackupInvalid(format!("the restored copy does not open ({})", e.code()))
        })?;
        let report = store.verify().map_err(|e| {
            StoreError::BackupInvalid(format!("the restored copy fails verification: {e}"))
        })?;
        // Heads, not counts: the restored trail must hold the very entry the backup recorded
        // as its head, at its position.
        let head = <[u8; 32]>::try_from(
            hex::decode(&header.audit_head)
                .unwrap_or_default()
                .as_slice(),
        )
        .map_err(|_| StoreError::BackupInvalid("the recorded audit head is malformed".into()))?;
        let anchor = audit::Anchor {
            entries: header.audit_entries,
            head,
        };
        match store.audit_against(&anchor)?.1 {
            audit::AnchorCheck::Holds => {}
            audit::AnchorCheck::CutTail { .. } => {
                return Err(StoreError::BackupInvalid(
                    "the restored audit trail is shorter than recorded".into(),
                ));
            }
            audit::AnchorCheck::Rewritten { at } => {
                return Err(StoreError::BackupInvalid(format!(
                    "the restored audit trail differs from the one recorded at entry {at}"
                )));
            }
        }
        store.checkpoint()?;
        drop(store);
        Ok(report)
    })();
    let report = match checked {
        Ok(r) => r,
        Err(e) => {
            cleanup(&candidate);
            return Err(e);
        }
    };
    // The copy verified: now, and only now, touch the live files.
    let previous = if live.exists() {
        let aside = live.with_file_name(format!(
            "meddesk.db.before-restore-{}",
            now.format("%Y%m%dT%H%M%S%3fZ")
        ));
        for (from, suffix) in [
            (sidecar(&live, "-wal"), "-wal"),
            (sidecar(&live, "-shm"), "-shm"),
        ] {
            if from.exists() {
                fs::rename(&from, sidecar(&aside, suffix))
                    .map_err(|e| StoreError::io(from.display().to_string(), e))?;
            }
        }
        fs::rename(&live, &aside).map_err(|e| StoreError::io(live.display().to_string(), e))?;
        Some(aside)
    } else {
        None
    };
    for f in [sidecar(&candidate, "-wal"), sidecar(&candidate, "-shm")] {
        let _ = fs::remove_file(f);
    }
    fs::rename(&candidate, &live).map_err(|e| StoreError::io(live.display().to_string(), e))?;
    sync_dir(files.dir()).map_err(|e| StoreError::io(files.dir().display().to_string(), e))?;
    let store = Store::open(files, key, now)?;
    store.write(&Actor::system(), now, |w| {
        w.audit(audit::Action::Restore, "database", &header.id)
    })?;
    Ok(RestoreReport {
        from: backup.to_path_buf(),
        audit_entries: report.audit_entries,
        previous_moved_to: previous,
    })
}

/// The newest backup in `folder` that rebuilds and verifies with `key` (what the app offers
/// after `corrupt_database`). Checks candidates newest first in a scratch folder.
pub fn newest_good(
    folder: &Path,
    key: &DbKey,
    scratch: &Path,
    now: DateTime<Utc>,
) -> Result<Option<PathBuf>> {
    let mut all = list(folder)?;
    all.reverse();
    for b in all {
        let Ok((header, db)) = reconstruct(&b.path) else {
            continue;
        };
        if header.key_check != key.check_value() {
            continue;
        }
        fs::create_dir_all(scratch)
            .map_err(|e| StoreError::io(scratch.display().to_string(), e))?;
        let probe = temp_sibling(&scratch.join("probe.db"));
        write_atomically(&probe, &db)?;
        let ok = Store::open_file(&probe, key, true, now)
            .and_then(|s| s.verify())
            .is_ok();
        for f in [
            probe.clone(),
            sidecar(&probe, "-wal"),
            sidecar(&probe, "-shm"),
        ] {
            let _ = fs::remove_file(f);
        }
        if ok {
            return Ok(Some(b.path));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod hostile_files {
    //! Backup files are read from a folder anyone with access to the share can write to:
    //! hostile ones must give a named `backup_invalid`, never a hang or a huge allocation.
    use super::*;

    fn header(kind: BackupKind, id: &str, parent: Option<&str>, sequence: u32) -> Header {
        Header {
            kind,
            id: id.into(),
            created_at: 1,
            base_id: "full".into(),
            parent_id: parent.map(str::to_owned),
            sequence,
            page_size: 4096,
            db_len: 4096,
            content_sha256: sha_hex(&[0u8; 4096]),
            key_check: String::new(),
            audit_entries: 0,
            audit_head: String::new(),
            pages_in_body: 1,
        }
    }

    fn write(dir: &Path, name: &str, h: &Header, body: &[u8]) -> PathBuf {
        let path = dir.join(format!("{name}.{EXTENSION}"));
        fs::write(&path, encode(h, body).expect("encode")).expect("write");
        path
    }

    fn refusal(r: Result<(Header, Vec<u8>)>) -> String {
        match r {
            Err(StoreError::BackupInvalid(why)) => why,
            other => panic!("expected backup_invalid, got {:?}", other.map(|(h, _)| h)),
        }
    }

    fn page(n: u32) -> Vec<u8> {
        let mut rec = n.to_be_bytes().to_vec();
        rec.extend_from_slice(&[0u8; 4096]);
        rec
    }

    #[test]
    fn a_cycle_of_parents_is_refused_not_followed() {
        let dir = tempfile::tempdir().expect("dir");
        // a → b → a, both claiming the same sequence position: no full backup anywhere.
        let a = write(
            dir.path(),
            "a",
            &header(BackupKind::Incremental, "a", Some("b"), 2),
            &page(0),
        );
        write(
            dir.path(),
            "b",
            &header(BackupKind::Incremental, "b", Some("a"), 2),
            &page(0),
        );
        assert!(refusal(reconstruct(&a)).contains("does not continue the chain"));
        // Even with consistent-looking sequence numbers, a parent naming its child loops no more.
        let dir = tempfile::tempdir().expect("dir");
        let c = write(
            dir.path(),
            "c",
            &header(BackupKind::Incremental, "c", Some("d"), 2),
            &page(0),
        );
        write(
            dir.path(),
            "d",
            &header(BackupKind::Incremental, "d", Some("c"), 1),
            &page(0),
        );
        assert!(refusal(reconstruct(&c)).contains("does not continue the chain"));
    }

    #[test]
    fn impossible_lengths_are_refused_before_allocating() {
        let dir = tempfile::tempdir().expect("dir");
        // A header that claims 4 GiB.
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        bytes.extend_from_slice(b"{}");
        let digest = Sha256::digest(&bytes);
        bytes.extend_from_slice(&digest);
        let huge = dir.path().join(format!("huge.{EXTENSION}"));
        fs::write(&huge, &bytes).expect("write");
        assert!(refusal(read_backup(&huge)).contains("header length"));
        assert!(matches!(
            read_header_only(&huge),
            Err(StoreError::BackupInvalid(_))
        ));
        assert!(
            list(dir.path()).expect("listed").is_empty(),
            "skipped, not loaded"
        );

        // An incremental that claims a database of 2^60 bytes from one page.
        let full = header(BackupKind::Full, "full", None, 0);
        write(dir.path(), "full", &full, &[0u8; 4096]);
        let mut grow = header(BackupKind::Incremental, "grow", Some("full"), 1);
        grow.db_len = 1 << 60;
        let g = write(dir.path(), "grow", &grow, &page(0));
        assert!(refusal(reconstruct(&g)).contains("more than the chain can rebuild"));

        // A page number whose offset overflows.
        let far = write(
            dir.path(),
            "far",
            &header(BackupKind::Incremental, "far", Some("full"), 1),
            &page(u32::MAX),
        );
        assert!(refusal(reconstruct(&far)).contains("past the end"));
    }

    #[test]
    fn headers_that_cannot_be_true_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let mut odd = header(BackupKind::Full, "full", None, 0);
        odd.page_size = 3;
        let p = write(dir.path(), "odd", &odd, &[0u8; 4096]);
        assert!(refusal(read_backup(&p)).contains("page size"));
        let mut lying = header(BackupKind::Full, "full", None, 0);
        lying.db_len = 8192;
        let p = write(dir.path(), "lying", &lying, &[0u8; 4096]);
        assert!(refusal(reconstruct(&p)).contains("recorded length"));
        let orphan = header(BackupKind::Incremental, "o", None, 1);
        let p = write(dir.path(), "orphan", &orphan, &page(0));
        assert!(refusal(read_backup(&p)).contains("without a parent"));
        // The well-formed chain still rebuilds.
        let dir = tempfile::tempdir().expect("dir");
        write(
            dir.path(),
            "full",
            &header(BackupKind::Full, "full", None, 0),
            &[0u8; 4096],
        );
        let next = write(
            dir.path(),
            "next",
            &header(BackupKind::Incremental, "next", Some("full"), 1),
            &page(0),
        );
        let (h, db) = reconstruct(&next).expect("rebuilds");
        assert_eq!((h.id.as_str(), db.len()), ("next", 4096));
    }
}
