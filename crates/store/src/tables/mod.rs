//! One module per table. Write functions take a [`Writer`](crate::Writer) and append their
//! audit entry in the same transaction; read functions take a [`Reader`](crate::Reader) and
//! mark the patient records they return as read (R-SEC-5).

pub mod complaints;
pub mod consultations;
pub mod finding_overrides;
pub mod findings;
pub mod follow_up_plans;
pub mod follow_up_records;
pub mod guidance_sheets;
pub mod messages;
pub mod patients;
pub mod pharmacist_reviews;
pub mod prescription_lines;
pub mod prescriptions;
pub mod settings;
pub mod signing_keys;
pub mod sync_cursors;
pub mod sync_outbox;
pub mod sync_records;
pub mod user_roles;
pub mod users;
pub mod workflow_documents;

use crate::error::StoreError;

/// A stored enum value this build does not know: the row was written by something else.
pub(crate) fn unknown(column: &'static str, value: &str) -> rusqlite::Error {
    // The value is an enum tag (never patient text), safe to name.
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unknown {column} value {value:?}").into(),
    )
}

pub(crate) fn not_found(record_type: &'static str, id: &str) -> StoreError {
    StoreError::NotFound {
        record_type,
        id: id.to_owned(),
    }
}
