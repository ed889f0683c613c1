//! R-SEC-8 against real nodes: sign-in throttling per account and per client address, one
//! uniform failure, refresh rotation with reuse detection, revocable sessions (sign-out, an
//! administrator, suspension) and a notification channel that ends with its session.
//! Each scenario runs on embedded SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use meddesk_platform::Database;
use meddesk_sync::{OpKind, OutboxState, RecordKey, RejectionCode};
use serde_json::{Value, json};
use support::*;

struct Node {
    base: String,
    http: reqwest::Client,
}

impl Node {
    fn new(addr: SocketAddr) -> Node {
        Node {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
        }
    }

    async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, Value, Option<String>) {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req.send().await.expect("the node answers")).await
    }

    async fn sign_in_from(
        &self,
        username: &str,
        password: &str,
        totp: Option<&str>,
        forwarded_for: Option<&str>,
    ) -> (u16, Value, Option<String>) {
        let mut req = self
            .http
            .post(format!("{}/v1/sign-in", self.base))
            .json(&json!({
                "username": username, "password": password, "totp": totp, "device_id": "dev-x",
            }));
        if let Some(f) = forwarded_for {
            req = req.header("x-forwarded-for", f);
        }
        answer(req.send().await.expect("the node answers")).await
    }

    async fn sign_in(&self, username: &str, password: &str) -> (u16, Value, Option<String>) {
        self.sign_in_from(username, password, None, None).await
    }

    /// (access, refresh) of a good sign-in.
    async fn tokens(&self, username: &str) -> (String, String) {
        let (status, body, _) = self.sign_in(username, &password(username)).await;
        assert_eq!(status, 200, "{username} signs in: {body}");
        token_pair(&body)
    }

    async fn pull_status(&self, access: &str) -> u16 {
        self.http
            .get(format!("{}/v1/changes?after=0&limit=1", self.base))
            .bearer_auth(access)
            .send()
            .await
            .expect("the node answers")
            .status()
            .as_u16()
    }

    async fn refresh(&self, refresh: &str) -> (u16, Value, Option<String>) {
        self.post(
            "/v1/token/refresh",
            None,
            json!({ "refresh_token": refresh }),
        )
        .await
    }
}

async fn answer(resp: reqwest::Response) -> (u16, Value, Option<String>) {
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body, retry_after)
}

fn token_pair(body: &Value) -> (String, String) {
    (
        body["access_token"].as_str().expect("access").to_owned(),
        body["refresh_token"].as_str().expect("refresh").to_owned(),
    )
}

fn admin_code() -> String {
    let step = u64::try_from(now_ms() / 1000 / 30).unwrap();
    format!(
        "{:06}",
        meddesk_sync::totp::code_at(b"12345678901234567890", step * 30, 6)
    )
}

/// Every failure looks the same: unknown name, wrong password, the administrator's right
/// password without its code (before the fix: `totp_required`, a password oracle).
async fn one_uniform_failure(n: &Node) {
    let unknown = n.sign_in("nobody-here", "whatever").await;
    let wrong = n.sign_in("doc2", "wrong").await;
    let no_code = n.sign_in("admin", &password("admin")).await;
    for (what, got) in [
        ("unknown", &unknown),
        ("wrong", &wrong),
        ("no code", &no_code),
    ] {
        assert_eq!(got.0, 401, "{what}: {got:?}");
        assert_eq!(got.1["code"], "sign_in_failed", "{what}: {got:?}");
    }
    assert_eq!(unknown.1, wrong.1);
    assert_eq!(wrong.1, no_code.1);
}

