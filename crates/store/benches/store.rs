//! Encrypted store benchmarks (issue 3), figures in docs/performance.md:
//! - the same mixed workload on SQLCipher and on plain SQLite, same process, same run;
//! - open + unlock + first query on a 100k-consultation database;
//! - the intake-queue query on 100k consultations (criterion's mean, plus a p95 printed from
//!   individually timed runs).
//!
//! Run: `cargo bench -p meddesk-store -- --warm-up-time 1 --measurement-time 5`

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use meddesk_domain::{
    Channel, ConsultationId, ConsultationStatus, MaskedName, PatientId, Priority, Sensitive,
    TriageRoute,
};
use meddesk_store::tables::{consultations, patients, prescription_lines::Line, prescriptions};
use meddesk_store::{Actor, DbKey, KeySource, MemoryKeySource, ProfileFiles, Store};
use rand::{Rng, SeedableRng, rngs::StdRng};

const CONSULTATIONS: usize = 100_000;
const PATIENTS: usize = 20_000;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .expect("valid time")
}

/// 100k consultations (10% waiting, the rest closed) for 20k patients, in one transaction.
fn seed(store: &Store) -> Vec<ConsultationId> {
    let mut rng = StdRng::seed_from_u64(7);
    let base = now().timestamp_millis();
    let mut ids = Vec::with_capacity(CONSULTATIONS);
    store
        .write(&Actor::new("bench"), now(), |w| {
            for p in 0..PATIENTS {
                patients::upsert(
                    w,
                    &patients::Patient {
                        id: PatientId(format!("p-{p}")),
                        masked_name: MaskedName::from_full_name("演示患者"),
                        age_years: Some((p % 90) as u8),
                        sex: None,
                        identity_verified: true,
                        demo: true,
                    },
                    None,
                )?;
            }
            for i in 0..CONSULTATIONS {
                let arrived = base - rng.random_range(0..30 * 24 * 3600 * 1000i64);
                let waiting = i % 10 == 0;
                let c = consultations::Consultation {
                    id: ConsultationId(uuid::Uuid::new_v4()),
                    patient_id: PatientId(format!("p-{}", i % PATIENTS)),
                    physician_id: (!waiting).then(|| format!("dr-{}", i % 50)),
                    channel: Channel::Text,
                    status: if waiting {
                        ConsultationStatus::Waiting
                    } else {
                        ConsultationStatus::Completed
                    },
                    priority: [Priority::Emergency, Priority::Urgent, Priority::Normal]
                        [rng.random_range(0..3)],
                    route: TriageRoute::General,
                    complaint: Sensitive::new("咳嗽三天，夜间加重，无发热".into()),
                    arrived_at: arrived,
                    sla_deadline: arrived + 30 * 60 * 1000,
                };
                ids.push(c.id);
                consultations::insert(w, &c)?;
            }
            Ok(())
        })
        .expect("seed");
    store.checkpoint().expect("checkpoint");
    ids
}

struct Db {
    _dir: tempfile::TempDir,
    files: ProfileFiles,
    keys: MemoryKeySource,
    store: Store,
    ids: Vec<ConsultationId>,
    /// For the raw-connection query timing (the bench's own key, never a user's).
    key_hex: Option<String>,
}

/// Where the databases live: `Disk` is the real cost (one fsync per commit, FULL sync);
/// `Memory` (tmpfs, Linux `/dev/shm`) removes the fsync so the comparison shows the CPU cost
/// of encryption alone.
#[derive(Clone, Copy, Debug)]
enum Medium {
    Disk,
    Memory,
}

fn temp_dir(medium: Medium) -> tempfile::TempDir {
    match medium {
        Medium::Memory if Path::new("/dev/shm").is_dir() => {
            tempfile::tempdir_in("/dev/shm").expect("tmpfs dir")
        }
        _ => tempfile::tempdir().expect("temp dir"),
    }
}

