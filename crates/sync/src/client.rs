//! The HTTP client: push then pull with cursors, driven by the planner. It never decides
//! anything itself; it turns HTTP into [`Answer`]s and executes the planner's actions on
//! the [`Replica`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::planner::{Action, Answer, Failure, LocalView, ProgressEvent, SyncState, plan};
use crate::protocol::{
    AccountInfo, AnchorAnswer, ApiErrorBody, AuditAnchor, Cursor, DeviceRequest, HeadEvent,
    PullResponse, PushRequest, PushResponse, RefreshRequest, SignInRequest, TokenResponse,
};
use crate::replica::{Replica, ReplicaError};
use crate::token::{TokenSecret, TokenStore, TokenStoreError, Tokens};

/// Errors of the client, with stable codes (`SyncError::code`).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// R-SEC-3: plain HTTP is allowed to loopback only.
    #[error("insecure_transport: the platform URL must be https:// (http:// only for loopback)")]
    InsecureTransport,
    #[error("invalid_config: {0}")]
    InvalidConfig(String),
    /// Sign-in again; nothing local is lost.
    #[error("needs_sign_in: the session expired or was revoked")]
    NeedsSignIn,
    #[error("sign_in_refused: {code}")]
    SignInRefused { code: String },
    /// The platform keeps a newer audit anchor than the chain here (issue 13 §4).
    #[error("audit_anchor_refused: {code}")]
    AnchorRefused { code: String },
    /// Try again after `delay_ms`; `state` says why (offline, 5xx, garbage, TLS, 429).
    #[error("retry_later: {state:?}, retry in {delay_ms} ms")]
    RetryLater { delay_ms: u64, state: SyncState },
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    #[error(transparent)]
    TokenStore(#[from] TokenStoreError),
}

impl SyncError {
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::InsecureTransport => "insecure_transport",
            SyncError::InvalidConfig(_) => "invalid_config",
            SyncError::NeedsSignIn => "needs_sign_in",
            SyncError::SignInRefused { .. } => "sign_in_refused",
            SyncError::AnchorRefused { .. } => "audit_anchor_refused",
            SyncError::RetryLater { .. } => "retry_later",
            SyncError::Replica(_) => "replica_failed",
            SyncError::TokenStore(_) => "token_store_failed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// e.g. `https://platform.example.cn` or `http://127.0.0.1:8080`.
    pub base_url: String,
    pub device_id: String,
    /// Operations per push request.
    pub push_batch: usize,
    /// Changes per pull page.
    pub page_limit: u32,
    pub timeout: Duration,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, device_id: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            device_id: device_id.into(),
            push_batch: 200,
            page_limit: 2_000,
            timeout: Duration::from_secs(20),
        }
    }
}

/// What one completed sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub acked: u32,
    pub rejected: u32,
    pub pulled: u64,
    pub cursor: Cursor,
    pub head: Cursor,
}

type ProgressSink = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

pub struct SyncClient<R: Replica, T: TokenStore> {
    http: reqwest::Client,
    cfg: ClientConfig,
    base: String,
    replica: Arc<Mutex<R>>,
    tokens: Arc<T>,
    /// Consecutive failures (drives the backoff).
    attempt: u32,
    state: SyncState,
    progress: Option<ProgressSink>,
}

