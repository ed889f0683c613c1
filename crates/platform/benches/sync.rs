//! Sync and platform benchmarks (issue 6), a bench binary printing medians:
//! - initial sync of 100k records from the platform on loopback into an in-memory replica;
//! - a no-op sync: time and bytes on the wire (both directions, counted by a proxy);
//! - new consultation → connected physician's replica (SSE + pull), p50/p95;
//! - platform push throughput on PostgreSQL (default durable settings);
//! - two nodes on one PostgreSQL: push throughput from clients spread over both, and a new
//!   consultation reaching 1,000 event streams spread over both (`MEDDESK_BENCH_ONLY=nodes`).
//!
//! Run: `CARGO_TARGET_DIR=… cargo bench -p meddesk-platform --bench sync`
//! (`MEDDESK_BENCH_RECORDS=N` changes the 100k.)
#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meddesk_platform::Database;
use meddesk_sync::{ClientConfig, MemoryReplica, MemoryTokenStore, OpKind, RecordKey, SyncClient};
use support::*;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

async fn fill(base: &str, n: usize) {
    let mut intake = client(base, "intake", "dev-intake").await;
    let mut left = n;
    while left > 0 {
        let batch = left.min(2_000);
        for _ in 0..batch {
            commit(
                &intake,
                op(
                    "intake",
                    "dev-intake",
                    0,
                    hlc_now(),
                    OpKind::CreateConsultation {
                        request: request("cardiology"),
                    },
                ),
            );
        }
        intake.sync_once().await.unwrap();
        left -= batch;
    }
}

async fn fresh_physician(base: &str, page_limit: u32) -> Client {
    let replica = Arc::new(Mutex::new(MemoryReplica::new()));
    let mut cfg = ClientConfig::new(base, "dev-doc2");
    cfg.page_limit = page_limit;
    cfg.timeout = Duration::from_secs(120);
    let mut c = SyncClient::new(cfg, replica, Arc::new(MemoryTokenStore::new())).unwrap();
    c.sign_in("doc2", &password("doc2"), None).await.unwrap();
    c.register_device("bench").await.unwrap();
    c
}

