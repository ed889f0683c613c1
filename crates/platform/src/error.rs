//! The platform's errors, with stable snake_case codes (`{ code, message }` on the wire).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meddesk_sync::ApiErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// Wrong username, password or TOTP: one code for all, so nothing is revealed.
    #[error("sign_in_failed: wrong username, password or one-time code")]
    SignInFailed,
    #[error("totp_required: this account signs in with a one-time code (R-ROLE-3)")]
    TotpRequired,
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
            PlatformError::TotpRequired => "totp_required",
            PlatformError::TokenExpired => "token_expired",
            PlatformError::TokenInvalid => "token_invalid",
            PlatformError::DeviceNotRegistered => "device_not_registered",
            PlatformError::DeviceTaken => "device_taken",
            PlatformError::Forbidden(_) => "forbidden",
            PlatformError::InsecureListen(_) => "insecure_listen",
            PlatformError::Storage(_) => "storage_failed",
            PlatformError::Internal(_) => "internal",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            PlatformError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            PlatformError::SignInFailed
            | PlatformError::TotpRequired
            | PlatformError::TokenExpired
            | PlatformError::TokenInvalid => StatusCode::UNAUTHORIZED,
            PlatformError::DeviceNotRegistered
            | PlatformError::DeviceTaken
            | PlatformError::Forbidden(_) => StatusCode::FORBIDDEN,
            PlatformError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
            PlatformError::InsecureListen(_) | PlatformError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for PlatformError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // Storage messages carry SQL errors, never record contents.
            tracing::warn!(code = self.code(), error = %self, "request failed");
        }
        let body = axum::Json(ApiErrorBody {
            code: self.code().into(),
            message: self.to_string(),
        });
        let mut resp = (status, body).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE
            && let Ok(v) = axum::http::HeaderValue::from_str("1")
        {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}