impl<R: Replica, T: TokenStore> std::fmt::Debug for SyncClient<R, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("base", &self.base)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// True when plain HTTP is acceptable: the host is a loopback address (tests, the demo).
pub fn is_loopback_url(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// R-SEC-3: a platform URL must be `https://`, or `http://` to loopback (tests, the demo).
/// The one check every caller uses (the client at construction, the workstation when a
/// front configures a platform).
pub fn check_platform_url(base_url: &str) -> Result<(), SyncError> {
    let url = reqwest::Url::parse(base_url)
        .map_err(|e| SyncError::InvalidConfig(format!("base_url: {e}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_url(&url) => Ok(()),
        _ => Err(SyncError::InsecureTransport),
    }
}

/// End the platform session the kept tokens belong to (sign-out, R-SEC-8): the platform
/// revokes it on every node, and the tokens are forgotten here whatever the platform
/// answered (an unreachable platform lets the session run out; nothing local is lost).
/// `Ok(true)` when the platform confirmed (or the session was already over), `Ok(false)`
/// when it could not be reached.
pub async fn end_session(base_url: &str, tokens: &dyn TokenStore) -> Result<bool, SyncError> {
    check_platform_url(base_url)?;
    let Some(kept) = tokens.load()? else {
        return Ok(true);
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| SyncError::InvalidConfig(format!("http client: {e}")))?;
    let sent = http
        .post(format!("{}/v1/sign-out", base_url.trim_end_matches('/')))
        .bearer_auth(&kept.access_token.0)
        .send()
        .await;
    tokens.clear()?;
    Ok(sent.is_ok_and(|r| r.status().is_success() || r.status() == StatusCode::UNAUTHORIZED))
}

impl<R: Replica, T: TokenStore> SyncClient<R, T> {
    /// Sign out of the platform: see [`end_session`].
    pub async fn sign_out(&mut self) -> Result<bool, SyncError> {
        self.state = SyncState::NeedsSignIn;
        end_session(&self.base, self.tokens.as_ref()).await
    }

    pub fn new(
        cfg: ClientConfig,
        replica: Arc<Mutex<R>>,
        tokens: Arc<T>,
    ) -> Result<Self, SyncError> {
        check_platform_url(&cfg.base_url)?;
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SyncError::InvalidConfig(format!("http client: {e}")))?;
        let base = cfg.base_url.trim_end_matches('/').to_owned();
        Ok(Self {
            http,
            cfg,
            base,
            replica,
            tokens,
            attempt: 0,
            state: SyncState::Idle,
            progress: None,
        })
    }

    /// Receive a [`ProgressEvent`] after every push batch and pull page.
    pub fn on_progress(&mut self, sink: impl Fn(&ProgressEvent) + Send + Sync + 'static) {
        self.progress = Some(Arc::new(sink));
    }

    pub fn state(&self) -> &SyncState {
        &self.state
    }

    pub fn replica(&self) -> &Arc<Mutex<R>> {
        &self.replica
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, R>, SyncError> {
        self.replica.lock().map_err(|_| {
            SyncError::Replica(ReplicaError {
                message: "replica lock poisoned".into(),
            })
        })
    }

    /// Sign in; stores the tokens. TOTP is required for administrators (R-ROLE-3).
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        totp: Option<&str>,
    ) -> Result<AccountInfo, SyncError> {
        let body = SignInRequest {
            username: username.into(),
            password: password.into(),
            totp: totp.map(str::to_owned),
            device_id: self.cfg.device_id.clone(),
        };
        let req = self
            .http
            .post(format!("{}/v1/sign-in", self.base))
            .json(&body);
        match request::<TokenResponse>(req).await {
            Ok(t) => {
                self.store_tokens(&t)?;
                Ok(t.account)
            }
            // Throttled or busy: not a refusal of these credentials; retry when told.
            Err(f @ Failed::Status { status, .. })
                if status == StatusCode::TOO_MANY_REQUESTS
                    || status == StatusCode::SERVICE_UNAVAILABLE =>
            {
                Err(self.retry_error(f.into_failure()))
            }
            Err(Failed::Status { code, .. }) if code.is_some() => Err(SyncError::SignInRefused {
                code: code.unwrap_or_default(),
            }),
            Err(f) => Err(self.retry_error(f.into_failure())),
        }
    }

    /// Register this device for the signed-in account (idempotent).
    pub async fn register_device(&mut self, name: &str) -> Result<(), SyncError> {
        let body = DeviceRequest {
            device_id: self.cfg.device_id.clone(),
            name: name.into(),
        };
        let url = format!("{}/v1/devices", self.base);
        for _ in 0..2 {
            let req = self.authorized(self.http.post(&url).json(&body))?;
            match request::<serde_json::Value>(req).await {
                Ok(_) => return Ok(()),
                Err(f) => match f.into_failure() {
                    Failure::TokenExpired => self.refresh().await?,
                    Failure::TokenInvalid => return Err(self.needs_sign_in()),
                    other => return Err(self.retry_error(other)),
                },
            }
        }
        Err(self.needs_sign_in())
    }

    /// The newest audit anchor the platform keeps for `chain_id` (issue 13 §4).
    pub async fn latest_audit_anchor(&mut self, chain_id: &str) -> Result<AnchorAnswer, SyncError> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/v1/audit-anchors", self.base),
            &[("chain_id", chain_id)],
        )
        .map_err(|e| SyncError::InvalidConfig(format!("base_url: {e}")))?;
        for _ in 0..2 {
            let req = self.authorized(self.http.get(url.clone()))?;
            match request::<AnchorAnswer>(req).await {
                Ok(a) => return Ok(a),
                Err(f) => match f.into_failure() {
                    Failure::TokenExpired => self.refresh().await?,
                    Failure::TokenInvalid => return Err(self.needs_sign_in()),
                    other => return Err(self.retry_error(other)),
                },
            }
        }
        Err(self.needs_sign_in())
    }

    /// Hand the platform the audit chain's head. `Err(AnchorRefused)` when the platform
    /// keeps a newer one (`audit_regressed`: entries were cut or rewritten).
    pub async fn anchor_audit(&mut self, anchor: &AuditAnchor) -> Result<AnchorAnswer, SyncError> {
        let url = format!("{}/v1/audit-anchors", self.base);
        for _ in 0..2 {
            let req = self.authorized(self.http.post(&url).json(anchor))?;
            match request::<AnchorAnswer>(req).await {
                Ok(a) => return Ok(a),
                Err(Failed::Status {
                    status: StatusCode::CONFLICT,
                    code: Some(code),
                    ..
                }) => return Err(SyncError::AnchorRefused { code }),
                Err(f) => match f.into_failure() {
                    Failure::TokenExpired => self.refresh().await?,
                    Failure::TokenInvalid => return Err(self.needs_sign_in()),
                    other => return Err(self.retry_error(other)),
                },
            }
        }
        Err(self.needs_sign_in())
    }

    fn store_tokens(&self, t: &TokenResponse) -> Result<(), SyncError> {
        self.tokens.save(&Tokens {
            access_token: TokenSecret(t.access_token.clone()),
            refresh_token: TokenSecret(t.refresh_token.clone()),
        })?;
        Ok(())
    }

    fn authorized(&self, req: RequestBuilder) -> Result<RequestBuilder, SyncError> {
        match self.tokens.load()? {
            Some(t) => Ok(req.bearer_auth(&t.access_token.0)),
            None => Err(SyncError::NeedsSignIn),
        }
    }

    fn needs_sign_in(&mut self) -> SyncError {
        self.state = SyncState::NeedsSignIn;
        SyncError::NeedsSignIn
    }

    fn retry_error(&self, failure: Failure) -> SyncError {
        let view = LocalView {
            pending: &[],
            cursor: 0,
        };
        for action in plan(
            &view,
            &Answer::Failed(failure),
            self.attempt,
            rand::random(),
        ) {
            if let Action::RetryAfter { delay_ms, state } = action {
                return SyncError::RetryLater { delay_ms, state };
            }
        }
        SyncError::NeedsSignIn
    }

    /// Trade the refresh token for new tokens; a refused refresh means sign in again.
    pub async fn refresh(&mut self) -> Result<(), SyncError> {
        let Some(tokens) = self.tokens.load()? else {
            return Err(self.needs_sign_in());
        };
        let req = self
            .http
            .post(format!("{}/v1/token/refresh", self.base))
            .json(&RefreshRequest {
                refresh_token: tokens.refresh_token.0.clone(),
            });
        match request::<TokenResponse>(req).await {
            Ok(t) => {
                self.store_tokens(&t)?;
                Ok(())
            }
            Err(f) => match f.into_failure() {
                Failure::TokenExpired | Failure::TokenInvalid => Err(self.needs_sign_in()),
                other => Err(self.fail(other)),
            },
        }
    }

    /// Record a failure: bump the attempt counter, set the state, return the retry error.
    fn fail(&mut self, failure: Failure) -> SyncError {
        let err = self.retry_error(failure);
        self.attempt = self.attempt.saturating_add(1);
        if let SyncError::RetryLater { state, .. } = &err {
            self.state = state.clone();
        }
        err
    }

    fn emit(&self, report: &SyncReport) {
        if let Some(sink) = &self.progress {
            let pending = self
                .lock()
                .and_then(|r| Ok(r.pending_ops(100_000)?.len()))
                .unwrap_or(0);
            sink(&ProgressEvent {
                state: self.state.clone(),
                pending_ops: u32::try_from(pending).unwrap_or(u32::MAX),
                pushed_ops: report.acked,
                rejected_ops: report.rejected,
                pulled_changes: report.pulled,
                cursor: report.cursor,
                head: report.head,
            });
        }
    }

    /// One full sync: push every pending operation, then pull every change after the cursor.
    /// On failure nothing is lost: pending ops stay pending, the cursor stays where the last
    /// applied page left it, and the error says when to retry.
    pub async fn sync_once(&mut self) -> Result<SyncReport, SyncError> {
        self.state = SyncState::Syncing;
        let mut report = SyncReport::default();
        let mut refreshed = false;
        self.certify().await?;
        self.push_all(&mut report, &mut refreshed).await?;
        self.pull_all(&mut report, &mut refreshed).await?;
        self.fetch_trust().await?;
        self.attempt = 0;
        self.state = SyncState::UpToDate {
            cursor: report.cursor,
        };
        self.emit(&report);
        Ok(report)
    }

    /// Keep calling [`Self::sync_once`], sleeping as the planner says, until one succeeds or
    /// `max_attempts` failed. Sign-in problems end it at once.
    pub async fn sync_until_done(&mut self, max_attempts: u32) -> Result<SyncReport, SyncError> {
        let mut last = None;
        for _ in 0..max_attempts {
            match self.sync_once().await {
                Ok(r) => return Ok(r),
                Err(SyncError::RetryLater { delay_ms, state }) => {
                    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                    last = Some(SyncError::RetryLater { delay_ms, state });
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(SyncError::NeedsSignIn))
    }

    /// Execute an answer's actions; `Ok(true)` when the caller should repeat the request
    /// (token refreshed or another page waits).
    async fn act(
        &mut self,
        answer: Answer,
        refreshed: &mut bool,
        report: &mut SyncReport,
    ) -> Result<bool, SyncError> {
        let (pending, cursor) = {
            let r = self.lock()?;
            let pending: Vec<_> = r
                .pending_ops(self.cfg.push_batch.max(1) * 4)?
                .into_iter()
                .map(|op| op.op_id)
                .collect();
            (pending, r.cursor()?)
        };
        let view = LocalView {
            pending: &pending,
            cursor,
        };
        let actions = plan(&view, &answer, self.attempt, rand::random());
        let mut again = false;
        for action in actions {
            match action {
                Action::MarkAcked {
                    op_id,
                    seq,
                    version,
                } => {
                    self.lock()?.mark_acked(op_id, seq, version)?;
                    report.acked += 1;
                }
                Action::MarkRejected { op_id, rejection } => {
                    tracing::info!(%op_id, code = ?rejection.code, "operation rejected by the platform");
                    self.lock()?.mark_rejected(op_id, &rejection)?;
                    report.rejected += 1;
                }
                Action::ApplyChanges { changes, cursor } => {
                    report.pulled += changes.len() as u64;
                    self.lock()?.apply_changes(&changes, cursor)?;
                    report.cursor = cursor;
                }
                Action::PullMore => again = true,
                Action::RefreshToken => {
                    if *refreshed {
                        return Err(self.needs_sign_in());
                    }
                    *refreshed = true;
                    self.refresh().await?;
                    again = true;
                }
                Action::SignInRequired => return Err(self.needs_sign_in()),
                Action::RetryAfter { delay_ms, state } => {
                    self.attempt = self.attempt.saturating_add(1);
                    self.state = state.clone();
                    self.emit(report);
                    return Err(SyncError::RetryLater { delay_ms, state });
                }
            }
        }
        Ok(again)
    }

    /// Have the signed-in user's signing key certified before anything signed is pushed
    /// (R-RX-10). A refusal (e.g. a revoked key) is not retried here: the signatures that
    /// name the key are then refused with the platform's reason.
    async fn certify(&mut self) -> Result<(), SyncError> {
        let Some(body) = self.lock()?.certificate_request()? else {
            return Ok(());
        };
        for attempt in 0..2 {
            let req = self.authorized(
                self.http
                    .post(format!("{}/v1/certificates", self.base))
                    .json(&body),
            )?;
            match request::<serde_json::Value>(req).await {
                Ok(cert) => return Ok(self.lock()?.store_certificate(cert)?),
                Err(f) => match f.into_failure() {
                    Failure::TokenExpired if attempt == 0 => self.refresh().await?,
                    Failure::TokenExpired | Failure::TokenInvalid => {
                        return Err(self.needs_sign_in());
                    }
                    Failure::Server { status, .. } if (400..500).contains(&status) => {
                        return Ok(());
                    }
                    other => return Err(self.fail(other)),
                },
            }
        }
        Ok(())
    }

    /// Refresh the platform's trust bundle when the replica wants it (R-RX-10: signatures
    /// verify offline against the last one fetched). A failure leaves the old one.
    async fn fetch_trust(&mut self) -> Result<(), SyncError> {
        if !self.lock()?.trust_wanted()? {
            return Ok(());
        }
        let req = self.authorized(self.http.get(format!("{}/v1/trust", self.base)))?;
        if let Ok(trust) = request::<serde_json::Value>(req).await {
            self.lock()?.store_trust(trust)?;
        }
        Ok(())
    }

    async fn push_all(
        &mut self,
        report: &mut SyncReport,
        refreshed: &mut bool,
    ) -> Result<(), SyncError> {
        loop {
            let ops = self.lock()?.pending_ops(self.cfg.push_batch.max(1))?;
            if ops.is_empty() {
                return Ok(());
            }
            let before = (report.acked, report.rejected);
            let req = self.authorized(
                self.http
                    .post(format!("{}/v1/ops", self.base))
                    .json(&PushRequest { ops }),
            )?;
            let answer = match request::<PushResponse>(req).await {
                Ok(p) => Answer::Pushed(p),
                Err(f) => Answer::Failed(f.into_failure()),
            };
            let repeat = self.act(answer, refreshed, report).await?;
            self.emit(report);
            if !repeat && (report.acked, report.rejected) == before {
                // The answer settled none of what we sent: not the protocol. Keep the ops.
                return Err(self.fail(Failure::Garbage));
            }
        }
    }

    async fn pull_all(
        &mut self,
        report: &mut SyncReport,
        refreshed: &mut bool,
    ) -> Result<(), SyncError> {
        // While one page is applied to the replica, the next is already on its way: the
        // initial sync of a large history is bound by the local writes, not the round trips.
        let mut prefetched: Option<(
            Cursor,
            tokio::task::JoinHandle<Result<PullResponse, Failed>>,
        )> = None;
        loop {
            let cursor = self.lock()?.cursor()?;
            report.cursor = cursor;
            let fetched = match prefetched.take() {
                Some((after, next)) if after == cursor => match next.await {
                    Ok(result) => result,
                    Err(_) => Err(Failed::Other(Failure::Transport)),
                },
                stale => {
                    if let Some((_, next)) = stale {
                        next.abort();
                    }
                    request::<PullResponse>(self.pull_request(cursor)?).await
                }
            };
            let answer = match fetched {
                Ok(p) => {
                    report.head = p.head;
                    if p.next_cursor < p.head && p.next_cursor > cursor {
                        let next = self.pull_request(p.next_cursor)?;
                        prefetched =
                            Some((p.next_cursor, tokio::spawn(request::<PullResponse>(next))));
                    }
                    Answer::Pulled(p)
                }
                Err(f) => Answer::Failed(f.into_failure()),
            };
            let more = self.act(answer, refreshed, report).await;
            self.emit(report);
            if !matches!(more, Ok(true)) {
                if let Some((_, next)) = prefetched.take() {
                    next.abort();
                }
                return more.map(|_| ());
            }
        }
    }

    fn pull_request(&self, after: Cursor) -> Result<RequestBuilder, SyncError> {
        self.authorized(self.http.get(format!(
            "{}/v1/changes?after={after}&limit={}",
            self.base, self.cfg.page_limit
        )))
    }

    /// Open the notification channel (Server-Sent Events): the stream yields the platform's
    /// head whenever it moves past `after`.
    pub async fn subscribe(&mut self, after: Cursor) -> Result<HeadStream, SyncError> {
        for _ in 0..2 {
            let req = self.authorized(
                self.http
                    .get(format!("{}/v1/events?after={after}", self.base))
                    .timeout(Duration::from_secs(24 * 3600)),
            )?;
            let failure = match req.send().await {
                Ok(resp) if resp.status().is_success() => {
                    return Ok(HeadStream {
                        resp,
                        buf: Vec::new(),
                    });
                }
                Ok(resp) => status_failure(resp).await.into_failure(),
                Err(e) => classify(&e),
            };
            match failure {
                Failure::TokenExpired => self.refresh().await?,
                Failure::TokenInvalid => return Err(self.needs_sign_in()),
                other => return Err(self.fail(other)),
            }
        }
        Err(self.needs_sign_in())
    }
}

/// The open notification channel.
#[derive(Debug)]
pub struct HeadStream {
    resp: reqwest::Response,
    buf: Vec<u8>,
}

impl HeadStream {
    /// The next head announced, or `None` when the platform closed the stream.
    pub async fn next(&mut self) -> Result<Option<HeadEvent>, SyncError> {
        loop {
            while let Some(pos) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let event: Vec<u8> = self.buf.drain(..pos + 2).collect();
                let text = String::from_utf8_lossy(&event);
                for line in text.lines() {
                    if let Some(data) = line.strip_prefix("data:") {
                        if let Ok(head) = serde_json::from_str::<HeadEvent>(data.trim()) {
                            return Ok(Some(head));
                        }
                    }
                }
            }
            match self.resp.chunk().await {
                Ok(Some(bytes)) => self.buf.extend_from_slice(&bytes),
                Ok(None) => return Ok(None),
                Err(e) => {
                    return Err(SyncError::RetryLater {
                        delay_ms: 0,
                        state: match classify(&e) {
                            Failure::Tls => SyncState::TlsFailure { retry_in_ms: 0 },
                            _ => SyncState::Offline { retry_in_ms: 0 },
                        },
                    });
                }
            }
        }
    }
}

/// A failed request before it becomes a planner [`Failure`].
enum Failed {
    Status {
        status: StatusCode,
        code: Option<String>,
        retry_after_ms: Option<u64>,
    },
    Other(Failure),
}

impl Failed {
    fn into_failure(self) -> Failure {
        match self {
            Failed::Other(f) => f,
            Failed::Status {
                status,
                code,
                retry_after_ms,
            } => match status {
                StatusCode::UNAUTHORIZED if code.as_deref() == Some("token_expired") => {
                    Failure::TokenExpired
                }
                StatusCode::UNAUTHORIZED => Failure::TokenInvalid,
                StatusCode::TOO_MANY_REQUESTS => Failure::RateLimited { retry_after_ms },
                s => Failure::Server {
                    status: s.as_u16(),
                    retry_after_ms,
                },
            },
        }
    }
}

async fn request<B: DeserializeOwned>(req: RequestBuilder) -> Result<B, Failed> {
    let resp = req.send().await.map_err(|e| Failed::Other(classify(&e)))?;
    if !resp.status().is_success() {
        return Err(status_failure(resp).await);
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| Failed::Other(classify(&e)))?;
    serde_json::from_slice(&bytes).map_err(|_| Failed::Other(Failure::Garbage))
}

async fn status_failure(resp: reqwest::Response) -> Failed {
    let status = resp.status();
    let retry_after_ms = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| s.saturating_mul(1000));
    let code = resp
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<ApiErrorBody>(&b).ok())
        .map(|b| b.code);
    Failed::Status {
        status,
        code,
        retry_after_ms,
    }
}

/// Tell a TLS failure from other transport failures by walking the error's causes.
fn classify(e: &reqwest::Error) -> Failure {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        let text = format!("{err:?}").to_ascii_lowercase();
        if [
            "tls",
            "certificate",
            "handshake",
            "invalidcontenttype",
            "corrupt message",
        ]
        .iter()
        .any(|needle| text.contains(needle))
        {
            return Failure::Tls;
        }
        source = err.source();
    }
    if e.is_decode() || e.is_body() {
        return Failure::Garbage;
    }
    Failure::Transport
}
