//! Queue operations on 100k consultations (issue 5: ≤ 10 ms p95): the physician's
//! `queue_list` (1,000 most urgent of 10,000 waiting), and `consultation_claim` +
//! `consultation_get`. A bench binary printing percentiles; run with
//! `cargo bench -p meddesk-workstation --bench queue`.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use meddesk_domain::{
    Channel, ConsultationId, ConsultationStatus, MaskedName, PatientId, Priority, Role, Sensitive,
    Sex, TriageRoute,
};
use meddesk_store::tables::{consultations, patients, workflow_documents as docs};
use meddesk_store::{Actor, KeySource, MemoryKeySource, ProfileFiles, Store};
use meddesk_workstation::account::NewUser;
use meddesk_workstation::{FixedClock, Profile, ProfileKind, Workstation, dispatch};
use serde_json::json;

const CONSULTATIONS: usize = 100_000;
const WAITING_EVERY: usize = 10;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<f64>) {
    samples.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{name:<40} n={:<5} p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.95),
        percentile(&samples, 0.99)
    );
}

fn populate(files: &ProfileFiles, keys: &dyn KeySource, now: DateTime<Utc>) {
    let key = keys.load().expect("key");
    let store = Store::open(files, &key, now).expect("open");
    let t = Instant::now();
    store
        .write(&Actor::system(), now, |w| {
            for i in 0..CONSULTATIONS {
                let pid = PatientId(format!("p{}", i % 20_000));
                if i < 20_000 {
                    patients::upsert(
                        w,
                        &patients::Patient {
                            id: pid.clone(),
                            masked_name: MaskedName::from_full_name("测试患者"),
                            age_years: Some((i % 90) as u8),
                            sex: Some(if i % 2 == 0 { Sex::Female } else { Sex::Male }),
                            identity_verified: true,
                            demo: true,
                        },
                        None,
                    )?;
                }
                let waiting = i % WAITING_EVERY == 0;
                let priority = [Priority::Emergency, Priority::Urgent, Priority::Normal][i % 3];
                let route = match i % 4 {
                    0 => TriageRoute::Emergency,
                    1 => TriageRoute::Specialist {
                        specialty: "cardiology".into(),
                    },
                    _ => TriageRoute::General,
                };
                let arrived = now - Duration::minutes((i % 600) as i64);
                let id = ConsultationId(uuid::Uuid::now_v7());
                consultations::insert(
                    w,
                    &consultations::Consultation {
                        id,
                        patient_id: pid,
                        physician_id: (!waiting).then(|| "dr.other".to_owned()),
                        channel: Channel::Text,
                        status: if waiting {
                            ConsultationStatus::Waiting
                        } else {
                            ConsultationStatus::Completed
                        },
                        priority,
                        route: route.clone(),
                        complaint: Sensitive::new("咽痛两天".into()),
                        arrived_at: arrived.timestamp_millis(),
                        sla_deadline: (arrived + Duration::minutes(30)).timestamp_millis(),
                    },
                )?;
                let intake = json!({
                    "kind": "ordinary", "vitals": {}, "guardian_present": null, "age_years": 30.0,
                    "conditions": [], "rules_version": "bench", "held": false, "released_by": null,
                    "claimed_at": null,
                    "triage": {"priority": priority, "route": route, "reasons": [], "flags": []}
                });
                docs::put_intake(w, &id.0.to_string(), &intake.to_string())?;
            }
            Ok(())
        })
        .expect("populate");
    println!(
        "populated {CONSULTATIONS} consultations in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = Profile {
        kind: ProfileKind::Clinic,
        data_dir: dir.path().join("profile"),
        assets_dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets"),
    };
    let now = Utc::now();
    let keys = MemoryKeySource::new();
    Workstation::init_profile(&profile, &keys, now).expect("init");
    populate(&ProfileFiles::new(&profile.data_dir), &keys, now);
    let ws = Workstation::open(profile, Arc::new(FixedClock(now)), Box::new(keys)).expect("open");
    ws.bootstrap_user(
        &NewUser {
            id: "dr.bench".into(),
            display_name: "bench".into(),
            org_id: "c".into(),
            roles: vec![Role::Physician],
            specialties: vec!["general".into(), "emergency".into(), "cardiology".into()],
            password: "bench-password".into(),
            rights_reviewed_at: Some(now - Duration::days(10)),
        },
        None,
    )
    .expect("user");
    dispatch(
        &ws,
        "sign_in",
        json!({"user_id": "dr.bench", "password": "bench-password"}),
    )
    .await
    .expect("sign in");

    // The full 1,000-row page, as a 1,000-row virtualized table asks for it.
    let mut full = Vec::new();
    for i in 0..40 {
        let t = Instant::now();
        dispatch(&ws, "queue_list", json!({"limit": 1000}))
            .await
            .expect("queue");
        if i >= 10 {
            full.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    report("queue_list limit 1000 (of 10,000 waiting)", full);

    let mut list = Vec::new();
    let mut ids = Vec::new();
    for i in 0..60 {
        let t = Instant::now();
        let q = dispatch(&ws, "queue_list", json!({})).await.expect("queue");
        let ms = t.elapsed().as_secs_f64() * 1e3;
        if i >= 10 {
            list.push(ms);
        }
        if i == 0 {
            let entries = q["entries"].as_array().expect("entries");
            println!("queue_list returns {} entries", entries.len());
            ids = entries.iter().take(60).map(|e| e["id"].clone()).collect();
        }
    }
    report("queue_list default page (200 of 10,000)", list);

    let mut claim = Vec::new();
    let mut get = Vec::new();
    for id in ids.iter().take(50) {
        let t = Instant::now();
        dispatch(&ws, "consultation_claim", json!({"consultation_id": id}))
            .await
            .expect("claim");
        claim.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        dispatch(&ws, "consultation_get", json!({"consultation_id": id}))
            .await
            .expect("get");
        get.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report("consultation_claim (durable write + view)", claim);
    report("consultation_get", get);
}