/// Five free failures per account name, then a wait that the right password does not skip;
/// names that do not exist are throttled alike; other accounts are not affected; after the
/// wait the right password gets in and the count starts again.
async fn throttled_per_account(n: &Node) {
    for i in 0..5 {
        let (status, body, _) = n.sign_in("doc3", &format!("guess {i}")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("sign_in_failed"))
        );
    }
    let (status, body, retry_after) = n.sign_in("doc3", &password("doc3")).await;
    assert_eq!(status, 429, "the right password during the wait: {body}");
    assert_eq!(body["code"], "sign_in_throttled");
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s >= 1)));
    // Case and spaces do not give a fresh count.
    let (status, _, _) = n.sign_in(" DOC3", "guess").await;
    assert_eq!(status, 429);
    for i in 0..5 {
        n.sign_in("ghost-account", &format!("guess {i}")).await;
    }
    let (status, body, _) = n.sign_in("ghost-account", "guess").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("sign_in_throttled")),
        "a name that does not exist is throttled like one that does"
    );
    // Someone else signs in meanwhile.
    n.tokens("doc2").await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    n.tokens("doc3").await;
    // A success clears the count: five more failures are free again.
    for i in 0..4 {
        let (status, _, _) = n.sign_in("doc3", &format!("again {i}")).await;
        assert_eq!(status, 401);
    }
    n.tokens("doc3").await;
}

/// Behind a declared proxy, one client address that tries many names is held back while
/// another address (and the proxy itself) is not.
async fn throttled_per_address(n: &Node) {
    let attacker = "10.0.0.1, 203.0.113.66";
    for i in 0..30 {
        let (status, _, _) = n
            .sign_in_from(&format!("spray-{i}"), "Winter2026!", None, Some(attacker))
            .await;
        assert_eq!(status, 401, "attempt {i}");
    }
    let (status, body, _) = n
        .sign_in_from("pharm", &password("pharm"), None, Some(attacker))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("sign_in_throttled")),
        "the spraying address is held back even with a right password"
    );
    let (status, body, _) = n
        .sign_in_from("pharm", &password("pharm"), None, Some("198.51.100.4"))
        .await;
    assert_eq!(status, 200, "another client address: {body}");
}

/// Refresh tokens rotate; a used one presented again ends the session for both holders.
async fn refresh_rotation_and_reuse(n: &Node) {
    let (a1, r1) = n.tokens("doc1").await;
    let (status, body, _) = n.refresh(&r1).await;
    assert_eq!(status, 200, "{body}");
    let (a2, r2) = token_pair(&body);
    assert_ne!(r1, r2, "rotated");
    assert_eq!(n.pull_status(&a2).await, 200);
    // The old refresh token again: a stolen copy. The session ends.
    let (status, body, _) = n.refresh(&r1).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_invalid"))
    );
    assert_eq!(
        n.pull_status(&a2).await,
        401,
        "the session's access token stops working"
    );
    assert_eq!(n.pull_status(&a1).await, 401);
    let (status, _, _) = n.refresh(&r2).await;
    assert_eq!(status, 401, "and so does the newest refresh token");
    // A fresh sign-in works.
    let (a3, _) = n.tokens("doc1").await;
    assert_eq!(n.pull_status(&a3).await, 200);
}

