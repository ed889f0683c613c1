//! The audit chain's outside anchor (issue 13 §4, R-SEC-5). A chain whose newest entries were
//! removed, or which someone holding the database key rewrote, still verifies on its own; what
//! shows it is an anchor kept where that person cannot edit it. After each sync round the
//! workstation:
//! 1. asks the platform for the newest anchor of this profile's chain and checks the chain
//!    against it — a cut tail or a rewrite stops here with `audit_anchor_mismatch`, and no new
//!    anchor is sent over the evidence;
//! 2. when the chain grew, sends its head (entries, hash; no patient data), which the platform
//!    keeps with every earlier one, and remembers what the platform confirmed so
//!    `meddesk audit verify` can check against it without a network.

use chrono::{DateTime, Utc};
use meddesk_store::audit::{Anchor, AnchorCheck};
use meddesk_store::tables::settings;
use meddesk_store::{Actor, Store};
use meddesk_sync::{AnchoredAudit, AuditAnchor, SyncClient, SyncError};
use serde::{Deserialize, Serialize};

use super::replica::StoreReplica;
use super::tokens::AccountTokens;

const CHAIN_SETTING: &str = "audit.chain_id";
const ANCHOR_SETTING: &str = "audit.platform_anchor";

/// The newest anchor the platform confirmed, as kept here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptAnchor {
    pub entries: i64,
    pub head: String,
    pub anchored_at_ms: i64,
}

impl KeptAnchor {
    fn of(a: &AnchoredAudit) -> KeptAnchor {
        KeptAnchor {
            entries: i64::try_from(a.entries).unwrap_or(i64::MAX),
            head: a.head.clone(),
            anchored_at_ms: a.anchored_at_ms,
        }
    }

    fn anchor(&self) -> Option<Anchor> {
        let head = <[u8; 32]>::try_from(hex::decode(&self.head).ok()?.as_slice()).ok()?;
        Some(Anchor {
            entries: self.entries,
            head,
        })
    }
}

/// How the chain here stands against an anchor, in words for the person who must act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Holds { entries: i64 },
    CutTail { anchored: i64, now: i64 },
    Rewritten { at: i64 },
}

impl Standing {
    /// The error this standing is, if it is one (`audit_tail_cut`, `audit_rewritten`).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        match self {
            Standing::Holds { .. } => None,
            Standing::CutTail { anchored, now } => Some((
                "audit_tail_cut",
                format!("the audit trail has {now} entries; {anchored} were anchored outside it"),
            )),
            Standing::Rewritten { at } => Some((
                "audit_rewritten",
                format!("audit entry {at} differs from the one anchored outside the workstation"),
            )),
        }
    }
}

/// How the chain stands against `kept`, and the chain's own report (one walk of the chain).
fn standing(
    store: &Store,
    kept: &KeptAnchor,
) -> meddesk_store::Result<(Standing, Option<meddesk_store::audit::ChainReport>)> {
    let Some(anchor) = kept.anchor() else {
        return Ok((Standing::Rewritten { at: kept.entries }, None));
    };
    let (report, check) = store.audit_against(&anchor)?;
    let standing = match check {
        AnchorCheck::Holds => Standing::Holds {
            entries: report.entries,
        },
        AnchorCheck::CutTail { anchored, now } => Standing::CutTail { anchored, now },
        AnchorCheck::Rewritten { at } => Standing::Rewritten { at },
    };
    Ok((standing, Some(report)))
}

/// The last anchor the platform confirmed to this profile, and how the chain stands against
/// it (`None`: never anchored). What `meddesk audit verify` reports.
pub fn against_last_anchor(
    store: &Store,
    now: DateTime<Utc>,
) -> meddesk_store::Result<Option<(KeptAnchor, Standing)>> {
    let kept = store.read(&Actor::system(), now, |r| {
        settings::get(r.conn(), ANCHOR_SETTING)
    })?;
    let Some(kept) = kept.and_then(|k| serde_json::from_str::<KeptAnchor>(&k).ok()) else {
        return Ok(None);
    };
    let (s, _) = standing(store, &kept)?;
    Ok(Some((kept, s)))
}

