//! The client's view of local storage. The workstation implements [`Replica`] over the
//! encrypted store (outbox + records + cursor in one SQLCipher database); [`MemoryReplica`]
//! is the in-memory implementation the tests and benchmarks use.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::protocol::{Change, Cursor, Operation, RecordBody, RecordKey, Rejection, SyncStatus};

#[derive(Debug, thiserror::Error)]
#[error("replica_failed: {message}")]
pub struct ReplicaError {
    /// Never patient data: which step failed and the storage error's code.
    pub message: String,
}

/// Local storage as the sync client needs it. Every method is one local transaction; a
/// crash between two calls must leave the replica consistent (an op is pending until
/// `mark_acked`/`mark_rejected` commit; changes and the cursor move together).
pub trait Replica: Send {
    /// Operations committed locally and neither acknowledged nor rejected, oldest first.
    fn pending_ops(&self, limit: usize) -> Result<Vec<Operation>, ReplicaError>;
    /// The platform applied `op_id` (now or earlier) as change `seq`: only now may the
    /// record show as synced.
    fn mark_acked(&mut self, op_id: Uuid, seq: u64, version: u64) -> Result<(), ReplicaError>;
    /// The platform refused `op_id` for good: keep the user's work as a draft with the reason.
    fn mark_rejected(&mut self, op_id: Uuid, rejection: &Rejection) -> Result<(), ReplicaError>;
    /// Apply pulled changes (in order) and store `cursor`, atomically.
    fn apply_changes(&mut self, changes: &[Change], cursor: Cursor) -> Result<(), ReplicaError>;
    fn cursor(&self) -> Result<Cursor, ReplicaError>;
    /// A signing key of the signed-in user that has no certificate yet (R-RX-10): the body
    /// of the certificate request. Pushed signatures name it, so it is certified first.
    fn certificate_request(&self) -> Result<Option<serde_json::Value>, ReplicaError> {
        Ok(None)
    }
    /// The certificate the platform issued for [`Self::certificate_request`].
    fn store_certificate(&mut self, _certificate: serde_json::Value) -> Result<(), ReplicaError> {
        Ok(())
    }
    /// Whether the platform's trust bundle (its keys, revocation list and certificates:
    /// what signatures are verified against offline) should be fetched now.
    fn trust_wanted(&self) -> Result<bool, ReplicaError> {
        Ok(false)
    }
    /// Keep the platform's trust bundle.
    fn store_trust(&mut self, _trust: serde_json::Value) -> Result<(), ReplicaError> {
        Ok(())
    }
}

/// Where a locally committed operation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxState {
    Pending,
    Acked { seq: u64 },
    Rejected(Rejection),
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub op: Operation,
    pub state: OutboxState,
}

/// The sync status of a record from the states of the operations on it (R-SEC-1): synced
/// only when every operation on it was acknowledged.
pub fn record_status<'a>(states: impl IntoIterator<Item = &'a OutboxState>) -> SyncStatus {
    let mut status = SyncStatus::Synced;
    for s in states {
        match s {
            OutboxState::Rejected(_) => return SyncStatus::Rejected,
            OutboxState::Pending => status = SyncStatus::Pending,
            OutboxState::Acked { .. } => {}
        }
    }
    status
}

/// An in-memory replica: the outbox, the pulled records and the cursor.
#[derive(Debug, Default, Clone)]
pub struct MemoryReplica {
    outbox: Vec<OutboxEntry>,
    records: BTreeMap<RecordKey, (u64, RecordBody)>,
    cursor: Cursor,
    /// How many changes were applied in total (benchmarks count throughput with it).
    applied: u64,
}

impl MemoryReplica {
    pub fn new() -> Self {
        Self::default()
    }

