//! The audit trail (R-SEC-5): every read of a patient record and every change appends an
//! entry; entries form a SHA-256 hash chain.
//!
//! `hash[n] = SHA-256(hash[n-1] ‖ canonical(entry n))`, with `hash[0]` = 32 zero bytes
//! (genesis). The canonical encoding is a version tag then, in this order, `seq`, `at`
//! (Unix ms), `who`, `action`, `record_type`, `record_id`, `device`: integers as 8-byte
//! big-endian, strings as a 4-byte big-endian length and their UTF-8 bytes. Because `seq` and
//! the previous hash are inside each hash, an edited, deleted, inserted or reordered entry
//! breaks the chain at that entry, and `verify` names the first broken one.
//!
//! Removing the *newest* entries, or rewriting the whole chain with the key, leaves a chain
//! that verifies on its own. What catches it is an outside **anchor**: (entries, head) as
//! recorded somewhere the key holder cannot edit — the platform, which each sync hands the
//! current head to, and each backup's header. [`against_anchor`] compares the chain with one:
//! fewer entries than anchored is a cut tail; another hash at the anchored position is a
//! rewrite.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};

const ENCODING_TAG: &[u8] = b"meddesk audit v1";
pub const GENESIS: [u8; 32] = [0u8; 32];

/// What was done. The strings are stored, so they are a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Sign,
    Review,
    Override,
    Delete,
    Backup,
    Restore,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Update => "update",
            Self::Sign => "sign",
            Self::Review => "review",
            Self::Override => "override",
            Self::Delete => "delete",
            Self::Backup => "backup",
            Self::Restore => "restore",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub at: i64,
    pub who: &'a str,
    pub action: Action,
    pub record_type: &'a str,
    pub record_id: &'a str,
    pub device: &'a str,
}

fn put_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u32).to_be_bytes());
    h.update(s.as_bytes());
}

/// The chain hash of one entry; `fields` are who, action, record type, record id, device.
pub fn entry_hash(prev: &[u8], seq: i64, at: i64, fields: [&str; 5]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(ENCODING_TAG);
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    for s in fields {
        put_str(&mut h, s);
    }
    h.finalize().into()
}

/// Append one entry (inside the caller's write transaction).
pub fn append(conn: &Connection, e: &Entry<'_>) -> Result<()> {
    let last: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_vec()),
    };
    let action = e.action.as_str();
    let hash = entry_hash(
        &prev,
        seq,
        e.at,
        [e.who, action, e.record_type, e.record_id, e.device],
    );
    conn.prepare_cached(
        "INSERT INTO audit(seq, at, who, action, record_type, record_id, device, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        seq,
        e.at,
        e.who,
        action,
        e.record_type,
        e.record_id,
        e.device,
        prev,
        hash.as_slice()
    ])?;
    Ok(())
}

/// A verified chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: i64,
    /// The hash of the newest entry (the genesis hash for an empty trail).
    pub head: [u8; 32],
}

/// Walk the chain from the first entry; the first entry whose sequence number, stored
/// previous hash or own hash disagrees is reported as `audit_chain_broken`.
pub fn verify(conn: &Connection) -> Result<ChainReport> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, who, action, record_type, record_id, device, prev_hash, hash
         FROM audit ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_seq = 1i64;
    let mut prev = GENESIS;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let stored_prev: Vec<u8> = r.get(7)?;
        let stored_hash: Vec<u8> = r.get(8)?;
        if seq != expected_seq {
            return Err(StoreError::AuditChainBroken {
                seq: expected_seq,
                reason: "an entry is missing (sequence gap)",
            });
        }
        if stored_prev.as_slice() != prev.as_slice() {
            return Err(StoreError::AuditChainBroken {
                seq,
                reason: "its previous-hash does not match the entry before it",
            });
        }
        let text: [String; 5] = [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?];
        let hash = entry_hash(
            &prev,
            seq,
            r.get(1)?,
            [&text[0], &text[1], &text[2], &text[3], &text[4]],
        );
        if stored_hash.as_slice() != hash.as_slice() {
            return Err(StoreError::AuditChainBroken {
                seq,
                reason: "its content does not match its hash",
            });
        }
        prev = hash;
        expected_seq += 1;
    }
    Ok(ChainReport {
        entries: expected_seq - 1,
        head: prev,
    })
}

