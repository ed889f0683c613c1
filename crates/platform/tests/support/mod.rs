//! Shared by the platform's integration tests: accounts, a server in-process or as a child
//! process (so it can be SIGKILLed), a TCP proxy that counts bytes and cuts connections,
//! clients over in-memory replicas.
#![allow(dead_code, clippy::unwrap_used)]

pub mod postgres;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use meddesk_domain::{Channel, Priority, Sex};
use meddesk_platform::{AccountSeed, Database, ServeConfig};
use meddesk_sync::{
    AccountRole, ClientConfig, Hlc, MemoryReplica, MemoryTokenStore, NewConsultation, OpKind,
    Operation, PatientSummary, SyncClient, Vitals,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

pub type Client = SyncClient<MemoryReplica, MemoryTokenStore>;

pub const ORG: &str = "org-1";

pub fn seed(username: &str, role: AccountRole, specialties: &[&str]) -> AccountSeed {
    AccountSeed {
        username: username.into(),
        password: format!("{username}-密码-1"),
        user_id: format!("u-{username}"),
        role,
        org_id: ORG.into(),
        specialties: specialties.iter().map(|s| (*s).to_owned()).collect(),
        totp_secret_hex: None,
    }
}

/// The standard cast: intake, three physicians, a pharmacist; a pharmacist, an intake
/// account and a cardiologist of another organisation (org-2); an administrator (TOTP secret "12345678901234567890").
pub fn accounts() -> Vec<AccountSeed> {
    let mut admin = seed("admin", AccountRole::Administrator, &[]);
    admin.totp_secret_hex = Some(hex::encode(b"12345678901234567890"));
    let mut other_pharm = seed("pharm2", AccountRole::Pharmacist, &[]);
    other_pharm.org_id = "org-2".into();
    let mut other_intake = seed("intake2", AccountRole::Intake, &[]);
    other_intake.org_id = "org-2".into();
    let mut other_doc = seed("doc4", AccountRole::Physician, &["cardiology"]);
    other_doc.org_id = "org-2".into();
    vec![
        seed("intake", AccountRole::Intake, &[]),
        seed(
            "doc1",
            AccountRole::Physician,
            &["cardiology", "general_practice"],
        ),
        seed("doc2", AccountRole::Physician, &["cardiology"]),
        seed("doc3", AccountRole::Physician, &["pediatrics"]),
        seed("pharm", AccountRole::Pharmacist, &[]),
        other_pharm,
        other_intake,
        other_doc,
        admin,
    ]
}

pub fn password(username: &str) -> String {
    format!("{username}-密码-1")
}

/// A platform node inside the test process, on a free loopback port.
pub async fn start_in_process(database: Database, access_ttl_s: i64) -> SocketAddr {
    start_in_process_with(database, access_ttl_s, Vec::new()).await
}

/// [`start_in_process`] behind declared reverse proxies (`X-Forwarded-For` from them names
/// the client).
pub async fn start_in_process_with(
    database: Database,
    access_ttl_s: i64,
    trusted_proxies: Vec<std::net::IpAddr>,
) -> SocketAddr {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let cfg = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        database,
        accounts: accounts(),
        access_ttl_s,
        trusted_proxies,
        pack: meddesk_platform::serve::load_pack(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"),
        )
        .expect("the shipped knowledge pack"),
        triage: meddesk_platform::serve::load_triage(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"),
        )
        .expect("the shipped triage rules"),
    };
    tokio::spawn(async move {
        let mut tx = Some(tx);
        let result = meddesk_platform::serve(cfg, |addr| {
            if let Some(tx) = tx.take() {
                let _ = tx.send(addr);
            }
        })
        .await;
        if let Err(e) = result {
            panic!("platform node failed: {e}");
        }
    });
    let addr = tokio::time::timeout(Duration::from_secs(60), rx)
        .await
        .expect("the node starts within 60 s")
        .expect("the node reports its address");
    wait_healthy(addr).await;
    addr
}

pub async fn wait_healthy(addr: SocketAddr) {
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("http://{addr}/health")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("GET /health never answered 200");
}

/// A platform node as a child process (the `meddesk-platform` binary), so it can be killed
/// with SIGKILL.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
}

pub fn write_accounts(dir: &Path) -> PathBuf {
    let path = dir.join("accounts.json");
    let json: Vec<serde_json::Value> = accounts()
        .iter()
        .map(|a| {
            serde_json::json!({
                "username": a.username, "password": a.password, "user_id": a.user_id,
                "role": a.role, "org_id": a.org_id, "specialties": a.specialties,
                "totp_secret_hex": a.totp_secret_hex,
            })
        })
        .collect();
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    path
}

