//! Accounts, roles and credentials (R-ROLE-1…4): physicians with specialties and prescribing
//! rights under yearly review, pharmacists, administrators with a TOTP second factor.

pub use meddesk_sync::totp;

use chrono::{DateTime, Utc};
use meddesk_domain::{Role, UserId};
use meddesk_store::tables::{user_roles, users, workflow_documents as docs};
use meddesk_store::{Actor, PasswordVerifier, Store};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::session::SignedIn;
use crate::{ApiError, Command, ErrorCode, Workstation};

pub(crate) fn totp_aad(user_id: &str) -> String {
    format!("totp:{user_id}")
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Physician => "physician",
        Role::Pharmacist => "pharmacist",
        Role::Administrator => "administrator",
    }
}

fn role_from(s: &str) -> Option<Role> {
    match s {
        "physician" => Some(Role::Physician),
        "pharmacist" => Some(Role::Pharmacist),
        "administrator" => Some(Role::Administrator),
        _ => None,
    }
}

fn ms(t: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(t)
}

/// The account as the use cases see it, or `None` when it does not exist.
pub(crate) fn load_user(
    store: &Store,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<SignedIn>, ApiError> {
    let found = store.read(&Actor::system(), now, |r| {
        Ok((
            users::get(r, user_id)?,
            docs::get_credential(r, user_id)?,
            user_roles::of_user(r, user_id)?,
        ))
    })?;
    let (Some(user), cred, roles) = found else {
        return Ok(None);
    };
    let specialties: Vec<String> = cred
        .as_ref()
        .and_then(|c| serde_json::from_str(&c.specialties).ok())
        .unwrap_or_default();
    Ok(Some(SignedIn {
        id: UserId(user.id),
        display_name: user.display_name,
        org_id: user.org_id,
        roles: roles.iter().filter_map(|r| role_from(r)).collect(),
        specialties,
        rights_reviewed_at: user.prescribing_rights_reviewed_at.and_then(ms),
        suspended: cred.as_ref().is_some_and(|c| c.suspended_at.is_some()),
    }))
}

/// A new account. Passwords: at least 8 characters.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub id: String,
    pub display_name: String,
    pub org_id: String,
    pub roles: Vec<Role>,
    #[serde(default)]
    pub specialties: Vec<String>,
    pub password: String,
    /// Last review of prescribing rights (RFC 3339), for physicians.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub rights_reviewed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CreatedUser {
    pub user: SignedIn,
    /// For administrators: the `otpauth://` URI to load into an authenticator app, shown
    /// once.
    pub totp_uri: Option<String>,
}

/// Create an account (administrators through `user_create`; the CLI and the demo seed
/// bootstrap the first ones). `totp_secret` is generated for administrators when not given.
pub(crate) fn create_user(
    store: &Store,
    by: &Actor,
    now: DateTime<Utc>,
    new: &NewUser,
    totp_secret: Option<&[u8]>,
) -> Result<CreatedUser, ApiError> {
    let id = new.id.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(ApiError::invalid_value(
            "id",
            "1–64 letters, digits, `.`, `_` or `-`",
        ));
    }
    if new.roles.is_empty() {
        return Err(ApiError::invalid_value("roles", "at least one role"));
    }
    if new.roles.contains(&Role::Pharmacist) && new.roles.contains(&Role::Physician) {
        // R-ROLE-2: pharmacists review, they never write prescriptions.
        return Err(ApiError::invalid_value(
            "roles",
            "a pharmacist account cannot also prescribe",
        ));
    }
    if new.password.chars().count() < 8 {
        return Err(ApiError::invalid_value("password", "at least 8 characters"));
    }
    let exists = store
        .read(&Actor::system(), now, |r| users::get(r, id))?
        .is_some();
    if exists {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("user `{id}` already exists"),
        ));
    }
    let verifier = PasswordVerifier::create(&Zeroizing::new(new.password.clone()))?;
    let needs_totp = new.roles.contains(&Role::Administrator);
    let secret: Option<Zeroizing<Vec<u8>>> = match (needs_totp, totp_secret) {
        (false, _) => None,
        (true, Some(s)) => Some(Zeroizing::new(s.to_vec())),
        (true, None) => {
            let mut s = Zeroizing::new(vec![0u8; 20]);
            getrandom::fill(&mut s)
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
            Some(s)
        }
    };
    let roles: Vec<&str> = new.roles.iter().map(|r| role_name(*r)).collect();
    store.write(by, now, |w| {
        users::upsert(
            w,
            &users::User {
                id: id.to_owned(),
                display_name: new.display_name.clone(),
                org_id: new.org_id.clone(),
                prescribing_rights_reviewed_at: new
                    .rights_reviewed_at
                    .map(|t| t.timestamp_millis()),
            },
        )?;
        user_roles::set(w, id, &roles)?;
        let sealed = match &secret {
            Some(s) => Some(w.seal(&totp_aad(id), s)?),
            None => None,
        };
        docs::put_credential(
            w,
            &docs::Credential {
                user_id: id.to_owned(),
                password_verifier: verifier.phc().to_owned(),
                totp_secret: sealed,
                last_totp_step: None,
                specialties: serde_json::to_string(&new.specialties)
                    .unwrap_or_else(|_| "[]".into()),
                suspended_at: None,
                suspended_reason: None,
            },
        )
    })?;
    let user = load_user(store, id, now)?.ok_or_else(|| ApiError::not_found("user"))?;
    Ok(CreatedUser {
        user,
        totp_uri: secret.as_ref().map(|s| {
            format!(
                "otpauth://totp/MedDesk:{id}?secret={}&issuer=MedDesk",
                totp::base32(s)
            )
        }),
    })
}

