//! Sync with the platform (issue 6; R-SEC-1, R-TRI-1, R-RX-6). Local work commits to the
//! encrypted store first; a change to a record the platform knows is queued, in the same
//! transaction, as an operation in the outbox (`enqueue`). While a user is signed in, a
//! background task (`runtime`) pushes the outbox and pulls the platform's changes through
//! `meddesk-sync`'s client, over [`StoreReplica`] — the client's view of this store. A
//! record shows as synced only once the platform acknowledged every operation on it; a
//! rejected operation stays in the outbox with its reason, and the user's local work stays
//! where it was (the kept draft).
//!
//! Records made here that the platform never saw (the demo's local requests) are
//! local-only: nothing about them is pushed.

pub mod anchor;
mod apply;
mod replica;
mod runtime;
pub mod tokens;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use meddesk_store::tables::{settings, sync_outbox, sync_records};
use meddesk_store::{Store, Writer};
use meddesk_sync::{
    HlcClock, OpKind, Operation, RecordKey, Rejection, SyncState, SyncStatus, TokenStore,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

pub use replica::StoreReplica;
pub use tokens::{KeychainTokenStore, TokenKeeping};

use crate::session::SignedIn;
use crate::{ApiError, Command, ErrorCode, Workstation};

/// The keychain service the workstation's secrets live under.
pub const KEYCHAIN_SERVICE: &str = "org.meddesk.workstation";
const DEVICE_SETTING: &str = "sync.device_id";

/// The platform a profile syncs with.
#[derive(Clone)]
pub struct PlatformLink {
    /// `https://…`, or `http://127.0.0.1:…` for the embedded demo platform and tests.
    pub base_url: String,
    pub keeping: TokenKeeping,
}

/// `MEDDESK_PLATFORM_URL`: the platform a clinic profile syncs with (tokens in the OS
/// keychain).
pub const PLATFORM_URL_ENV: &str = "MEDDESK_PLATFORM_URL";

impl PlatformLink {
    /// The demo's embedded platform on loopback (tokens in memory: its accounts are public).
    pub fn embedded(url: &str) -> Self {
        Self {
            base_url: url.to_owned(),
            keeping: TokenKeeping::Memory,
        }
    }

    /// A clinic's platform from `MEDDESK_PLATFORM_URL`, if set.
    pub fn from_env() -> Option<Self> {
        std::env::var(PLATFORM_URL_ENV)
            .ok()
            .filter(|u| !u.trim().is_empty())
            .map(|base_url| Self {
                base_url,
                keeping: TokenKeeping::Keychain,
            })
    }

    /// A clinic profile's platform: `MEDDESK_PLATFORM_URL` when set, else what `meddesk setup`
    /// recorded in the profile folder ([`ClinicLink`], `platform.json`).
    pub fn for_clinic(data_dir: &std::path::Path) -> Option<Self> {
        Self::from_env().or_else(|| {
            ClinicLink::read(data_dir).map(|c| Self {
                base_url: c.platform_url,
                keeping: TokenKeeping::Keychain,
            })
        })
    }
}

/// Which platform and organisation a clinic profile belongs to (no secret: read before
/// anyone signs in, so it lives beside the encrypted database, not in it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicLink {
    pub platform_url: String,
    pub org_id: String,
}

impl ClinicLink {
    pub const FILE: &'static str = "platform.json";

    pub fn read(data_dir: &std::path::Path) -> Option<Self> {
        let text = std::fs::read_to_string(data_dir.join(Self::FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn write(&self, data_dir: &std::path::Path) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(data_dir.join(Self::FILE), json)
    }
}

impl std::fmt::Debug for PlatformLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformLink")
            .field("base_url", &self.base_url)
            .field("keeping", &self.keeping)
            .finish()
    }
}

/// The sync state every front reads (one per open workstation).
#[derive(Default)]
pub(crate) struct Hub {
    state: Mutex<HubState>,
    kick: tokio::sync::Notify,
    hlc: Mutex<HlcClock>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hub")
    }
}

