//! Sync with the platform: protocol types, the pure planner (local state + server answer →
//! actions) and the HTTP client (R-SEC-1, R-SEC-3).
//!
//! Must never: let the planner do IO or read the clock, or mark a record synced before the
//! server acknowledged it; drop a local operation on any failure; talk plain HTTP to
//! anything but loopback.

pub mod client;
pub mod hlc;
pub mod planner;
pub mod protocol;
pub mod replica;
pub mod token;
pub mod totp;

pub use client::{
    ClientConfig, HeadStream, SyncClient, SyncError, SyncReport, check_platform_url, end_session,
};
pub use hlc::{Hlc, HlcClock};
pub use planner::{Action, Answer, Failure, LocalView, ProgressEvent, SyncState, plan};
pub use protocol::*;
pub use replica::{MemoryReplica, OutboxEntry, OutboxState, Replica, ReplicaError};
pub use token::{MemoryTokenStore, TokenSecret, TokenStore, TokenStoreError, Tokens};
