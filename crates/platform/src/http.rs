//! The HTTP API (docs/platform-api.yaml). Handlers hold no state of their own: everything
//! lives in the [`Storage`], so any number of nodes can serve one database. The only
//! node-local things are the wake-up for the notification channel (other nodes' pushes are
//! seen by a short poll) and the node's hybrid clock (a hint for clients, never trusted).

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use meddesk_sync::{
    AccountInfo, AccountRole, DeviceRequest, HlcClock, OpKind, OpResult, PushRequest, PushResponse,
    RefreshRequest, SignInRequest, TokenResponse,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, Semaphore};

use crate::auth;
use crate::decide::{Actor, View, visibility};
use crate::error::PlatformError;
use crate::signing::{CertificateRequest, PlatformSigning, TrustBundle};
use crate::storage::{self, Account, RefreshUse, Session, Storage};
use crate::throttle;
use zeroize::Zeroizing;

/// At most this many operations per push (a clinic back from weeks offline pushes in
/// several requests).
pub const MAX_OPS_PER_PUSH: usize = 2_000;
/// Operations per database transaction within one push.
pub const OPS_PER_TRANSACTION: usize = 200;
pub const DEFAULT_PAGE: u32 = 1_000;
pub const MAX_PAGE: u32 = 5_000;
/// How often the notification channel looks for changes pushed through other nodes.
const EVENTS_POLL: Duration = Duration::from_millis(250);

pub struct AppState<S: Storage> {
    pub store: Arc<S>,
    /// The knowledge pack the workstations check against (R-RX-8: one validity rule).
    pack: Arc<meddesk_formulary::Pack>,
    /// The triage rules arriving requests are routed with (one rule, both sides).
    triage: Arc<meddesk_clinical::triage::TriageRules>,
    /// The platform's signing identity (R-RX-10).
    signing: Arc<PlatformSigning>,
    secret: Arc<Vec<u8>>,
    notify: Arc<Notify>,
    hlc: Arc<std::sync::Mutex<HlcClock>>,
    access_ttl_s: i64,
    /// Password checks at once (Argon2id costs 19 MiB and tens of milliseconds each): an
    /// unauthenticated flood queues here instead of exhausting memory and cores.
    hashing: Arc<Semaphore>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (sign-in throttling).
    trusted_proxies: Arc<Vec<std::net::IpAddr>>,
}

/// How long a sign-in waits for a password-hashing slot before the node answers `busy`.
const HASHING_WAIT: Duration = Duration::from_secs(5);
/// How often an open notification channel re-checks that its session is still open.
const EVENTS_RECHECK: Duration = Duration::from_secs(2);

impl<S: Storage> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            pack: self.pack.clone(),
            triage: self.triage.clone(),
            signing: self.signing.clone(),
            secret: self.secret.clone(),
            notify: self.notify.clone(),
            hlc: self.hlc.clone(),
            access_ttl_s: self.access_ttl_s,
            hashing: self.hashing.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
}

