//! `meddesk serve`: the built UI and the workstation commands over loopback HTTP, for the
//! browser end-to-end tests and for development. The same command names and JSON as the
//! Tauri IPC: `POST /api/<command>` with the request as the body.
//!
//! Protection: binds 127.0.0.1 only; every API call needs the random per-run token
//! (`Authorization: Bearer …`); the Host header must be loopback (defeats DNS rebinding).

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use meddesk_workstation::{ApiError, ErrorCode, Workstation, dispatch};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// The same policy as the desktop window's (tauri.conf.json), plus `connect-src 'self'` for
/// the API calls.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

#[derive(Clone, Debug)]
struct AppState {
    ws: Workstation,
    token: String,
    port: u16,
}

/// A random per-run token: 32 bytes from the OS, hex.
pub fn new_token() -> std::io::Result<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(hex::encode(buf))
}

#[derive(Debug)]
pub struct Server {
    pub addr: SocketAddr,
    pub token: String,
    router: Router,
    listener: tokio::net::TcpListener,
}

impl Server {
    /// Bind 127.0.0.1:`port` (0 picks a free port).
    pub async fn bind(ws: Workstation, ui_dir: PathBuf, port: u16) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let token = new_token()?;
        let state = AppState {
            ws,
            token: token.clone(),
            port: addr.port(),
        };
        let index = ui_dir.join("index.html");
        let static_files = ServeDir::new(&ui_dir).fallback(ServeFile::new(index));
        let router = Router::new()
            .route("/api/{command}", post(call))
            .fallback_service(static_files)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                check_host,
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ))
            .with_state(state);
        Ok(Self {
            addr,
            token,
            router,
            listener,
        })
    }

    /// The address to open: the token travels in the fragment, which browsers never send.
    pub fn url(&self) -> String {
        format!("http://{}/#token={}", self.addr, self.token)
    }

    pub async fn run(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router).await
    }
}

async fn check_host(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let allowed = [
        format!("127.0.0.1:{}", state.port),
        format!("localhost:{}", state.port),
    ];
    if !allowed.iter().any(|a| a == host) {
        return error_response(
            StatusCode::FORBIDDEN,
            ApiError::new(
                ErrorCode::Unauthorized,
                "requests must address the loopback host",
            ),
        );
    }
    next.run(request).await
}

async fn call(
    State(state): State<AppState>,
    Path(command): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    if !presented.is_some_and(|t| constant_time_eq(t.as_bytes(), state.token.as_bytes())) {
        return error_response(
            StatusCode::UNAUTHORIZED,
            ApiError::new(ErrorCode::Unauthorized, "missing or wrong session token"),
        );
    }
    let request: serde_json::Value = if body.is_empty() {
        serde_json::json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    ApiError::invalid_request(&command, &e),
                );
            }
        }
    };
    match dispatch(&state.ws, &command, request).await {
        Ok(value) => axum::Json(value).into_response(),
        Err(err) => {
            let status = match err.code {
                ErrorCode::InvalidRequest | ErrorCode::InvalidValue => StatusCode::BAD_REQUEST,
                ErrorCode::UnknownCommand | ErrorCode::NotFound => StatusCode::NOT_FOUND,
                ErrorCode::Unauthorized | ErrorCode::Forbidden => StatusCode::FORBIDDEN,
                ErrorCode::SignedOut
                | ErrorCode::Locked
                | ErrorCode::WrongCredentials
                | ErrorCode::TotpRequired
                | ErrorCode::TotpInvalid => StatusCode::UNAUTHORIZED,
                ErrorCode::Conflict => StatusCode::CONFLICT,
                ErrorCode::RuleViolation => StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::CorruptAsset | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            };
            error_response(status, err)
        }
    }
}

fn error_response(status: StatusCode, err: ApiError) -> Response {
    (status, axum::Json(err)).into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