/// The hash of entry `seq` (the genesis hash for 0); `None` past the end.
pub fn hash_at(conn: &Connection, seq: i64) -> Result<Option<[u8; 32]>> {
    if seq == 0 {
        return Ok(Some(GENESIS));
    }
    let found: Option<Vec<u8>> = conn
        .query_row("SELECT hash FROM audit WHERE seq = ?1", [seq], |r| r.get(0))
        .optional()?;
    Ok(found.and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok()))
}

/// The chain as someone outside recorded it: how many entries, and the newest one's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub entries: i64,
    pub head: [u8; 32],
}

/// How the chain stands against an anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorCheck {
    /// The anchored head is in the chain at its position (the chain may have grown since).
    Holds,
    /// The chain has fewer entries than were anchored: its newest ones were removed.
    CutTail { anchored: i64, now: i64 },
    /// The entry at the anchored position has another hash: the chain was rewritten.
    Rewritten { at: i64 },
}

/// Compare a verified chain of `report.entries` entries with `anchor` (see the module doc).
pub fn against_anchor(
    conn: &Connection,
    report: &ChainReport,
    anchor: &Anchor,
) -> Result<AnchorCheck> {
    if report.entries < anchor.entries {
        return Ok(AnchorCheck::CutTail {
            anchored: anchor.entries,
            now: report.entries,
        });
    }
    Ok(match hash_at(conn, anchor.entries)? {
        Some(h) if h == anchor.head => AnchorCheck::Holds,
        _ => AnchorCheck::Rewritten { at: anchor.entries },
    })
}

/// The newest entries first, for display (who/what/which record/when, never content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub who: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub device: String,
}