impl<S: Storage> std::fmt::Debug for AppState<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl<S: Storage> AppState<S> {
    pub async fn new(
        store: S,
        access_ttl_s: i64,
        pack: Arc<meddesk_formulary::Pack>,
        triage: Arc<meddesk_clinical::triage::TriageRules>,
    ) -> Result<Self, PlatformError> {
        let secret = store.secret().await?;
        let notify = Arc::new(Notify::new());
        // Other nodes' pushes wake this node's notification channels at once.
        store.watch_changes(notify.clone());
        Ok(Self {
            store: Arc::new(store),
            pack,
            triage,
            signing: Arc::new(PlatformSigning::from_secret(&secret)),
            secret: Arc::new(secret),
            notify,
            hlc: Arc::new(std::sync::Mutex::new(HlcClock::new())),
            access_ttl_s,
            hashing: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
            )),
            trusted_proxies: Arc::new(Vec::new()),
        })
    }

    /// Trust `X-Forwarded-For` from these reverse proxies (the TLS terminator in front).
    #[must_use]
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> Self {
        self.trusted_proxies = Arc::new(proxies);
        self
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub fn router<S: Storage>(state: AppState<S>) -> Router {
    Router::new()
        .route("/health", get(health::<S>))
        .route("/v1/sign-in", post(sign_in::<S>))
        .route("/v1/token/refresh", post(refresh::<S>))
        .route("/v1/sign-out", post(sign_out::<S>))
        .route("/v1/sessions/revoke", post(revoke_sessions::<S>))
        .route("/v1/devices", post(register_device::<S>))
        .route("/v1/ops", post(push::<S>))
        .route("/v1/changes", get(pull::<S>))
        .route("/v1/events", get(events::<S>))
        .route("/v1/certificates", post(certify::<S>))
        .route("/v1/trust", get(trust::<S>))
        .route(
            "/v1/audit-anchors",
            get(latest_anchor::<S>).post(anchor_audit::<S>),
        )
        .layer(DefaultBodyLimit::max(crate::limits::MAX_REQUEST_BYTES))
        .with_state(state)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, PlatformError> {
    // The message names the position, never the value (it may be patient data).
    serde_json::from_slice(body).map_err(|e| {
        PlatformError::InvalidRequest(format!(
            "body is not valid at line {} column {} ({:?})",
            e.line(),
            e.column(),
            e.classify()
        ))
    })
}

fn json_response<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => PlatformError::Internal(format!("encode: {e}")).into_response(),
    }
}

fn bearer(headers: &HeaderMap) -> Result<&str, PlatformError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(PlatformError::TokenInvalid)
}

/// The caller's access, checked: a well-formed unexpired token of a session that is still
/// open (sign-out, password change, suspension and revocation end it at once, on every node).
async fn access_of<S: Storage>(
    state: &AppState<S>,
    headers: &HeaderMap,
) -> Result<auth::Access, PlatformError> {
    let now = now_ms();
    let access = auth::check_access(&state.secret, bearer(headers)?, now / 1000)?;
    match state.store.session(&access.session_id).await? {
        Some(session) if session.is_open(now) && session.user_id == access.actor.user_id => {
            Ok(access)
        }
        _ => Err(PlatformError::TokenInvalid),
    }
}

async fn actor_of<S: Storage>(
    state: &AppState<S>,
    headers: &HeaderMap,
) -> Result<Actor, PlatformError> {
    access_of(state, headers).await.map(|a| a.actor)
}

async fn health<S: Storage>(State(state): State<AppState<S>>) -> Response {
    match state.store.head().await {
        Ok(head) => json_response(&serde_json::json!({ "status": "ready", "head": head })),
        Err(e) => e.into_response(),
    }
}

/// Tokens for `account` on `session` (a new sign-in, or a refresh of an open session).
async fn tokens_for<S: Storage>(
    state: &AppState<S>,
    account: &Account,
    session: &Session,
) -> Result<TokenResponse, PlatformError> {
    let device_id = session.device_id.as_str();
    let actor = Actor {
        user_id: account.user_id.clone(),
        role: account.role,
        org_id: account.org_id.clone(),
        specialties: account.specialties.clone(),
        device_id: device_id.to_owned(),
    };
    let now = now_ms();
    // Neither token outlives the session.
    let ttl_s = state
        .access_ttl_s
        .min((session.expires_ms - now) / 1000)
        .max(1);
    let access = auth::issue_access(
        &state.secret,
        &actor,
        &session.session_id,
        now / 1000,
        ttl_s,
    )?;
    let (refresh_token, hash) = auth::new_refresh()?;
    state
        .store
        .save_refresh(
            &hash,
            &session.session_id,
            (now + auth::REFRESH_TTL_MS).min(session.expires_ms),
        )
        .await?;
    Ok(TokenResponse {
        access_token: access,
        access_expires_in_s: ttl_s.unsigned_abs(),
        refresh_token,
        account: AccountInfo {
            user_id: account.user_id.clone(),
            role: account.role,
            org_id: account.org_id.clone(),
            specialties: account.specialties.clone(),
        },
    })
}

