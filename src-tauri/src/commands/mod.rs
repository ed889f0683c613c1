//! One file per feature; every command is `async` and one call into the workstation.

pub mod home;
