//! Sign-in throttling (R-SEC-8): failed sign-ins are counted per account name and per client
//! address, in the database (every node of a deployment sees the same counts). After a few
//! free failures each further attempt has to wait, doubling up to a ceiling; a success clears
//! the account's count; an hour without failures forgets them.
//!
//! While a key is throttled the node answers `sign_in_throttled` without looking at the
//! password (so the answer never depends on it and no Argon2 time is spent), for names that
//! exist and names that do not alike.

use std::net::IpAddr;

/// One throttling policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures allowed before any wait.
    pub free_failures: u32,
    /// The first wait, doubled per further failure.
    pub base_ms: i64,
    /// The longest wait.
    pub max_ms: i64,
    /// Failures older than this are forgotten.
    pub forget_after_ms: i64,
}

/// Per account name: five tries, then 1 s, 2 s, 4 s … up to 15 minutes.
pub const ACCOUNT: Policy = Policy {
    free_failures: 5,
    base_ms: 1_000,
    max_ms: 15 * 60 * 1_000,
    forget_after_ms: 60 * 60 * 1_000,
};

/// Per client address: a clinic's users share one address behind NAT, so more are free.
pub const ADDRESS: Policy = Policy {
    free_failures: 30,
    base_ms: 1_000,
    max_ms: 15 * 60 * 1_000,
    forget_after_ms: 60 * 60 * 1_000,
};

/// What the database keeps per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub last_ms: i64,
}

impl Policy {
    /// How long the key must still wait before another attempt is looked at; `None` when
    /// an attempt may go ahead now.
    pub fn wait_ms(&self, failures: Option<Failures>, now_ms: i64) -> Option<i64> {
        let f = failures?;
        if now_ms - f.last_ms >= self.forget_after_ms || f.count < self.free_failures {
            return None;
        }
        let doublings = (f.count - self.free_failures).min(30);
        let wait = self
            .base_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.max_ms);
        let remaining = f.last_ms + wait - now_ms;
        (remaining > 0).then_some(remaining)
    }
}

/// The database key of an account name (case-folded and trimmed, so `Admin ` and `admin`
/// share one count).
pub fn account_key(username: &str) -> String {
    format!("account:{}", username.trim().to_lowercase())
}

/// The database key of a client address.
pub fn address_key(addr: IpAddr) -> String {
    format!("address:{addr}")
}

/// The client's address: the peer, or, when the peer is one of the configured trusted
/// proxies, the last address the proxy appended to `X-Forwarded-For`. `None` when there is
/// no usable address of a client: the peer is a loopback address that is not a configured
/// proxy (a local reverse proxy that was not declared; every client would share its address,
/// so per-address throttling would lock out the whole clinic) or a trusted proxy sent no
/// parseable header.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted_proxies: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if trusted_proxies.contains(&peer) {
        // The proxy appends the address it saw last; anything before it is client-supplied.
        return forwarded_for?
            .rsplit(',')
            .next()
            .and_then(|a| a.trim().parse().ok());
    }
    (!peer.is_loopback()).then_some(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(count: u32, last_ms: i64) -> Option<Failures> {
        Some(Failures { count, last_ms })
    }

    #[test]
    fn free_failures_then_doubling_waits_up_to_the_ceiling() {
        let p = ACCOUNT;
        assert_eq!(p.wait_ms(None, 0), None);
        assert_eq!(
            p.wait_ms(f(4, 1_000), 1_000),
            None,
            "four failures are free"
        );
        assert_eq!(p.wait_ms(f(5, 1_000), 1_000), Some(1_000));
        assert_eq!(p.wait_ms(f(5, 1_000), 2_000), None, "the wait is over");
        assert_eq!(p.wait_ms(f(6, 1_000), 1_500), Some(1_500));
        assert_eq!(p.wait_ms(f(8, 0), 0), Some(8_000));
        assert_eq!(p.wait_ms(f(40, 0), 0), Some(15 * 60 * 1_000), "capped");
        assert_eq!(p.wait_ms(f(u32::MAX, 0), 1), Some(15 * 60 * 1_000 - 1));
    }

    #[test]
    fn an_hour_without_failures_forgets_them() {
        let hour = 60 * 60 * 1_000;
        // A ceiling beyond the forgetting time shows the forgetting on its own.
        let p = Policy {
            max_ms: 10 * hour,
            ..ACCOUNT
        };
        assert!(p.wait_ms(f(50, 0), hour - 1).is_some());
        assert_eq!(p.wait_ms(f(50, 0), hour), None);
    }

    #[test]
    fn account_names_share_a_key_regardless_of_case_and_spaces() {
        assert_eq!(account_key(" Admin"), account_key("admin"));
        assert_ne!(account_key("admin"), account_key("admin2"));
    }

    #[test]
    fn the_client_address_behind_a_trusted_proxy_only() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        // Direct from the internet (no proxy): the peer.
        assert_eq!(client_address(Some(client), None, &[]), Some(client));
        // A header from an untrusted peer is ignored.
        assert_eq!(
            client_address(Some(client), Some("198.51.100.1"), &[]),
            Some(client)
        );
        // An undeclared local proxy: no per-address key rather than one for everybody.
        assert_eq!(client_address(Some(proxy), Some("203.0.113.7"), &[]), None);
        // A declared proxy: the last hop it appended, not what the client wrote before it.
        assert_eq!(
            client_address(Some(proxy), Some("10.9.9.9, 203.0.113.7"), &[proxy]),
            Some(client)
        );
        assert_eq!(client_address(Some(proxy), Some("garbage"), &[proxy]), None);
        assert_eq!(client_address(Some(proxy), None, &[proxy]), None);
        assert_eq!(client_address(None, Some("203.0.113.7"), &[proxy]), None);
    }
}
