//! Workstations syncing with a real platform node on loopback (issue 6), each on its own
//! real encrypted store: requests filed on the platform reach both physicians' queues; one
//! physician claims and writes a record while offline, the other claims online; when the
//! first comes back, first-claim-wins holds, the refused operations come back with their
//! reasons and the offline physician's record is kept as a draft; a suspension made on one
//! workstation reaches the suspended physician's own workstation; a prescription signed on a
//! physician's workstation is reviewed by a pharmacist on another one, and the decisions
//! travel back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use meddesk_domain::Role;
use meddesk_platform::{AccountSeed, Database, ServeConfig};
use meddesk_sync::AccountRole;
use meddesk_workstation::account::NewUser;
use meddesk_workstation::sync::PlatformLink;
use meddesk_workstation::{SystemClock, Workstation};
use serde_json::{Value, json};

mod support;

const ORG: &str = "clinic-1";
/// Polls of 50 ms before a wait fails: 30 s, room for a CI machine running every suite at once.
const POLLS: u32 = 600;
const ADMIN_SECRET: &[u8] = b"sync-test-admin-totp";

fn password(user: &str) -> String {
    format!("{user}-密码-9")
}

fn seed(user: &str, role: AccountRole, specialties: &[&str]) -> AccountSeed {
    AccountSeed {
        username: user.into(),
        password: password(user),
        user_id: user.into(),
        role,
        org_id: ORG.into(),
        specialties: specialties.iter().map(|s| (*s).to_owned()).collect(),
        totp_secret_hex: (role == AccountRole::Administrator).then(|| hex::encode(ADMIN_SECRET)),
    }
}

async fn platform(dir: &std::path::Path) -> SocketAddr {
    platform_with_assets(
        dir,
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"),
    )
    .await
}

/// A platform node whose knowledge pack comes from `assets` (a node on another pack
/// version than the workstation's).
async fn platform_with_assets(dir: &std::path::Path, assets: &std::path::Path) -> SocketAddr {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let cfg = ServeConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        database: Database::Sqlite(dir.join("platform.sqlite3")),
        accounts: vec![
            seed("intake", AccountRole::Intake, &[]),
            seed(
                "dr.a",
                AccountRole::Physician,
                &["general_practice", "cardiology"],
            ),
            seed(
                "dr.b",
                AccountRole::Physician,
                &["general_practice", "cardiology"],
            ),
            seed("admin", AccountRole::Administrator, &[]),
            seed("ph.c", AccountRole::Pharmacist, &[]),
            seed(
                "dr.all",
                AccountRole::Physician,
                meddesk_platform::simulator::SPECIALTIES,
            ),
        ],
        access_ttl_s: 900,
        trusted_proxies: Vec::new(),
        pack: meddesk_platform::serve::load_pack(assets).expect("the knowledge pack"),
        triage: meddesk_platform::serve::load_triage(assets).expect("the triage rules"),
    };
    tokio::spawn(meddesk_platform::serve(cfg, move |addr| {
        let _ = tx.send(addr);
    }));
    rx.await.expect("platform started")
}

/// A loopback TCP relay that can drop every connection and refuse new ones (a clinic whose
/// line goes down), then come back.
#[derive(Clone)]
struct Line {
    addr: SocketAddr,
    up: tokio::sync::watch::Sender<bool>,
}

