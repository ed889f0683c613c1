//! The PostgreSQL backend (tokio-postgres). Several stateless HTTP nodes share one
//! database: every piece of state (accounts, devices, refresh tokens, the token-signing
//! secret, records, the change feed, operation outcomes) lives here.
//!
//! The gap-free change sequence is a single-row counter (`change_head`) locked with
//! `SELECT … FOR UPDATE` at the start of every push transaction and updated in the same
//! transaction: pushes are serialized, a sequence number is only taken by a transaction
//! that commits (a rollback returns it), and seq n+1 cannot commit before n. A `SEQUENCE`
//! would be faster but leaves gaps on rollback and lets a later number commit first, which
//! would make a cursor skip a change forever. Pushes batch many operations per transaction
//! (multi-row `UNNEST` inserts) so the serialization costs little.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use meddesk_sync::RecordKey;
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls};
use uuid::Uuid;

use super::{
    Account, KnownOutcome, PushTx, RefreshUse, Result, Session, Storage, StoredChange, Writes,
    decode_body, decode_outcome, parse_kind, parse_role, role_str,
};
use crate::decide::{ChangeMeta, Loaded};
use crate::error::PlatformError;
use crate::throttle::Failures;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS change_head (id INT PRIMARY KEY CHECK (id = 1), head BIGINT NOT NULL);
INSERT INTO change_head(id, head) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS server_secret (id INT PRIMARY KEY CHECK (id = 1), secret BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS changes (
    seq BIGINT PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, version BIGINT NOT NULL,
    body TEXT NOT NULL, org_id TEXT NOT NULL, specialty TEXT, physician_id TEXT,
    status TEXT NOT NULL, op_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS op_outcomes (
    op_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, outcome TEXT NOT NULL, created_at BIGINT NOT NULL);
ALTER TABLE op_outcomes ADD COLUMN IF NOT EXISTS digest TEXT;
CREATE INDEX IF NOT EXISTS op_outcomes_age ON op_outcomes(created_at);
CREATE TABLE IF NOT EXISTS accounts (
    username TEXT PRIMARY KEY, user_id TEXT NOT NULL UNIQUE, role TEXT NOT NULL, org_id TEXT NOT NULL,
    specialties TEXT NOT NULL, verifier TEXT NOT NULL, totp_secret BYTEA);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, registered_at BIGINT NOT NULL);
DROP TABLE IF EXISTS refresh_tokens;
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, device_id TEXT NOT NULL,
    created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT, revoked_reason TEXT);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);
CREATE TABLE IF NOT EXISTS session_refresh (
    token_hash TEXT PRIMARY KEY, session_id TEXT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT);
CREATE TABLE IF NOT EXISTS audit_anchors (
    chain_id TEXT NOT NULL, entries BIGINT NOT NULL, head TEXT NOT NULL, org_id TEXT NOT NULL,
    user_id TEXT NOT NULL, device_id TEXT NOT NULL, anchored_at BIGINT NOT NULL,
    PRIMARY KEY (chain_id, entries, head));
CREATE TABLE IF NOT EXISTS sign_in_failures (
    key TEXT PRIMARY KEY, failures BIGINT NOT NULL, last_failure BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS totp_steps (username TEXT PRIMARY KEY, last_step BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS certificates (
    serial TEXT PRIMARY KEY, user_id TEXT NOT NULL, body TEXT NOT NULL, issued_at BIGINT NOT NULL,
    revoked_at BIGINT, revoked_reason TEXT);
";

/// Connections per node: pushes are serialized anyway; the rest serve pulls and sign-ins.
const POOL_SIZE: usize = 4;

fn db(e: tokio_postgres::Error) -> PlatformError {
    PlatformError::Storage(format!("postgres: {e}"))
}

#[derive(Debug)]
struct Conn {
    client: Client,
    /// A transaction was begun and not finished (the task died): roll back before reuse.
    in_tx: bool,
}

#[derive(Debug, Clone)]
pub struct PgStore {
    link: super::pg_link::PgLink,
    pool: Arc<Vec<Arc<Mutex<Option<Conn>>>>>,
    next: Arc<AtomicUsize>,
}

async fn connect(link: &super::pg_link::PgLink) -> Result<Client> {
    match &link.tls {
        None => {
            let (client, connection) = link.config.connect(NoTls).await.map_err(db)?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "postgres connection ended");
                }
            });
            Ok(client)
        }
        Some(tls) => {
            let (client, connection) = link.config.connect(tls.clone()).await.map_err(db)?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "postgres connection ended");
                }
            });
            Ok(client)
        }
    }
}

