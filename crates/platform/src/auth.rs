//! Sign-in and tokens. Passwords are checked against Argon2id verifiers; access tokens are
//! short-lived HMAC-SHA256-signed claims naming their session; refresh tokens are random,
//! stored hashed, and rotated on use. A session is a row in the database (any node sees it):
//! it ends at sign-out, password change, suspension or an administrator's revocation, and
//! after an absolute lifetime however often it was refreshed. A refresh token presented a
//! second time ends its session (a copy was stolen: both holders must sign in again).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use meddesk_sync::AccountRole;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::decide::Actor;
use crate::error::PlatformError;

/// Access tokens live 15 minutes; refresh tokens 30 days (a clinic offline for longer
/// signs in again; its outbox waits, nothing is lost).
pub const ACCESS_TTL_S: i64 = 15 * 60;
pub const REFRESH_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
/// A session ends this long after its sign-in, however often it was refreshed.
pub const SESSION_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: AccountRole,
    org: String,
    spec: Vec<String>,
    dev: String,
    /// The session (sign-in) the token belongs to; checked against the database per request.
    sid: String,
    exp: i64,
}

/// A checked access token: who, on which session, until when (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub actor: Actor,
    pub session_id: String,
    pub expires_s: i64,
}

pub fn hash_password(password: &str) -> Result<String, PlatformError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| PlatformError::Internal(format!("random: {e}")))?;
    let salt = SaltString::encode_b64(&bytes)
        .map_err(|e| PlatformError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PlatformError::Internal(format!("argon2: {e}")))
}

/// Spend the time of one real password check against a verifier nobody's password matches,
/// so an unknown account name answers as slowly as a known one.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(v) = DUMMY.get_or_init(|| hash_password("meddesk: no such account").ok()) {
        let _ = verify_password(password, v);
    }
}

pub fn verify_password(password: &str, verifier: &str) -> bool {
    PasswordHash::new(verifier).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn sign(secret: &[u8], payload: &str) -> Result<String, PlatformError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|e| PlatformError::Internal(format!("hmac: {e}")))?;
    mac.update(payload.as_bytes());
    Ok(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// An access token for `actor` on session `session_id`, valid until `now_s + ttl_s`.
pub fn issue_access(
    secret: &[u8],
    actor: &Actor,
    session_id: &str,
    now_s: i64,
    ttl_s: i64,
) -> Result<String, PlatformError> {
    let claims = Claims {
        sub: actor.user_id.clone(),
        role: actor.role,
        org: actor.org_id.clone(),
        spec: actor.specialties.clone(),
        dev: actor.device_id.clone(),
        sid: session_id.to_owned(),
        exp: now_s + ttl_s,
    };
    let json =
        serde_json::to_vec(&claims).map_err(|e| PlatformError::Internal(format!("claims: {e}")))?;
    let payload = URL_SAFE_NO_PAD.encode(json);
    let sig = sign(secret, &payload)?;
    Ok(format!("{payload}.{sig}"))
}

/// Check an access token: `token_invalid` for anything forged or malformed,
/// `token_expired` when only the time ran out. Whether the session is still open is the
/// caller's question (it needs the database).
pub fn check_access(secret: &[u8], token: &str, now_s: i64) -> Result<Access, PlatformError> {
    let access = signed_access(secret, token)?;
    // Valid through its whole last second: a token lives at least its TTL, whatever the
    // fraction of the second it was issued in.
    if access.expires_s < now_s {
        return Err(PlatformError::TokenExpired);
    }
    Ok(access)
}

/// A genuine access token's claims, expired or not (`token_invalid` for anything forged or
/// malformed): what signing a session out needs.
pub fn signed_access(secret: &[u8], token: &str) -> Result<Access, PlatformError> {
    let (payload, sig) = token.split_once('.').ok_or(PlatformError::TokenInvalid)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|e| PlatformError::Internal(format!("hmac: {e}")))?;
    mac.update(payload.as_bytes());
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| PlatformError::TokenInvalid)?;
    mac.verify_slice(&sig)
        .map_err(|_| PlatformError::TokenInvalid)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| PlatformError::TokenInvalid)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| PlatformError::TokenInvalid)?;
    Ok(Access {
        actor: Actor {
            user_id: claims.sub,
            role: claims.role,
            org_id: claims.org,
            specialties: claims.spec,
            device_id: claims.dev,
        },
        session_id: claims.sid,
        expires_s: claims.exp,
    })
}

/// A new random session id.
pub fn new_session_id() -> Result<String, PlatformError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| PlatformError::Internal(format!("random: {e}")))?;
    Ok(hex::encode(bytes))
}

/// A new random refresh token and the hash under which it is stored.
pub fn new_refresh() -> Result<(String, String), PlatformError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| PlatformError::Internal(format!("random: {e}")))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = refresh_hash(&token);
    Ok((token, hash))
}

pub fn refresh_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> Actor {
        Actor {
            user_id: "u1".into(),
            role: AccountRole::Physician,
            org_id: "org".into(),
            specialties: vec!["cardiology".into()],
            device_id: "d1".into(),
        }
    }

    #[test]
    fn tokens_round_trip_expire_and_resist_forgery() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let t = issue_access(secret, &actor(), "s1", 1_000, ACCESS_TTL_S).expect("issue");
        let access = check_access(secret, &t, 1_000).expect("valid");
        assert_eq!(access.actor, actor());
        assert_eq!(access.session_id, "s1");
        assert_eq!(access.expires_s, 1_000 + ACCESS_TTL_S);
        assert!(
            check_access(secret, &t, 1_000 + ACCESS_TTL_S).is_ok(),
            "valid through its last second"
        );
        assert!(matches!(
            check_access(secret, &t, 1_000 + ACCESS_TTL_S + 1),
            Err(PlatformError::TokenExpired)
        ));
        assert!(matches!(
            check_access(b"another secret of the same size!", &t, 1_000),
            Err(PlatformError::TokenInvalid)
        ));
        let (payload, sig) = t.split_once('.').expect("two parts");
        let forged = format!("{}A.{sig}", payload);
        assert!(matches!(
            check_access(secret, &forged, 1_000),
            Err(PlatformError::TokenInvalid)
        ));
        assert!(matches!(
            check_access(secret, "garbage", 1_000),
            Err(PlatformError::TokenInvalid)
        ));
    }

    #[test]
    fn passwords_verify_against_argon2id() {
        let v = hash_password("正确的密码").expect("hash");
        assert!(v.starts_with("$argon2id$"));
        assert!(verify_password("正确的密码", &v));
        assert!(!verify_password("wrong", &v));
        assert!(!verify_password("x", "not a phc string"));
    }
}