fn encrypted(medium: Medium) -> Db {
    let dir = temp_dir(medium);
    let files = ProfileFiles::new(dir.path().join("enc"));
    let bytes: [u8; 32] = rand::rng().random();
    let keys = MemoryKeySource::with_key(DbKey::from_bytes(bytes));
    let store = Store::create(&files, &keys.load().expect("key"), now()).expect("create");
    let ids = seed(&store);
    Db {
        _dir: dir,
        files,
        keys,
        store,
        ids,
        key_hex: Some(hex::encode(bytes)),
    }
}

fn plain(medium: Medium) -> Db {
    let dir = temp_dir(medium);
    let files = ProfileFiles::new(dir.path().join("plain"));
    std::fs::create_dir_all(files.dir()).expect("dir");
    let store = Store::open_unencrypted_for_benchmark(&files.database(), now()).expect("open");
    let ids = seed(&store);
    Db {
        _dir: dir,
        files,
        keys: MemoryKeySource::new(),
        store,
        ids,
        key_hex: None,
    }
}

fn line() -> Line {
    Line {
        generic_name: "amlodipine".into(),
        strength: "5 mg".into(),
        dose: "5 mg".into(),
        route: "oral".into(),
        frequency: "qd".into(),
        course_days: 7,
        quantity: "7 tablets".into(),
        notes: String::new(),
    }
}

