//! Errors at the API boundary: `{ code, message }` with a stable `code` the UI branches on.
//! Messages name the problem (the field, the command) and never carry patient data.

use serde::Serialize;
use ts_rs::TS;

/// Stable error codes. Add one only when a front branches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request did not parse or named an unknown field; the message names the field.
    InvalidRequest,
    /// The front asked for a command the workstation does not have.
    UnknownCommand,
    /// The HTTP front refused a request without the per-run token.
    Unauthorized,
    /// A file the profile needs (demo data, the knowledge pack) is missing or malformed.
    CorruptAsset,
    /// Anything else; the message says what, the log has the detail (never patient data).
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn invalid_request(command: &str, err: &serde_json::Error) -> Self {
        // serde_json's messages name the field ("unknown field `allergys`, expected …") and
        // the position; they quote field names, never values, for struct/enum errors.
        Self::new(
            ErrorCode::InvalidRequest,
            format!("invalid request for `{command}`: {err}"),
        )
    }

    pub fn unknown_command(name: &str) -> Self {
        let shown: String = name.chars().take(64).collect();
        Self::new(
            ErrorCode::UnknownCommand,
            format!("unknown command `{shown}`"),
        )
    }
}
