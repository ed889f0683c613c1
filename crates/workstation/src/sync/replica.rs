//! [`StoreReplica`]: the sync client's view of the encrypted store. Every method is one
//! store transaction, so a crash between two calls leaves it consistent: an operation is
//! pending until its settlement commits; a page of changes and the cursor commit together.

use std::sync::Arc;

use meddesk_store::tables::{sync_cursors, sync_outbox};
use meddesk_store::{Actor, Store};
use meddesk_sync::{Change, Cursor, Operation, Rejection, Replica, ReplicaError};
use uuid::Uuid;

use crate::Workstation;
use crate::session::SignedIn;

/// Each user pulls from their own position (R-SEC-7): what one user's role may see is never
/// skipped because another user's pull moved a shared cursor past it. A user new to this
/// workstation starts from the beginning (applying is idempotent).
fn cursor_stream(user_id: &str) -> String {
    format!("platform:{user_id}")
}

/// The outbox, the pulled records and the cursor of one open store, for one signed-in user.
pub struct StoreReplica {
    ws: Workstation,
    store: Arc<Store>,
    who: SignedIn,
    actor: Actor,
}

impl std::fmt::Debug for StoreReplica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreReplica")
            .field("user", &self.who.id)
            .finish()
    }
}

fn failed(step: &str, e: impl std::fmt::Display) -> ReplicaError {
    // Store errors name tables and codes, never patient values.
    ReplicaError {
        message: format!("{step}: {e}"),
    }
}

impl StoreReplica {
    pub fn new(ws: Workstation, store: Arc<Store>, who: SignedIn) -> Self {
        let actor = who.actor();
        Self {
            ws,
            store,
            who,
            actor,
        }
    }
}

impl Replica for StoreReplica {
    fn pending_ops(&self, limit: usize) -> Result<Vec<Operation>, ReplicaError> {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        // The payloads are the user's own changes, audited when they were made; reading them
        // to push is not a new disclosure, so no read entry per push.
        let rows = self
            .store
            .read(&self.actor, self.ws.now(), |r| {
                sync_outbox::pending(r, &self.who.id.0, limit)
            })
            .map_err(|e| failed("read the outbox", e))?;
        rows.into_iter()
            .map(|row| {
                serde_json::from_str(&row.payload).map_err(|e| {
                    failed(
                        &format!("outbox operation {} is unreadable", row.op_id),
                        // The category only: serde's message can quote the payload.
                        format!("{:?}", e.classify()),
                    )
                })
            })
            .collect()
    }

    fn mark_acked(&mut self, op_id: Uuid, seq: u64, _version: u64) -> Result<(), ReplicaError> {
        let seq = i64::try_from(seq).map_err(|_| failed("acknowledgement", "seq out of range"))?;
        self.store
            .write(&self.actor, self.ws.now(), |w| {
                sync_outbox::mark_acked(w, &op_id.to_string(), seq)
            })
            .map_err(|e| failed("settle an operation", e))
    }

    fn mark_rejected(&mut self, op_id: Uuid, rejection: &Rejection) -> Result<(), ReplicaError> {
        let json = serde_json::to_string(rejection).map_err(|e| failed("rejection", e))?;
        self.store
            .write(&self.actor, self.ws.now(), |w| {
                super::refused_where_the_work_is(w, &op_id.to_string(), rejection)?;
                sync_outbox::mark_rejected(w, &op_id.to_string(), &json)?;
                w.audit(
                    meddesk_store::audit::Action::Update,
                    sync_outbox::RECORD,
                    &op_id.to_string(),
                )
            })
            .map_err(|e| failed("settle an operation", e))
    }

    fn certificate_request(&self) -> Result<Option<serde_json::Value>, ReplicaError> {
        // Only the people who sign have keys (R-RX-10).
        if !self.who.roles.iter().any(|r| {
            matches!(
                r,
                meddesk_domain::Role::Physician | meddesk_domain::Role::Pharmacist
            )
        }) {
            return Ok(None);
        }
        crate::signing::certificate_request(&self.store, &self.actor, self.ws.now(), &self.who.id.0)
            .map_err(|e| failed("the signing key", e.message))
    }

    fn store_certificate(&mut self, certificate: serde_json::Value) -> Result<(), ReplicaError> {
        crate::signing::store_certificate(
            &self.store,
            &self.actor,
            self.ws.now(),
            &self.who.id.0,
            &certificate,
        )
        .map_err(|e| failed("the signing certificate", e.message))
    }

    fn trust_wanted(&self) -> Result<bool, ReplicaError> {
        crate::signing::trust_wanted(&self.store, self.ws.now())
            .map_err(|e| failed("the trust bundle", e.message))
    }

    fn store_trust(&mut self, trust: serde_json::Value) -> Result<(), ReplicaError> {
        crate::signing::store_trust(&self.store, &self.actor, self.ws.now(), &trust)
            .map_err(|e| failed("the trust bundle", e.message))
    }

    fn apply_changes(&mut self, changes: &[Change], cursor: Cursor) -> Result<(), ReplicaError> {
        let plan = super::apply::prepare(changes);
        self.store
            .write(&self.actor, self.ws.now(), |w| {
                super::apply::apply(&self.ws, w, &plan)?;
                sync_cursors::set(w, &cursor_stream(&self.who.id.0), &cursor.to_string())?;
                w.audit(
                    meddesk_store::audit::Action::Update,
                    "sync_page",
                    &cursor.to_string(),
                )
            })
            .map_err(|e| failed("apply pulled changes", e))?;
        if plan.suspends(&self.who.id.0) {
            let _ = self.ws.refresh_session_user(&self.store, &self.who.id.0);
        }
        Ok(())
    }

    fn cursor(&self) -> Result<Cursor, ReplicaError> {
        let raw = self
            .store
            .read(&self.actor, self.ws.now(), |r| {
                sync_cursors::get(r, &cursor_stream(&self.who.id.0))
            })
            .map_err(|e| failed("read the cursor", e))?;
        match raw {
            None => Ok(0),
            Some(s) => s
                .parse()
                .map_err(|_| failed("read the cursor", "stored cursor is not a number")),
        }
    }
}
