//! Test fixtures: a temp profile with an in-memory key, never the user's keychain or data.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use meddesk_domain::{
    Channel, ConsultationId, ConsultationStatus, MaskedName, PatientId, Priority, Sensitive,
    TriageRoute,
};
use meddesk_store::tables::{consultations, patients, prescription_lines, prescriptions};
use meddesk_store::{Actor, DbKey, KeySource, KeySourceKind, MemoryKeySource, ProfileFiles, Store};

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub files: ProfileFiles,
    pub keys: MemoryKeySource,
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
        .single()
        .expect("valid time")
}

pub fn doctor() -> Actor {
    Actor::new("dr-1")
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let files = ProfileFiles::new(dir.path().join("profile"));
        // Tests never touch the user's data directory or keychain.
        assert!(files.dir().starts_with(std::env::temp_dir()));
        let keys = MemoryKeySource::with_key(DbKey::generate().expect("key"));
        assert_eq!(keys.kind(), KeySourceKind::Memory);
        Self { dir, files, keys }
    }

    pub fn with_key(key: DbKey) -> Self {
        let fx = Self::new();
        fx.keys.save(&key).expect("memory key source");
        fx
    }

    pub fn key(&self) -> DbKey {
        self.keys.load().expect("key")
    }

    pub fn create(&self) -> Store {
        Store::create(&self.files, &self.key(), t0()).expect("create store")
    }

    pub fn open(&self) -> Store {
        Store::open(&self.files, &self.key(), t0()).expect("open store")
    }
}

pub fn patient(id: &str, name: &str) -> patients::Patient {
    patients::Patient {
        id: PatientId(id.into()),
        masked_name: MaskedName::from_full_name(name),
        age_years: Some(40),
        sex: Some(meddesk_domain::Sex::Female),
        identity_verified: true,
        demo: false,
    }
}

pub fn consultation(
    patient_id: &str,
    priority: Priority,
    arrived_at: i64,
    complaint: &str,
) -> consultations::Consultation {
    consultations::Consultation {
        id: ConsultationId(uuid::Uuid::new_v4()),
        patient_id: PatientId(patient_id.into()),
        physician_id: None,
        channel: Channel::Text,
        status: ConsultationStatus::Waiting,
        priority,
        route: TriageRoute::General,
        complaint: Sensitive::new(complaint.into()),
        arrived_at,
        sla_deadline: arrived_at + 30 * 60 * 1000,
    }
}

pub fn line(name: &str) -> prescription_lines::Line {
    prescription_lines::Line {
        generic_name: name.into(),
        strength: "5 mg".into(),
        dose: "5 mg".into(),
        route: "oral".into(),
        frequency: "qd".into(),
        course_days: 7,
        quantity: "7 tablets".into(),
        notes: String::new(),
    }
}

/// A patient, a consultation and a signed prescription; returns (consultation, prescription id).
pub fn seed_one(store: &Store, marker: &str) -> (ConsultationId, String) {
    let c = consultation("p-1", Priority::Normal, t0().timestamp_millis(), marker);
    let cid = c.id;
    let rx = uuid::Uuid::new_v4().to_string();
    store
        .write(&doctor(), t0(), |w| {
            patients::upsert(w, &patient("p-1", "演示患者甲"), None)?;
            consultations::insert(w, &c)?;
            prescriptions::insert_draft(
                w,
                &rx,
                &cid,
                "dr-1",
                &Sensitive::new(format!("dx {marker}")),
                &[line("amlodipine")],
            )?;
            prescriptions::sign(w, &rx, "dr-1")
        })
        .expect("seed");
    (cid, rx)
}

pub fn sha(path: &std::path::Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).expect("read")))
}

/// Every file in the profile folder with its hash.
pub fn snapshot(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                sha(&p),
            )
        })
        .collect();
    out.sort();
    out
}