/// Suspend or reinstate (R-CMP-2); a suspended physician cannot sign prescriptions.
/// Both go to the platform: a suspended physician cannot sign anywhere else, and a
/// reinstated one signs again everywhere.
pub(crate) fn set_suspended(
    ws: &crate::Workstation,
    store: &Store,
    by: &SignedIn,
    now: DateTime<Utc>,
    user_id: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let cred = store
        .read(&Actor::system(), now, |r| docs::get_credential(r, user_id))?
        .ok_or_else(|| ApiError::not_found("user"))?;
    store.write(&by.actor(), now, |w| {
        docs::put_credential(
            w,
            &docs::Credential {
                suspended_at: reason.map(|_| now.timestamp_millis()),
                suspended_reason: reason.map(str::to_owned),
                ..cred
            },
        )?;
        let op = match reason {
            Some(reason) => meddesk_sync::OpKind::SuspendPhysician {
                physician_id: user_id.to_owned(),
                reason: reason.to_owned(),
            },
            None => meddesk_sync::OpKind::ReinstatePhysician {
                physician_id: user_id.to_owned(),
            },
        };
        crate::sync::enqueue(ws, w, by, None, op)?;
        Ok(())
    })?;
    Ok(())
}

// ---- commands (administrators) --------------------------------------------------------

impl Command for NewUser {
    const NAME: &'static str = "user_create";
    type Output = CreatedUser;
    async fn run(self, ws: &Workstation) -> Result<CreatedUser, ApiError> {
        let (admin, store) = ws.acting_as(Role::Administrator)?;
        create_user(&store, &admin.actor(), ws.now(), &self, None)
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct UserListRequest {}

#[derive(Debug, Clone, Serialize, TS)]
pub struct UserList {
    pub users: Vec<SignedIn>,
}

impl Command for UserListRequest {
    const NAME: &'static str = "user_list";
    type Output = UserList;
    async fn run(self, ws: &Workstation) -> Result<UserList, ApiError> {
        let (_admin, store) = ws.acting_as(Role::Administrator)?;
        let now = ws.now();
        let ids: Vec<String> = store.read(&Actor::system(), now, |r| {
            let mut stmt = r.conn().prepare("SELECT id FROM users ORDER BY id")?;
            let ids = stmt
                .query_map([], |row| row.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(ids)
        })?;
        let mut users = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(u) = load_user(&store, &id, now)? {
                users.push(u);
            }
        }
        Ok(UserList { users })
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct UserSetRightsRequest {
    pub user_id: String,
    /// The date of the latest review of prescribing rights (RFC 3339).
    #[ts(type = "string")]
    pub reviewed_at: DateTime<Utc>,
}

impl Command for UserSetRightsRequest {
    const NAME: &'static str = "user_set_rights";
    type Output = SignedIn;
    async fn run(self, ws: &Workstation) -> Result<SignedIn, ApiError> {
        let (admin, store) = ws.acting_as(Role::Administrator)?;
        let now = ws.now();
        if self.reviewed_at > now {
            return Err(ApiError::invalid_value(
                "reviewed_at",
                "a review cannot be in the future",
            ));
        }
        let mut user = store
            .read(&Actor::system(), now, |r| users::get(r, &self.user_id))?
            .ok_or_else(|| ApiError::not_found("user"))?;
        user.prescribing_rights_reviewed_at = Some(self.reviewed_at.timestamp_millis());
        store.write(&admin.actor(), now, |w| users::upsert(w, &user))?;
        ws.refresh_session_user(&store, &self.user_id)?;
        load_user(&store, &self.user_id, now)?.ok_or_else(|| ApiError::not_found("user"))
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct UserSuspendRequest {
    pub user_id: String,
    /// A reason suspends; `null` reinstates.
    pub reason: Option<String>,
}

impl Command for UserSuspendRequest {
    const NAME: &'static str = "user_suspend";
    type Output = SignedIn;
    async fn run(self, ws: &Workstation) -> Result<SignedIn, ApiError> {
        let (admin, store) = ws.acting_as(Role::Administrator)?;
        let now = ws.now();
        if self.reason.as_deref().is_some_and(|r| r.trim().is_empty()) {
            return Err(ApiError::invalid_value("reason", "must not be blank"));
        }
        set_suspended(
            ws,
            &store,
            &admin,
            now,
            &self.user_id,
            self.reason.as_deref(),
        )?;
        ws.refresh_session_user(&store, &self.user_id)?;
        load_user(&store, &self.user_id, now)?.ok_or_else(|| ApiError::not_found("user"))
    }
}
