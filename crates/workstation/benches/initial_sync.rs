//! Initial sync into the encrypted cache (issue 6: ≥ 20,000 records/s): a platform node on
//! loopback (embedded SQLite) holding N consultation requests, pulled by a physician whose
//! specialties cover all of them — into the workstation's SQLCipher store through
//! `StoreReplica` (every record kept as the platform's snapshot, triaged by the local rules
//! and stored in the queue tables, one transaction and one audit entry per page), and, as
//! the baseline in the same process, into the in-memory replica.
//!
//! Run: `cargo bench -p meddesk-workstation --bench initial_sync`
//! (`MEDDESK_BENCH_RECORDS=N` changes the 100k.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use meddesk_domain::Role;
use meddesk_platform::{AccountSeed, Database, ServeConfig};
use meddesk_store::MemoryKeySource;
use meddesk_sync::{
    AccountRole, ClientConfig, HlcClock, MemoryReplica, MemoryTokenStore, OpKind, Operation,
    Replica, SyncClient,
};
use meddesk_workstation::account::NewUser;
use meddesk_workstation::{Profile, ProfileKind, SystemClock, Workstation, dispatch};
use rand::SeedableRng;
use serde_json::json;

// The allocator the shipped binaries use (src-tauri, cli).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ORG: &str = "bench-clinic";
const PAGE: u32 = 5_000;

fn seed(user: &str, role: AccountRole, specialties: &[&str]) -> AccountSeed {
    AccountSeed {
        username: user.into(),
        password: format!("{user}-bench"),
        user_id: user.into(),
        role,
        org_id: ORG.into(),
        specialties: specialties.iter().map(|s| (*s).to_owned()).collect(),
        totp_secret_hex: None,
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

async fn fill(base: &str, n: usize) {
    let replica = Arc::new(Mutex::new(MemoryReplica::new()));
    let mut cfg = ClientConfig::new(base, "bench-intake");
    cfg.timeout = Duration::from_secs(300);
    let mut intake =
        SyncClient::new(cfg, replica.clone(), Arc::new(MemoryTokenStore::new())).unwrap();
    intake
        .sign_in("intake", "intake-bench", None)
        .await
        .unwrap();
    intake.register_device("bench").await.unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut clock = HlcClock::new();
    let mut left = n;
    while left > 0 {
        let batch = left.min(2_000);
        for _ in 0..batch {
            let request =
                meddesk_platform::simulator::consultation_request(&mut rng, ORG, now_ms());
            replica.lock().unwrap().commit(Operation {
                op_id: uuid::Uuid::now_v7(),
                user: "intake".into(),
                device: "bench-intake".into(),
                base_version: 0,
                hlc: clock.tick(now_ms()),
                kind: OpKind::CreateConsultation { request },
            });
        }
        intake.sync_once().await.unwrap();
        left -= batch;
    }
}

async fn pull_all<R: Replica + 'static>(base: &str, device: &str, replica: Arc<Mutex<R>>) -> f64 {
    let mut cfg = ClientConfig::new(base, device);
    cfg.page_limit = PAGE;
    cfg.timeout = Duration::from_secs(300);
    let mut c = SyncClient::new(cfg, replica, Arc::new(MemoryTokenStore::new())).unwrap();
    c.sign_in("dr.bench", "dr.bench-bench", None).await.unwrap();
    c.register_device(device).await.unwrap();
    let t = Instant::now();
    c.sync_once().await.unwrap();
    t.elapsed().as_secs_f64()
}

/// A fresh encrypted profile with the physician signed in (no platform link: the bench
/// drives the client itself).
async fn workstation(dir: &std::path::Path) -> Workstation {
    let profile = Profile {
        kind: ProfileKind::Clinic,
        data_dir: dir.join("profile"),
        assets_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets"),
    };
    let keys = MemoryKeySource::new();
    Workstation::init_profile(&profile, &keys, Utc::now()).unwrap();
    let ws = Workstation::open(profile, Arc::new(SystemClock), Box::new(keys)).unwrap();
    ws.bootstrap_user(
        &NewUser {
            id: "dr.bench".into(),
            display_name: "bench".into(),
            org_id: ORG.into(),
            roles: vec![Role::Physician],
            specialties: [
                "general",
                "emergency",
                "cardiology",
                "endocrinology",
                "pediatrics",
                "dermatology",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            password: "dr.bench-bench".into(),
            rights_reviewed_at: Some(Utc::now()),
        },
        None,
    )
    .unwrap();
    dispatch(
        &ws,
        "sign_in",
        json!({"user_id": "dr.bench", "password": "dr.bench-bench"}),
    )
    .await
    .unwrap();
    ws
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let records: usize = std::env::var("MEDDESK_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let cfg = ServeConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: Database::Sqlite(dir.path().join("platform.sqlite3")),
        accounts: vec![
            seed("intake", AccountRole::Intake, &[]),
            seed(
                "dr.bench",
                AccountRole::Physician,
                meddesk_platform::simulator::SPECIALTIES,
            ),
        ],
        access_ttl_s: 3600,
        trusted_proxies: Vec::new(),
        pack: meddesk_platform::serve::load_pack(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"),
        )
        .expect("the shipped knowledge pack"),
        triage: meddesk_platform::serve::load_triage(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets"),
        )
        .expect("the shipped triage rules"),
    };
    tokio::spawn(meddesk_platform::serve(cfg, move |a| {
        let _ = tx.send(a);
    }));
    let base = format!("http://{}", rx.await.unwrap());
    let t = Instant::now();
    fill(&base, records).await;
    println!(
        "setup: {records} consultation requests filed on the platform in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let mut memory = Vec::new();
    let mut encrypted = Vec::new();
    for round in 0..3 {
        // Baseline: the same pull into memory.
        let replica = Arc::new(Mutex::new(MemoryReplica::new()));
        let s = pull_all(&base, &format!("bench-mem-{round}"), replica.clone()).await;
        assert_eq!(replica.lock().unwrap().applied_changes(), records as u64);
        memory.push(s);

        let ws_dir = tempfile::tempdir().unwrap();
        let ws = workstation(ws_dir.path()).await;
        let replica = Arc::new(Mutex::new(ws.replica_for_signed_in().unwrap()));
        let s = pull_all(&base, &format!("bench-enc-{round}"), replica).await;
        let queue = dispatch(&ws, "queue_list", json!({"limit": 1000}))
            .await
            .unwrap();
        assert!(
            queue["entries"].as_array().unwrap().len() >= 200,
            "pulled requests are in the queue"
        );
        encrypted.push(s);
        println!(
            "round {round}: in-memory {:.2} s ({:.0} records/s), encrypted store {:.2} s ({:.0} records/s)",
            memory[round],
            records as f64 / memory[round],
            s,
            records as f64 / s
        );
    }
    let (m, e) = (median(memory), median(encrypted));
    println!(
        "initial sync of {records} records, pages of {PAGE}, median of 3: in-memory replica {:.0} records/s; encrypted store {:.0} records/s (target ≥ 20,000); encrypted ÷ in-memory time {:.2}×",
        records as f64 / m,
        records as f64 / e,
        e / m
    );
}
