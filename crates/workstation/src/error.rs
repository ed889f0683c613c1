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
    /// Nobody is signed in: show the sign-in screen.
    SignedOut,
    /// The session is locked (explicitly or after the idle timeout): show the lock screen.
    Locked,
    /// The user id, the password or both are wrong (never says which).
    WrongCredentials,
    /// The account needs its second factor (administrators, R-ROLE-3).
    TotpRequired,
    /// The one-time code is wrong, expired or already used.
    TotpInvalid,
    /// The signed-in user's role or scope does not allow this (R-ROLE-1, R-ROLE-2).
    Forbidden,
    /// The record does not exist (or is outside the user's scope).
    NotFound,
    /// Someone else got there first (a consultation already claimed), or the record changed.
    Conflict,
    /// A clinical or regulatory rule refuses the action (blocking findings, missing override
    /// reasons, expired prescribing rights, suspension, 3-day validity …); the message says
    /// which.
    RuleViolation,
    /// The request is well-formed but a value is not acceptable; the message names the field.
    InvalidValue,
    /// The local database key is wrong, or the database is damaged: offer a restore.
    StoreUnavailable,
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

    /// The stable snake_case code, as the wire shows it.
    pub fn code_str(&self) -> String {
        serde_json::to_value(self.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "internal".into())
    }

    /// Something that should not happen (an unencodable answer, an unreadable stored
    /// document); the message names the thing, never patient data.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, e.to_string())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn invalid_value(field: &str, why: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::InvalidValue, format!("field `{field}`: {why}"))
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn unknown_command(name: &str) -> Self {
        let shown: String = name.chars().take(64).collect();
        Self::new(
            ErrorCode::UnknownCommand,
            format!("unknown command `{shown}`"),
        )
    }
}

impl From<meddesk_store::StoreError> for ApiError {
    fn from(e: meddesk_store::StoreError) -> Self {
        use meddesk_store::StoreError as S;
        // Store errors name record types and ids, never patient values.
        let code = match &e {
            S::Locked => ErrorCode::Locked,
            S::WrongPassword => ErrorCode::WrongCredentials,
            S::NotFound { .. } => ErrorCode::NotFound,
            S::Constraint(_) => ErrorCode::RuleViolation,
            S::WrongKey(_) | S::CorruptDatabase(_) => ErrorCode::StoreUnavailable,
            _ => ErrorCode::Internal,
        };
        Self::new(code, e.to_string())
    }
}

impl From<meddesk_clinical::lifecycle::LifecycleError> for ApiError {
    fn from(e: meddesk_clinical::lifecycle::LifecycleError) -> Self {
        use meddesk_clinical::lifecycle::LifecycleError as L;
        let code = match &e {
            L::InvalidTransition { .. } => ErrorCode::Conflict,
            L::NotTreatingPhysician | L::WrongRole { .. } | L::SelfReview => ErrorCode::Forbidden,
            _ => ErrorCode::RuleViolation,
        };
        Self::new(code, e.to_string())
    }
}