/// After a restore from a backup the trail is legitimately shorter than what the platform
/// anchored: it continues as a new chain (an audited settings change), and the platform keeps
/// the old chain's anchors — the entries lost since the backup stay visible there.
pub fn restart_chain(store: &Store, now: DateTime<Utc>) -> meddesk_store::Result<String> {
    store.write(&Actor::system(), now, |w| {
        let id = format!("chain-{}", uuid::Uuid::now_v7());
        settings::set(w, CHAIN_SETTING, &id)?;
        settings::set_unaudited(w, ANCHOR_SETTING, "")?;
        Ok(id)
    })
}

fn chain_id(store: &Store, actor: &Actor, now: DateTime<Utc>) -> meddesk_store::Result<String> {
    store.write(actor, now, |w| {
        if let Some(id) = settings::get(w.conn(), CHAIN_SETTING)? {
            return Ok(id);
        }
        let id = format!("chain-{}", uuid::Uuid::now_v7());
        settings::set(w, CHAIN_SETTING, &id)?;
        Ok(id)
    })
}

/// One exchange with the platform (see the module doc): the number of entries the platform
/// now holds an anchor of. `Err` carries `code: message` for the sync status; `sent`
/// remembers the count last anchored in this session (no repeat posts).
pub(crate) async fn exchange(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    client: &mut SyncClient<StoreReplica, AccountTokens>,
    sent: &mut Option<i64>,
) -> Result<i64, String> {
    let fail = |e: meddesk_store::StoreError| format!("{}: {e}", e.code());
    let entries = store.audit_entries().map_err(fail)?;
    if let Some(done) = *sent
        && done == entries
    {
        return Ok(done);
    }
    let chain = chain_id(store, actor, now).map_err(fail)?;
    let answer = client
        .latest_audit_anchor(&chain)
        .await
        .map_err(|e| format!("{}: {e}", e.code()))?;
    let mut walked = None;
    if let Some(latest) = &answer.latest {
        let kept = KeptAnchor::of(latest);
        let (standing, report) = standing(store, &kept).map_err(fail)?;
        if let Some((code, message)) = standing.problem() {
            tracing::error!(code, "the audit trail disagrees with the platform's anchor");
            return Err(format!("audit_anchor_mismatch: {code}: {message}"));
        }
        remember(store, now, &kept).map_err(fail)?;
        walked = report;
    }
    let report = match walked {
        Some(r) => r,
        None => store.verify_audit().map_err(fail)?,
    };
    if answer
        .latest
        .as_ref()
        .is_some_and(|l| i64::try_from(l.entries).unwrap_or(i64::MAX) >= report.entries)
    {
        *sent = Some(report.entries);
        return Ok(report.entries);
    }
    let anchor = AuditAnchor {
        chain_id: chain,
        entries: u64::try_from(report.entries).unwrap_or(0),
        head: hex::encode(report.head),
    };
    match client.anchor_audit(&anchor).await {
        Ok(confirmed) => {
            if let Some(latest) = &confirmed.latest {
                remember(store, now, &KeptAnchor::of(latest)).map_err(fail)?;
            }
            *sent = Some(report.entries);
            Ok(report.entries)
        }
        Err(SyncError::AnchorRefused { code }) => Err(format!(
            "audit_anchor_mismatch: {code}: the platform keeps a newer anchor of this audit trail"
        )),
        Err(e) => Err(format!("{}: {e}", e.code())),
    }
}

fn remember(store: &Store, now: DateTime<Utc>, kept: &KeptAnchor) -> meddesk_store::Result<()> {
    let json = serde_json::to_string(kept)
        .map_err(|e| meddesk_store::StoreError::Database(format!("anchor encoding: {e}")))?;
    store.write(&Actor::system(), now, |w| {
        settings::set_unaudited(w, ANCHOR_SETTING, &json)
    })
}
