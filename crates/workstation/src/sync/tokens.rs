//! Where the workstation keeps its platform tokens (R-SEC-6): the OS keychain through
//! `keyring`, one entry per account and platform. No silent fallback: a keychain that does
//! not work is a sync error the user sees (`token_store_failed`), never a file on disk.

use std::sync::Arc;

use meddesk_store::FORBID_KEYCHAIN_ENV;
use meddesk_sync::{TokenSecret, TokenStore, TokenStoreError, Tokens};
use zeroize::Zeroizing;

/// Tokens in the OS keychain under `service` / `account` (the account names the user and
/// the platform, so two platforms or two users on one machine never share tokens).
#[derive(Debug, Clone)]
pub struct KeychainTokenStore {
    service: String,
    account: String,
}

impl KeychainTokenStore {
    pub fn new(service: impl Into<String>, user_id: &str, platform_url: &str) -> Self {
        Self {
            service: service.into(),
            account: format!("platform-tokens:{user_id}@{platform_url}"),
        }
    }

    fn entry(&self) -> Result<keyring::Entry, TokenStoreError> {
        if cfg!(test) || std::env::var_os(FORBID_KEYCHAIN_ENV).is_some() {
            return Err(failed(format!(
                "keychain access is forbidden in this process ({FORBID_KEYCHAIN_ENV} is set)"
            )));
        }
        keyring::Entry::new(&self.service, &self.account).map_err(|e| failed(e.to_string()))
    }
}

fn failed(message: String) -> TokenStoreError {
    TokenStoreError { message }
}

impl TokenStore for KeychainTokenStore {
    fn load(&self) -> Result<Option<Tokens>, TokenStoreError> {
        let secret = match self.entry()?.get_password() {
            Ok(s) => Zeroizing::new(s),
            Err(keyring::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(failed(e.to_string())),
        };
        let (access, refresh) = secret
            .split_once('\n')
            .ok_or_else(|| failed("the keychain entry is not a token pair".into()))?;
        Ok(Some(Tokens {
            access_token: TokenSecret(access.to_owned()),
            refresh_token: TokenSecret(refresh.to_owned()),
        }))
    }

    fn save(&self, tokens: &Tokens) -> Result<(), TokenStoreError> {
        let secret = Zeroizing::new(format!(
            "{}\n{}",
            tokens.access_token.0, tokens.refresh_token.0
        ));
        self.entry()?
            .set_password(&secret)
            .map_err(|e| failed(e.to_string()))?;
        // keyring falls back to a mock store when built without a platform feature: a pair
        // that does not round-trip must not be relied on.
        if self.load()?.as_ref() != Some(tokens) {
            return Err(failed(
                "the keychain did not return the tokens just stored".into(),
            ));
        }
        Ok(())
    }

    fn clear(&self) -> Result<(), TokenStoreError> {
        match self.entry()?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(failed(e.to_string())),
        }
    }
}

/// How a front wants tokens kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKeeping {
    /// The OS keychain (clinic profiles).
    Keychain,
    /// Memory only, gone when the app quits (the demo profile, whose platform is embedded and
    /// whose accounts are public; tests).
    Memory,
}

/// The token store of one account, behind one type for the client.
pub(crate) struct AccountTokens(pub Arc<dyn TokenStore>);

impl TokenStore for AccountTokens {
    fn load(&self) -> Result<Option<Tokens>, TokenStoreError> {
        self.0.load()
    }
    fn save(&self, tokens: &Tokens) -> Result<(), TokenStoreError> {
        self.0.save(tokens)
    }
    fn clear(&self) -> Result<(), TokenStoreError> {
        self.0.clear()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keychain_is_never_reached_from_tests_and_says_so() {
        let store = KeychainTokenStore::new("org.meddesk.test", "dr.x", "http://127.0.0.1:1");
        let err = store.load().expect_err("forbidden in tests");
        assert!(err.to_string().contains("token_store_failed"), "{err}");
        assert!(err.to_string().contains(FORBID_KEYCHAIN_ENV), "{err}");
    }
}