async fn bench_sqlite(records: usize) {
    let dir = tempfile::tempdir().unwrap();
    let addr = start_in_process(Database::Sqlite(dir.path().join("p.sqlite3")), 3600).await;
    let base = format!("http://{addr}");
    let t = Instant::now();
    fill(&base, records).await;
    println!(
        "setup: pushed {records} consultation requests (SQLite) in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Initial sync.
    let mut rates = Vec::new();
    let mut secs = Vec::new();
    for _ in 0..3 {
        let mut doc = fresh_physician(&base, 5_000).await;
        let t = Instant::now();
        let report = doc.sync_once().await.unwrap();
        let s = t.elapsed().as_secs_f64();
        let held = doc.replica().lock().unwrap().records().len();
        assert!(held >= records, "{held} < {records}");
        assert_eq!(report.cursor, report.head);
        secs.push(s);
        rates.push(held as f64 / s);
    }
    let rate = median(rates);
    println!(
        "initial sync, {records} records, SQLite platform → in-memory replica: median {:.2} s, {:.0} records/s (target ≥ 20,000: ratio {:.2})",
        median(secs),
        rate,
        rate / 20_000.0
    );

    // No-op sync through a byte-counting proxy.
    let proxy = Proxy::start(addr).await;
    let pbase = format!("http://{}", proxy.addr);
    let replica = Arc::new(Mutex::new(MemoryReplica::new()));
    let mut cfg = ClientConfig::new(&pbase, "dev-doc2");
    cfg.page_limit = 5_000;
    cfg.timeout = Duration::from_secs(120);
    let mut doc = SyncClient::new(cfg, replica, Arc::new(MemoryTokenStore::new())).unwrap();
    doc.sign_in("doc2", &password("doc2"), None).await.unwrap();
    doc.register_device("bench").await.unwrap();
    doc.sync_once().await.unwrap();
    doc.sync_once().await.unwrap(); // warm the connection
    let mut times = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..50 {
        proxy.reset_counters();
        let t = Instant::now();
        let r = doc.sync_once().await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.pulled, 0);
        bytes.push(
            (proxy.bytes_up.load(std::sync::atomic::Ordering::SeqCst)
                + proxy.bytes_down.load(std::sync::atomic::Ordering::SeqCst)) as f64,
        );
    }
    let (t, b) = (median(times), median(bytes));
    println!(
        "no-op sync (nothing pending, nothing new, cursor at {}): median {:.2} ms (target ≤ 20: ratio {:.3}), {:.0} bytes on the wire (target ≤ 2048: ratio {:.2})",
        records,
        t,
        t / 20.0,
        b,
        b / 2048.0
    );

    // New consultation → connected physician.
    let mut intake = client(&base, "intake", "dev-intake").await;
    let mut doc = fresh_physician(&base, 5_000).await;
    let head = doc.sync_once().await.unwrap().head;
    let mut events = doc.subscribe(head).await.unwrap();
    let mut lat = Vec::new();
    for _ in 0..100 {
        let req = request("cardiology");
        let key = RecordKey::consultation(req.id);
        commit(
            &intake,
            op(
                "intake",
                "dev-intake",
                0,
                hlc_now(),
                OpKind::CreateConsultation { request: req },
            ),
        );
        let t = Instant::now();
        intake.sync_once().await.unwrap();
        loop {
            events.next().await.unwrap().unwrap();
            doc.sync_once().await.unwrap();
            if doc.replica().lock().unwrap().records().contains_key(&key) {
                break;
            }
        }
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let p95 = pct(lat.clone(), 0.95);
    println!(
        "new consultation → in a connected physician's replica (push + SSE + pull, SQLite): p50 {:.1} ms, p95 {:.1} ms (target ≤ 200: ratio {:.3})",
        pct(lat, 0.5),
        p95,
        p95 / 200.0
    );
}

async fn bench_postgres() {
    // Default PostgreSQL settings: fsync and synchronous_commit on, as a deployment runs.
    let pg = postgres::PgCluster::start(&[]);
    let addr = start_in_process(Database::Postgres(pg.url.clone()), 3600).await;
    let base = format!("http://{addr}");
    let total = 20_000;
    let mut rates = Vec::new();
    for batch in [200usize, 500] {
        let intake = client(&base, "intake", "dev-intake").await;
        let replica = intake.replica().clone();
        // Cursor far ahead: this client only pushes, so the figure is the push alone.
        {
            use meddesk_sync::Replica as _;
            replica
                .lock()
                .unwrap()
                .apply_changes(&[], u64::MAX / 4)
                .unwrap();
        }
        for _ in 0..total {
            replica.lock().unwrap().commit(op(
                "intake",
                "dev-intake",
                0,
                hlc_now(),
                OpKind::CreateConsultation {
                    request: request("cardiology"),
                },
            ));
        }
        let mut cfg = ClientConfig::new(&base, "dev-intake");
        cfg.push_batch = batch;
        cfg.page_limit = 5_000;
        cfg.timeout = Duration::from_secs(120);
        let t = Instant::now();
        // One client pushing sequentially: the honest single-clinic figure.
        let mut pusher =
            SyncClient::new(cfg, replica.clone(), Arc::new(MemoryTokenStore::new())).unwrap();
        pusher
            .sign_in("intake", &password("intake"), None)
            .await
            .unwrap();
        pusher.register_device("bench").await.unwrap();
        let r = pusher.sync_once().await.unwrap();
        let s = t.elapsed().as_secs_f64();
        assert_eq!(r.acked as usize, total);
        let rate = total as f64 / s;
        println!(
            "platform push on PostgreSQL: {total} ops in batches of {batch} (one client, sequential requests): {:.2} s, {:.0} ops/s (target ≥ 2,000: ratio {:.2})",
            s,
            rate,
            rate / 2_000.0
        );
        rates.push(rate);
        drop(intake);
    }
    // Initial sync from PostgreSQL, too.
    let mut doc = fresh_physician(&base, 5_000).await;
    let t = Instant::now();
    doc.sync_once().await.unwrap();
    let s = t.elapsed().as_secs_f64();
    let held = doc.replica().lock().unwrap().records().len();
    println!(
        "initial sync, {held} records, PostgreSQL platform → in-memory replica: {:.2} s, {:.0} records/s",
        s,
        held as f64 / s
    );
    drop(pg);
}

/// Pushers on the given node bases, each with `per` create operations queued, pushing at once
/// in batches of 500: total ops/s over the wall time.
async fn concurrent_push(bases: &[String], per: usize) -> f64 {
    let mut pushers = Vec::new();
    for (i, base) in bases.iter().enumerate() {
        let device = format!("dev-intake-{}-{}", i, uuid::Uuid::now_v7());
        let replica = Arc::new(Mutex::new(MemoryReplica::new()));
        {
            use meddesk_sync::Replica as _;
            replica
                .lock()
                .unwrap()
                .apply_changes(&[], u64::MAX / 4)
                .unwrap();
        }
        for _ in 0..per {
            replica.lock().unwrap().commit(op(
                "intake",
                &device,
                0,
                hlc_now(),
                OpKind::CreateConsultation {
                    request: request("cardiology"),
                },
            ));
        }
        let mut cfg = ClientConfig::new(base, &device);
        cfg.push_batch = 500;
        cfg.timeout = Duration::from_secs(300);
        let mut c = SyncClient::new(cfg, replica, Arc::new(MemoryTokenStore::new())).unwrap();
        c.sign_in("intake", &password("intake"), None)
            .await
            .unwrap();
        c.register_device("bench").await.unwrap();
        pushers.push(c);
    }
    let t = Instant::now();
    let handles: Vec<_> = pushers
        .into_iter()
        .map(|mut c| tokio::spawn(async move { c.sync_once().await.unwrap().acked }))
        .collect();
    let mut acked = 0u64;
    for h in handles {
        acked += u64::from(h.await.unwrap());
    }
    assert_eq!(acked as usize, per * bases.len());
    acked as f64 / t.elapsed().as_secs_f64()
}

/// Issue 13 §6: two nodes on one PostgreSQL — push throughput from clients spread over both
/// (baseline: the same clients on one node, same process), and a new consultation reaching
/// many connected workstations' notification channels spread over both nodes (p50/p95).
async fn bench_nodes() {
    let pg = postgres::PgCluster::start(&[]);
    let a = start_in_process(Database::Postgres(pg.url.clone()), 3600).await;
    let b = start_in_process(Database::Postgres(pg.url.clone()), 3600).await;
    let (base_a, base_b) = (format!("http://{a}"), format!("http://{b}"));
    let per: usize = std::env::var("MEDDESK_BENCH_PUSH_PER_CLIENT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let mut one = Vec::new();
    let mut two = Vec::new();
    for _ in 0..3 {
        one.push(concurrent_push(&vec![base_a.clone(); 4], per).await);
        two.push(
            concurrent_push(
                &[
                    base_a.clone(),
                    base_b.clone(),
                    base_a.clone(),
                    base_b.clone(),
                ],
                per,
            )
            .await,
        );
    }
    let (one, two) = (median(one), median(two));
    println!(
        "push on PostgreSQL, 4 clients × {per} ops (batches of 500), median of 3: one node {one:.0} ops/s; two nodes {two:.0} ops/s (ratio to one node {:.2}; target ≥ 10,000: ratio {:.2})",
        two / one,
        two / 10_000.0
    );

    // Fan-out: N event streams, half on each node, one access token per node.
    let n: usize = std::env::var("MEDDESK_BENCH_SUBSCRIBERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let token = |base: String| {
        let http = http.clone();
        async move {
            let v: serde_json::Value = http
                .post(format!("{base}/v1/sign-in"))
                .json(&serde_json::json!({"username": "doc2", "password": password("doc2"), "device_id": "bench-sse"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["access_token"].as_str().unwrap().to_owned()
        }
    };
    let (ta, tb) = (token(base_a.clone()).await, token(base_b.clone()).await);
    let mut intake = client(&base_a, "intake", "dev-intake-fanout").await;
    let head = intake.sync_once().await.unwrap().head;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    let ready = Arc::new(tokio::sync::Barrier::new(n + 1));
    for i in 0..n {
        let (base, token) = if i % 2 == 0 {
            (base_a.clone(), ta.clone())
        } else {
            (base_b.clone(), tb.clone())
        };
        let http = reqwest::Client::new();
        let tx = tx.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            let mut resp = http
                .get(format!("{base}/v1/events?after={head}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            ready.wait().await;
            let mut round = 0;
            while let Ok(Some(chunk)) = resp.chunk().await {
                if chunk.windows(4).any(|w| w == b"head") {
                    let _ = tx.send((round, Instant::now()));
                    round += 1;
                }
            }
        });
    }
    ready.wait().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rounds = 5;
    let mut latencies = Vec::new();
    for round in 0..rounds {
        commit(
            &intake,
            op(
                "intake",
                "dev-intake-fanout",
                0,
                hlc_now(),
                OpKind::CreateConsultation {
                    request: request("cardiology"),
                },
            ),
        );
        let t = Instant::now();
        intake.sync_once().await.unwrap();
        let mut got = 0;
        while got < n {
            let Ok(Some((r, at))) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await
            else {
                break;
            };
            if r == round {
                latencies.push(at.duration_since(t).as_secs_f64() * 1_000.0);
                got += 1;
            }
        }
        println!("  fan-out round {round}: {got} of {n} streams told");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "new consultation → {n} connected event streams over two nodes ({rounds} rounds, {} samples): p50 {:.1} ms, p95 {:.1} ms (target p95 ≤ 200 ms: ratio {:.3})",
        latencies.len(),
        pct(latencies.clone(), 0.5),
        pct(latencies.clone(), 0.95),
        pct(latencies, 0.95) / 200.0
    );
    drop(pg);
}

/// A field of /proc/PID/status in KiB (VmRSS, VmHWM).
fn proc_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Issue 13: a push of 2,000 messages of 2,000 characters (one request, ≈ 12 MB of JSON) into
/// one consultation, against a node in its own process (`meddesk-platform`, embedded SQLite):
/// its resident memory before, and its peak during the push.
async fn bench_message_push_memory() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = write_accounts(dir.path());
    let db = format!("sqlite:{}", dir.path().join("p.sqlite3").display());
    let node = ServerProcess::start(&db, &accounts);
    let base = format!("http://{}", node.addr);
    let mut intake = client(&base, "intake", "dev-intake").await;
    let req = request("cardiology");
    let consultation_id = req.id;
    commit(
        &intake,
        op(
            "intake",
            "dev-intake",
            0,
            hlc_now(),
            OpKind::CreateConsultation { request: req },
        ),
    );
    intake.sync_once().await.unwrap();
    let before = proc_kib(node.pid(), "VmRSS:");
    let peak_before = proc_kib(node.pid(), "VmHWM:");
    let replica = intake.replica().clone();
    for i in 0..2_000 {
        replica.lock().unwrap().commit(op(
            "intake",
            "dev-intake",
            1,
            hlc_now(),
            OpKind::PostMessage {
                consultation_id,
                message_id: uuid::Uuid::now_v7(),
                body: format!("第{i}条：{}", "症".repeat(1_990)),
            },
        ));
    }
    let mut cfg = ClientConfig::new(&base, "dev-intake");
    cfg.push_batch = 2_000;
    cfg.timeout = Duration::from_secs(300);
    let mut pusher = SyncClient::new(cfg, replica, Arc::new(MemoryTokenStore::new())).unwrap();
    pusher
        .sign_in("intake", &password("intake"), None)
        .await
        .unwrap();
    let t = Instant::now();
    let r = pusher.sync_once().await.unwrap();
    let s = t.elapsed().as_secs_f64();
    assert_eq!(r.acked, 2_000);
    let peak = proc_kib(node.pid(), "VmHWM:");
    let after = proc_kib(node.pid(), "VmRSS:");
    println!(
        "push of 2,000 messages × 2,000 characters in one request (node in its own process, SQLite): {s:.2} s; node RSS before {:.1} MiB (peak so far {:.1} MiB), peak during the push {:.1} MiB (+{:.1} MiB; target < 64 MB: ratio {:.2}), after {:.1} MiB",
        before as f64 / 1024.0,
        peak_before as f64 / 1024.0,
        peak as f64 / 1024.0,
        (peak.saturating_sub(before)) as f64 / 1024.0,
        (peak.saturating_sub(before)) as f64 * 1024.0 / 64e6,
        after as f64 / 1024.0
    );
    drop(node);
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run only when
    // benchmarking, so the test suite never pays for it.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let records: usize = std::env::var("MEDDESK_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // MEDDESK_BENCH_ONLY=nodes runs the two-node figures alone.
    let only = std::env::var("MEDDESK_BENCH_ONLY").unwrap_or_default();
    rt.block_on(async {
        if only.is_empty() || only == "sqlite" {
            bench_sqlite(records).await;
        }
        if only.is_empty() || only == "postgres" {
            bench_postgres().await;
        }
        if only.is_empty() || only == "nodes" {
            bench_nodes().await;
        }
        if only.is_empty() || only == "memory" {
            bench_message_push_memory().await;
        }
    });
}
