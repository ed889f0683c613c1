//! `user_roles`: which roles a cached user holds (R-ROLE-1..3).

use rusqlite::params;

use crate::audit::Action;
use crate::error::{Result, StoreError};
use crate::{Reader, Writer};

pub const ROLES: [&str; 3] = ["physician", "pharmacist", "administrator"];

/// Replace the roles of `user_id`.
pub fn set(w: &mut Writer<'_>, user_id: &str, roles: &[&str]) -> Result<()> {
    if let Some(bad) = roles.iter().find(|r| !ROLES.contains(r)) {
        return Err(StoreError::Constraint(format!("unknown role {bad:?}")));
    }
    w.conn()
        .prepare_cached("DELETE FROM user_roles WHERE user_id = ?1")?
        .execute([user_id])?;
    for role in roles {
        w.conn()
            .prepare_cached("INSERT INTO user_roles(user_id, role) VALUES (?1, ?2)")?
            .execute(params![user_id, role])?;
    }
    w.audit(Action::Update, super::users::RECORD, user_id)
}

pub fn of_user(r: &Reader<'_>, user_id: &str) -> Result<Vec<String>> {
    let rows: Vec<String> = r
        .conn()
        .prepare_cached("SELECT role FROM user_roles WHERE user_id = ?1 ORDER BY role")?
        .query_map([user_id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
