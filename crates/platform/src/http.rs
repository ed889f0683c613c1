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
use axum::extract::{DefaultBodyLimit, Query, State};
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
use tokio::sync::Notify;

use crate::auth;
use crate::decide::{Actor, View, visibility};
use crate::error::PlatformError;
use crate::signing::{CertificateRequest, PlatformSigning, TrustBundle};
use crate::storage::{self, Account, Storage};

/// At most this many operations per push (a clinic back from weeks offline pushes in
/// several requests).
pub const MAX_OPS_PER_PUSH: usize = 2_000;
pub const DEFAULT_PAGE: u32 = 1_000;
pub const MAX_PAGE: u32 = 5_000;
/// How often the notification channel looks for changes pushed through other nodes.
const EVENTS_POLL: Duration = Duration::from_millis(250);

pub struct AppState<S: Storage> {
    pub store: Arc<S>,
    /// The knowledge pack the workstations check against (R-RX-8: one validity rule).
    pack: Arc<meddesk_formulary::Pack>,
    /// The platform's signing identity (R-RX-10).
    signing: Arc<PlatformSigning>,
    secret: Arc<Vec<u8>>,
    notify: Arc<Notify>,
    hlc: Arc<std::sync::Mutex<HlcClock>>,
    access_ttl_s: i64,
}

impl<S: Storage> Clone for AppState<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            pack: self.pack.clone(),
            signing: self.signing.clone(),
            secret: self.secret.clone(),
            notify: self.notify.clone(),
            hlc: self.hlc.clone(),
            access_ttl_s: self.access_ttl_s,
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
    ) -> Result<Self, PlatformError> {
        let secret = store.secret().await?;
        Ok(Self {
            store: Arc::new(store),
            pack,
            signing: Arc::new(PlatformSigning::from_secret(&secret)),
            secret: Arc::new(secret),
            notify: Arc::new(Notify::new()),
            hlc: Arc::new(std::sync::Mutex::new(HlcClock::new())),
            access_ttl_s,
        })
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
        .route("/v1/devices", post(register_device::<S>))
        .route("/v1/ops", post(push::<S>))
        .route("/v1/changes", get(pull::<S>))
        .route("/v1/events", get(events::<S>))
        .route("/v1/certificates", post(certify::<S>))
        .route("/v1/trust", get(trust::<S>))
        .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
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

fn actor_of<S: Storage>(state: &AppState<S>, headers: &HeaderMap) -> Result<Actor, PlatformError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(PlatformError::TokenInvalid)?;
    auth::check_access(&state.secret, token.trim(), now_ms() / 1000)
}

async fn health<S: Storage>(State(state): State<AppState<S>>) -> Response {
    match state.store.head().await {
        Ok(head) => json_response(&serde_json::json!({ "status": "ready", "head": head })),
        Err(e) => e.into_response(),
    }
}

async fn tokens_for<S: Storage>(
    state: &AppState<S>,
    account: &Account,
    device_id: &str,
) -> Result<TokenResponse, PlatformError> {
    let actor = Actor {
        user_id: account.user_id.clone(),
        role: account.role,
        org_id: account.org_id.clone(),
        specialties: account.specialties.clone(),
        device_id: device_id.to_owned(),
    };
    let now = now_ms();
    let access = auth::issue_access(&state.secret, &actor, now / 1000, state.access_ttl_s)?;
    let (refresh_token, hash) = auth::new_refresh()?;
    state
        .store
        .save_refresh(
            &hash,
            &account.user_id,
            device_id,
            now + auth::REFRESH_TTL_MS,
        )
        .await?;
    Ok(TokenResponse {
        access_token: access,
        access_expires_in_s: state.access_ttl_s.unsigned_abs(),
        refresh_token,
        account: AccountInfo {
            user_id: account.user_id.clone(),
            role: account.role,
            org_id: account.org_id.clone(),
            specialties: account.specialties.clone(),
        },
    })
}

async fn sign_in<S: Storage>(State(state): State<AppState<S>>, body: Bytes) -> Response {
    let result = async {
        let req: SignInRequest = parse(&body)?;
        if req.device_id.trim().is_empty() {
            return Err(PlatformError::InvalidRequest("`device_id` is empty".into()));
        }
        let account = state
            .store
            .account_by_username(&req.username)
            .await?
            .ok_or(PlatformError::SignInFailed)?;
        let verifier = account.verifier.clone();
        let password = req.password.clone();
        // Argon2id is deliberately slow: keep it off the async workers.
        let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &verifier))
            .await
            .map_err(|e| PlatformError::Internal(format!("verify: {e}")))?;
        if !ok {
            return Err(PlatformError::SignInFailed);
        }
        // R-ROLE-3: administrators (and anyone with a TOTP secret) need the second factor.
        if account.role == AccountRole::Administrator || account.totp_secret.is_some() {
            let secret = account
                .totp_secret
                .as_deref()
                .ok_or(PlatformError::SignInFailed)?;
            let code = req.totp.as_deref().ok_or(PlatformError::TotpRequired)?;
            let Some(step) = meddesk_sync::totp::verify(
                secret,
                code,
                u64::try_from(now_ms() / 1000).unwrap_or(0),
            ) else {
                return Err(PlatformError::SignInFailed);
            };
            // R-SEC-8: a code is used once, on every node (the step is kept in the database).
            if !state
                .store
                .accept_totp_step(&account.username, step)
                .await?
            {
                return Err(PlatformError::SignInFailed);
            }
        }
        tokens_for(&state, &account, &req.device_id).await
    }
    .await;
    match result {
        Ok(t) => json_response(&t),
        Err(e) => e.into_response(),
    }
}

async fn refresh<S: Storage>(State(state): State<AppState<S>>, body: Bytes) -> Response {
    let result = async {
        let req: RefreshRequest = parse(&body)?;
        let (user_id, device_id) = state
            .store
            .take_refresh(&auth::refresh_hash(&req.refresh_token), now_ms())
            .await?
            .ok_or(PlatformError::TokenInvalid)?;
        let account = state
            .store
            .account_by_user_id(&user_id)
            .await?
            .ok_or(PlatformError::TokenInvalid)?;
        tokens_for(&state, &account, &device_id).await
    }
    .await;
    match result {
        Ok(t) => json_response(&t),
        Err(e) => e.into_response(),
    }
}

async fn register_device<S: Storage>(
    State(state): State<AppState<S>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let actor = actor_of(&state, &headers)?;
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
    let result = async {
        let actor = actor_of(&state, &headers)?;
        let req: PushRequest = parse(&body)?;
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
        let signing = state.signing.clone();
        let ops = req.ops;
        let (outcomes, ops) = tokio::spawn(async move {
            let outcomes = storage::push(store.as_ref(), &actor, &ops, now, &pack, &signing).await;
            (outcomes, ops)
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
        let actor = actor_of(&state, &headers)?;
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
    actor_of(&state, &headers)?;
    let Query(q) =
        query.map_err(|_| PlatformError::InvalidRequest("`after` must be an integer".into()))?;
    let stream = futures_util::stream::unfold((state, q.after), |(state, last)| async move {
        loop {
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
                return Some((Ok(event), (state, head)));
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(EVENTS_POLL) => {}
            }
        }
    });
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
        let actor = actor_of(&state, &headers)?;
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