async fn open_session<S: Storage>(
    state: &AppState<S>,
    account: &Account,
    device_id: &str,
) -> Result<TokenResponse, PlatformError> {
    let now = now_ms();
    let session = Session {
        session_id: auth::new_session_id()?,
        user_id: account.user_id.clone(),
        device_id: device_id.to_owned(),
        created_ms: now,
        expires_ms: now + auth::SESSION_LIFETIME_MS,
        revoked_ms: None,
        revoked_reason: None,
    };
    state.store.open_session(&session).await?;
    tokens_for(state, account, &session).await
}

/// R-SEC-8: throttled per account name and client address; both factors checked before
/// any answer but success; one answer for every failure; password checks bounded.
async fn sign_in<S: Storage>(
    State(state): State<AppState<S>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let req: SignInRequest = parse(&body)?;
        if req.device_id.trim().is_empty() {
            return Err(PlatformError::InvalidRequest("`device_id` is empty".into()));
        }
        let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        let mut keys = vec![(throttle::account_key(&req.username), throttle::ACCOUNT)];
        if let Some(addr) =
            throttle::client_address(Some(peer.ip()), forwarded, &state.trusted_proxies)
        {
            keys.push((throttle::address_key(addr), throttle::ADDRESS));
        }
        let now = now_ms();
        for (key, policy) in &keys {
            let failures = state.store.sign_in_failures(key).await?;
            if let Some(wait) = policy.wait_ms(failures, now) {
                return Err(PlatformError::SignInThrottled {
                    retry_after_s: u64::try_from((wait + 999) / 1_000).unwrap_or(1).max(1),
                });
            }
        }
        match check_factors(&state, &req).await? {
            Some(account) => {
                state.store.clear_sign_in_failures(&keys[0].0).await?;
                open_session(&state, &account, &req.device_id).await
            }
            None => {
                for (key, policy) in &keys {
                    state
                        .store
                        .note_sign_in_failure(key, now_ms(), policy.forget_after_ms)
                        .await?;
                }
                Err(PlatformError::SignInFailed)
            }
        }
    }
    .await;
    match result {
        Ok(t) => json_response(&t),
        Err(e) => e.into_response(),
    }
}

