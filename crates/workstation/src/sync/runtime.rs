//! The background sync task of one signed-in session: sign in to the platform if no tokens
//! are kept, register the device, then push-then-pull rounds. Between rounds it waits for a
//! local change (a kick), the platform's notification channel (SSE) announcing a new head,
//! or 25 s; after a failure, for the planner's backoff. It ends when the session locks or
//! signs out (the session aborts it; it also checks before every round).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use meddesk_store::Store;
use meddesk_sync::{ClientConfig, SyncClient, SyncError, SyncState, TokenStore};
use zeroize::Zeroizing;

use super::replica::StoreReplica;
use super::tokens::AccountTokens;
use super::{PlatformLink, device_id_of};
use crate::Workstation;
use crate::session::SignedIn;

pub(crate) struct Session {
    pub ws: Workstation,
    pub who: SignedIn,
    pub store: Arc<Store>,
    pub link: PlatformLink,
    pub tokens: Arc<dyn TokenStore>,
    pub password: Option<Zeroizing<String>>,
    pub totp: Option<String>,
}

const IDLE_WAIT: Duration = Duration::from_secs(25);

pub(crate) async fn run(mut s: Session) {
    let hub = || s.ws.hub();
    let device = match device_id_of(&s.ws, &s.store, &s.who) {
        Ok(d) => d,
        Err(e) => {
            hub().set_error(format!("sync_unavailable: {e}"));
            return;
        }
    };
    let replica = Arc::new(Mutex::new(StoreReplica::new(
        s.ws.clone(),
        s.store.clone(),
        s.who.clone(),
    )));
    let tokens = Arc::new(AccountTokens(s.tokens.clone()));
    let mut config = ClientConfig::new(&s.link.base_url, &device);
    // The platform's largest page: fewer, larger transactions in an initial sync.
    config.page_limit = 5_000;
    let mut client = match SyncClient::new(config, replica, tokens.clone()) {
        Ok(c) => c,
        Err(e) => {
            hub().set_error(format!("{}: {e}", e.code()));
            return;
        }
    };
    {
        let ws = s.ws.clone();
        client.on_progress(move |ev| ws.hub().progress(ev));
    }
    let mut registered = false;
    // The audit count last anchored on the platform in this session.
    let mut anchored = None;
    loop {
        if !s.ws.session_is(&s.who.id) {
            return;
        }
        // Tokens: kept ones, or a sign-in with the password the user just gave.
        match tokens.load() {
            Ok(Some(_)) => {}
            Ok(None) => {
                let Some(password) = s.password.as_ref() else {
                    hub().set_state(SyncState::NeedsSignIn);
                    hub().set_error(
                        "needs_sign_in: lock and unlock to sign in to the platform again".into(),
                    );
                    wait(&s.ws, IDLE_WAIT).await;
                    continue;
                };
                match client
                    .sign_in(&s.who.id.0, password, s.totp.as_deref())
                    .await
                {
                    Ok(_) => {
                        // The password is not kept beyond the platform sign-in.
                        s.password = None;
                        s.totp = None;
                        registered = false;
                    }
                    Err(SyncError::RetryLater { delay_ms, state }) => {
                        hub().set_state(state);
                        wait(&s.ws, Duration::from_millis(delay_ms)).await;
                        continue;
                    }
                    Err(e) => {
                        hub().set_state(SyncState::NeedsSignIn);
                        hub().set_error(format!("{}: {e}", e.code()));
                        s.password = None;
                        wait(&s.ws, IDLE_WAIT).await;
                        continue;
                    }
                }
            }
            Err(e) => {
                hub().set_error(format!("token_store_failed: {}", e.message));
                wait(&s.ws, IDLE_WAIT).await;
                continue;
            }
        }
        if !registered {
            match client.register_device("MedDesk workstation").await {
                Ok(()) => registered = true,
                Err(e) => {
                    if handle_failure(&s.ws, &tokens, e).await {
                        continue;
                    }
                    continue;
                }
            }
        }
        match client.sync_once().await {
            Ok(report) => {
                hub().synced(s.ws.now(), report.cursor, report.head);
                // Issue 13 §4: the audit head goes to the platform; a disagreement with what
                // it kept is shown, loudly, as the sync's error.
                match super::anchor::exchange(
                    &s.store,
                    &s.who.actor(),
                    s.ws.now(),
                    &mut client,
                    &mut anchored,
                )
                .await
                {
                    Ok(entries) => hub().anchored(entries),
                    Err(e) => hub().set_error(e),
                }
                idle(&s.ws, &mut client, report.cursor.max(report.head)).await;
            }
            Err(e) => {
                handle_failure(&s.ws, &tokens, e).await;
            }
        }
    }
}

/// Record a failure and wait as it says; true when the caller should retry at once.
async fn handle_failure(ws: &Workstation, tokens: &AccountTokens, e: SyncError) -> bool {
    match e {
        SyncError::RetryLater { delay_ms, state } => {
            ws.hub().set_state(state);
            wait(ws, Duration::from_millis(delay_ms)).await;
            false
        }
        SyncError::NeedsSignIn => {
            // Expired beyond refresh or revoked: forget them; the next round signs in again
            // if the password is still at hand, else asks for it. Nothing local is lost.
            let _ = tokens.clear();
            true
        }
        other => {
            ws.hub().set_error(format!("{}: {other}", other.code()));
            wait(ws, IDLE_WAIT).await;
            false
        }
    }
}

/// Wait for a kick or the timeout.
async fn wait(ws: &Workstation, d: Duration) {
    tokio::select! {
        () = ws.hub().kick.notified() => {}
        () = tokio::time::sleep(d) => {}
    }
}

/// Up to date: wait for a local change, a new head on the platform, or the idle timeout.
async fn idle(ws: &Workstation, client: &mut SyncClient<StoreReplica, AccountTokens>, after: u64) {
    let started = std::time::Instant::now();
    match client.subscribe(after).await {
        Ok(mut stream) => {
            tokio::select! {
                () = ws.hub().kick.notified() => {}
                _ = stream.next() => {}
                () = tokio::time::sleep(IDLE_WAIT) => {}
            }
        }
        Err(_) => wait(ws, Duration::from_secs(5)).await,
    }
    // A channel that closes at once must not turn into a busy loop.
    if started.elapsed() < Duration::from_millis(50) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