impl Line {
    async fn start(target: SocketAddr) -> Line {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let (up, _) = tokio::sync::watch::channel(true);
        let line = Line {
            addr: listener.local_addr().expect("addr"),
            up,
        };
        let relay = line.up.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut state = relay.subscribe();
                if !*state.borrow() {
                    continue; // dropped: the client sees a reset
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        line
    }

    fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

struct Desk {
    ws: Workstation,
    _dir: tempfile::TempDir,
    /// The profile's database key, hex (to open the file as someone holding the key).
    key_hex: String,
}

fn desk(users: &[(&str, Role, &[&str])], platform_url: &str) -> Desk {
    let dir = tempfile::tempdir().expect("temp dir");
    let (profile, keys) = support::clinic_profile(dir.path(), Utc::now());
    let key_hex = {
        use meddesk_store::KeySource as _;
        keys.load().expect("the key").to_hex().to_string()
    };
    let ws = Workstation::open(profile, Arc::new(SystemClock), Box::new(keys)).expect("open");
    for (id, role, specialties) in users {
        ws.bootstrap_user(
            &NewUser {
                id: (*id).into(),
                display_name: format!("{id} (test)"),
                org_id: ORG.into(),
                roles: vec![*role],
                specialties: specialties.iter().map(|s| (*s).to_owned()).collect(),
                password: password(id),
                rights_reviewed_at: (*role == Role::Physician)
                    .then(|| Utc::now() - chrono::Duration::days(30)),
            },
            (*role == Role::Administrator).then_some(ADMIN_SECRET),
        )
        .expect("user");
    }
    ws.connect_platform(PlatformLink::embedded(platform_url))
        .expect("platform link");
    Desk {
        ws,
        _dir: dir,
        key_hex,
    }
}

impl Desk {
    async fn call(
        &self,
        command: &str,
        body: Value,
    ) -> Result<Value, meddesk_workstation::ApiError> {
        support::call(&self.ws, command, body).await
    }

    async fn ok(&self, command: &str, body: Value) -> Value {
        support::ok(&self.ws, command, body).await
    }

    /// Call `command` until `pick` finds what the test waits for (the sync task runs in the
    /// background); a refused call counts as "not yet".
    async fn poll<T>(
        &self,
        what: &str,
        command: &str,
        body: Value,
        pick: impl Fn(&Value) -> Option<T>,
    ) -> T {
        let mut last = Value::Null;
        for _ in 0..POLLS {
            if let Ok(answer) = self.call(command, body.clone()).await {
                if let Some(found) = pick(&answer) {
                    return found;
                }
                last = answer;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}; last `{command}` answer: {last}");
    }

    /// Poll the sync status until `done` holds.
    async fn until(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        self.poll(what, "sync_status", json!({}), |s| {
            done(s).then(|| s.clone())
        })
        .await
    }

    async fn queue_ids(&self) -> Vec<String> {
        ids_of(&self.ok("queue_list", json!({})).await)
    }

    async fn queue_until(&self, what: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        self.poll(what, "queue_list", json!({}), |queue| {
            let ids = ids_of(queue);
            done(&ids).then_some(ids)
        })
        .await
    }
}

fn ids_of(queue: &Value) -> Vec<String> {
    queue["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect()
}

fn settled(s: &Value) -> bool {
    s["state"]["state"] == "up_to_date" && s["pending_ops"] == 0
}

async fn file_requests(url: &str, n: u64) {
    let filed = meddesk_platform::simulator::run(
        meddesk_platform::simulator::SimulateConfig {
            server: url.into(),
            username: "intake".into(),
            password: password("intake"),
            device_id: "intake-test".into(),
            rate_per_min: 60_000.0,
            count: Some(n),
            seed: Some(11),
        },
        |_| {},
    )
    .await
    .expect("requests filed");
    assert_eq!(filed, n);
}

/// One rule, both sides (issue 13 §2): the platform routes arriving requests with the
/// clinical triage rules the workstation loads, and the workstation shows the platform's
/// route, priority and reasons. Before, a 38.6 °C fever filed for general practice showed the
/// local reason "转急诊分诊医师" beside the route 全科.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_shows_one_triage_answer_the_platforms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = platform(dir.path()).await;
    let url = format!("http://{node}");
    let all: &[&str] = &[
        "general",
        "emergency",
        "cardiology",
        "endocrinology",
        "pediatrics",
        "dermatology",
    ];
    let d = desk(&[("dr.all", Role::Physician, all)], &url);
    d.ok(
        "sign_in",
        json!({"user_id": "dr.all", "password": password("dr.all")}),
    )
    .await;
    d.until("up to date", settled).await;
    file_requests(&url, 40).await;
    let queue = d
        .poll(
            "the 40 requests in the queue",
            "queue_list",
            json!({}),
            |q| (q["entries"].as_array().map_or(0, Vec::len) == 40).then(|| q["entries"].clone()),
        )
        .await;
    let rules = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/triage/rules.toml"),
    )
    .expect("rules");
    let rules =
        meddesk_clinical::triage::TriageRules::from_toml(&rules, "rules.toml").expect("valid");
    let mut routed_by_rules = 0;
    for entry in queue.as_array().expect("a list") {
        let reasons: Vec<&str> = entry["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .filter_map(|r| r["rule"].as_str())
            .collect();
        if reasons.is_empty() {
            continue;
        }
        routed_by_rules += 1;
        // The route shown is the one the most urgent reason's rule names.
        let most_urgent = rules
            .rules
            .iter()
            .filter(|r| reasons.contains(&r.id.as_str()))
            .min_by_key(|r| r.priority)
            .expect("a reason names a rule of the file");
        let route = meddesk_clinical::triage::parse_route(&most_urgent.route).expect("route");
        assert_eq!(
            serde_json::to_value(&route).expect("json"),
            entry["route"],
            "{entry}"
        );
        // At least as urgent as the rule says (the intake may have said more).
        let shown: meddesk_domain::Priority =
            serde_json::from_value(entry["priority"].clone()).expect("a priority");
        assert!(shown <= most_urgent.priority, "{entry}");
    }
    assert!(
        routed_by_rules >= 5,
        "the simulator files fevers and follow-ups: {routed_by_rules}"
    );
}

/// Issue 13 §4: each sync hands the platform the audit head; someone who holds the
/// database key and cuts the newest audit entries (the chain still verifies on its own) is
/// caught at the next sync and by `audit verify` against the platform's anchor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_audit_tail_is_caught_against_the_platforms_anchor() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = platform(dir.path()).await;
    let url = format!("http://{node}");
    let d = desk(
        &[("dr.a", Role::Physician, &["general", "cardiology"])],
        &url,
    );
    d.ok(
        "sign_in",
        json!({"user_id": "dr.a", "password": password("dr.a")}),
    )
    .await;
    file_requests(&url, 5).await;
    d.queue_until("the queue fills", |ids| !ids.is_empty())
        .await;
    d.until("up to date", settled).await;
    // The platform now holds this chain's head.
    let anchored = d
        .poll("an anchor", "sync_status", json!({}), |s| {
            s["audit_anchored"].as_i64().filter(|n| *n > 5)
        })
        .await;
    d.ok("sign_out", json!({})).await;

    // With the key and a SQLite shell: drop the append-only triggers, cut the newest entries.
    let db = walk(d._dir.path())
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n == "meddesk.db"))
        .expect("the profile's database");
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute_batch(&format!(
            "PRAGMA key = \"x'{}'\"; {}",
            d.key_hex,
            meddesk_store::CIPHER_PRAGMAS
        ))
        .expect("key");
        // The newest anchored entries go, and everything after them.
        conn.execute_batch(&format!(
            "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;
             DELETE FROM audit WHERE seq > {};",
            anchored - 3
        ))
        .expect("tampered");
    }

    d.ok(
        "sign_in",
        json!({"user_id": "dr.a", "password": password("dr.a")}),
    )
    .await;
    let status = d
        .poll("the mismatch to show", "sync_status", json!({}), |s| {
            s["last_error"]
                .as_str()
                .is_some_and(|e| e.starts_with("audit_anchor_mismatch"))
                .then(|| s.clone())
        })
        .await;
    let error = status["last_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("audit_tail_cut") || error.contains("audit_rewritten"),
        "{error}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_claim_wins_across_workstations_and_the_loser_keeps_a_draft() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = platform(dir.path()).await;
    let direct = format!("http://{node}");
    let line_b = Line::start(node).await;
    let specialties: &[&str] = &["general", "cardiology"];
    let a = desk(&[("dr.a", Role::Physician, specialties)], &direct);
    // B's workstation is the clinic's shared one: dr.a and the administrator have accounts
    // on it too.
    let b = desk(
        &[
            ("dr.b", Role::Physician, specialties),
            ("dr.a", Role::Physician, specialties),
            ("admin", Role::Administrator, &[]),
        ],
        &line_b.url(),
    );

    // Nothing is on the platform yet: both desks sign in and come up to date.
    a.ok(
        "sign_in",
        json!({"user_id": "dr.a", "password": password("dr.a")}),
    )
    .await;
    b.ok(
        "sign_in",
        json!({"user_id": "dr.b", "password": password("dr.b")}),
    )
    .await;
    a.until("A up to date", settled).await;
    b.until("B up to date", settled).await;

    // Requests filed on the platform (general practice and cardiology among them) reach
    // both queues without any action on the desks.
    file_requests(&direct, 12).await;
    let in_a = a
        .queue_until("A's queue fills", |ids| !ids.is_empty())
        .await;
    let shared = in_a[0].clone();
    b.queue_until("B's queue has it", |ids| ids.contains(&shared))
        .await;

    // B's line goes down. B keeps working: claims and writes the record locally.
    line_b.set_up(false);
    b.until("B offline", |s| s["state"]["state"] == "offline")
        .await;
    let claimed_b = b
        .ok("consultation_claim", json!({"consultation_id": shared}))
        .await;
    assert_eq!(
        claimed_b["sync"], "pending",
        "never synced before the platform said so"
    );
    let mut record = json!({
        "chief_complaint": "咳嗽", "history": "离线时写的病史：咳嗽三天", "medication_history": "",
        "diagnoses": [], "advice": "多饮水", "clinical": {}
    });
    b.ok(
        "record_save",
        json!({"consultation_id": shared, "record": record.clone()}),
    )
    .await;
    let offline = b.ok("sync_status", json!({})).await;
    assert_eq!(offline["pending_ops"], 2, "{offline}");
    assert_eq!(offline["online"], false);

    // Meanwhile A, online, claims the same consultation: the platform acknowledges it.
    let claimed_a = a
        .ok("consultation_claim", json!({"consultation_id": shared}))
        .await;
    assert_eq!(claimed_a["status"], "claimed");
    a.until("A's claim acknowledged", settled).await;
    let view_a = a
        .ok("consultation_get", json!({"consultation_id": shared}))
        .await;
    assert_eq!(view_a["sync"], "synced");

    // B comes back: its claim and its record edit are refused with reasons, nothing is
    // lost — the record text is kept as a draft — and the consultation is A's.
    line_b.set_up(true);
    b.ok("sync_now", json!({})).await;
    let back = b.until("B settles", settled).await;
    assert_eq!(back["rejected_ops"], 2, "{back}");
    let rejected = back["rejected"].as_array().expect("rejected");
    let claim = rejected
        .iter()
        .find(|r| r["operation"] == "claim_consultation")
        .expect("the claim is listed");
    assert_eq!(claim["rejection"]["code"], "already_claimed");
    assert_eq!(claim["record"]["id"], shared.as_str());
    let edit = rejected
        .iter()
        .find(|r| r["operation"] == "update_record")
        .expect("the record edit is listed");
    let draft: Vec<&str> = edit["kept_draft"]
        .as_array()
        .expect("draft")
        .iter()
        .filter_map(|f| f["value"].as_str())
        .collect();
    assert!(draft.contains(&"离线时写的病史：咳嗽三天"), "{draft:?}");
    assert!(draft.contains(&"多饮水"), "{draft:?}");
    // The consultation left B's queue and B's encounters; A still has it.
    assert!(!b.queue_ids().await.contains(&shared));
    let err = b
        .call("consultation_get", json!({"consultation_id": shared}))
        .await
        .expect_err("not B's any more");
    assert_eq!(err.code_str(), "not_found");
    a.ok("consultation_get", json!({"consultation_id": shared}))
        .await;

    // A's record edits travel and are acknowledged.
    record["history"] = json!("咳嗽三天，无发热");
    a.ok(
        "record_save",
        json!({"consultation_id": shared, "record": record}),
    )
    .await;
    a.until("A's edit acknowledged", settled).await;
    assert_eq!(
        a.ok("consultation_get", json!({"consultation_id": shared}))
            .await["sync"],
        "synced"
    );

    // An administrator on B's workstation suspends dr.a: the platform applies it and A's
    // own workstation learns it, so dr.a cannot sign anywhere (R-CMP-2).
    b.ok("sign_out", json!({})).await;
    let code = meddesk_sync::totp::code_at(
        ADMIN_SECRET,
        u64::try_from(Utc::now().timestamp()).expect("after 1970"),
        6,
    );
    b.ok(
        "sign_in",
        json!({"user_id": "admin", "password": password("admin"), "totp": format!("{code:06}")}),
    )
    .await;
    b.until("admin up to date", settled).await;
    b.ok(
        "user_suspend",
        json!({"user_id": "dr.a", "reason": "投诉核实：超范围开药"}),
    )
    .await;
    b.until("the suspension acknowledged", settled).await;
    let learned = |suspended: bool| {
        move |session: &Value| (session["user"]["suspended"] == suspended).then_some(())
    };
    // R-SEC-8: the suspension ended dr.a's platform session — the workstation's tokens stop
    // working and it asks for the password again (nothing local is lost) …
    a.until("dr.a's platform session ended by the suspension", |s| {
        s["state"]["state"] == "needs_sign_in"
    })
    .await;
    // … which dr.a gives by unlocking; the new session brings the suspension.
    a.ok("lock", json!({})).await;
    a.ok("unlock", json!({"password": password("dr.a")})).await;
    a.poll(
        "dr.a's own workstation to learn of the suspension",
        "session_status",
        json!({}),
        learned(true),
    )
    .await;
    // A change of the consultation type the platform refuses (dr.a is suspended) does not
    // stay on screen: the consultation shows the type the platform holds (one truth).
    let before = a
        .ok("consultation_get", json!({"consultation_id": shared}))
        .await;
    let platform_kind = before["prescription_kind"].clone();
    let other_kind = if platform_kind == "emergency" {
        "specialist"
    } else {
        "emergency"
    };
    let changed = a
        .call(
            "consultation_set_type",
            json!({"consultation_id": shared, "consultation_type": other_kind, "reason": "停诊期间尝试更改"}),
        )
        .await;
    // The workstation takes it (it cannot know every refusal in advance); the platform refuses.
    changed.expect("kept locally, pending");
    {
        let refused = a
            .poll(
                "the refused type change to leave the screen",
                "consultation_get",
                json!({"consultation_id": shared}),
                |v| (v["sync"] == "rejected").then(|| v.clone()),
            )
            .await;
        assert_eq!(refused["prescription_kind"], platform_kind, "{refused}");
        assert!(refused["prescription_kind_reason"].is_null(), "{refused}");
    }

    // The complaint is resolved: the administrator reinstates dr.a on B's workstation, and
    // dr.a's own workstation learns that too.
    b.ok("user_suspend", json!({"user_id": "dr.a", "reason": null}))
        .await;
    let s = b.until("the reinstatement acknowledged", settled).await;
    // R-SEC-7: the two refusals of dr.b's work earlier on this shared workstation are
    // dr.b's; the administrator sees none of them.
    assert_eq!(
        s["rejected_ops"], 0,
        "another user's refusals are not shown: {s}"
    );
    assert!(
        s["rejected"].as_array().is_some_and(|r| r.is_empty()),
        "{s}"
    );
    a.poll(
        "dr.a's own workstation to learn of the reinstatement",
        "session_status",
        json!({}),
        learned(false),
    )
    .await;
}