/// Starts a platform the front embeds (the demo's), once, when sync is first needed.
pub type PlatformStarter = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct HubState {
    link: Option<PlatformLink>,
    /// Run at the first sign-in (then `None`): the embedded platform and its simulator cost
    /// nothing until someone works.
    starter: Option<PlatformStarter>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Memory-kept tokens per user (TokenKeeping::Memory), so a lock and unlock do not sign
    /// in to the platform again.
    memory_tokens: Vec<(String, Arc<dyn TokenStore>)>,
    state: Option<SyncState>,
    last_sync_at: Option<DateTime<Utc>>,
    cursor: u64,
    head: u64,
    last_error: Option<String>,
    audit_anchored: Option<i64>,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        // A poisoned hub only holds display state: keep going with what is there.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wake the sync task: a local change was queued.
    pub(crate) fn kick(&self) {
        self.kick.notify_one();
    }

    fn tick(&self, now_ms: i64) -> meddesk_sync::Hlc {
        self.hlc
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .tick(now_ms)
    }

    fn set_state(&self, state: SyncState) {
        self.lock().state = Some(state);
    }

    fn set_error(&self, message: String) {
        self.lock().last_error = Some(message);
    }

    fn anchored(&self, entries: i64) {
        self.lock().audit_anchored = Some(entries);
    }

    fn synced(&self, at: DateTime<Utc>, cursor: u64, head: u64) {
        let mut s = self.lock();
        s.last_sync_at = Some(at);
        s.cursor = cursor;
        s.head = head.max(cursor);
        s.last_error = None;
        s.state = Some(SyncState::UpToDate { cursor });
    }

    fn progress(&self, ev: &meddesk_sync::ProgressEvent) {
        let mut s = self.lock();
        s.cursor = s.cursor.max(ev.cursor);
        s.head = s.head.max(ev.head);
        s.state = Some(ev.state.clone());
    }

    fn stop(&self) {
        if let Some(task) = self.lock().task.take() {
            task.abort();
        }
    }
}

impl Workstation {
    /// Sync this profile with `link` from the next sign-in on (the demo's embedded platform,
    /// or a clinic's platform URL).
    pub fn connect_platform(&self, link: PlatformLink) -> Result<(), ApiError> {
        let url = platform_url(&link.base_url)?;
        let mut s = self.hub().lock();
        s.link = Some(PlatformLink {
            base_url: url,
            keeping: link.keeping,
        });
        Ok(())
    }

    /// The sync client's view of the open store for the signed-in user (benchmarks and tools
    /// that drive a [`meddesk_sync::SyncClient`] themselves).
    pub fn replica_for_signed_in(&self) -> Result<StoreReplica, ApiError> {
        let (who, store) = self.active()?;
        Ok(StoreReplica::new(self.clone(), store, who))
    }

    /// Like [`Self::connect_platform`] for a platform the front embeds: `start` runs once, on
    /// the async runtime, at the first sign-in.
    pub fn connect_embedded_platform(
        &self,
        link: PlatformLink,
        start: PlatformStarter,
    ) -> Result<(), ApiError> {
        self.connect_platform(link)?;
        self.hub().lock().starter = Some(start);
        Ok(())
    }

    pub(crate) fn hub(&self) -> &Hub {
        &self.inner.sync
    }

    /// Start syncing for the user who just signed in (no-op without a platform or outside a
    /// tokio runtime). The password signs in to the platform when no tokens are kept; it is
    /// dropped once that succeeded.
    pub(crate) fn start_sync(
        &self,
        who: &SignedIn,
        store: Arc<Store>,
        password: zeroize::Zeroizing<String>,
        totp: Option<String>,
    ) {
        let hub = self.hub();
        hub.stop();
        let Some(link) = hub.lock().link.clone() else {
            return;
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            hub.set_error("sync_unavailable: no async runtime in this front".into());
            return;
        };
        let starter = hub.lock().starter.take();
        if let Some(start) = starter {
            let _guard = rt.enter();
            start();
        }
        let tokens = self.token_store(&link, &who.id.0);
        let task = rt.spawn(runtime::run(runtime::Session {
            ws: self.clone(),
            who: who.clone(),
            store,
            link,
            tokens,
            password: Some(password),
            totp,
        }));
        let mut s = hub.lock();
        s.task = Some(task);
        s.state = Some(SyncState::Syncing);
    }

