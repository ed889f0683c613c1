//! Where the client keeps its tokens (R-SEC-6). The production implementation stores them in
//! the OS keychain through `keyring`, next to the store's key code in the workstation; this
//! crate only defines the trait and an in-memory implementation for tests.

use std::sync::Mutex;

/// The tokens of one signed-in account on one device.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: TokenSecret,
    pub refresh_token: TokenSecret,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(…)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("token_store_failed: {message}")]
pub struct TokenStoreError {
    pub message: String,
}

pub trait TokenStore: Send + Sync {
    fn load(&self) -> Result<Option<Tokens>, TokenStoreError>;
    fn save(&self, tokens: &Tokens) -> Result<(), TokenStoreError>;
    fn clear(&self) -> Result<(), TokenStoreError>;
}

/// Tokens in memory: tests, benchmarks, the simulator (which signs in on every start).
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<Tokens>>,
}

impl MemoryTokenStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Option<Tokens>>, TokenStoreError> {
        self.tokens.lock().map_err(|_| TokenStoreError {
            message: "token store lock poisoned".into(),
        })
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Result<Option<Tokens>, TokenStoreError> {
        Ok(self.lock()?.clone())
    }
    fn save(&self, tokens: &Tokens) -> Result<(), TokenStoreError> {
        *self.lock()? = Some(tokens.clone());
        Ok(())
    }
    fn clear(&self) -> Result<(), TokenStoreError> {
        *self.lock()? = None;
        Ok(())
    }
}

/// A token string whose `Debug` never shows it (tokens must not reach logs).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(pub String);

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSecret(…)")
    }
}