/// Poll `rx_get` on the physician's desk until the prescription reaches `status`.
async fn rx_until(desk: &Desk, rx_id: &str, status: &str) -> Value {
    desk.poll(
        &format!("the prescription to become {status}"),
        "rx_get",
        json!({"prescription_id": rx_id}),
        |rx| (rx["status"] == status).then(|| rx.clone()),
    )
    .await
}

/// Poll the pharmacist's review queue until `rx_id` is in it.
/// An adult's claimable consultation whose identity the platform verified, not in `skip`.
fn adult_consultation(queue: &Value, skip: &[String]) -> String {
    queue["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| {
            e["patient"]["age_years"].as_u64().is_some_and(|a| a >= 18)
                && e["patient"]["identity_verified"] == true
                && e["held"] == false
                && e["claimable"] == true
                && !skip.iter().any(|s| e["id"] == s.as_str())
        })
        .expect("an adult's consultation")["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// Four weeks of amlodipine for hypertension on a chronic consultation.
fn amlodipine() -> Value {
    json!({"drug": "amlodipine", "strength": "5 mg", "dose": {"value": 5, "unit": "mg"}, "route": "oral", "frequency": "QD", "days": 28, "quantity": 28})
}

/// Claim `consultation`, record hypertension, save and sign [`amlodipine`] with every
/// warning overridden: the signed prescription.
async fn claim_and_sign_amlodipine(desk: &Desk, consultation: &str) -> Value {
    desk.ok(
        "consultation_claim",
        json!({"consultation_id": consultation}),
    )
    .await;
    set_chronic(desk, consultation).await;
    desk.ok("record_save", json!({"consultation_id": consultation, "record": {"diagnoses": ["I10"], "allergies": [], "clinical": {"weight_kg": 70, "egfr": 80, "current_medications": []}}})).await;
    let draft = desk
        .ok(
            "rx_save",
            json!({"consultation_id": consultation, "draft": {"kind": "chronic", "items": [amlodipine()]}}),
        )
        .await;
    let overrides = support::overrides_for_warnings(&draft["check"], "复诊续方");
    desk.ok(
        "rx_sign",
        json!({"prescription_id": draft["id"], "overrides": overrides}),
    )
    .await
}

/// The treating physician makes the consultation a chronic-disease one (12-week course
/// limit, R-RX-4), with the reason.
async fn set_chronic(desk: &Desk, consultation: &str) {
    let view = desk
        .ok(
            "consultation_set_type",
            json!({"consultation_id": consultation, "consultation_type": "chronic", "reason": "原发性高血压，长期随访（R-RX-4）"}),
        )
        .await;
    assert_eq!(view["prescription_kind"], "chronic");
}

async fn review_until(desk: &Desk, rx_id: &str) -> Value {
    desk.poll(
        "the prescription in the pharmacist's review queue",
        "review_queue",
        json!({}),
        |queue| {
            queue["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|i| i["prescription"]["id"] == rx_id)
                .cloned()
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prescription_signed_on_one_workstation_is_reviewed_on_another() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = platform(dir.path()).await;
    let direct = format!("http://{node}");
    let specialties: &[&str] = &["general", "cardiology"];
    let doctor = desk(&[("dr.a", Role::Physician, specialties)], &direct);
    let pharmacy = desk(&[("ph.c", Role::Pharmacist, &[])], &direct);
    doctor
        .ok(
            "sign_in",
            json!({"user_id": "dr.a", "password": password("dr.a")}),
        )
        .await;
    pharmacy
        .ok(
            "sign_in",
            json!({"user_id": "ph.c", "password": password("ph.c")}),
        )
        .await;
    pharmacy.until("pharmacy up to date", settled).await;
    assert!(
        pharmacy.ok("review_queue", json!({})).await["items"]
            .as_array()
            .expect("items")
            .is_empty()
    );

    // dr.a takes an adult's consultation from the platform and prescribes with an
    // interaction warning overridden for a reason (R-RX-7).
    file_requests(&direct, 12).await;
    doctor
        .queue_until("the queue fills", |ids| ids.len() >= 6)
        .await;
    let queue = doctor.ok("queue_list", json!({})).await;
    let adult = queue["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| {
            e["patient"]["age_years"].as_u64().is_some_and(|a| a >= 18)
                && e["patient"]["identity_verified"] == true
                && e["held"] == false
                && e["claimable"] == true
        })
        .expect("an adult's consultation in the queue")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    doctor
        .ok("consultation_claim", json!({"consultation_id": adult}))
        .await;
    set_chronic(&doctor, &adult).await;
    let record = json!({
        "chief_complaint": "高血压复诊", "history": "高血压5年", "medication_history": "华法林",
        "allergies": [], "diagnoses": ["I10"], "advice": "低盐饮食",
        "clinical": {"weight_kg": 70, "egfr": 80, "hepatic_impairment": "none", "conditions": ["I10"],
                     "current_medications": ["warfarin"], "pregnant": false, "lactating": false}
    });
    doctor
        .ok(
            "record_save",
            json!({"consultation_id": adult, "record": record}),
        )
        .await;
    let amlodipine = json!({"drug": "amlodipine", "strength": "5 mg", "dose": {"value": 5, "unit": "mg"}, "route": "oral", "frequency": "QD", "days": 28, "quantity": 28});
    let ibuprofen = json!({"drug": "ibuprofen", "strength": "200 mg", "dose": {"value": 200, "unit": "mg"}, "route": "oral", "frequency": "TID", "days": 3, "quantity": 9});
    let draft = doctor
        .ok(
            "rx_save",
            // Four weeks of an antihypertensive: the physician's call that this is a
            // chronic consultation (R-RX-4: up to 12 weeks), not an override.
            json!({"consultation_id": adult, "draft": {"kind": "chronic", "items": [amlodipine, ibuprofen]}}),
        )
        .await;
    let rx_id = draft["id"].as_str().expect("id").to_owned();
    let findings = draft["check"]["findings"].as_array().expect("findings");
    assert!(
        findings.iter().all(|f| f["severity"] != "block"),
        "{findings:?}"
    );
    let overrides =
        support::overrides_for_warnings(&draft["check"], "短期使用，已告知患者监测出血");
    assert!(
        findings.iter().any(|f| f["code"] == "interaction"),
        "{findings:?}"
    );
    doctor
        .ok(
            "rx_sign",
            json!({"prescription_id": rx_id, "overrides": overrides}),
        )
        .await;
    let s = doctor.until("the signature acknowledged", settled).await;
    assert_eq!(s["rejected_ops"], 0, "{s}");
    // R-RX-10: the physician's own copy is the platform's countersigned document.
    let mine = doctor
        .poll(
            "the countersigned document",
            "rx_get",
            json!({"prescription_id": rx_id}),
            |rx| {
                rx["signature"]["timestamp_ms"]
                    .is_number()
                    .then(|| rx.clone())
            },
        )
        .await;
    assert_eq!(mine["signature"]["status"], "verified", "{mine}");

    // The pharmacist's workstation never saw the consultation: the signed prescription
    // arrives with the patient's basics, the findings and the override reasons.
    pharmacy.ok("sync_now", json!({})).await;
    let item = review_until(&pharmacy, &rx_id).await;
    assert_eq!(item["round"], 1);
    assert_eq!(item["prescription"]["status"], "signed");
    // R-RX-10: the physician's signature verifies here, countersigned by the platform.
    assert_eq!(item["signature"]["status"], "verified", "{item}");
    assert!(item["signature"]["timestamp_ms"].is_number(), "{item}");
    assert_eq!(item["prescription"]["physician_id"], "dr.a");
    assert_eq!(
        item["prescription"]["overrides"]
            .as_array()
            .expect("overrides")
            .len(),
        overrides.len()
    );
    assert!(
        item["prescription"]["check"]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["code"] == "interaction")
    );
    assert_eq!(
        item["prescription"]["draft"]["items"]
            .as_array()
            .expect("items")
            .len(),
        2
    );
    assert!(
        item["patient"]["age_years"]
            .as_f64()
            .is_some_and(|a| a >= 18.0)
    );
    assert!(item["prescription"]["signed_at"].is_string());

    // Rejected there with reasons: dr.a's workstation shows the rejection and its reasons.
    pharmacy
        .ok("rx_review", json!({"prescription_id": rx_id, "decision": {"decision": "reject", "reasons": ["interaction"], "note": "华法林合用布洛芬出血风险"}}))
        .await;
    pharmacy.until("the rejection acknowledged", settled).await;
    doctor.ok("sync_now", json!({})).await;
    let rejected = rx_until(&doctor, &rx_id, "rejected").await;
    assert_eq!(rejected["reviews"][0]["approved"], false);
    assert_eq!(rejected["reviews"][0]["pharmacist"], "ph.c");
    assert_eq!(rejected["reviews"][0]["reasons"], json!(["interaction"]));
    assert_eq!(rejected["reviews"][0]["note"], "华法林合用布洛芬出血风险");
    assert!(
        pharmacy.ok("review_queue", json!({})).await["items"]
            .as_array()
            .expect("items")
            .is_empty(),
        "a rejected prescription leaves the review queue"
    );

    // Revised and signed again: back in the pharmacist's queue (round 2), approved, and
    // the approval reaches the physician.
    let revised = doctor
        .ok("rx_save", json!({"consultation_id": adult, "prescription_id": rx_id, "draft": {"kind": "chronic", "items": [amlodipine]}}))
        .await;
    let overrides = support::overrides_for_warnings(&revised["check"], "长期服药，复诊已约");
    doctor
        .ok(
            "rx_sign",
            json!({"prescription_id": rx_id, "overrides": overrides}),
        )
        .await;
    doctor
        .until("the new signature acknowledged", settled)
        .await;
    pharmacy.ok("sync_now", json!({})).await;
    let again = review_until(&pharmacy, &rx_id).await;
    assert_eq!(again["round"], 2);
    assert_eq!(
        again["prescription"]["draft"]["items"]
            .as_array()
            .expect("items")
            .len(),
        1,
        "the pharmacist reviews the revised lines"
    );
    pharmacy
        .ok(
            "rx_review",
            json!({"prescription_id": rx_id, "decision": {"decision": "approve"}}),
        )
        .await;
    pharmacy.until("the approval acknowledged", settled).await;
    doctor.ok("sync_now", json!({})).await;
    let approved = rx_until(&doctor, &rx_id, "approved").await;
    assert_eq!(approved["reviews"].as_array().expect("reviews").len(), 2);
    assert_eq!(approved["reviews"][1]["approved"], true);
}

/// Poll `consultation_get` until the record satisfies `done`.
async fn record_until(
    desk: &Desk,
    consultation_id: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    desk.poll(
        what,
        "consultation_get",
        json!({"consultation_id": consultation_id}),
        |view| done(&view["record"]).then(|| view["record"].clone()),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_edits_on_one_device_reach_the_physicians_other_device_field_by_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = platform(dir.path()).await;
    let direct = format!("http://{node}");
    let specialties: &[&str] = &["general", "cardiology"];
    // dr.a's clinic workstation and their laptop.
    let clinic = desk(&[("dr.a", Role::Physician, specialties)], &direct);
    let laptop = desk(&[("dr.a", Role::Physician, specialties)], &direct);
    for d in [&clinic, &laptop] {
        d.ok(
            "sign_in",
            json!({"user_id": "dr.a", "password": password("dr.a")}),
        )
        .await;
    }
    file_requests(&direct, 6).await;
    let ids = clinic
        .queue_until("the queue fills", |ids| !ids.is_empty())
        .await;
    let queue = clinic.ok("queue_list", json!({})).await;
    let id = queue["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["claimable"] == true && e["held"] == false)
        .map_or(ids[0].clone(), |e| e["id"].as_str().expect("id").to_owned());
    clinic
        .ok("consultation_claim", json!({"consultation_id": id}))
        .await;
    let record = json!({
        "chief_complaint": "咳嗽", "history": "咳嗽三天，无发热", "medication_history": "",
        "allergies": [{"substance": "penicillins", "reaction": "皮疹"}],
        "diagnoses": ["J06.9"], "advice": "", "clinical": {}
    });
    clinic
        .ok(
            "record_save",
            json!({"consultation_id": id, "record": record}),
        )
        .await;
    let s = clinic
        .until("the clinic's edit acknowledged", settled)
        .await;
    assert_eq!(s["rejected_ops"], 0, "{s}");

    // The laptop gets the encounter with the record as written at the clinic.
    laptop.ok("sync_now", json!({})).await;
    let on_laptop = record_until(&laptop, &id, "the record on the laptop", |r| {
        r["history"] == "咳嗽三天，无发热"
    })
    .await;
    assert_eq!(on_laptop["diagnoses"], json!(["J06.9"]));
    assert_eq!(
        on_laptop["allergies"],
        json!([{"substance": "penicillins", "reaction": "皮疹"}]),
        "the allergy list reads back as a list, so the checker still sees it"
    );

    // The laptop adds advice; the clinic's form gets it and keeps its own history.
    let mut edited = on_laptop.clone();
    edited["advice"] = json!("多饮水，三天不好转复诊");
    laptop
        .ok(
            "record_save",
            json!({"consultation_id": id, "record": edited}),
        )
        .await;
    let s = laptop
        .until("the laptop's edit acknowledged", settled)
        .await;
    assert_eq!(s["rejected_ops"], 0, "{s}");
    clinic.ok("sync_now", json!({})).await;
    let on_clinic = record_until(&clinic, &id, "the advice at the clinic", |r| {
        r["advice"] == "多饮水，三天不好转复诊"
    })
    .await;
    assert_eq!(on_clinic["history"], "咳嗽三天，无发热");
    assert_eq!(
        on_clinic["chief_complaint"], "咳嗽",
        "local-only fields stay"
    );
}

/// The patient's channel (the platform's intake account) posts a message to a consultation.
async fn patient_says(url: &str, consultation_id: &str, body: &str) {
    use meddesk_sync::{
        ClientConfig, HlcClock, MemoryReplica, MemoryTokenStore, OpKind, Operation, SyncClient,
    };
    let replica = Arc::new(std::sync::Mutex::new(MemoryReplica::new()));
    let mut channel = SyncClient::new(
        ClientConfig::new(url, "patient-app"),
        replica.clone(),
        Arc::new(MemoryTokenStore::new()),
    )
    .expect("client");
    channel
        .sign_in("intake", &password("intake"), None)
        .await
        .expect("intake signs in");
    channel
        .register_device("patient-app")
        .await
        .expect("device");
    replica.lock().expect("replica").commit(Operation {
        op_id: uuid::Uuid::now_v7(),
        user: "intake".into(),
        device: "patient-app".into(),
        base_version: 0,
        hlc: HlcClock::new().tick(Utc::now().timestamp_millis()),
        kind: OpKind::PostMessage {
            consultation_id: consultation_id.parse().expect("uuid"),
            message_id: uuid::Uuid::now_v7(),
            body: body.into(),
        },
    });
    let report = channel.sync_once().await.expect("pushed");
    assert_eq!(report.acked, 1, "the platform took the patient's message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_thread_travels_between_the_physician_and_the_patient() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = platform(dir.path()).await;
    let direct = format!("http://{node}");
    let specialties: &[&str] = &["general", "cardiology"];
    let doctor = desk(&[("dr.a", Role::Physician, specialties)], &direct);
    doctor
        .ok(
            "sign_in",
            json!({"user_id": "dr.a", "password": password("dr.a")}),
        )
        .await;
    file_requests(&direct, 6).await;
    doctor
        .queue_until("the queue fills", |ids| ids.len() >= 2)
        .await;
    let queue = doctor.ok("queue_list", json!({})).await;
    let open: Vec<String> = queue["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["claimable"] == true && e["held"] == false)
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect();
    let (id, other) = (&open[0], &open[1]);

    // Not before the consultation is the physician's, and never an empty message.
    let err = doctor
        .call(
            "message_send",
            json!({"consultation_id": other, "body": "您好"}),
        )
        .await
        .expect_err("not theirs");
    assert_eq!(err.code_str(), "not_found");
    doctor
        .ok("consultation_claim", json!({"consultation_id": id}))
        .await;
    let err = doctor
        .call("message_send", json!({"consultation_id": id, "body": "  "}))
        .await
        .expect_err("empty");
    assert_eq!(err.code_str(), "invalid_value");

    let sent = doctor
        .ok(
            "message_send",
            json!({"consultation_id": id, "body": "您好，请问发热几天了？最高体温多少？"}),
        )
        .await;
    let thread = sent["messages"].as_array().expect("messages");
    assert_eq!(thread.len(), 1);
    assert_eq!(thread[0]["from"], "physician");
    let s = doctor.until("the message acknowledged", settled).await;
    assert_eq!(s["rejected_ops"], 0, "{s}");

    // The patient answers through the platform's channel; the answer joins the thread
    // after the physician's question, once.
    patient_says(&direct, id, "烧了两天，最高38.9度").await;
    doctor.ok("sync_now", json!({})).await;
    let thread = doctor
        .poll(
            "the patient's answer in the thread",
            "consultation_get",
            json!({"consultation_id": id}),
            |view| {
                let thread = view["messages"].as_array().expect("messages");
                (thread.len() >= 2).then(|| thread.clone())
            },
        )
        .await;
    let said: Vec<(&str, &str)> = thread
        .iter()
        .map(|m| {
            (
                m["from"].as_str().expect("from"),
                m["body"].as_str().expect("body"),
            )
        })
        .collect();
    assert_eq!(
        said,
        vec![
            ("physician", "您好，请问发热几天了？最高体温多少？"),
            ("patient", "烧了两天，最高38.9度"),
        ]
    );
    // Pulling again stores nothing twice.
    doctor.ok("sync_now", json!({})).await;
    doctor.until("up to date", settled).await;
    let view = doctor
        .ok("consultation_get", json!({"consultation_id": id}))
        .await;
    assert_eq!(view["messages"].as_array().expect("messages").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinic_offline_from_the_start_signs_in_and_works_then_catches_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = platform(dir.path()).await;
    let direct = format!("http://{node}");
    let line = Line::start(node).await;
    line.set_up(false);
    let specialties: &[&str] = &["general", "cardiology"];
    let clinic = desk(&[("dr.b", Role::Physician, specialties)], &line.url());

    // The credentials are checked against the encrypted store, not the platform: signing
    // in works with the line down, and the desk says it is offline.
    let session = clinic
        .ok(
            "sign_in",
            json!({"user_id": "dr.b", "password": password("dr.b")}),
        )
        .await;
    assert_eq!(session["state"], "active");
    let status = clinic
        .until("offline shown", |s| s["state"]["state"] == "offline")
        .await;
    assert_eq!(status["online"], false);
    // Work that needs no platform goes on (the local queue, the knowledge pack).
    clinic.ok("queue_list", json!({})).await;
    let hits = clinic.ok("drug_search", json!({"query": "amxl"})).await;
    assert!(hits.to_string().contains("阿莫西林"), "{hits}");

    // Requests filed meanwhile arrive once the line is back.
    file_requests(&direct, 4).await;
    line.set_up(true);
    clinic.ok("sync_now", json!({})).await;
    clinic.until("caught up", settled).await;
    clinic
        .queue_until("the requests filed while offline", |ids| !ids.is_empty())
        .await;
}

/// One truth on screen (R-RX-8): a signature the platform refuses is never left as "awaiting
/// the pharmacist". Here the node runs an older knowledge pack that does not know the drug
/// (version skew between a clinic and its platform): the refusal lands on the prescription,
/// which is the physician's draft again with the platform's code and findings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_the_platform_refuses_shows_on_the_prescription_as_a_draft_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The formulary test pack has no amlodipine.
    let old_assets = dir.path().join("old-assets");
    std::fs::create_dir_all(&old_assets).expect("dir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../formulary/tests/data/pack");
    copy_dir(&src, &old_assets.join("formulary"));
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/triage"),
        &old_assets.join("triage"),
    );
    let node = platform_with_assets(dir.path(), &old_assets).await;
    let direct = format!("http://{node}");
    let doctor = desk(
        &[("dr.a", Role::Physician, &["general", "cardiology"])],
        &direct,
    );
    doctor
        .ok(
            "sign_in",
            json!({"user_id": "dr.a", "password": password("dr.a")}),
        )
        .await;
    file_requests(&direct, 12).await;
    doctor
        .queue_until("the queue fills", |ids| ids.len() >= 6)
        .await;
    let adult = adult_consultation(&doctor.ok("queue_list", json!({})).await, &[]);
    let signed = claim_and_sign_amlodipine(&doctor, &adult).await;
    let rx_id = signed["id"].as_str().expect("id").to_owned();
    let amlodipine = amlodipine();
    assert_eq!(signed["status"], "signed");
    assert!(signed["refusal"].is_null());
    doctor
        .until("the refusal settles", |s| {
            s["pending_ops"] == 0 && s["rejected_ops"].as_u64().unwrap_or(0) >= 1
        })
        .await;
    let rx = doctor.ok("rx_get", json!({"prescription_id": rx_id})).await;
    assert_eq!(rx["status"], "draft", "{rx}");
    assert_eq!(rx["refusal"]["code"], "invalid_prescription", "{rx}");
    assert_eq!(rx["refusal"]["findings"], json!(["unknown_drug@1"]), "{rx}");
    // Saved again (e.g. after the clinic and platform agree on the pack), the refusal is
    // gone from the draft.
    let again = doctor
        .ok(
            "rx_save",
            json!({"consultation_id": adult, "prescription_id": rx_id, "draft": {"kind": "chronic", "items": [amlodipine]}}),
        )
        .await;
    assert!(again["refusal"].is_null(), "{again}");
    assert_eq!(again["status"], "draft");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// R-SEC-7, a clinic PC shared by a physician and a pharmacist: each user's pending work,
/// refusals and pull position stay theirs. dr.a claims a consultation while the line is
/// down and signs out; ph.c signs in with the line back: nothing of dr.a's is pushed under
/// ph.c's identity or shown to ph.c, and ph.c — pulling from their own position, not from
/// where dr.a's pulls left off — sees the whole review queue, including a prescription
/// another workstation signed. When dr.a signs in again, the claim goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_on_one_workstation_keep_their_work_and_their_view_apart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = platform(dir.path()).await;
    let direct = format!("http://{node}");
    let line = Line::start(node).await;
    let specialties: &[&str] = &["general", "cardiology"];
    let shared = desk(
        &[
            ("dr.a", Role::Physician, specialties),
            ("ph.c", Role::Pharmacist, &[]),
        ],
        &line.url(),
    );
    let elsewhere = desk(&[("dr.b", Role::Physician, specialties)], &direct);

    // dr.b, on another workstation, signs a prescription.
    file_requests(&direct, 12).await;
    elsewhere
        .ok(
            "sign_in",
            json!({"user_id": "dr.b", "password": password("dr.b")}),
        )
        .await;
    elsewhere
        .queue_until("dr.b's queue fills", |ids| ids.len() >= 6)
        .await;
    let theirs = adult_consultation(&elsewhere.ok("queue_list", json!({})).await, &[]);
    let rx_b = claim_and_sign_amlodipine(&elsewhere, &theirs).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    elsewhere
        .until("dr.b's signature acknowledged", settled)
        .await;

    // dr.a syncs on the shared PC (their pulls move past dr.b's prescription, which a
    // physician may not see), then claims a consultation with the line down and signs out.
    shared
        .ok(
            "sign_in",
            json!({"user_id": "dr.a", "password": password("dr.a")}),
        )
        .await;
    shared.until("dr.a up to date", settled).await;
    let mine = adult_consultation(
        &shared.ok("queue_list", json!({})).await,
        std::slice::from_ref(&theirs),
    );
    line.set_up(false);
    shared
        .ok("consultation_claim", json!({"consultation_id": mine}))
        .await;
    let offline = shared.ok("sync_status", json!({})).await;
    assert_eq!(offline["pending_ops"], 1, "{offline}");
    shared.ok("sign_out", json!({})).await;

    // ph.c on the same PC, the line back.
    line.set_up(true);
    shared
        .ok(
            "sign_in",
            json!({"user_id": "ph.c", "password": password("ph.c")}),
        )
        .await;
    let status = shared.until("ph.c up to date", settled).await;
    assert_eq!(
        status["pending_ops"], 0,
        "dr.a's claim is not ph.c's: {status}"
    );
    assert_eq!(
        status["rejected_ops"], 0,
        "nothing pushed under ph.c's identity: {status}"
    );
    let item = review_until(&shared, &rx_b).await;
    assert_eq!(item["prescription"]["physician_id"], "dr.b");
    shared.ok("sign_out", json!({})).await;

    // dr.a again: their claim goes through, under their own identity.
    shared
        .ok(
            "sign_in",
            json!({"user_id": "dr.a", "password": password("dr.a")}),
        )
        .await;
    let status = shared.until("dr.a's claim pushed", settled).await;
    assert_eq!(status["rejected_ops"], 0, "{status}");
    let view = shared
        .ok("consultation_get", json!({"consultation_id": mine}))
        .await;
    assert_eq!(view["sync"], "synced", "{view}");
}

/// R-RX-10 offline: a physician claims and signs while the clinic's line is down; when it
/// returns, the claim and the signature go through, the platform verifies and countersigns,
/// and the physician's copy verifies with the platform's time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prescription_signed_offline_is_verified_and_accepted_when_the_line_returns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = platform(dir.path()).await;
    let direct = format!("http://{node}");
    let line = Line::start(node).await;
    let doctor = desk(
        &[("dr.a", Role::Physician, &["general", "cardiology"])],
        &line.url(),
    );
    file_requests(&direct, 12).await;
    doctor
        .ok(
            "sign_in",
            json!({"user_id": "dr.a", "password": password("dr.a")}),
        )
        .await;
    doctor
        .queue_until("the queue fills", |ids| ids.len() >= 6)
        .await;
    doctor.until("dr.a up to date", settled).await;
    let adult = adult_consultation(&doctor.ok("queue_list", json!({})).await, &[]);
    line.set_up(false);
    let signed = claim_and_sign_amlodipine(&doctor, &adult).await;
    assert_eq!(signed["status"], "signed");
    let rx = signed["id"].as_str().expect("id").to_owned();
    let offline = doctor.ok("sync_status", json!({})).await;
    assert!(
        offline["pending_ops"].as_u64().unwrap_or(0) >= 3,
        "{offline}"
    );
    line.set_up(true);
    doctor.ok("sync_now", json!({})).await;
    let status = doctor.until("back online", settled).await;
    assert_eq!(status["rejected_ops"], 0, "{status}");
    let mine = doctor
        .poll(
            "the countersigned document",
            "rx_get",
            json!({"prescription_id": rx}),
            |rx| {
                rx["signature"]["timestamp_ms"]
                    .is_number()
                    .then(|| rx.clone())
            },
        )
        .await;
    assert_eq!(mine["signature"]["status"], "verified", "{mine}");
    assert_eq!(mine["status"], "signed");
}
