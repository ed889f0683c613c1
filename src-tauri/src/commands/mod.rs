//! One file per feature; every command is `async` and one call into the workstation.

pub mod account;
pub mod complaints;
pub mod consultation;
pub mod follow_up;
pub mod guidance;
pub mod home;
pub mod intake;
pub mod kpi;
pub mod prescribing;
pub mod review;
pub mod session;
pub mod settings;
pub mod sync;
