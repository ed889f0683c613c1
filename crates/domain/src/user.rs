//! Users and roles (R-ROLE-1…4).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(transparent)]
pub struct UserId(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Takes consultations and writes prescriptions (R-ROLE-1).
    Physician,
    /// Reviews prescriptions; never writes them (R-ROLE-2).
    Pharmacist,
    /// Manages accounts, rules and complaints; signs in with TOTP (R-ROLE-3).
    Administrator,
}