    /// Where `user_id`'s platform tokens for `link` are kept.
    fn token_store(&self, link: &PlatformLink, user_id: &str) -> Arc<dyn TokenStore> {
        match link.keeping {
            TokenKeeping::Keychain => Arc::new(KeychainTokenStore::new(
                KEYCHAIN_SERVICE,
                user_id,
                &link.base_url,
            )),
            TokenKeeping::Memory => {
                let mut s = self.hub().lock();
                match s.memory_tokens.iter().find(|(u, _)| u == user_id) {
                    Some((_, t)) => t.clone(),
                    None => {
                        let t: Arc<dyn TokenStore> =
                            Arc::new(meddesk_sync::MemoryTokenStore::new());
                        s.memory_tokens.push((user_id.to_owned(), t.clone()));
                        t
                    }
                }
            }
        }
    }

    /// Sign-out (R-SEC-8): end `user_id`'s platform session, so its tokens stop working on
    /// the platform, and forget them here. In the background: an unreachable platform does
    /// not hold up the sign-out (the tokens are forgotten anyway and the session runs out).
    pub(crate) fn end_platform_session(&self, user_id: &str) {
        let Some(link) = self.hub().lock().link.clone() else {
            return;
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let tokens = self.token_store(&link, user_id);
        rt.spawn(async move {
            match meddesk_sync::end_session(&link.base_url, tokens.as_ref()).await {
                Ok(true) => tracing::info!("platform session ended"),
                Ok(false) => {
                    tracing::warn!("platform not reached at sign-out; its session runs out")
                }
                Err(e) => tracing::warn!(code = e.code(), "platform sign-out failed"),
            }
        });
    }

    /// Stop syncing (lock, sign-out): the task's handle on the store goes with it.
    pub(crate) fn stop_sync(&self) {
        self.hub().stop();
        self.hub().set_state(SyncState::Idle);
    }
}

fn platform_url(url: &str) -> Result<String, ApiError> {
    let trimmed = url.trim().trim_end_matches('/');
    meddesk_sync::check_platform_url(trimmed).map_err(|e| {
        ApiError::invalid_value(
            "platform_url",
            format!(
                "{}: must be https:// (http:// only for loopback, R-SEC-3)",
                e.code()
            ),
        )
    })?;
    Ok(trimmed.to_owned())
}

// ---- routes between the platform and the workstation -----------------------------------

/// A workstation credential as the platform's specialty name.
pub fn platform_specialty(credential: &str) -> String {
    meddesk_sync::specialty_of_route(&meddesk_sync::route_of_specialty(credential))
}

// ---- queuing local changes ---------------------------------------------------------------

/// Whether the platform knows the consultation (it was pulled from it).
pub(crate) fn platform_knows(
    w: &Writer<'_>,
    consultation_id: &Uuid,
) -> meddesk_store::Result<bool> {
    Ok(sync_records::version(w.conn(), "consultation", &consultation_id.to_string())?.is_some())
}

/// This workstation's device id on the platform for `user`, made on first use. The
/// platform binds a device to one account, and a clinic's workstation is shared, so each
/// account on it is its own device.
fn device_id(w: &mut Writer<'_>, user: &str) -> meddesk_store::Result<String> {
    let key = format!("{DEVICE_SETTING}.{user}");
    if let Some(id) = settings::get(w.conn(), &key)? {
        return Ok(id);
    }
    let id = format!("ws-{}", Uuid::now_v7());
    settings::set(w, &key, &id)?;
    Ok(id)
}

/// This device's platform id, for the client (made on first use).
pub(crate) fn device_id_of(
    ws: &Workstation,
    store: &Store,
    who: &SignedIn,
) -> meddesk_store::Result<String> {
    store.write(&who.actor(), ws.now(), |w| device_id(w, &who.id.0))
}

/// Queue `kind` as an operation by `who`, in the caller's transaction, when `gate` (the
/// consultation it belongs to) is known to the platform — or always for `gate: None`.
/// Returns whether it was queued. Wakes the sync task (which waits for this transaction:
/// the outbox is read on the same write handle).
pub(crate) fn enqueue(
    ws: &Workstation,
    w: &mut Writer<'_>,
    who: &SignedIn,
    gate: Option<&Uuid>,
    kind: OpKind,
) -> meddesk_store::Result<bool> {
    enqueue_following(ws, w, who, gate, kind, 0)
}

/// [`enqueue`] for an operation that follows `earlier` operations queued just before it on
/// the same record in this transaction (the signature after the lines it covers): its base
/// version is the one those operations will have made, so the platform accepts it only if
/// nothing else changed the record in between (R-RX-1: a signature covers what was seen).
pub(crate) fn enqueue_following(
    ws: &Workstation,
    w: &mut Writer<'_>,
    who: &SignedIn,
    gate: Option<&Uuid>,
    kind: OpKind,
    earlier: u64,
) -> meddesk_store::Result<bool> {
    if let Some(c) = gate
        && !platform_knows(w, c)?
    {
        return Ok(false);
    }
    let target = kind.target();
    let base_version = sync_records::version(w.conn(), target.kind.as_str(), &target.id)?
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(0)
        + earlier;
    let op = Operation {
        op_id: Uuid::now_v7(),
        user: who.id.0.clone(),
        device: device_id(w, &who.id.0)?,
        base_version,
        hlc: ws.hub().tick(w.now_ms()),
        kind,
    };
    let payload = serde_json::to_string(&op)
        .map_err(|e| meddesk_store::StoreError::Database(format!("operation encoding: {e}")))?;
    sync_outbox::enqueue(
        w,
        &op.op_id.to_string(),
        &op.user,
        target.kind.as_str(),
        &target.id,
        "upsert",
        &payload,
    )?;
    ws.hub().kick();
    Ok(true)
}

/// A record's sync status (R-SEC-1): never synced before every operation on it was
/// acknowledged; local-only when the platform does not know it and nothing was queued.
pub(crate) fn record_status(
    r: &meddesk_store::Reader<'_>,
    key: &RecordKey,
) -> meddesk_store::Result<SyncStatus> {
    let settlements = sync_outbox::settlements_of(r, key.kind.as_str(), &key.id)?;
    let known = sync_records::version(r.conn(), key.kind.as_str(), &key.id)?.is_some();
    if settlements.is_empty() && !known {
        return Ok(SyncStatus::LocalOnly);
    }
    let mut status = SyncStatus::Synced;
    for s in settlements {
        match s {
            sync_outbox::Settlement::Rejected { .. } => return Ok(SyncStatus::Rejected),
            sync_outbox::Settlement::Pending => status = SyncStatus::Pending,
            sync_outbox::Settlement::Acked { .. } => {}
        }
    }
    Ok(status)
}

// ---- commands --------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SyncStatusRequest {}

/// A change the platform refused, with the user's kept work.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RejectedChange {
    pub op_id: String,
    /// The operation's wire name (`claim_consultation`, `update_record`, …).
    pub operation: String,
    pub record: RecordKey,
    pub rejection: Rejection,
    #[ts(type = "string")]
    pub made_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub rejected_at: DateTime<Utc>,
    /// What the user wrote, kept as a draft (record fields, prescription lines, follow-up
    /// notes); the local record keeps it too.
    pub kept_draft: Vec<DraftField>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DraftField {
    pub field: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncOverview {
    /// A platform is configured for this profile.
    pub configured: bool,
    pub platform_url: Option<String>,
    /// The client's state (offline, up to date, needs sign-in …); `null` before the first
    /// attempt of this session.
    pub state: Option<SyncState>,
    pub online: bool,
    pub pending_ops: u32,
    pub rejected_ops: u32,
    #[ts(type = "string | null")]
    pub last_sync_at: Option<DateTime<Utc>>,
    #[ts(type = "number")]
    pub cursor: u64,
    #[ts(type = "number")]
    pub head: u64,
    /// The last error's stable code and message (never patient data).
    pub last_error: Option<String>,
    /// How many of this profile's audit entries the platform holds an anchor of (issue 13
    /// §4); `null` until the first exchange of this session.
    #[ts(type = "number | null")]
    pub audit_anchored: Option<i64>,
    pub rejected: Vec<RejectedChange>,
}

impl Command for SyncStatusRequest {
    const NAME: &'static str = "sync_status";
    type Output = SyncOverview;
    async fn run(self, ws: &Workstation) -> Result<SyncOverview, ApiError> {
        let (who, store) = ws.active()?;
        let now = ws.now();
        let (counts, rejected) = store.read(&who.actor(), now, |r| {
            Ok((
                sync_outbox::counts(r, &who.id.0)?,
                sync_outbox::rejected(r, &who.id.0, 50)?,
            ))
        })?;
        let s = ws.hub().lock();
        let online = matches!(
            s.state,
            Some(SyncState::UpToDate { .. }) | Some(SyncState::Syncing)
        ) && s.last_error.is_none();
        Ok(SyncOverview {
            configured: s.link.is_some(),
            platform_url: s.link.as_ref().map(|l| l.base_url.clone()),
            state: s.state.clone(),
            online,
            pending_ops: counts.0,
            rejected_ops: counts.1,
            last_sync_at: s.last_sync_at,
            cursor: s.cursor,
            head: s.head,
            last_error: s.last_error.clone(),
            audit_anchored: s.audit_anchored,
            rejected: rejected
                .into_iter()
                .filter_map(|r| rejected_change(&r))
                .collect(),
        })
    }
}

/// A refused prescription signature or review shows where the work is (R-RX-8, one truth on
/// screen): a refused signature makes the prescription the physician's draft again, a refused
/// review puts it back in the review queue; either carries the platform's refusal (code and
/// findings, localised by the UI), never "awaiting the pharmacist" or "approved" for
/// something the platform does not hold. Called in the transaction that settles the refusal.
pub(crate) fn refused_where_the_work_is(
    w: &mut meddesk_store::Writer<'_>,
    op_id: &str,
    rejection: &Rejection,
) -> meddesk_store::Result<()> {
    let Some(payload) = sync_outbox::payload_of(w, op_id)? else {
        return Ok(());
    };
    let Ok(op) = serde_json::from_str::<Operation>(&payload) else {
        return Ok(());
    };
    use meddesk_store::tables::{pharmacist_reviews, prescriptions, workflow_documents as docs};
    if let OpKind::SetConsultationType {
        consultation_id, ..
    } = &op.kind
    {
        return type_as_the_platform_holds_it(w, *consultation_id);
    }
    let (prescription_id, review) = match &op.kind {
        OpKind::SignPrescription {
            prescription_id, ..
        }
        | OpKind::SavePrescriptionDraft {
            prescription_id, ..
        } => (prescription_id.to_string(), false),
        OpKind::ReviewPrescription {
            prescription_id, ..
        } => (prescription_id.to_string(), true),
        _ => return Ok(()),
    };
    if review {
        // The pharmacist's decision did not take effect: it is withdrawn and the
        // prescription awaits review again, never shown as approved or rejected.
        if !pharmacist_reviews::withdraw_latest(w, &prescription_id, &op.user)? {
            return Ok(());
        }
    } else {
        prescriptions::return_to_draft(w, &prescription_id)?;
    }
    let mut doc = docs::prescription_in_write(w, &prescription_id)?;
    if let Some(doc) = doc.as_mut() {
        let refusal = crate::prescribing::Refusal {
            code: rejection.code,
            findings: rejection.findings.clone(),
            at: w.now_ms(),
        };
        doc.refusal = serde_json::to_string(&refusal).ok();
        if review {
            doc.review_rounds = (doc.review_rounds - 1).max(0);
            // The local copy of the signature document loses the refused review.
            doc.signature = doc
                .signature
                .as_deref()
                .and_then(|s| serde_json::from_str::<meddesk_signature::SignedPrescription>(s).ok())
                .map(|mut d| {
                    d.review = None;
                    d
                })
                .and_then(|d| serde_json::to_string(&d).ok())
                .or(doc.signature.take());
        }
        docs::put_prescription(w, &prescription_id, doc)?;
    }
    Ok(())
}

/// A refused change of the consultation type does not stay on screen: the consultation takes
/// the type the platform holds (its last accepted setting, else the intake's default).
fn type_as_the_platform_holds_it(
    w: &mut meddesk_store::Writer<'_>,
    consultation_id: uuid::Uuid,
) -> meddesk_store::Result<()> {
    use meddesk_store::tables::{consultations, sync_records};
    let key = RecordKey::consultation(consultation_id);
    let held = sync_records::body(w.conn(), key.kind.as_str(), &key.id)?
        .and_then(|b| serde_json::from_str::<meddesk_sync::RecordBody>(&b).ok())
        .and_then(|b| match b {
            meddesk_sync::RecordBody::Consultation(c) => c.consultation_types.last().cloned(),
            _ => None,
        })
        .map(|t| consultations::ConsultationType {
            kind: t.consultation_type,
            reason: t.reason,
        });
    consultations::set_type(
        w,
        &meddesk_domain::ConsultationId(consultation_id),
        held.as_ref(),
    )
}

fn ms(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t).unwrap_or_default()
}

fn rejected_change(r: &sync_outbox::RejectedOp) -> Option<RejectedChange> {
    let op: Operation = serde_json::from_str(&r.op.payload).ok()?;
    let rejection: Rejection = serde_json::from_str(&r.rejection).ok()?;
    Some(RejectedChange {
        op_id: r.op.op_id.clone(),
        operation: op.kind.name().to_owned(),
        record: op.kind.target(),
        rejection,
        made_at: ms(r.created_at),
        rejected_at: ms(r.settled_at),
        kept_draft: kept_draft(&op.kind),
    })
}

fn kept_draft(kind: &OpKind) -> Vec<DraftField> {
    let f = |field: &str, value: &str| DraftField {
        field: field.to_owned(),
        value: value.to_owned(),
    };
    match kind {
        OpKind::UpdateRecord { fields, .. } => fields
            .iter()
            .map(|(k, v)| {
                f(
                    &serde_json::to_value(k)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    v,
                )
            })
            .collect(),
        OpKind::SavePrescriptionDraft {
            diagnosis, lines, ..
        } => std::iter::once(f("diagnosis", diagnosis))
            .chain(lines.iter().map(|l| {
                f(
                    "line",
                    &format!(
                        "{} {} {} {} {} × {} d",
                        l.generic_name, l.strength, l.dose, l.route, l.frequency, l.course_days
                    ),
                )
            }))
            .collect(),
        OpKind::ReviewPrescription { reasons, .. } => {
            reasons.iter().map(|r| f("reason", r)).collect()
        }
        OpKind::AddFollowUpRecord {
            revisit_advice,
            notes,
            ..
        } => vec![f("revisit_advice", revisit_advice), f("notes", notes)],
        OpKind::SuspendPhysician { reason, .. } => vec![f("reason", reason)],
        _ => Vec::new(),
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct SyncNowRequest {}

impl Command for SyncNowRequest {
    const NAME: &'static str = "sync_now";
    type Output = SyncOverview;
    /// Sync now instead of waiting for the next round (the task wakes at once).
    async fn run(self, ws: &Workstation) -> Result<SyncOverview, ApiError> {
        ws.active()?;
        if ws.hub().lock().link.is_none() {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "no platform is configured for this profile",
            ));
        }
        ws.hub().kick();
        SyncStatusRequest {}.run(ws).await
    }
}
