//! The platform's errors, with stable snake_case codes (`{ code, message }` on the wire).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meddesk_sync::ApiErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// Unknown username, wrong password, a missing, wrong or reused one-time code: one
    /// answer for all, given only after both factors were looked at (R-SEC-8), so nothing
    /// tells which part was wrong.
    #[error("sign_in_failed: wrong username, password or one-time code")]
    SignInFailed,
    /// Too many failed sign-ins for this account name or client address (R-SEC-8).
    #[error("sign_in_throttled: too many failed sign-ins; try again in {retry_after_s} s")]
    SignInThrottled { retry_after_s: u64 },
    /// Every password-hashing slot is busy (sign-ins are bounded so a flood cannot exhaust
    /// the node).
    #[error("busy: too many sign-ins at once; try again shortly")]
    Busy,
    #[error("token_expired: the access token expired; refresh it")]
    TokenExpired,
    #[error("token_invalid: the token is malformed, forged or revoked; sign in again")]
    TokenInvalid,
    #[error("device_not_registered: register this device first")]
    DeviceNotRegistered,
    #[error("device_taken: the device belongs to another account")]
    DeviceTaken,
    /// The account may not do this (e.g. an administrator asking for a signing certificate).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// An audit anchor behind the one already kept: the chain lost entries or was rewritten
    /// (issue 13 §4).
    #[error("audit_regressed: {0}")]
    AuditRegressed(String),
    /// A plaintext link to a database on another host (R-SEC-3).
    #[error("insecure_database: {0}")]
    InsecureDatabase(String),
    /// The embedded store's key or secret file is readable by others, or not a key.
    #[error("insecure_key_file: {0}")]
    InsecureKeyFile(String),
    #[error("insecure_listen: {0}")]
    InsecureListen(String),
    #[error("storage_failed: {0}")]
    Storage(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl PlatformError {
    pub fn code(&self) -> &'static str {
        match self {
            PlatformError::InvalidRequest(_) => "invalid_request",
            PlatformError::SignInFailed => "sign_in_failed",
            PlatformError::SignInThrottled { .. } => "sign_in_throttled",
            PlatformError::Busy => "busy",
            PlatformError::TokenExpired => "token_expired",
            PlatformError::TokenInvalid => "token_invalid",
            PlatformError::DeviceNotRegistered => "device_not_registered",
            PlatformError::DeviceTaken => "device_taken",
            PlatformError::Forbidden(_) => "forbidden",
            PlatformError::AuditRegressed(_) => "audit_regressed",
            PlatformError::InsecureListen(_) => "insecure_listen",
            PlatformError::InsecureDatabase(_) => "insecure_database",
            PlatformError::InsecureKeyFile(_) => "insecure_key_file",
            PlatformError::Storage(_) => "storage_failed",
            PlatformError::Internal(_) => "internal",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            PlatformError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            PlatformError::SignInThrottled { .. } => StatusCode::TOO_MANY_REQUESTS,
            PlatformError::SignInFailed
            | PlatformError::TokenExpired
            | PlatformError::TokenInvalid => StatusCode::UNAUTHORIZED,
            PlatformError::AuditRegressed(_) => StatusCode::CONFLICT,
            PlatformError::DeviceNotRegistered
            | PlatformError::DeviceTaken
            | PlatformError::Forbidden(_) => StatusCode::FORBIDDEN,
            PlatformError::Storage(_) | PlatformError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            PlatformError::InsecureListen(_)
            | PlatformError::InsecureDatabase(_)
            | PlatformError::InsecureKeyFile(_)
            | PlatformError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for PlatformError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            PlatformError::SignInThrottled { retry_after_s } => Some(*retry_after_s),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(1),
            _ => None,
        };
        if status.is_server_error() {
            // Storage messages carry SQL errors, never record contents.
            tracing::warn!(code = self.code(), error = %self, "request failed");
        }
        let body = axum::Json(ApiErrorBody {
            code: self.code().into(),
            message: self.to_string(),
        });
        let mut resp = (status, body).into_response();
        if let Some(v) =
            retry_after.and_then(|s| axum::http::HeaderValue::from_str(&s.to_string()).ok())
        {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}
