//! The reference platform API server (axum) that workstations sync with: sign-in, device
//! registration, push of operations, pull of changes, the queue notification channel
//! (R-SEC-1…3, R-TRI-1, R-RX-6, R-ROLE-1…4). Storage: embedded SQLite or PostgreSQL.
//! Also the patient simulator that files realistic consultation requests.
//!
//! Must never: depend on the workstation or on Tauri; trust a client's clock or ordering;
//! serve plain HTTP on anything but loopback; keep state in a node (several nodes share one
//! PostgreSQL); log patient data.

pub mod auth;
pub mod decide;
pub mod embedded;
pub mod error;
pub mod http;
pub mod limits;
pub mod serve;
pub mod signing;
pub mod simulator;
pub mod storage;
pub mod throttle;

pub use error::PlatformError;
pub use serve::{AccountSeed, Database, ServeConfig, serve, serve_on};
