//! Forward-only schema migrations: plain SQL files compiled in, applied in order, each in
//! its own transaction, the version kept in `PRAGMA user_version`. A shipped migration is
//! never edited; a change is a new file.

use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// (version, file name, SQL). Versions are 1, 2, 3… without gaps.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "0001_schema.sql",
        include_str!("../migrations/0001_schema.sql"),
    ),
    (
        2,
        "0002_audit_append_only.sql",
        include_str!("../migrations/0002_audit_append_only.sql"),
    ),
    (
        3,
        "0003_intake_queue_index.sql",
        include_str!("../migrations/0003_intake_queue_index.sql"),
    ),
    (
        4,
        "0004_workflow.sql",
        include_str!("../migrations/0004_workflow.sql"),
    ),
    (
        5,
        "0005_sync.sql",
        include_str!("../migrations/0005_sync.sql"),
    ),
    (
        6,
        "0006_prescription_refusal.sql",
        include_str!("../migrations/0006_prescription_refusal.sql"),
    ),
    (
        7,
        "0007_signing_keys.sql",
        include_str!("../migrations/0007_signing_keys.sql"),
    ),
    (
        8,
        "0008_outbox_per_user.sql",
        include_str!("../migrations/0008_outbox_per_user.sql"),
    ),
    (
        9,
        "0009_consultation_type.sql",
        include_str!("../migrations/0009_consultation_type.sql"),
    ),
];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

pub fn current_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Apply every migration newer than the database, up to `target` (inclusive). Returns how
/// many ran. Refuses a database newer than this build.
pub fn apply_up_to(conn: &mut Connection, target: i64) -> Result<usize> {
    let found = current_version(conn)?;
    let known = latest_version();
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    let mut applied = 0;
    for (version, _name, sql) in MIGRATIONS {
        if *version <= found || *version > target {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        // user_version cannot take a bound parameter; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {version}"))?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}

pub fn apply_all(conn: &mut Connection) -> Result<usize> {
    apply_up_to(conn, latest_version())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(conn: &Connection) -> Vec<(String, String)> {
        let mut stmt = conn
            .prepare("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn versions_are_contiguous_from_one() {
        for (i, (v, name, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*v, i as i64 + 1, "{name}");
            assert!(name.starts_with(&format!("{v:04}_")), "{name}");
        }
    }

    #[test]
    fn all_migrations_run_from_empty_and_step_by_step_gives_the_same_schema() {
        let mut all_at_once = Connection::open_in_memory().unwrap();
        assert_eq!(apply_all(&mut all_at_once).unwrap(), MIGRATIONS.len());
        assert_eq!(current_version(&all_at_once).unwrap(), latest_version());
        assert_eq!(apply_all(&mut all_at_once).unwrap(), 0, "idempotent");

        let mut stepwise = Connection::open_in_memory().unwrap();
        for v in 1..=latest_version() {
            assert_eq!(apply_up_to(&mut stepwise, v).unwrap(), 1);
        }
        assert_eq!(schema(&all_at_once), schema(&stepwise));

        let tables: Vec<String> = schema(&all_at_once).into_iter().map(|(n, _)| n).collect();
        for t in [
            "patients",
            "consultations",
            "messages",
            "prescriptions",
            "prescription_lines",
            "findings",
            "finding_overrides",
            "pharmacist_reviews",
            "guidance_sheets",
            "follow_up_plans",
            "follow_up_records",
            "complaints",
            "users",
            "user_roles",
            "settings",
            "sync_outbox",
            "sync_cursors",
            "audit",
            "consultations_intake_queue",
        ] {
            assert!(tables.iter().any(|n| n == t), "missing {t}");
        }
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 999").unwrap();
        let err = apply_all(&mut conn).unwrap_err();
        assert_eq!(err.code(), "schema_too_new");
    }
}