    /// The local commit of a user's change (what the workstation does in its store).
    /// `op_id` is unique, as in the store's outbox: committing it again changes nothing.
    pub fn commit(&mut self, op: Operation) {
        if self.outbox.iter().any(|e| e.op.op_id == op.op_id) {
            return;
        }
        self.outbox.push(OutboxEntry {
            op,
            state: OutboxState::Pending,
        });
    }

    pub fn outbox(&self) -> &[OutboxEntry] {
        &self.outbox
    }

    pub fn records(&self) -> &BTreeMap<RecordKey, (u64, RecordBody)> {
        &self.records
    }

    pub fn cursor_value(&self) -> Cursor {
        self.cursor
    }

    pub fn pending_count(&self) -> usize {
        self.outbox
            .iter()
            .filter(|e| e.state == OutboxState::Pending)
            .count()
    }

    pub fn applied_changes(&self) -> u64 {
        self.applied
    }

    pub fn status_of(&self, key: &RecordKey) -> SyncStatus {
        record_status(
            self.outbox
                .iter()
                .filter(|e| &e.op.kind.target() == key)
                .map(|e| &e.state),
        )
    }

    fn entry_mut(&mut self, op_id: Uuid) -> Result<&mut OutboxEntry, ReplicaError> {
        self.outbox
            .iter_mut()
            .find(|e| e.op.op_id == op_id)
            .ok_or_else(|| ReplicaError {
                message: format!("operation {op_id} is not in the outbox"),
            })
    }
}

impl Replica for MemoryReplica {
    fn pending_ops(&self, limit: usize) -> Result<Vec<Operation>, ReplicaError> {
        Ok(self
            .outbox
            .iter()
            .filter(|e| e.state == OutboxState::Pending)
            .take(limit)
            .map(|e| e.op.clone())
            .collect())
    }

    fn mark_acked(&mut self, op_id: Uuid, seq: u64, _version: u64) -> Result<(), ReplicaError> {
        let entry = self.entry_mut(op_id)?;
        entry.state = OutboxState::Acked { seq };
        Ok(())
    }

    fn mark_rejected(&mut self, op_id: Uuid, rejection: &Rejection) -> Result<(), ReplicaError> {
        let entry = self.entry_mut(op_id)?;
        entry.state = OutboxState::Rejected(rejection.clone());
        Ok(())
    }

    fn apply_changes(&mut self, changes: &[Change], cursor: Cursor) -> Result<(), ReplicaError> {
        for c in changes {
            match &c.body {
                Some(body) => {
                    let newer = self
                        .records
                        .get(&c.key)
                        .is_none_or(|(version, _)| c.version >= *version);
                    if newer {
                        self.records
                            .insert(c.key.clone(), (c.version, body.clone()));
                    }
                }
                None => {
                    self.records.remove(&c.key);
                }
            }
            self.applied += 1;
        }
        self.cursor = self.cursor.max(cursor);
        Ok(())
    }

    fn cursor(&self) -> Result<Cursor, ReplicaError> {
        Ok(self.cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::RejectionCode;

    #[test]
    fn a_record_is_synced_only_when_every_op_on_it_is_acked() {
        let rej = Rejection::new(RejectionCode::StaleVersion, "stale");
        let cases: Vec<(Vec<OutboxState>, SyncStatus)> = vec![
            (vec![], SyncStatus::Synced),
            (vec![OutboxState::Acked { seq: 1 }], SyncStatus::Synced),
            (vec![OutboxState::Pending], SyncStatus::Pending),
            (
                vec![OutboxState::Acked { seq: 1 }, OutboxState::Pending],
                SyncStatus::Pending,
            ),
            (
                vec![OutboxState::Pending, OutboxState::Rejected(rej.clone())],
                SyncStatus::Rejected,
            ),
            (
                vec![OutboxState::Rejected(rej), OutboxState::Acked { seq: 2 }],
                SyncStatus::Rejected,
            ),
        ];
        for (states, expected) in cases {
            assert_eq!(record_status(&states), expected, "{states:?}");
        }
    }
}