/// One unit of a physician's work: sign a two-line prescription (one transaction), open 10
/// consultations (one audited read), refresh the intake queue (one audited read).
fn mixed_unit(db: &Db, rng: &mut StdRng) {
    let actor = Actor::new("dr-1");
    let cid = db.ids[rng.random_range(0..db.ids.len())];
    // Time-ordered ids (v7), as the workstation assigns them: inserts land on the same leaf.
    let rx = uuid::Uuid::now_v7().to_string();
    db.store
        .write(&actor, now(), |w| {
            prescriptions::insert_draft(
                w,
                &rx,
                &cid,
                "dr-1",
                &Sensitive::new("I10".into()),
                &[line(), line()],
            )?;
            prescriptions::sign(w, &rx, "dr-1")
        })
        .expect("write");
    let picks: Vec<ConsultationId> = (0..10)
        .map(|_| db.ids[rng.random_range(0..db.ids.len())])
        .collect();
    db.store
        .read(&actor, now(), |r| {
            for id in &picks {
                consultations::get(r, id)?;
            }
            Ok(())
        })
        .expect("reads");
    let q = db
        .store
        .read(&actor, now(), |r| consultations::intake_queue(r, 50))
        .expect("queue");
    assert_eq!(q.len(), 50);
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// Plain and encrypted units alternate, so both see the same disk and the same neighbours
/// (the machine is shared); prints medians, p95 and the ratio of medians.
fn interleaved(label: &str, pla: &Db, enc: &Db, rounds: usize) {
    let mut rng = StdRng::seed_from_u64(3);
    let (mut tp, mut te) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for _ in 0..rounds {
        let t = Instant::now();
        mixed_unit(pla, &mut rng);
        tp.push(t.elapsed());
        let t = Instant::now();
        mixed_unit(enc, &mut rng);
        te.push(t.elapsed());
    }
    tp.sort();
    te.sort();
    let (mp, me) = (percentile(&tp, 50), percentile(&te, 50));
    println!(
        "{label}: plain median {mp:?} p95 {:?}; sqlcipher median {me:?} p95 {:?}; ratio of medians {:.2}x ({rounds} interleaved units each)",
        percentile(&tp, 95),
        percentile(&te, 95),
        me.as_secs_f64() / mp.as_secs_f64()
    );
}

fn bench_mixed(c: &mut Criterion) {
    {
        let enc = encrypted(Medium::Memory);
        let pla = plain(Medium::Memory);
        let mut g = c.benchmark_group("mixed_workload_100k_tmpfs");
        let mut rng = StdRng::seed_from_u64(1);
        g.bench_function("plain_sqlite", |b| b.iter(|| mixed_unit(&pla, &mut rng)));
        g.bench_function("sqlcipher", |b| b.iter(|| mixed_unit(&enc, &mut rng)));
        g.finish();
        interleaved("mixed_workload_100k_tmpfs interleaved", &pla, &enc, 2000);
    }

    let enc = encrypted(Medium::Disk);
    let pla = plain(Medium::Disk);
    let mut g = c.benchmark_group("mixed_workload_100k_disk");
    let mut rng = StdRng::seed_from_u64(1);
    g.bench_function("plain_sqlite", |b| b.iter(|| mixed_unit(&pla, &mut rng)));
    g.bench_function("sqlcipher", |b| b.iter(|| mixed_unit(&enc, &mut rng)));
    g.finish();
    interleaved("mixed_workload_100k_disk interleaved", &pla, &enc, 500);

    // The queue alone (with its audit entry), and its p95 from individually timed runs.
    let mut g = c.benchmark_group("intake_queue_100k");
    for (name, db) in [("plain_sqlite", &pla), ("sqlcipher", &enc)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                db.store
                    .read(&Actor::new("dr-1"), now(), |r| {
                        consultations::intake_queue(r, 50)
                    })
                    .expect("queue")
            })
        });
        let mut samples: Vec<Duration> = (0..500)
            .map(|_| {
                let t = Instant::now();
                db.store
                    .read(&Actor::new("dr-1"), now(), |r| {
                        consultations::intake_queue(r, 50)
                    })
                    .expect("queue");
                t.elapsed()
            })
            .collect();
        samples.sort();
        println!(
            "intake_queue_100k/{name}: p50 {:?}, p95 {:?}, p99 {:?} (500 timed runs, audited)",
            percentile(&samples, 50),
            percentile(&samples, 95),
            percentile(&samples, 99)
        );
    }
    g.finish();

    // The query alone, without the audit append: a raw connection on the same file, same
    // settings, same SQL.
    for (name, db) in [("plain_sqlite", &pla), ("sqlcipher", &enc)] {
        let conn = rusqlite::Connection::open(db.files.database()).expect("raw open");
        if let Some(k) = &db.key_hex {
            conn.execute_batch(&format!(
                "PRAGMA cipher_log_level = NONE; PRAGMA key = \"x'{k}'\";"
            ))
            .expect("key");
            conn.execute_batch(meddesk_store::CIPHER_PRAGMAS)
                .expect("cipher settings");
        }
        conn.execute_batch("PRAGMA cache_size = -16384; PRAGMA query_only = ON;")
            .expect("pragmas");
        let mut stmt = conn
            .prepare(consultations::INTAKE_QUEUE_SQL)
            .expect("prepare");
        let mut samples: Vec<Duration> = (0..1000)
            .map(|_| {
                let t = Instant::now();
                let n = stmt.query_map([50], |_| Ok(())).expect("query").count();
                assert_eq!(n, 50);
                t.elapsed()
            })
            .collect();
        samples.sort();
        println!(
            "intake_queue_query_only_100k/{name}: p50 {:?}, p95 {:?}, p99 {:?} (1000 timed runs)",
            percentile(&samples, 50),
            percentile(&samples, 95),
            percentile(&samples, 99)
        );
    }

    // Open + unlock (load the key, key both handles) + the first query, on the 100k file.
    drop(enc.store);
    let mut g = c.benchmark_group("open_unlock_first_query_100k");
    g.bench_function("sqlcipher", |b| {
        b.iter_batched(
            || (),
            |()| {
                let key = enc.keys.load().expect("key");
                let store = Store::open(&enc.files, &key, now()).expect("open");
                drop(key);
                let q = store
                    .read(&Actor::new("dr-1"), now(), |r| {
                        consultations::intake_queue(r, 50)
                    })
                    .expect("queue");
                assert_eq!(q.len(), 50);
                store
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_mixed);
criterion_main!(benches);