/// Sign-out ends the session at once (access and refresh); other sessions of the same user
/// go on.
async fn sign_out_revokes(n: &Node) {
    let (a_desk, r_desk) = n.tokens("doc2").await;
    let (a_other, _) = n.tokens("doc2").await;
    let (status, body, _) = n.post("/v1/sign-out", Some(&a_desk), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(n.pull_status(&a_desk).await, 401);
    let (status, _, _) = n.refresh(&r_desk).await;
    assert_eq!(status, 401);
    assert_eq!(
        n.pull_status(&a_other).await,
        200,
        "the other sign-in is untouched"
    );
}

/// An administrator ends a user's sessions in their own organisation only; the notification
/// channel of an ended session closes.
async fn administrator_revokes(n: &Node) {
    let (status, body, _) = n
        .sign_in_from("admin", &password("admin"), Some(&admin_code()), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (admin, _) = token_pair(&body);
    let (pharm, _) = n.tokens("pharm").await;
    let (pharm2, _) = n.tokens("pharm2").await;
    let (status, _, _) = n
        .post(
            "/v1/sessions/revoke",
            Some(&pharm),
            json!({ "user_id": "u-doc1" }),
        )
        .await;
    assert_eq!(status, 403, "a pharmacist does not revoke");
    let (status, _, _) = n
        .post(
            "/v1/sessions/revoke",
            Some(&admin),
            json!({ "user_id": "u-pharm2" }),
        )
        .await;
    assert_eq!(status, 403, "another organisation's user");
    assert_eq!(n.pull_status(&pharm2).await, 200);

    let mut events = n
        .http
        .get(format!("{}/v1/events?after=0", n.base))
        .bearer_auth(&pharm)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status().as_u16(), 200);
    let (status, body, _) = n
        .post(
            "/v1/sessions/revoke",
            Some(&admin),
            json!({ "user_id": "u-pharm" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["sessions_ended"].as_u64().is_some_and(|k| k >= 1));
    assert_eq!(n.pull_status(&pharm).await, 401);
    // The open channel ends within a few seconds of the revocation.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.chunk().await {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return,
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the event stream outlived its revoked session"
    );
    let (status, _, _) = n
        .http
        .get(format!("{}/v1/events?after=0", n.base))
        .bearer_auth(&pharm)
        .send()
        .await
        .map(|r| (r.status().as_u16(), (), ()))
        .unwrap();
    assert_eq!(status, 401, "and cannot be reopened");
}

fn rejection_message(c: &Client, op_id: uuid::Uuid) -> Option<(RejectionCode, String)> {
    c.replica()
        .lock()
        .unwrap()
        .outbox()
        .iter()
        .find(|e| e.op.op_id == op_id)
        .and_then(|e| match &e.state {
            OutboxState::Rejected(r) => Some((r.code, r.message.clone())),
            _ => None,
        })
}

/// Oversized input is refused, naming the field and not its value, and nothing of it is
/// stored; a thread of 2,000 long messages is 2,000 small records — the consultation is not
/// written again per message (before: each message re-stored the whole, growing thread).
async fn oversized_input_and_long_threads(n: &Node) {
    let base = n.base.as_str();
    let mut intake = client(base, "intake", "dev-intake-big").await;
    let mut req = request("cardiology");
    req.complaint = "头".repeat(30_000);
    let big = op(
        "intake",
        "dev-intake-big",
        0,
        hlc_now(),
        OpKind::CreateConsultation { request: req },
    );
    let big_id = big.op_id;
    commit(&intake, big);
    intake.sync_once().await.unwrap();
    let (code, message) = rejection_message(&intake, big_id).expect("refused");
    assert_eq!(code, RejectionCode::InvalidInput);
    assert!(message.contains("`kind.request.complaint`"), "{message}");
    assert!(!message.contains('头'), "the value is not echoed");

    let req = request("cardiology");
    let consultation_id = req.id;
    commit(
        &intake,
        op(
            "intake",
            "dev-intake-big",
            0,
            hlc_now(),
            OpKind::CreateConsultation { request: req },
        ),
    );
    assert_eq!(intake.sync_once().await.unwrap().acked, 1);
    for i in 0..2_000 {
        commit(
            &intake,
            op(
                "intake",
                "dev-intake-big",
                1,
                hlc_now(),
                OpKind::PostMessage {
                    consultation_id,
                    message_id: uuid::Uuid::now_v7(),
                    body: format!("第{i}条：{}", "症".repeat(1_990)),
                },
            ),
        );
    }
    let report = intake.sync_once().await.unwrap();
    assert_eq!(report.acked, 2_000, "{report:?}");
    let replica = intake.replica().lock().unwrap();
    let records = replica.records();
    let (version, _) = records
        .get(&RecordKey::consultation(consultation_id))
        .expect("the consultation");
    assert_eq!(
        *version, 1,
        "the consultation was not rewritten per message"
    );
    let messages = records
        .keys()
        .filter(|k| k.kind == meddesk_sync::RecordKind::Message)
        .count();
    assert_eq!(messages, 2_000);
}

/// Issue 13 §4: the platform keeps every audit head it is given and refuses one behind the
/// newest (fewer entries: a cut tail; the same count with another hash: a rewrite); another
/// organisation neither reads nor writes the chain.
async fn audit_anchors_only_move_forward(n: &Node) {
    let (doc, _) = n.tokens("doc2").await;
    let anchor = |entries: u64, byte: &str| json!({ "chain_id": "chain-test-1", "entries": entries, "head": byte.repeat(32) });
    let (status, body, _) = n
        .post("/v1/audit-anchors", Some(&doc), anchor(10, "aa"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["latest"]["entries"], 10);
    let (status, body, _) = n
        .post("/v1/audit-anchors", Some(&doc), anchor(9, "aa"))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("audit_regressed")),
        "{body}"
    );
    let (status, body, _) = n
        .post("/v1/audit-anchors", Some(&doc), anchor(10, "bb"))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("audit_regressed")),
        "{body}"
    );
    let (status, _, _) = n
        .post("/v1/audit-anchors", Some(&doc), anchor(10, "aa"))
        .await;
    assert_eq!(status, 200, "the same anchor again is fine");
    let (status, _, _) = n
        .post("/v1/audit-anchors", Some(&doc), anchor(12, "cc"))
        .await;
    assert_eq!(status, 200);
    let (status, body, _) = n
        .post(
            "/v1/audit-anchors",
            Some(&doc),
            json!({ "chain_id": "chain-test-1", "entries": 13, "head": "not hex" }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request"))
    );
    let latest = n
        .http
        .get(format!("{}/v1/audit-anchors?chain_id=chain-test-1", n.base))
        .bearer_auth(&doc)
        .send()
        .await
        .unwrap();
    let (status, body, _) = answer(latest).await;
    assert_eq!(status, 200);
    assert_eq!(body["latest"]["entries"], 12);
    assert_eq!(body["latest"]["head"], "cc".repeat(32));
    let (other, _) = n.tokens("pharm2").await;
    let (status, _, _) = n
        .post("/v1/audit-anchors", Some(&other), anchor(20, "dd"))
        .await;
    assert_eq!(status, 403, "another organisation's chain");
    let read = n
        .http
        .get(format!("{}/v1/audit-anchors?chain_id=chain-test-1", n.base))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 403);
}

