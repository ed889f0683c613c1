//! Locking (R-SEC-6: a locked workstation holds no decrypted key).
//!
//! A [`Session`] is either locked (no connection, no key in memory) or unlocked (an open
//! [`Store`]). It locks explicitly or after an idle timeout (default 10 minutes); the decision
//! is the pure [`idle_lock_due`], so the app's timer and the tests agree. Unlocking needs the
//! user's password, checked offline against a cached Argon2id verifier; only then is the
//! database key loaded from its source, and it is zeroized as soon as the connections are
//! keyed (SQLCipher wipes its own copy when the connections close).

use std::path::Path;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier as _, SaltString};
use chrono::{DateTime, Duration, Utc};
use zeroize::Zeroizing;

use crate::database::Store;
use crate::error::{Result, StoreError};
use crate::key::KeySource;
use crate::profile::ProfileFiles;

/// Default idle timeout before the workstation locks itself.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::minutes(10);

/// Whether a session idle since `last_activity` must lock at `now`. A clock that went
/// backwards (now < last activity) does not keep a session open forever: it is treated as
/// activity at `now`, i.e. not due.
pub fn idle_lock_due(now: DateTime<Utc>, last_activity: DateTime<Utc>, timeout: Duration) -> bool {
    now.signed_duration_since(last_activity) >= timeout
}

/// Argon2id parameters of the password verifier: m = 19 MiB, t = 2, p = 1 (OWASP's
/// minimum recommendation for Argon2id), so unlocking stays well under a second.
pub const VERIFIER_PARAMS: (u32, u32, u32) = (19 * 1024, 2, 1);

fn verifier_hasher() -> Result<argon2::Argon2<'static>> {
    let (m, t, p) = VERIFIER_PARAMS;
    let params = argon2::Params::new(m, t, p, None)
        .map_err(|e| StoreError::Database(format!("verifier parameters: {e}")))?;
    Ok(argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    ))
}

/// A cached verifier of the user's password (a PHC string; the password is not recoverable).
#[derive(Clone)]
pub struct PasswordVerifier(String);

impl std::fmt::Debug for PasswordVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordVerifier(argon2id)")
    }
}

impl PasswordVerifier {
    pub fn create(password: &str) -> Result<Self> {
        let salt = SaltString::generate(&mut OsRng);
        let hash = verifier_hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| StoreError::Database(format!("verifier: {e}")))?;
        Ok(Self(hash.to_string()))
    }

    pub fn check(&self, password: &str) -> Result<()> {
        let parsed = PasswordHash::new(&self.0).map_err(|_| {
            StoreError::Database("the cached password verifier is malformed".into())
        })?;
        verifier_hasher()?
            .verify_password(password.as_bytes(), &parsed)
            .map_err(|_| StoreError::WrongPassword)
    }

    /// A verifier kept elsewhere (the per-user credentials table), as its PHC string.
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    pub fn phc(&self) -> &str {
        &self.0
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        crate::files::write_atomically(path, self.0.as_bytes())
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| StoreError::io(path.display().to_string(), e))?;
        Ok(Self(text.trim().to_owned()))
    }
}

struct Unlocked {
    store: Store,
    last_activity: DateTime<Utc>,
}

/// A locked-or-unlocked workstation session over one profile.
pub struct Session {
    files: ProfileFiles,
    source: Box<dyn KeySource>,
    verifier: PasswordVerifier,
    idle_timeout: Duration,
    unlocked: Option<Unlocked>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("profile", &self.files.dir())
            .field("locked", &self.unlocked.is_none())
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

impl Session {
    /// A session that starts locked. `idle_timeout` must be positive.
    pub fn new(
        files: ProfileFiles,
        source: Box<dyn KeySource>,
        verifier: PasswordVerifier,
        idle_timeout: Duration,
    ) -> Result<Self> {
        if idle_timeout <= Duration::zero() {
            return Err(StoreError::Constraint(
                "the idle timeout must be positive".into(),
            ));
        }
        Ok(Self {
            files,
            source,
            verifier,
            idle_timeout,
            unlocked: None,
        })
    }

    pub fn is_locked(&self) -> bool {
        self.unlocked.is_none()
    }

    /// Check the password offline, then load the key and open the store.
    pub fn unlock(&mut self, password: &Zeroizing<String>, now: DateTime<Utc>) -> Result<()> {
        self.verifier.check(password)?;
        let key = self.source.load()?;
        let store = Store::open(&self.files, &key, now)?;
        drop(key); // zeroized here; only SQLCipher's keyed connections remain
        self.unlocked = Some(Unlocked {
            store,
            last_activity: now,
        });
        Ok(())
    }

    /// Close the connections and drop every key copy we hold.
    pub fn lock(&mut self) {
        self.unlocked = None;
    }

    /// The app's timer calls this; returns true when it locked the session.
    pub fn tick(&mut self, now: DateTime<Utc>) -> bool {
        let due = self
            .unlocked
            .as_ref()
            .is_some_and(|u| idle_lock_due(now, u.last_activity, self.idle_timeout));
        if due {
            self.lock();
        }
        due
    }

    /// The store, for one user action at `now` (which counts as activity). `locked` when
    /// locked, including when the idle timeout has passed since the last action.
    pub fn store(&mut self, now: DateTime<Utc>) -> Result<&Store> {
        self.tick(now);
        let u = self.unlocked.as_mut().ok_or(StoreError::Locked)?;
        if now > u.last_activity {
            u.last_activity = now;
        }
        Ok(&u.store)
    }
}
