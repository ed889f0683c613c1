//! `signing_keys`: a user's electronic-signature key on this workstation (R-RX-10) — the
//! sealed private key and, once the platform has issued it, the certificate.

use rusqlite::{OptionalExtension, params};
use zeroize::Zeroizing;

use crate::audit::Action;
use crate::error::{Result, StoreError};
use crate::{Reader, Writer};

pub const RECORD: &str = "signing_key";

/// A user's key as stored: the seed opened, the certificate as issued (JSON) if any.
#[derive(Debug)]
pub struct SigningKey {
    pub key_id: String,
    pub seed: Zeroizing<[u8; 32]>,
    pub certificate: Option<String>,
}

fn aad(user_id: &str) -> String {
    format!("signing_keys.seed:{user_id}")
}

/// Keep a new key for `user_id` (one per user and workstation; a second insert fails).
pub fn insert(w: &mut Writer<'_>, user_id: &str, key_id: &str, seed: &[u8; 32]) -> Result<()> {
    let sealed = w.seal(&aad(user_id), seed)?;
    w.conn()
        .prepare_cached(
            "INSERT INTO signing_keys(user_id, key_id, seed, created_at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![user_id, key_id, sealed, w.now_ms()])?;
    w.audit(Action::Create, RECORD, key_id)
}

/// The certificate the platform issued for the user's key.
pub fn set_certificate(w: &mut Writer<'_>, user_id: &str, certificate: &str) -> Result<()> {
    let n = w
        .conn()
        .prepare_cached("UPDATE signing_keys SET certificate = ?2 WHERE user_id = ?1")?
        .execute(params![user_id, certificate])?;
    if n == 0 {
        return Err(super::not_found(RECORD, user_id));
    }
    w.audit(Action::Update, RECORD, user_id)
}

/// (key id, sealed seed, certificate) as stored.
type Row = (String, Vec<u8>, Option<String>);

fn row(conn: &rusqlite::Connection, user_id: &str) -> Result<Option<Row>> {
    Ok(conn
        .prepare_cached("SELECT key_id, seed, certificate FROM signing_keys WHERE user_id = ?1")?
        .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

fn open(
    sealed: Result<Zeroizing<Vec<u8>>>,
    key_id: String,
    certificate: Option<String>,
) -> Result<SigningKey> {
    let plain = sealed?;
    let seed: [u8; 32] = plain.as_slice().try_into().map_err(|_| {
        StoreError::CorruptDatabase("a signing key seed has the wrong length".into())
    })?;
    Ok(SigningKey {
        key_id,
        seed: Zeroizing::new(seed),
        certificate,
    })
}

/// The user's key, inside a read.
pub fn get(r: &mut Reader<'_>, user_id: &str) -> Result<Option<SigningKey>> {
    let Some((key_id, sealed, certificate)) = row(r.conn(), user_id)? else {
        return Ok(None);
    };
    r.touched(RECORD, &key_id);
    open(r.open_sealed(&aad(user_id), &sealed), key_id, certificate).map(Some)
}