/// Wake `notify` whenever any node commits a push (`LISTEN meddesk_changes`), on its own
/// connection; reconnects after a drop (the 250 ms head poll covers the gap).
async fn listen(link: super::pg_link::PgLink, notify: Arc<tokio::sync::Notify>) {
    loop {
        let attempt = async {
            let tls = link.tls.clone();
            let (client, mut messages): (Client, futures_util::stream::BoxStream<'static, _>) =
                match tls {
                    None => {
                        let (client, mut connection) =
                            link.config.connect(NoTls).await.map_err(db)?;
                        let stream =
                            futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                        (client, Box::pin(stream))
                    }
                    Some(tls) => {
                        let (client, mut connection) =
                            link.config.connect(tls).await.map_err(db)?;
                        let stream =
                            futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                        (client, Box::pin(stream))
                    }
                };
            // The connection is driven by the stream below; the LISTEN goes out meanwhile.
            let listen = client.batch_execute("LISTEN meddesk_changes");
            tokio::pin!(listen);
            let mut listening = false;
            loop {
                tokio::select! {
                    r = &mut listen, if !listening => {
                        r.map_err(db)?;
                        listening = true;
                    }
                    m = futures_util::StreamExt::next(&mut messages) => match m {
                        Some(Ok(tokio_postgres::AsyncMessage::Notification(_))) => {
                            notify.notify_waiters();
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(db(e)),
                        None => return Ok::<(), PlatformError>(()),
                    }
                }
            }
        };
        if let Err(e) = attempt.await {
            tracing::warn!(error = %e, "the change notification listener dropped; reconnecting");
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

impl PgStore {
    /// Connect to `url` (see [`super::pg_link`]: TLS for any database not on this machine).
    pub async fn open(url: &str) -> Result<Self> {
        let link = super::pg_link::link(url)?;
        let client = connect(&link).await?;
        // Several nodes may start at once: serialize schema creation.
        client
            .batch_execute(&format!(
                "SELECT pg_advisory_lock(7217); {SCHEMA} SELECT pg_advisory_unlock(7217);"
            ))
            .await
            .map_err(db)?;
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| PlatformError::Internal(format!("random: {e}")))?;
        client
            .execute(
                "INSERT INTO server_secret(id, secret) VALUES (1, $1) ON CONFLICT DO NOTHING",
                &[&&secret[..]],
            )
            .await
            .map_err(db)?;
        let mut pool = Vec::with_capacity(POOL_SIZE);
        pool.push(Arc::new(Mutex::new(Some(Conn {
            client,
            in_tx: false,
        }))));
        for _ in 1..POOL_SIZE {
            pool.push(Arc::new(Mutex::new(None)));
        }
        Ok(Self {
            link,
            pool: Arc::new(pool),
            next: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// A pooled connection, reconnected when it was closed (database restart) and cleaned
    /// when a previous user left a transaction open.
    async fn checkout(&self) -> Result<OwnedMutexGuard<Option<Conn>>> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.pool.len();
        let mut guard = self.pool[i].clone().lock_owned().await;
        let usable = guard.as_ref().is_some_and(|c| !c.client.is_closed());
        if !usable {
            *guard = Some(Conn {
                client: connect(&self.link).await?,
                in_tx: false,
            });
        }
        if let Some(conn) = guard.as_mut()
            && conn.in_tx
        {
            conn.client.batch_execute("ROLLBACK").await.map_err(db)?;
            conn.in_tx = false;
        }
        Ok(guard)
    }
}

fn client(guard: &OwnedMutexGuard<Option<Conn>>) -> Result<&Client> {
    guard
        .as_ref()
        .map(|c| &c.client)
        .ok_or_else(|| PlatformError::Storage("postgres: no connection".into()))
}

#[derive(Debug)]
pub struct PgTx {
    conn: OwnedMutexGuard<Option<Conn>>,
    head: u64,
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl PushTx for PgTx {
    fn head(&self) -> u64 {
        self.head
    }

    async fn outcomes(&mut self, op_ids: &[Uuid]) -> Result<HashMap<Uuid, KnownOutcome>> {
        let ids: Vec<String> = op_ids.iter().map(Uuid::to_string).collect();
        let rows = client(&self.conn)?
            .query(
                "SELECT op_id, user_id, digest, outcome FROM op_outcomes WHERE op_id = ANY($1)",
                &[&ids],
            )
            .await
            .map_err(db)?;
        let mut found = HashMap::new();
        for row in rows {
            let id: String = row.get(0);
            let outcome: String = row.get(3);
            let id = Uuid::parse_str(&id)
                .map_err(|e| PlatformError::Internal(format!("stored op id: {e}")))?;
            found.insert(
                id,
                KnownOutcome {
                    user_id: row.get(1),
                    digest: row.get(2),
                    result: decode_outcome(&outcome)?,
                },
            );
        }
        Ok(found)
    }

    async fn load(&mut self, keys: &[RecordKey]) -> Result<Loaded> {
        let kinds: Vec<&str> = keys.iter().map(|k| k.kind.as_str()).collect();
        let ids: Vec<&str> = keys.iter().map(|k| k.id.as_str()).collect();
        let rows = client(&self.conn)?
            .query(
                "SELECT r.kind, r.id, r.version, r.body FROM records r
                 JOIN UNNEST($1::text[], $2::text[]) AS k(kind, id) ON r.kind = k.kind AND r.id = k.id",
                &[&kinds, &ids],
            )
            .await
            .map_err(db)?;
        let mut loaded = Loaded::new();
        for row in rows {
            let kind: String = row.get(0);
            let version: i64 = row.get(2);
            let body: String = row.get(3);
            loaded.insert(
                RecordKey {
                    kind: parse_kind(&kind)?,
                    id: row.get(1),
                },
                (version.unsigned_abs(), decode_body(&body)?),
            );
        }
        Ok(loaded)
    }

    async fn commit(mut self, w: Writes) -> Result<()> {
        let c = client(&self.conn)?;
        let rk: Vec<&str> = w.records.iter().map(|r| r.0.kind.as_str()).collect();
        let ri: Vec<&str> = w.records.iter().map(|r| r.0.id.as_str()).collect();
        let rv: Vec<i64> = w.records.iter().map(|r| to_i64(r.1)).collect();
        let rb: Vec<&str> = w.records.iter().map(|r| r.2.as_str()).collect();
        let p_records: [&(dyn ToSql + Sync); 4] = [&rk, &ri, &rv, &rb];
        let records = c.execute(
            "INSERT INTO records(kind, id, version, body)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[])
             ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, body = excluded.body",
            &p_records,
        );
        let cs: Vec<i64> = w.changes.iter().map(|x| to_i64(x.seq)).collect();
        let ck: Vec<&str> = w.changes.iter().map(|x| x.kind.as_str()).collect();
        let ci: Vec<&str> = w.changes.iter().map(|x| x.id.as_str()).collect();
        let cv: Vec<i64> = w.changes.iter().map(|x| to_i64(x.version)).collect();
        let cb: Vec<&str> = w.changes.iter().map(|x| x.body.as_str()).collect();
        let co: Vec<&str> = w.changes.iter().map(|x| x.meta.org_id.as_str()).collect();
        let csp: Vec<Option<&str>> = w
            .changes
            .iter()
            .map(|x| x.meta.specialty.as_deref())
            .collect();
        let cp: Vec<Option<&str>> = w
            .changes
            .iter()
            .map(|x| x.meta.physician_id.as_deref())
            .collect();
        let cst: Vec<&str> = w.changes.iter().map(|x| x.meta.status.as_str()).collect();
        let cop: Vec<String> = w.changes.iter().map(|x| x.op_id.to_string()).collect();
        let p_changes: [&(dyn ToSql + Sync); 10] =
            [&cs, &ck, &ci, &cv, &cb, &co, &csp, &cp, &cst, &cop];
        let changes = c.execute(
            "INSERT INTO changes(seq, kind, id, version, body, org_id, specialty, physician_id, status, op_id)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[],
                                  $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])",
            &p_changes,
        );
        let oi: Vec<String> = w.outcomes.iter().map(|o| o.0.to_string()).collect();
        let ou: Vec<&str> = w.outcomes.iter().map(|o| o.1.as_str()).collect();
        let od: Vec<&str> = w.outcomes.iter().map(|o| o.2.as_str()).collect();
        let oo: Vec<&str> = w.outcomes.iter().map(|o| o.3.as_str()).collect();
        let p_outcomes: [&(dyn ToSql + Sync); 5] = [&oi, &ou, &od, &oo, &w.now_ms];
        let outcomes = c.execute(
            "INSERT INTO op_outcomes(op_id, user_id, digest, outcome, created_at)
             SELECT o.*, $5::bigint FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) AS o",
            &p_outcomes,
        );
        let head = to_i64(w.head);
        let p_head: [&(dyn ToSql + Sync); 1] = [&head];
        let head_update = c.execute("UPDATE change_head SET head = $1 WHERE id = 1", &p_head);
        // Every node's notification channel wakes at this commit (delivered only if it
        // commits): LISTEN/NOTIFY, so a push through one node reaches the SSE streams of all.
        let head_text = head.to_string();
        let p_notify: [&(dyn ToSql + Sync); 1] = [&head_text];
        let notify = c.execute("SELECT pg_notify('meddesk_changes', $1)", &p_notify);
        // Pipelined: the five statements go out together on the one connection.
        let written =
            futures_util::future::try_join5(records, changes, outcomes, head_update, notify).await;
        let result = match written {
            Ok(_) => c.batch_execute("COMMIT").await.map_err(db),
            Err(e) => {
                let _ = c.batch_execute("ROLLBACK").await;
                Err(db(e))
            }
        };
        if let Some(conn) = self.conn.as_mut() {
            conn.in_tx = false;
        }
        result
    }

    async fn rollback(mut self) {
        if let Ok(c) = client(&self.conn) {
            let _ = c.batch_execute("ROLLBACK").await;
        }
        if let Some(conn) = self.conn.as_mut() {
            conn.in_tx = false;
        }
    }
}

impl Storage for PgStore {
    type Tx = PgTx;

    async fn begin(&self) -> Result<PgTx> {
        let mut guard = self.checkout().await?;
        if let Some(conn) = guard.as_mut() {
            conn.in_tx = true;
        }
        let c = client(&guard)?;
        c.batch_execute("BEGIN").await.map_err(db)?;
        let row = c
            .query_one("SELECT head FROM change_head WHERE id = 1 FOR UPDATE", &[])
            .await
            .map_err(db)?;
        let head: i64 = row.get(0);
        Ok(PgTx {
            conn: guard,
            head: head.unsigned_abs(),
        })
    }

    async fn pull(&self, after: u64, limit: u32) -> Result<(Vec<StoredChange>, u64)> {
        let guard = self.checkout().await?;
        let c = client(&guard)?;
        let head: i64 = c
            .query_one("SELECT head FROM change_head", &[])
            .await
            .map_err(db)?
            .get(0);
        // Rows up to the head read first: a push committing meanwhile cannot slip a change
        // below a cursor we hand out (the counter commits with its rows).
        let rows = c
            .query(
                "SELECT seq, kind, id, version, body, org_id, specialty, physician_id, status, op_id
                 FROM changes WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
                &[&to_i64(after), &head, &i64::from(limit)],
            )
            .await
            .map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let seq: i64 = r.get(0);
            let kind: String = r.get(1);
            let version: i64 = r.get(3);
            let op_id: String = r.get(9);
            out.push(StoredChange {
                seq: seq.unsigned_abs(),
                kind: parse_kind(&kind)?,
                id: r.get(2),
                version: version.unsigned_abs(),
                body: r.get(4),
                meta: ChangeMeta {
                    org_id: r.get(5),
                    specialty: r.get(6),
                    physician_id: r.get(7),
                    status: r.get(8),
                },
                op_id: Uuid::parse_str(&op_id)
                    .map_err(|e| PlatformError::Internal(format!("stored op id: {e}")))?,
            });
        }
        Ok((out, head.unsigned_abs()))
    }

    fn watch_changes(&self, notify: Arc<tokio::sync::Notify>) {
        tokio::spawn(listen(self.link.clone(), notify));
    }

    async fn head(&self) -> Result<u64> {
        let guard = self.checkout().await?;
        let head: i64 = client(&guard)?
            .query_one("SELECT head FROM change_head", &[])
            .await
            .map_err(db)?
            .get(0);
        Ok(head.unsigned_abs())
    }

    async fn secret(&self) -> Result<Vec<u8>> {
        let guard = self.checkout().await?;
        Ok(client(&guard)?
            .query_one("SELECT secret FROM server_secret WHERE id = 1", &[])
            .await
            .map_err(db)?
            .get(0))
    }

    async fn account_by_username(&self, username: &str) -> Result<Option<Account>> {
        self.account_where("username", username).await
    }

    async fn account_by_user_id(&self, user_id: &str) -> Result<Option<Account>> {
        self.account_where("user_id", user_id).await
    }

    async fn put_account(&self, a: &Account) -> Result<()> {
        let guard = self.checkout().await?;
        let specialties = serde_json::to_string(&a.specialties).unwrap_or_else(|_| "[]".into());
        client(&guard)?
            .execute(
                "INSERT INTO accounts(username, user_id, role, org_id, specialties, verifier, totp_secret)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (username) DO UPDATE SET user_id = excluded.user_id, role = excluded.role,
                   org_id = excluded.org_id, specialties = excluded.specialties,
                   verifier = excluded.verifier, totp_secret = excluded.totp_secret",
                &[
                    &a.username,
                    &a.user_id,
                    &role_str(a.role),
                    &a.org_id,
                    &specialties,
                    &a.verifier,
                    &a.totp_secret,
                ],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn register_device(
        &self,
        device_id: &str,
        user_id: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let guard = self.checkout().await?;
        let c = client(&guard)?;
        c.execute(
            "INSERT INTO devices(device_id, user_id, name, registered_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[&device_id, &user_id, &name, &now_ms],
        )
        .await
        .map_err(db)?;
        let owner: String = c
            .query_one(
                "SELECT user_id FROM devices WHERE device_id = $1",
                &[&device_id],
            )
            .await
            .map_err(db)?
            .get(0);
        Ok(owner == user_id)
    }

    async fn device_owner(&self, device_id: &str) -> Result<Option<String>> {
        let guard = self.checkout().await?;
        Ok(client(&guard)?
            .query_opt(
                "SELECT user_id FROM devices WHERE device_id = $1",
                &[&device_id],
            )
            .await
            .map_err(db)?
            .map(|r| r.get(0)))
    }

    async fn open_session(&self, x: &Session) -> Result<()> {
        let guard = self.checkout().await?;
        client(&guard)?
            .execute(
                "INSERT INTO sessions(session_id, user_id, device_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &x.session_id,
                    &x.user_id,
                    &x.device_id,
                    &x.created_ms,
                    &x.expires_ms,
                ],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn session(&self, session_id: &str) -> Result<Option<Session>> {
        let guard = self.checkout().await?;
        let row = client(&guard)?
            .query_opt(
                "SELECT session_id, user_id, device_id, created_at, expires_at, revoked_at, revoked_reason
                 FROM sessions WHERE session_id = $1",
                &[&session_id],
            )
            .await
            .map_err(db)?;
        Ok(row.map(|r| Session {
            session_id: r.get(0),
            user_id: r.get(1),
            device_id: r.get(2),
            created_ms: r.get(3),
            expires_ms: r.get(4),
            revoked_ms: r.get(5),
            revoked_reason: r.get(6),
        }))
    }

    async fn revoke_session(&self, session_id: &str, at_ms: i64, reason: &str) -> Result<bool> {
        let guard = self.checkout().await?;
        let n = client(&guard)?
            .execute(
                "UPDATE sessions SET revoked_at = $2, revoked_reason = $3
                 WHERE session_id = $1 AND revoked_at IS NULL",
                &[&session_id, &at_ms, &reason],
            )
            .await
            .map_err(db)?;
        Ok(n == 1)
    }

    async fn revoke_user_sessions(&self, user_id: &str, at_ms: i64, reason: &str) -> Result<u64> {
        let guard = self.checkout().await?;
        client(&guard)?
            .execute(
                "UPDATE sessions SET revoked_at = $2, revoked_reason = $3
                 WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2",
                &[&user_id, &at_ms, &reason],
            )
            .await
            .map_err(db)
    }

    async fn save_refresh(
        &self,
        token_hash: &str,
        session_id: &str,
        expires_ms: i64,
    ) -> Result<()> {
        let guard = self.checkout().await?;
        client(&guard)?
            .execute(
                "INSERT INTO session_refresh(token_hash, session_id, expires_at) VALUES ($1, $2, $3)",
                &[&token_hash, &session_id, &expires_ms],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn use_refresh(&self, token_hash: &str, now_ms: i64) -> Result<RefreshUse> {
        let guard = self.checkout().await?;
        let c = client(&guard)?;
        // One UPDATE: of two nodes racing with the same token only one row update wins.
        if let Some(r) = c
            .query_opt(
                "UPDATE session_refresh SET used_at = $2
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
                 RETURNING session_id",
                &[&token_hash, &now_ms],
            )
            .await
            .map_err(db)?
        {
            return Ok(RefreshUse::Fresh {
                session_id: r.get(0),
            });
        }
        let used = c
            .query_opt(
                "SELECT session_id FROM session_refresh WHERE token_hash = $1 AND used_at IS NOT NULL",
                &[&token_hash],
            )
            .await
            .map_err(db)?;
        Ok(used.map_or(RefreshUse::Unknown, |r| RefreshUse::Reused {
            session_id: r.get(0),
        }))
    }

    async fn sign_in_failures(&self, key: &str) -> Result<Option<Failures>> {
        let guard = self.checkout().await?;
        let row = client(&guard)?
            .query_opt(
                "SELECT failures, last_failure FROM sign_in_failures WHERE key = $1",
                &[&key],
            )
            .await
            .map_err(db)?;
        Ok(row.map(|r| Failures {
            count: u32::try_from(r.get::<_, i64>(0)).unwrap_or(u32::MAX),
            last_ms: r.get(1),
        }))
    }

    async fn note_sign_in_failure(
        &self,
        key: &str,
        now_ms: i64,
        forget_after_ms: i64,
    ) -> Result<()> {
        let guard = self.checkout().await?;
        client(&guard)?
            .execute(
                "INSERT INTO sign_in_failures(key, failures, last_failure) VALUES ($1, 1, $2)
                 ON CONFLICT (key) DO UPDATE SET
                   failures = CASE WHEN $2 - sign_in_failures.last_failure >= $3 THEN 1
                                   ELSE sign_in_failures.failures + 1 END,
                   last_failure = $2",
                &[&key, &now_ms, &forget_after_ms],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn clear_sign_in_failures(&self, key: &str) -> Result<()> {
        let guard = self.checkout().await?;
        client(&guard)?
            .execute("DELETE FROM sign_in_failures WHERE key = $1", &[&key])
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn purge_outcomes(&self, before_ms: i64, now_ms: i64) -> Result<u64> {
        let guard = self.checkout().await?;
        let c = client(&guard)?;
        let n = c
            .execute(
                "DELETE FROM op_outcomes WHERE created_at < $1",
                &[&before_ms],
            )
            .await
            .map_err(db)?;
        c.execute(
            "DELETE FROM session_refresh WHERE expires_at < $1
               OR session_id IN (SELECT session_id FROM sessions
                                 WHERE expires_at < $1 OR revoked_at IS NOT NULL)",
            &[&now_ms],
        )
        .await
        .map_err(db)?;
        c.execute("DELETE FROM sessions WHERE expires_at < $1", &[&now_ms])
            .await
            .map_err(db)?;
        Ok(n)
    }

    async fn accept_totp_step(&self, username: &str, step: u64) -> Result<bool> {
        let step =
            i64::try_from(step).map_err(|_| PlatformError::InvalidRequest("totp step".into()))?;
        let guard = self.checkout().await?;
        let n = client(&guard)?
            .execute(
                "INSERT INTO totp_steps(username, last_step) VALUES ($1, $2)
                 ON CONFLICT (username) DO UPDATE SET last_step = excluded.last_step
                 WHERE totp_steps.last_step < excluded.last_step",
                &[&username, &step],
            )
            .await
            .map_err(db)?;
        Ok(n == 1)
    }

    async fn latest_anchor(
        &self,
        chain_id: &str,
    ) -> Result<Option<(meddesk_sync::AnchoredAudit, String)>> {
        let guard = self.checkout().await?;
        let row = client(&guard)?
            .query_opt(
                "SELECT entries, head, anchored_at, org_id FROM audit_anchors WHERE chain_id = $1
                 ORDER BY entries DESC, anchored_at DESC LIMIT 1",
                &[&chain_id],
            )
            .await
            .map_err(db)?;
        Ok(row.map(|r| {
            (
                meddesk_sync::AnchoredAudit {
                    entries: u64::try_from(r.get::<_, i64>(0)).unwrap_or(0),
                    head: r.get(1),
                    anchored_at_ms: r.get(2),
                },
                r.get(3),
            )
        }))
    }

    async fn put_anchor(
        &self,
        a: &meddesk_sync::AuditAnchor,
        org_id: &str,
        user_id: &str,
        device_id: &str,
        at_ms: i64,
    ) -> Result<()> {
        let entries = i64::try_from(a.entries)
            .map_err(|_| PlatformError::InvalidRequest("`entries` is too large".into()))?;
        let guard = self.checkout().await?;
        client(&guard)?
            .execute(
                "INSERT INTO audit_anchors(chain_id, entries, head, org_id, user_id, device_id, anchored_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[&a.chain_id, &entries, &a.head, &org_id, &user_id, &device_id, &at_ms],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn put_certificate(
        &self,
        serial: &str,
        user_id: &str,
        body: &str,
        issued_at_ms: i64,
    ) -> Result<()> {
        let guard = self.checkout().await?;
        client(&guard)?
            .execute(
                "INSERT INTO certificates(serial, user_id, body, issued_at) VALUES ($1, $2, $3, $4)",
                &[&serial, &user_id, &body, &issued_at_ms],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn certificate(&self, serial: &str) -> Result<Option<String>> {
        let guard = self.checkout().await?;
        Ok(client(&guard)?
            .query_opt(
                "SELECT body FROM certificates WHERE serial = $1",
                &[&serial],
            )
            .await
            .map_err(db)?
            .map(|r| r.get(0)))
    }

    async fn certificates(&self) -> Result<Vec<String>> {
        let guard = self.checkout().await?;
        Ok(client(&guard)?
            .query(
                "SELECT body FROM certificates ORDER BY issued_at, serial",
                &[],
            )
            .await
            .map_err(db)?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn revoke_certificates(&self, user_id: &str, at_ms: i64, reason: &str) -> Result<u64> {
        let guard = self.checkout().await?;
        client(&guard)?
            .execute(
                "UPDATE certificates SET revoked_at = $2, revoked_reason = $3
                 WHERE user_id = $1 AND revoked_at IS NULL",
                &[&user_id, &at_ms, &reason],
            )
            .await
            .map_err(db)
    }

    async fn revocations(&self) -> Result<Vec<(String, i64, String)>> {
        let guard = self.checkout().await?;
        Ok(client(&guard)?
            .query(
                "SELECT serial, revoked_at, revoked_reason FROM certificates
                 WHERE revoked_at IS NOT NULL ORDER BY revoked_at, serial",
                &[],
            )
            .await
            .map_err(db)?
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    r.get(1),
                    r.get::<_, Option<String>>(2).unwrap_or_default(),
                )
            })
            .collect())
    }
}

impl PgStore {
    async fn account_where(&self, column: &str, value: &str) -> Result<Option<Account>> {
        let guard = self.checkout().await?;
        let row = client(&guard)?
            .query_opt(
                &format!(
                    "SELECT username, user_id, role, org_id, specialties, verifier, totp_secret
                     FROM accounts WHERE {column} = $1"
                ),
                &[&value],
            )
            .await
            .map_err(db)?;
        row.map(|r| {
            let role: String = r.get(2);
            let specialties: String = r.get(4);
            Ok(Account {
                username: r.get(0),
                user_id: r.get(1),
                role: parse_role(&role)?,
                org_id: r.get(3),
                specialties: serde_json::from_str(&specialties).unwrap_or_default(),
                verifier: r.get(5),
                totp_secret: r.get(6),
            })
        })
        .transpose()
    }
}
