//! The `meddesk` command line and its loopback HTTP front (`meddesk serve`).
//!
//! Must never: hold a use case of its own (every subcommand is a call into
//! `meddesk-workstation`), listen on anything but loopback, or print patient data.

pub mod audit;
pub mod batch;
pub mod db;
pub mod demo;
pub mod kb;
pub mod platform;
pub mod profile_args;
pub mod rx;
pub mod serve;
pub mod setup;
pub mod triage;