/// Both factors; the account when both hold. Every failure is `None` — an unknown name
/// spends the same password-hashing time as a known one — so the caller's one answer
/// cannot tell them apart.
async fn check_factors<S: Storage>(
    state: &AppState<S>,
    req: &SignInRequest,
) -> Result<Option<Account>, PlatformError> {
    let account = state.store.account_by_username(&req.username).await?;
    let permit = tokio::time::timeout(HASHING_WAIT, state.hashing.clone().acquire_owned())
        .await
        .map_err(|_| PlatformError::Busy)?
        .map_err(|_| PlatformError::Busy)?;
    let password = Zeroizing::new(req.password.clone());
    let verifier = account.as_ref().map(|a| a.verifier.clone());
    // Argon2id is deliberately slow: keep it off the async workers.
    let password_ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match verifier {
            Some(v) => auth::verify_password(&password, &v),
            None => {
                auth::verify_nothing(&password);
                false
            }
        }
    })
    .await
    .map_err(|e| PlatformError::Internal(format!("verify: {e}")))?;
    let Some(account) = account else {
        return Ok(None);
    };
    // R-ROLE-3: administrators (and anyone with a TOTP secret) need the second factor.
    // The code is checked whatever the password said, and a missing code is just a failure.
    let needs_totp = account.role == AccountRole::Administrator || account.totp_secret.is_some();
    let totp_ok = if needs_totp {
        match (account.totp_secret.as_deref(), req.totp.as_deref()) {
            (Some(secret), Some(code)) => {
                match meddesk_sync::totp::verify(
                    secret,
                    code,
                    u64::try_from(now_ms() / 1000).unwrap_or(0),
                ) {
                    // A code is used once, on every node (R-SEC-8): only consumed when the
                    // password was right too, so a guesser cannot burn the user's codes.
                    Some(step) if password_ok => {
                        state
                            .store
                            .accept_totp_step(&account.username, step)
                            .await?
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    } else {
        true
    };
    Ok((password_ok && totp_ok).then_some(account))
}

async fn refresh<S: Storage>(State(state): State<AppState<S>>, body: Bytes) -> Response {
    let result = async {
        let req: RefreshRequest = parse(&body)?;
        let now = now_ms();
        let session_id = match state
            .store
            .use_refresh(&auth::refresh_hash(&req.refresh_token), now)
            .await?
        {
            RefreshUse::Fresh { session_id } => session_id,
            RefreshUse::Reused { session_id } => {
                // A used refresh token came back: whoever holds the other copy is not to be
                // trusted either. End the session; the user signs in again.
                if state
                    .store
                    .revoke_session(&session_id, now, "refresh_token_reused")
                    .await?
                {
                    tracing::warn!("a used refresh token was presented again; session ended");
                }
                return Err(PlatformError::TokenInvalid);
            }
            RefreshUse::Unknown => return Err(PlatformError::TokenInvalid),
        };
        let session = state
            .store
            .session(&session_id)
            .await?
            .filter(|s| s.is_open(now))
            .ok_or(PlatformError::TokenInvalid)?;
        let account = state
            .store
            .account_by_user_id(&session.user_id)
            .await?
            .ok_or(PlatformError::TokenInvalid)?;
        tokens_for(&state, &account, &session).await
    }
    .await;
    match result {
        Ok(t) => json_response(&t),
        Err(e) => e.into_response(),
    }
}

/// End the caller's session: its access and refresh tokens stop working on every node.
async fn sign_out<S: Storage>(State(state): State<AppState<S>>, headers: HeaderMap) -> Response {
    let result = async {
        let now = now_ms();
        // An expired (but genuine) access token may still sign its session out.
        let access = auth::signed_access(&state.secret, bearer(&headers)?)?;
        state
            .store
            .revoke_session(&access.session_id, now, "signed_out")
            .await?;
        Ok::<(), PlatformError>(())
    }
    .await;
    match result {
        Ok(()) => json_response(&serde_json::json!({ "signed_out": true })),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    user_id: String,
}

/// An administrator ends every session of a user of their own organisation.
async fn revoke_sessions<S: Storage>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let actor = actor_of(&state, &headers).await?;
        let req: RevokeRequest = parse(&body)?;
        if actor.role != AccountRole::Administrator {
            return Err(PlatformError::Forbidden(
                "only an administrator ends other users' sessions".into(),
            ));
        }
        let target = state
            .store
            .account_by_user_id(&req.user_id)
            .await?
            .filter(|a| a.org_id == actor.org_id)
            .ok_or_else(|| PlatformError::Forbidden("no such user in this organisation".into()))?;
        let ended = state
            .store
            .revoke_user_sessions(&target.user_id, now_ms(), "revoked_by_administrator")
            .await?;
        Ok(ended)
    }
    .await;
    match result {
        Ok(n) => json_response(&serde_json::json!({ "sessions_ended": n })),
        Err(e) => e.into_response(),
    }
}

async fn register_device<S: Storage>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let actor = actor_of(&state, &headers).await?;
        let req: DeviceRequest = parse(&body)?;
        if req.device_id != actor.device_id {
            return Err(PlatformError::InvalidRequest(
                "`device_id` differs from the device the session was opened on".into(),
            ));
        }
        if !state
            .store
            .register_device(&req.device_id, &actor.user_id, &req.name, now_ms())
            .await?
        {
            return Err(PlatformError::DeviceTaken);
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => json_response(&serde_json::json!({ "registered": true })),
        Err(e) => e.into_response(),
    }
}

async fn push<S: Storage>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async move {
        let actor = actor_of(&state, &headers).await?;
        let req: PushRequest = parse(&body)?;
        // The request's bytes are not needed once parsed (a push may be tens of MB).
        drop(body);
        if req.ops.len() > MAX_OPS_PER_PUSH {
            return Err(PlatformError::InvalidRequest(format!(
                "at most {MAX_OPS_PER_PUSH} operations per push"
            )));
        }
        if state.store.device_owner(&actor.device_id).await?.as_deref()
            != Some(actor.user_id.as_str())
        {
            return Err(PlatformError::DeviceNotRegistered);
        }
        let now = now_ms();
        // Spawned, so a client that hangs up mid-request cannot cancel the transaction
        // half-way: it commits or rolls back, and the retry gets the stored outcome.
        let store = state.store.clone();
        let pack = state.pack.clone();
        let triage = state.triage.clone();
        let signing = state.signing.clone();
        let ops = req.ops;
        let (outcomes, ops) = tokio::spawn(async move {
            // One transaction per slice of the push: what a transaction holds (loaded and
            // written records, their JSON) stays bounded however large the push. Each
            // operation is idempotent, so a failure part-way is answered as a whole and the
            // retry gets the stored outcomes of the slices that committed.
            let mut outcomes = Vec::with_capacity(ops.len());
            for slice in ops.chunks(OPS_PER_TRANSACTION) {
                match storage::push(store.as_ref(), &actor, slice, now, &pack, &triage, &signing)
                    .await
                {
                    Ok(o) => outcomes.extend(o),
                    Err(e) => return (Err(e), ops),
                }
            }
            (Ok(outcomes), ops)
        })
        .await
        .map_err(|e| PlatformError::Internal(format!("push task: {e}")))?;
        let outcomes = outcomes?;
        // R-CMP-2, R-RX-10: a suspended physician's signing certificates are revoked (as
        // of now: what they signed before stays valid).
        for (op, outcome) in ops.iter().zip(&outcomes) {
            if let (OpKind::SuspendPhysician { physician_id, .. }, OpResult::Acked { .. }) =
                (&op.kind, &outcome.result)
            {
                state
                    .store
                    .revoke_certificates(physician_id, now, "suspended")
                    .await?;
                // Their sessions end too: they sign in again and see what they may still do.
                state
                    .store
                    .revoke_user_sessions(physician_id, now, "suspended")
                    .await?;
            }
        }
        if outcomes
            .iter()
            .any(|o| matches!(o.result, OpResult::Acked { .. }))
        {
            state.notify.notify_waiters();
        }
        let server_hlc = {
            let mut clock = state
                .hlc
                .lock()
                .map_err(|_| PlatformError::Internal("clock lock poisoned".into()))?;
            for op in &ops {
                // Stamps too far ahead were rejected by `decide`; they do not move the clock.
                let _ = clock.observe(op.hlc, now);
            }
            clock.tick(now)
        };
        Ok(PushResponse {
            outcomes,
            server_hlc,
        })
    }
    .await;
    match result {
        Ok(r) => json_response(&r),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct PullQuery {
    #[serde(default)]
    after: u64,
    limit: Option<u32>,
}

async fn pull<S: Storage>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let result: Result<String, PlatformError> = async {
        let actor = actor_of(&state, &headers).await?;
        let Query(q) = query.map_err(|_| {
            PlatformError::InvalidRequest(
                "`after` and `limit` must be non-negative integers".into(),
            )
        })?;
        let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
        let (rows, head) = state.store.pull(q.after, limit).await?;
        let full_page = rows.len() == limit as usize;
        let next_cursor = match rows.last() {
            Some(last) if full_page => last.seq,
            _ => head.max(q.after),
        };
        // Bodies are stored as JSON and sent as is: no decode/encode per record.
        let mut out =
            String::with_capacity(rows.iter().map(|r| r.body.len() + 96).sum::<usize>() + 64);
        out.push_str("{\"changes\":[");
        let mut first = true;
        for row in &rows {
            let view = visibility(&actor, row.kind, &row.id, &row.meta);
            if view == View::Hidden {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            let id = serde_json::to_string(&row.id)
                .map_err(|e| PlatformError::Internal(format!("encode: {e}")))?;
            let _ = write!(
                out,
                "{{\"seq\":{},\"key\":{{\"kind\":\"{}\",\"id\":{id}}},\"version\":{},\"body\":",
                row.seq,
                row.kind.as_str(),
                row.version
            );
            match view {
                View::Full => out.push_str(&row.body),
                _ => out.push_str("null"),
            }
            out.push('}');
        }
        let _ = write!(out, "],\"next_cursor\":{next_cursor},\"head\":{head}}}");
        Ok(out)
    }
    .await;
    match result {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    #[serde(default)]
    after: u64,
}

async fn events<S: Storage>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PlatformError> {
    let access = access_of(&state, &headers).await?;
    let Query(q) =
        query.map_err(|_| PlatformError::InvalidRequest("`after` must be an integer".into()))?;
    // The channel lives as long as its session: it is re-checked every few seconds and ends
    // when the session is ended or the access token expires (the client reconnects with a
    // refreshed token, or not at all).
    let session_id = access.session_id;
    let token_end_ms = access.expires_s.saturating_add(1).saturating_mul(1_000);
    let checked = std::time::Instant::now();
    let stream = futures_util::stream::unfold(
        (state, q.after, checked),
        move |(state, last, mut checked)| {
            let session_id = session_id.clone();
            async move {
                loop {
                    if now_ms() >= token_end_ms {
                        return None;
                    }
                    if checked.elapsed() >= EVENTS_RECHECK {
                        let open = matches!(
                            state.store.session(&session_id).await,
                            Ok(Some(s)) if s.is_open(now_ms())
                        );
                        if !open {
                            return None;
                        }
                        checked = std::time::Instant::now();
                    }
                    // Register for the wake-up before looking, so a push in between is not missed.
                    let notify = state.notify.clone();
                    let notified = notify.notified();
                    tokio::pin!(notified);
                    notified.as_mut().enable();
                    if let Ok(head) = state.store.head().await
                        && head > last
                    {
                        let event = Event::default()
                            .event("head")
                            .data(format!("{{\"head\":{head}}}"));
                        return Some((Ok(event), (state, head, checked)));
                    }
                    tokio::select! {
                        () = &mut notified => {}
                        () = tokio::time::sleep(EVENTS_POLL) => {}
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// R-RX-10: certify the signed-in physician's or pharmacist's signing key (bound to the
/// user, role and organisation of the session). Registering the same key again returns its
/// certificate; a revoked key is not certified again.
async fn certify<S: Storage>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let actor = actor_of(&state, &headers).await?;
        let req: CertificateRequest = parse(&body)?;
        let role = match actor.role {
            AccountRole::Physician => meddesk_signature::Role::Physician,
            AccountRole::Pharmacist => meddesk_signature::Role::Pharmacist,
            _ => {
                return Err(PlatformError::Forbidden(
                    "only physicians and pharmacists sign prescriptions".into(),
                ));
            }
        };
        let serial = meddesk_signature::key::fingerprint(&req.public_key);
        if let Some(existing) = state.store.certificate(&serial).await? {
            let cert: meddesk_signature::Certificate = serde_json::from_str(&existing)
                .map_err(|e| PlatformError::Internal(format!("stored certificate: {e}")))?;
            if cert.body.user_id != actor.user_id {
                return Err(PlatformError::Forbidden(
                    "this key is certified for another user".into(),
                ));
            }
            if state
                .store
                .revocations()
                .await?
                .iter()
                .any(|(s, _, _)| *s == serial)
            {
                return Err(PlatformError::Forbidden(
                    "this key's certificate is revoked; generate a new key".into(),
                ));
            }
            return Ok(cert);
        }
        let now = now_ms();
        let cert = state
            .signing
            .issue(
                &actor.user_id,
                role,
                &actor.org_id,
                req.algorithm,
                req.public_key,
                now,
            )
            .map_err(|e| PlatformError::InvalidRequest(format!("{}: {e}", e.code())))?;
        let json = serde_json::to_string(&cert)
            .map_err(|e| PlatformError::Internal(format!("encode: {e}")))?;
        state
            .store
            .put_certificate(&serial, &actor.user_id, &json, now)
            .await?;
        Ok(cert)
    }
    .await;
    match result {
        Ok(cert) => json_response(&cert),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct AnchorQuery {
    chain_id: String,
}

/// The newest anchor of a chain of the caller's organisation.
async fn latest_anchor<S: Storage>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    query: Result<Query<AnchorQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let result = async {
        let actor = actor_of(&state, &headers).await?;
        let Query(q) =
            query.map_err(|_| PlatformError::InvalidRequest("`chain_id` is required".into()))?;
        let latest = match state.store.latest_anchor(&q.chain_id).await? {
            Some((a, org)) if org == actor.org_id => Some(a),
            Some(_) => {
                return Err(PlatformError::Forbidden(
                    "the chain belongs to another organisation".into(),
                ));
            }
            None => None,
        };
        Ok(meddesk_sync::AnchorAnswer { latest })
    }
    .await;
    match result {
        Ok(a) => json_response(&a),
        Err(e) => e.into_response(),
    }
}

/// Keep a workstation's audit head (issue 13 §4); one behind the newest kept is refused as
/// `audit_regressed` (and not kept over it).
async fn anchor_audit<S: Storage>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let actor = actor_of(&state, &headers).await?;
        let anchor: meddesk_sync::AuditAnchor = parse(&body)?;
        let latest = state.store.latest_anchor(&anchor.chain_id).await?;
        if latest.as_ref().is_some_and(|(_, org)| *org != actor.org_id) {
            return Err(PlatformError::Forbidden(
                "the chain belongs to another organisation".into(),
            ));
        }
        let latest = latest.map(|(a, _)| a);
        crate::decide::judge_anchor(latest.as_ref(), &anchor)?;
        let now = now_ms();
        state
            .store
            .put_anchor(
                &anchor,
                &actor.org_id,
                &actor.user_id,
                &actor.device_id,
                now,
            )
            .await?;
        Ok(meddesk_sync::AnchorAnswer {
            latest: Some(meddesk_sync::AnchoredAudit {
                entries: anchor.entries,
                head: anchor.head,
                anchored_at_ms: now,
            }),
        })
    }
    .await;
    match result {
        Ok(a) => json_response(&a),
        Err(e) => e.into_response(),
    }
}

/// What an offline verifier needs: the platform's keys, its signed revocation list and the
/// certificates it issued (public data: no patient data).
async fn trust<S: Storage>(State(state): State<AppState<S>>) -> Response {
    let result = async {
        let now = now_ms();
        let revoked = state.store.revocations().await?;
        let revocations = state
            .signing
            .revocation_list(&revoked, now)
            .map_err(|e| PlatformError::Internal(format!("revocation list: {e}")))?;
        let certificates = state
            .store
            .certificates()
            .await?
            .iter()
            .map(|c| serde_json::from_str(c))
            .collect::<Result<Vec<meddesk_signature::Certificate>, _>>()
            .map_err(|e| PlatformError::Internal(format!("stored certificate: {e}")))?;
        Ok::<_, PlatformError>(TrustBundle {
            platform_keys: vec![state.signing.key().clone()],
            revocations,
            certificates,
        })
    }
    .await;
    match result {
        Ok(t) => json_response(&t),
        Err(e) => e.into_response(),
    }
}
