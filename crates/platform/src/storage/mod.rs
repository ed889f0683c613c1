//! Where the platform keeps its state: one trait, two backends (embedded SQLite for a single
//! clinic and the demo; PostgreSQL for deployments with several stateless HTTP nodes).
//!
//! The push algorithm lives here once ([`push`]): a backend only opens a transaction that
//! holds the change-sequence lock, loads rows and writes a batch. That is why both
//! backends enforce the same rules and the same gap-free sequence.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use meddesk_sync::{
    AccountRole, OpKind, OpOutcome, OpResult, Operation, RecordBody, RecordKey, RecordKind,
    Rejection, RejectionCode,
};
use uuid::Uuid;

use crate::decide::{Actor, ChangeMeta, Loaded, decide, meta, touches};
use crate::error::PlatformError;

pub mod pg_link;
pub mod postgres;
pub mod sqlite;

pub type Result<T> = std::result::Result<T, PlatformError>;

/// Idempotency keys (operation outcomes) are kept at least this long: offline clinics can
/// be away for weeks and must get the same answer when they finally retry (issue 6: ≥ 90 d).
pub const OUTCOME_RETENTION_MS: i64 = 180 * 24 * 3600 * 1000;

#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    pub user_id: String,
    pub role: AccountRole,
    pub org_id: String,
    pub specialties: Vec<String>,
    /// Argon2id PHC string.
    pub verifier: String,
    /// RFC 6238 shared secret (administrators, R-ROLE-3).
    pub totp_secret: Option<Vec<u8>>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("user_id", &self.user_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// One sign-in on one device (see [`crate::auth`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub session_id: String,
    pub user_id: String,
    pub device_id: String,
    pub created_ms: i64,
    /// The absolute end, however often the session is refreshed.
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    pub revoked_reason: Option<String>,
}

impl Session {
    pub fn is_open(&self, now_ms: i64) -> bool {
        self.revoked_ms.is_none() && now_ms < self.expires_ms
    }
}

/// What presenting a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// Unused and unexpired: it is now used; the session may get new tokens.
    Fresh { session_id: String },
    /// Already used once: a copy is in someone else's hands.
    Reused { session_id: String },
    /// Unknown or expired.
    Unknown,
}

/// One row of the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChange {
    pub seq: u64,
    pub kind: RecordKind,
    pub id: String,
    pub version: u64,
    /// The record body as JSON (sent as is).
    pub body: String,
    pub meta: ChangeMeta,
    pub op_id: Uuid,
}

/// Everything one push batch writes, committed together with the new head.
#[derive(Debug, Default)]
pub struct Writes {
    pub head: u64,
    /// Latest body per record (key, version, JSON).
    pub records: Vec<(RecordKey, u64, String)>,
    pub changes: Vec<StoredChange>,
    /// (op id, user, outcome JSON).
    /// (op id, user, body digest, outcome JSON).
    pub outcomes: Vec<(Uuid, String, String, String)>,
    pub now_ms: i64,
}

/// An open push transaction. It holds the change-sequence lock from `begin` to `commit`:
/// pushes are serialized, so sequence numbers are assigned and become visible in order
/// (a reader never sees seq n+1 before n) and a rolled-back push leaves no gap.
/// The answer already given to an operation id, and what it was given to: the idempotency
/// key is (user, op id, body digest) — the same id with another body or from another user
/// is a `conflict`, never the old answer.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownOutcome {
    pub user_id: String,
    /// `None` for outcomes stored before digests were kept: the user still has to match.
    pub digest: Option<String>,
    pub result: OpResult,
}

/// The digest an operation's idempotency key binds: SHA-256 of its JSON (the struct's
/// fields in declaration order, maps sorted), hex.
pub fn op_digest(op: &Operation) -> Result<String> {
    use sha2::Digest as _;
    let bytes = serde_json::to_vec(op)
        .map_err(|e| PlatformError::Internal(format!("operation encoding: {e}")))?;
    Ok(hex::encode(sha2::Sha256::digest(&bytes)))
}