impl ServerProcess {
    pub fn start(database: &str, accounts: &Path) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_meddesk-platform"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--database",
                database,
                "--accounts",
            ])
            .arg(accounts)
            .arg("--assets")
            .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start meddesk-platform");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the node: {line:?}"));
        ServerProcess { child, addr }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown, no flush, mid-whatever it was doing.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// How the proxy treats the next connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Forward the request, then hang up before any of the answer reaches the client.
    AfterRequest,
    /// Forward this many bytes of the answer, then hang up.
    MidResponse(usize),
}

/// A TCP proxy between clients and the platform: counts bytes both ways and cuts
/// connections on demand. The target can change (a restarted node on a new port).
#[derive(Debug, Clone)]
pub struct Proxy {
    pub addr: SocketAddr,
    pub target: Arc<Mutex<SocketAddr>>,
    cuts: Arc<Mutex<Vec<Cut>>>,
    pub bytes_up: Arc<AtomicU64>,
    pub bytes_down: Arc<AtomicU64>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            addr: listener.local_addr().unwrap(),
            target: Arc::new(Mutex::new(target)),
            cuts: Arc::new(Mutex::new(Vec::new())),
            bytes_up: Arc::new(AtomicU64::new(0)),
            bytes_down: Arc::new(AtomicU64::new(0)),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let p = p.clone();
                tokio::spawn(async move { p.relay(inbound).await });
            }
        });
        proxy
    }

    pub fn set_target(&self, addr: SocketAddr) {
        *self.target.lock().unwrap() = addr;
    }

    /// Cut the next connection(s) that carry traffic.
    pub fn cut_next(&self, cut: Cut) {
        self.cuts.lock().unwrap().push(cut);
    }

    pub fn reset_counters(&self) {
        self.bytes_up.store(0, Ordering::SeqCst);
        self.bytes_down.store(0, Ordering::SeqCst);
    }

    async fn relay(&self, mut inbound: tokio::net::TcpStream) {
        let target = *self.target.lock().unwrap();
        let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
            return;
        };
        let (mut ri, mut wi) = inbound.split();
        let (mut ro, mut wo) = outbound.split();
        let mut cut: Option<Cut> = None;
        let mut up = [0u8; 16 * 1024];
        let mut down = [0u8; 16 * 1024];
        let mut sent_down = 0usize;
        loop {
            tokio::select! {
                n = ri.read(&mut up) => {
                    let Ok(n) = n else { return };
                    if n == 0 { let _ = wo.shutdown().await; return; }
                    if cut.is_none() {
                        cut = self.cuts.lock().unwrap().pop();
                        sent_down = 0;
                    }
                    self.bytes_up.fetch_add(n as u64, Ordering::Relaxed);
                    if wo.write_all(&up[..n]).await.is_err() { return; }
                }
                n = ro.read(&mut down) => {
                    let Ok(n) = n else { return };
                    if n == 0 { let _ = wi.shutdown().await; return; }
                    match cut {
                        Some(Cut::AfterRequest) => return,
                        Some(Cut::MidResponse(limit)) => {
                            let allowed = limit.saturating_sub(sent_down).min(n);
                            let _ = wi.write_all(&down[..allowed]).await;
                            sent_down += allowed;
                            if sent_down >= limit { return; }
                        }
                        None => {
                            self.bytes_down.fetch_add(n as u64, Ordering::Relaxed);
                            if wi.write_all(&down[..n]).await.is_err() { return; }
                        }
                    }
                }
            }
        }
    }
}

/// A signed-in client with a registered device.
pub async fn client(base: &str, username: &str, device: &str) -> Client {
    let replica = Arc::new(Mutex::new(MemoryReplica::new()));
    client_with(base, username, device, replica).await
}

pub async fn client_with(
    base: &str,
    username: &str,
    device: &str,
    replica: Arc<Mutex<MemoryReplica>>,
) -> Client {
    let mut c = SyncClient::new(
        ClientConfig::new(base, device),
        replica,
        Arc::new(MemoryTokenStore::new()),
    )
    .unwrap();
    c.sign_in(username, &password(username), None)
        .await
        .unwrap_or_else(|e| panic!("{username} signs in: {e}"));
    c.register_device("test device").await.unwrap();
    c
}

pub fn now_ms() -> i64 {
    meddesk_platform::http::now_ms()
}

pub fn op(username: &str, device: &str, base_version: u64, hlc: Hlc, kind: OpKind) -> Operation {
    Operation {
        op_id: Uuid::now_v7(),
        user: format!("u-{username}"),
        device: device.into(),
        base_version,
        hlc,
        kind,
    }
}

pub fn hlc_now() -> Hlc {
    Hlc {
        wall_ms: now_ms(),
        logical: 0,
    }
}