pub fn recent(conn: &Connection, limit: u32) -> Result<Vec<AuditRow>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, who, action, record_type, record_id, device FROM audit
         ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([limit], |r| {
            Ok(AuditRow {
                seq: r.get(0)?,
                at: r.get(1)?,
                who: r.get(2)?,
                action: r.get(3)?,
                record_type: r.get(4)?,
                record_id: r.get(5)?,
                device: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrations::apply_all(&mut conn).unwrap();
        for i in 0..n {
            append(
                &conn,
                &Entry {
                    at: 1_700_000_000_000 + i,
                    who: "dr-1",
                    action: if i % 2 == 0 {
                        Action::Read
                    } else {
                        Action::Create
                    },
                    record_type: "patient",
                    record_id: &format!("p-{i}"),
                    device: "dev-1",
                },
            )
            .unwrap();
        }
        // An attacker with the key and a SQLite shell: drop the append-only triggers.
        conn.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
            .unwrap();
        conn
    }

    fn broken_at(conn: &Connection) -> i64 {
        match verify(conn) {
            Err(StoreError::AuditChainBroken { seq, .. }) => seq,
            other => panic!("expected a broken chain, got {other:?}"),
        }
    }

    /// A tail cut, or a whole chain rewritten by someone holding the key, verifies on its own;
    /// an outside anchor shows both.
    #[test]
    fn an_anchor_shows_a_cut_tail_and_a_rewrite_that_verify_on_their_own() {
        let conn = chain(10);
        let report = verify(&conn).unwrap();
        let at7 = Anchor {
            entries: 7,
            head: hash_at(&conn, 7).unwrap().unwrap(),
        };
        let now = Anchor {
            entries: report.entries,
            head: report.head,
        };
        assert_eq!(
            against_anchor(&conn, &report, &at7).unwrap(),
            AnchorCheck::Holds
        );
        assert_eq!(
            against_anchor(&conn, &report, &now).unwrap(),
            AnchorCheck::Holds
        );
        assert_eq!(hash_at(&conn, 0).unwrap(), Some(GENESIS));
        assert_eq!(hash_at(&conn, 11).unwrap(), None);

        // Cut the newest three entries: still a valid chain of 7.
        conn.execute("DELETE FROM audit WHERE seq > 7", []).unwrap();
        let cut = verify(&conn).expect("a shorter chain still verifies");
        assert_eq!(cut.entries, 7);
        assert_eq!(
            against_anchor(&conn, &cut, &now).unwrap(),
            AnchorCheck::CutTail {
                anchored: 10,
                now: 7
            }
        );

        // Rewrite everything from entry 5 on, hashes recomputed: valid again, but not the
        // chain that was anchored.
        let mut prev = hash_at(&conn, 4).unwrap().unwrap();
        for seq in 5..=7 {
            let h = entry_hash(
                &prev,
                seq,
                1_700_000_000_000 + seq - 1,
                ["dr-2", "read", "patient", "p-forged", "dev-9"],
            );
            conn.execute(
                "UPDATE audit SET who = 'dr-2', action = 'read', record_id = 'p-forged',
                 device = 'dev-9', prev_hash = ?2, hash = ?3 WHERE seq = ?1",
                params![seq, prev.as_slice(), h.as_slice()],
            )
            .unwrap();
            prev = h;
        }
        let rewritten = verify(&conn).expect("a consistent forgery verifies on its own");
        assert_eq!(
            against_anchor(&conn, &rewritten, &at7).unwrap(),
            AnchorCheck::Rewritten { at: 7 }
        );
    }

    #[test]
    fn intact_chain_verifies() {
        let conn = chain(10);
        let report = verify(&conn).unwrap();
        assert_eq!(report.entries, 10);
        assert_ne!(report.head, GENESIS);
    }

    #[test]
    fn append_only_triggers_refuse_update_and_delete() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrations::apply_all(&mut conn).unwrap();
        let e = Entry {
            at: 1,
            who: "a",
            action: Action::Read,
            record_type: "t",
            record_id: "1",
            device: "d",
        };
        append(&conn, &e).unwrap();
        assert!(conn.execute("UPDATE audit SET who = 'b'", []).is_err());
        assert!(conn.execute("DELETE FROM audit", []).is_err());
    }

    #[test]
    fn edited_entry_is_found() {
        let conn = chain(10);
        conn.execute("UPDATE audit SET record_id = 'p-x' WHERE seq = 4", [])
            .unwrap();
        assert_eq!(broken_at(&conn), 4);
    }

    #[test]
    fn edited_entry_with_recomputed_own_hash_breaks_the_next_link() {
        let conn = chain(10);
        let prev: Vec<u8> = conn
            .query_row("SELECT prev_hash FROM audit WHERE seq = 4", [], |r| {
                r.get(0)
            })
            .unwrap();
        let forged = entry_hash(
            &prev,
            4,
            1_700_000_000_003,
            ["dr-1", "create", "patient", "p-x", "dev-1"],
        );
        conn.execute(
            "UPDATE audit SET record_id = 'p-x', hash = ?1 WHERE seq = 4",
            [forged.as_slice()],
        )
        .unwrap();
        assert_eq!(broken_at(&conn), 5);
    }

    #[test]
    fn deleted_entry_is_found() {
        let conn = chain(10);
        conn.execute("DELETE FROM audit WHERE seq = 6", []).unwrap();
        assert_eq!(broken_at(&conn), 6);
    }

    #[test]
    fn deleted_and_renumbered_entry_is_found() {
        let conn = chain(10);
        conn.execute_batch(
            "DELETE FROM audit WHERE seq = 6; UPDATE audit SET seq = seq - 1 WHERE seq > 6;",
        )
        .unwrap();
        assert_eq!(broken_at(&conn), 6);
    }

    #[test]
    fn inserted_entry_is_found() {
        let conn = chain(10);
        conn.execute_batch(
            "UPDATE audit SET seq = seq + 100 WHERE seq > 3;
             UPDATE audit SET seq = seq - 99 WHERE seq > 100;",
        )
        .unwrap();
        let prev: Vec<u8> = conn
            .query_row("SELECT hash FROM audit WHERE seq = 3", [], |r| r.get(0))
            .unwrap();
        let hash = entry_hash(&prev, 4, 5, ["intruder", "read", "patient", "p-1", "dev-9"]);
        conn.execute(
            "INSERT INTO audit VALUES (4, 5, 'intruder', 'read', 'patient', 'p-1', 'dev-9', ?1, ?2)",
            params![prev, hash.as_slice()],
        )
        .unwrap();
        // The forged entry itself is consistent; the one after it no longer is.
        assert_eq!(broken_at(&conn), 5);
    }

    #[test]
    fn reordered_entries_are_found() {
        let conn = chain(10);
        conn.execute_batch(
            "UPDATE audit SET seq = 100 WHERE seq = 3;
             UPDATE audit SET seq = 3 WHERE seq = 7;
             UPDATE audit SET seq = 7 WHERE seq = 100;",
        )
        .unwrap();
        assert_eq!(broken_at(&conn), 3);
    }
}