pub trait PushTx: Send {
    fn head(&self) -> u64;
    fn outcomes(
        &mut self,
        op_ids: &[Uuid],
    ) -> impl Future<Output = Result<HashMap<Uuid, KnownOutcome>>> + Send;
    fn load(&mut self, keys: &[RecordKey]) -> impl Future<Output = Result<Loaded>> + Send;
    fn commit(self, writes: Writes) -> impl Future<Output = Result<()>> + Send;
    fn rollback(self) -> impl Future<Output = ()> + Send;
}

pub trait Storage: Send + Sync + 'static {
    type Tx: PushTx;

    fn begin(&self) -> impl Future<Output = Result<Self::Tx>> + Send;
    /// Changes after `after`, oldest first, at most `limit`; and the current head.
    fn pull(
        &self,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = Result<(Vec<StoredChange>, u64)>> + Send;
    fn head(&self) -> impl Future<Output = Result<u64>> + Send;
    /// Wake `notify` when another node commits a push (several nodes on one database); a
    /// single-node store has nothing to do.
    fn watch_changes(&self, _notify: std::sync::Arc<tokio::sync::Notify>) {}
    /// The token-signing secret, created once and shared by every node of a deployment.
    fn secret(&self) -> impl Future<Output = Result<Vec<u8>>> + Send;
    fn account_by_username(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<Account>>> + Send;
    fn account_by_user_id(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<Account>>> + Send;
    fn put_account(&self, account: &Account) -> impl Future<Output = Result<()>> + Send;
    /// Register (idempotently); `false` when the device belongs to another user.
    fn register_device(
        &self,
        device_id: &str,
        user_id: &str,
        name: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn device_owner(&self, device_id: &str) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Open a session (one sign-in on one device).
    fn open_session(&self, session: &Session) -> impl Future<Output = Result<()>> + Send;
    fn session(&self, session_id: &str) -> impl Future<Output = Result<Option<Session>>> + Send;
    /// End one session; `false` when it was already ended.
    fn revoke_session(
        &self,
        session_id: &str,
        at_ms: i64,
        reason: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// End every open session of a user (password change, suspension, an administrator's
    /// revocation); how many.
    fn revoke_user_sessions(
        &self,
        user_id: &str,
        at_ms: i64,
        reason: &str,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// Keep a refresh token (hashed) of a session.
    fn save_refresh(
        &self,
        token_hash: &str,
        session_id: &str,
        expires_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Use a refresh token (rotation): marks it used atomically, so of two concurrent uses
    /// (and of any later one) only the first is `Fresh`.
    fn use_refresh(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<RefreshUse>> + Send;
    /// Failed sign-ins counted under `key` (see [`crate::throttle`]).
    fn sign_in_failures(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<crate::throttle::Failures>>> + Send;
    /// Count one more failure under `key` (restarting from one when the last is older than
    /// `forget_after_ms`).
    fn note_sign_in_failure(
        &self,
        key: &str,
        now_ms: i64,
        forget_after_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    fn clear_sign_in_failures(&self, key: &str) -> impl Future<Output = Result<()>> + Send;
    /// Forget idempotency keys older than `before_ms`, and sessions and refresh tokens that
    /// ended or expired before now.
    fn purge_outcomes(
        &self,
        before_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// Accept TOTP time step `step` for `username` only when it is later than the last one
    /// accepted (R-SEC-8: a second factor is used once). Atomic in the database, so every node
    /// of a deployment refuses a replay; `false` when the step was already used.
    fn accept_totp_step(
        &self,
        username: &str,
        step: u64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Keep a signing certificate the platform issued (R-RX-10; JSON body).
    fn put_certificate(
        &self,
        serial: &str,
        user_id: &str,
        body: &str,
        issued_at_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// One certificate by serial (JSON).
    fn certificate(&self, serial: &str) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Every certificate issued (JSON bodies), oldest first: what a verifier needs.
    fn certificates(&self) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// Revoke a user's certificates not yet revoked (suspension, R-CMP-2); how many.
    fn revoke_certificates(
        &self,
        user_id: &str,
        at_ms: i64,
        reason: &str,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// The newest audit anchor of a chain, with the organisation it belongs to.
    fn latest_anchor(
        &self,
        chain_id: &str,
    ) -> impl Future<Output = Result<Option<(meddesk_sync::AnchoredAudit, String)>>> + Send;
    /// Keep an anchor (the history stays: every anchor ever sent).
    fn put_anchor(
        &self,
        anchor: &meddesk_sync::AuditAnchor,
        org_id: &str,
        user_id: &str,
        device_id: &str,
        at_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Every revocation: (serial, revoked at, reason).
    fn revocations(&self) -> impl Future<Output = Result<Vec<(String, i64, String)>>> + Send;
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| PlatformError::Internal(format!("encode: {e}")))
}

/// Apply a batch of operations by `actor`: idempotent per `op_id`, validated by
/// [`decide`], all in one transaction. The outcomes are in the order of `ops`.
pub async fn push<S: Storage>(
    store: &S,
    actor: &Actor,
    ops: &[Operation],
    now_ms: i64,
    pack: &meddesk_formulary::Pack,
    triage: &meddesk_clinical::triage::TriageRules,
    signing: &crate::signing::PlatformSigning,
) -> Result<Vec<OpOutcome>> {
    // What signatures are verified against (R-RX-10): the revocations as of now and the
    // certificates the batch's signatures name.
    let revoked = store.revocations().await?;
    let revocations = signing
        .revocation_list(&revoked, now_ms)
        .map_err(|e| PlatformError::Internal(format!("revocation list: {e}")))?;
    let mut certificates = BTreeMap::new();
    for serial in ops.iter().filter_map(named_certificate) {
        if let Some(json) = store.certificate(&serial).await? {
            let cert: meddesk_signature::Certificate = serde_json::from_str(&json)
                .map_err(|e| PlatformError::Internal(format!("stored certificate: {e}")))?;
            certificates.insert(serial, cert);
        }
    }
    // The organisations of the accounts the batch acts on (an administrator's subjects).
    let mut account_orgs = BTreeMap::new();
    for op in ops {
        if let OpKind::SuspendPhysician { physician_id, .. }
        | OpKind::ReinstatePhysician { physician_id } = &op.kind
            && !account_orgs.contains_key(physician_id)
            && let Some(account) = store.account_by_user_id(physician_id).await?
        {
            account_orgs.insert(physician_id.clone(), account.org_id);
        }
    }
    let rules = crate::decide::Rules {
        pack,
        signing,
        revocations: &revocations,
        certificates: &certificates,
        account_orgs: &account_orgs,
        triage,
    };
    let mut tx = store.begin().await?;
    match push_in(&mut tx, actor, ops, now_ms, &rules).await {
        Ok((outcomes, writes)) => {
            if writes.outcomes.is_empty() {
                tx.rollback().await;
            } else {
                tx.commit(writes).await?;
            }
            Ok(outcomes)
        }
        Err(e) => {
            tx.rollback().await;
            Err(e)
        }
    }
}

async fn push_in<T: PushTx>(
    tx: &mut T,
    actor: &Actor,
    ops: &[Operation],
    now_ms: i64,
    rules: &crate::decide::Rules<'_>,
) -> Result<(Vec<OpOutcome>, Writes)> {
    let ids: Vec<Uuid> = ops.iter().map(|o| o.op_id).collect();
    let mut known = tx.outcomes(&ids).await?;
    let mut keys: Vec<RecordKey> = ops
        .iter()
        .filter(|o| !known.contains_key(&o.op_id))
        .flat_map(|o| touches(o, actor))
        .collect();
    keys.sort();
    keys.dedup();
    let mut working: Loaded = tx.load(&keys).await?;
    let mut head = tx.head();
    let mut writes = Writes {
        now_ms,
        ..Writes::default()
    };
    let mut latest: BTreeMap<RecordKey, (u64, String)> = BTreeMap::new();
    let mut outcomes = Vec::with_capacity(ops.len());
    for op in ops {
        let digest = op_digest(op)?;
        if let Some(k) = known.get(&op.op_id) {
            let same = k.user_id == op.user && k.digest.as_ref().is_none_or(|d| *d == digest);
            let result = if same {
                // A retried or duplicated delivery: the same answer, applied once.
                k.result.clone()
            } else {
                // Another operation under a used id: refused, and the first answer stays.
                OpResult::Rejected {
                    rejection: Rejection::new(
                        RejectionCode::Conflict,
                        "the operation id was already used for another operation",
                    ),
                }
            };
            outcomes.push(OpOutcome {
                op_id: op.op_id,
                result,
            });
            continue;
        }
        // R-SEC-8: bounded fields, arrays and operations before anything is decided, and
        // bounded records before anything is written.
        let decided = crate::limits::check_operation(op)
            .and_then(|()| decide(op, actor, &working, now_ms, rules))
            .and_then(|changed| {
                changed
                    .into_iter()
                    .map(|(key, body)| {
                        let json = to_json(&body).map_err(|e| {
                            Rejection::new(RejectionCode::InvalidInput, e.to_string())
                        })?;
                        crate::limits::check_record(&key, &json)?;
                        Ok((key, body, json))
                    })
                    .collect::<std::result::Result<Vec<_>, Rejection>>()
            });
        let result = match decided {
            Ok(changed) => {
                let mut last = OpResult::Acked {
                    seq: head,
                    version: 0,
                };
                for (key, body, json) in changed {
                    head += 1;
                    let version = working.get(&key).map_or(1, |(v, _)| v + 1);
                    writes.changes.push(StoredChange {
                        seq: head,
                        kind: key.kind,
                        id: key.id.clone(),
                        version,
                        body: json.clone(),
                        meta: meta(&body),
                        op_id: op.op_id,
                    });
                    latest.insert(key.clone(), (version, json));
                    working.insert(key, (version, body));
                    last = OpResult::Acked { seq: head, version };
                }
                last
            }
            Err(rejection) => OpResult::Rejected { rejection },
        };
        writes
            .outcomes
            .push((op.op_id, op.user.clone(), digest.clone(), to_json(&result)?));
        known.insert(
            op.op_id,
            KnownOutcome {
                user_id: op.user.clone(),
                digest: Some(digest),
                result: result.clone(),
            },
        );
        outcomes.push(OpOutcome {
            op_id: op.op_id,
            result,
        });
    }
    writes.head = head;
    writes.records = latest.into_iter().map(|(k, (v, j))| (k, v, j)).collect();
    Ok((outcomes, writes))
}

/// The certificate serial a signing operation names, if any.
fn named_certificate(op: &Operation) -> Option<String> {
    let value = match &op.kind {
        OpKind::SignPrescription { signed, .. } => signed
            .as_ref()?
            .signature
            .as_ref()?
            .get("physician")?
            .get("certificate")?,
        OpKind::ReviewPrescription { signature, .. } => {
            signature.as_ref()?.get("review")?.get("certificate")?
        }
        _ => return None,
    };
    value.as_str().map(str::to_owned)
}

/// Decode a stored record body.
pub fn decode_body(json: &str) -> Result<RecordBody> {
    serde_json::from_str(json).map_err(|e| PlatformError::Internal(format!("stored body: {e}")))
}

pub fn decode_outcome(json: &str) -> Result<OpResult> {
    serde_json::from_str(json).map_err(|e| PlatformError::Internal(format!("stored outcome: {e}")))
}

pub fn role_str(role: AccountRole) -> &'static str {
    match role {
        AccountRole::Physician => "physician",
        AccountRole::Pharmacist => "pharmacist",
        AccountRole::Administrator => "administrator",
        AccountRole::Intake => "intake",
    }
}

pub fn parse_role(s: &str) -> Result<AccountRole> {
    Ok(match s {
        "physician" => AccountRole::Physician,
        "pharmacist" => AccountRole::Pharmacist,
        "administrator" => AccountRole::Administrator,
        "intake" => AccountRole::Intake,
        other => return Err(PlatformError::Internal(format!("stored role `{other}`"))),
    })
}

pub fn parse_kind(s: &str) -> Result<RecordKind> {
    RecordKind::parse(s).ok_or_else(|| PlatformError::Internal(format!("stored kind `{s}`")))
}