async fn all(addr: SocketAddr) {
    let n = Node::new(addr);
    eprintln!("scenario: audit_anchors_only_move_forward");
    audit_anchors_only_move_forward(&n).await;
    eprintln!("scenario: oversized_input_and_long_threads");
    oversized_input_and_long_threads(&n).await;
    eprintln!("scenario: one_uniform_failure");
    one_uniform_failure(&n).await;
    eprintln!("scenario: throttled_per_account");
    throttled_per_account(&n).await;
    eprintln!("scenario: throttled_per_address");
    throttled_per_address(&n).await;
    eprintln!("scenario: refresh_rotation_and_reuse");
    refresh_rotation_and_reuse(&n).await;
    eprintln!("scenario: sign_out_revokes");
    sign_out_revokes(&n).await;
    eprintln!("scenario: administrator_revokes");
    administrator_revokes(&n).await;
}

fn loopback() -> Vec<std::net::IpAddr> {
    vec!["127.0.0.1".parse().unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_is_refused_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let addr = start_in_process_with(
        Database::Sqlite(dir.path().join("p.sqlite3")),
        900,
        loopback(),
    )
    .await;
    all(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_is_refused_on_postgres() {
    let pg = postgres::PgCluster::start(&[("fsync", "off")]);
    let addr = start_in_process_with(Database::Postgres(pg.url.clone()), 900, loopback()).await;
    all(addr).await;
}

/// Without a declared proxy, loopback clients share no per-address count (they would all be
/// the proxy): many failures from loopback under different names lock nobody else out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_local_proxy_does_not_lock_out_the_clinic() {
    let dir = tempfile::tempdir().unwrap();
    let addr = start_in_process(Database::Sqlite(dir.path().join("p.sqlite3")), 900).await;
    let n = Node::new(addr);
    for i in 0..35 {
        let (status, _, _) = n
            .sign_in_from(&format!("spray-{i}"), "x", None, Some("203.0.113.66"))
            .await;
        assert_eq!(status, 401);
    }
    n.tokens("intake").await;
}
