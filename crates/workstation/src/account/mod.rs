//! Accounts, roles and sign-in (R-ROLE-1…4).

pub mod totp;