/// A request for `specialty`: a hypertension follow-up for cardiology (which the platform's
/// triage rules route to cardiology), a complaint no triage rule routes for any other.
pub fn request(specialty: &str) -> NewConsultation {
    let cardiology = specialty == "cardiology";
    NewConsultation {
        id: Uuid::now_v7(),
        org_id: ORG.into(),
        patient: PatientSummary {
            patient_id: format!("p-{}", Uuid::new_v4().simple()),
            masked_name: "王**".into(),
            age_years: 58,
            sex: Sex::Female,
            identity_verified: true,
            guardian: None,
        },
        channel: Channel::Text,
        priority: Priority::Normal,
        specialty: specialty.into(),
        complaint: if cardiology {
            "高血压复诊，近一周血压偏高".into()
        } else {
            "近两周睡眠欠佳，想咨询调理".into()
        },
        vitals: Vitals {
            systolic_mmhg: Some(152),
            diastolic_mmhg: Some(96),
            ..Vitals::default()
        },
        chronic_icd10: cardiology.then(|| "I10".into()),
        arrived_at_ms: now_ms(),
    }
}

pub fn commit(c: &Client, op: Operation) {
    c.replica().lock().unwrap().commit(op);
}

/// What a workstation sends with a signature: a complete, valid prescription (amlodipine
/// for hypertension on a chronic consultation), so the platform's validity rule accepts it.
pub fn signed_document() -> meddesk_sync::SignedDocument {
    meddesk_sync::SignedDocument {
        draft: serde_json::json!({
            "kind": "chronic",
            "diagnoses": ["I10"],
            "items": [{"drug": "amlodipine", "strength": "5 mg", "dose": {"value": 5, "unit": "mg"},
                       "route": "oral", "frequency": "QD", "days": 28, "quantity": 28}]
        }),
        check: serde_json::json!({}),
        overrides: serde_json::json!([]),
        validity_days: 3,
        signed_at_ms: 0,
        patient: None,
        signature: None,
    }
}

/// A user's signing key (R-RX-10), certified by the platform at `base` through its API, as
/// a workstation's sync does.
pub async fn certified_key(
    base: &str,
    username: &str,
    seed: u8,
) -> meddesk_signature::Ed25519Signer {
    use meddesk_signature::Signer;
    let key = meddesk_signature::Ed25519Signer::from_seed([seed; 32]);
    let http = reqwest::Client::new();
    let tokens: serde_json::Value = http
        .post(format!("{base}/v1/sign-in"))
        .json(&serde_json::json!({
            "username": username, "password": password(username), "totp": null,
            "device_id": format!("keys-{username}")
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"]
        .as_str()
        .expect("signed in")
        .to_owned();
    let answer = http
        .post(format!("{base}/v1/certificates"))
        .bearer_auth(token)
        .json(&serde_json::json!({"algorithm": key.algorithm(), "public_key": key.public_key()}))
        .send()
        .await
        .unwrap();
    assert!(
        answer.status().is_success(),
        "certificate: {}",
        answer.status()
    );
    key
}

/// [`signed_document`] with the physician's electronic signature over the content the
/// platform holds for prescription `rx` of consultation `c`.
pub fn physician_signed(
    rx: uuid::Uuid,
    c: &meddesk_sync::ConsultationRecord,
    physician: &str,
    key: &meddesk_signature::Ed25519Signer,
) -> meddesk_sync::SignedDocument {
    let mut doc = signed_document();
    doc.signed_at_ms = now_ms();
    let content = meddesk_sync::prescription_content(
        rx,
        c.request.id,
        &c.request.org_id,
        &c.request.patient.patient_id,
        physician,
        &doc,
    );
    let signed =
        meddesk_signature::sign_prescription_pending(content, key, doc.signed_at_ms).unwrap();
    doc.signature = Some(serde_json::to_value(signed).unwrap());
    doc
}

/// The pharmacist's review signature over a prescription as the platform holds it.
pub fn pharmacist_signed(
    p: &meddesk_sync::PrescriptionRecord,
    key: &meddesk_signature::Ed25519Signer,
    approve: bool,
    reasons: Vec<String>,
) -> serde_json::Value {
    let doc: meddesk_signature::SignedPrescription = serde_json::from_value(
        p.signed
            .as_ref()
            .and_then(|s| s.signature.clone())
            .expect("signed"),
    )
    .unwrap();
    let decision = if approve {
        meddesk_signature::Decision::Approve
    } else {
        meddesk_signature::Decision::Reject
    };
    let review = meddesk_signature::review_pending(&doc, key, decision, reasons, now_ms()).unwrap();
    serde_json::json!({"review": review, "certificate": null})
}
