//! Plain domain types and ids shared by every MedDesk crate: patients, consultations,
//! triage outcomes, the wrapper that keeps patient data out of logs.
//!
//! Must never: do IO, read the clock, or depend on any other MedDesk crate. Types here
//! cross the IPC boundary, so they derive `ts_rs::TS` and their serde shape is a contract.

pub mod consultation;
pub mod icd10;
pub mod patient;
pub mod sensitive;
pub mod user;

pub use consultation::{
    Channel, ConsultationId, ConsultationKind, ConsultationStatus, Priority, TriageRoute,
};
pub use patient::{MaskedName, PatientId, Sex};
pub use sensitive::Sensitive;
pub use user::{Role, UserId};
