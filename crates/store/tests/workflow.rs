//! The store's behaviour along the workflow: audited reads and writes, rules the schema
//! enforces, the intake queue, locking, backups and restore.

mod support;

use chrono::Duration;
use meddesk_domain::{PatientId, Priority, Sensitive};
use meddesk_store::backup::{self, BackupKind, BackupPolicy, MINIMUM_RETENTION_DAYS};
use meddesk_store::tables::{
    consultations, finding_overrides, findings, patients, pharmacist_reviews, prescriptions,
};
use meddesk_store::{
    Actor, DEFAULT_IDLE_TIMEOUT, KeySource, PasswordVerifier, Session, Store, idle_lock_due,
};
use support::*;
use zeroize::Zeroizing;

#[test]
fn every_change_and_every_patient_read_is_audited() {
    let fx = Fixture::new();
    let store = fx.create();
    let (_, rx) = seed_one(&store, "x");
    // patient, consultation, prescription created, then signed.
    assert_eq!(store.verify_audit().unwrap().entries, 4);
    let actions: Vec<String> = store
        .recent_audit(10)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["sign", "create", "create", "create"]);
    store
        .read(&doctor(), t0() + Duration::minutes(1), |r| {
            patients::get(r, &PatientId("p-1".into()))?;
            prescriptions::get(r, &rx)
        })
        .unwrap();
    let recent = store.recent_audit(2).unwrap();
    assert_eq!(store.verify_audit().unwrap().entries, 6);
    assert_eq!(
        (
            recent[0].action.as_str(),
            recent[0].record_type.as_str(),
            recent[0].record_id.as_str()
        ),
        ("read", "prescription", rx.as_str())
    );
    assert_eq!(
        (recent[1].record_type.as_str(), recent[1].record_id.as_str()),
        ("patient", "p-1")
    );
    assert_eq!(recent[0].who, "dr-1");
    assert_eq!(recent[0].device, store.device());
    assert_eq!(
        recent[0].at,
        (t0() + Duration::minutes(1)).timestamp_millis()
    );

    // A failed write leaves neither the change nor its audit entry.
    let err = store
        .write(&doctor(), t0(), |w| prescriptions::sign(w, &rx, "dr-1"))
        .unwrap_err();
    assert_eq!(err.code(), "constraint_violation");
    assert_eq!(store.verify_audit().unwrap().entries, 6);
}

#[test]
fn identifiers_are_sealed_and_bound_to_their_patient() {
    let fx = Fixture::new();
    let store = fx.create();
    let ids = patients::Identifiers {
        full_name: "演示患者甲".into(),
        id_number: Some("110101199001011234".into()),
        phone: None,
    };
    store
        .write(&doctor(), t0(), |w| {
            patients::upsert(
                w,
                &patient("p-1", "演示患者甲"),
                Some(&Sensitive::new(ids.clone())),
            )?;
            patients::upsert(w, &patient("p-2", "演示患者乙"), None)
        })
        .unwrap();
    let back = store
        .read(&doctor(), t0(), |r| {
            patients::identifiers(r, &PatientId("p-1".into()))
        })
        .unwrap()
        .unwrap();
    assert_eq!(back.expose(), &ids);
    let shown = store
        .read(&doctor(), t0(), |r| {
            patients::get(r, &PatientId("p-1".into()))
        })
        .unwrap();
    assert_eq!(shown.masked_name.as_str(), "演****");
    // Moving the sealed blob to another patient does not decrypt it there.
    store
        .write(&doctor(), t0(), |w| {
            w.conn().execute(
                "UPDATE patients SET identifiers = (SELECT identifiers FROM patients WHERE id = 'p-1') WHERE id = 'p-2'",
                [],
            )?;
            Ok(())
        })
        .unwrap();
    let err = store
        .read(&doctor(), t0(), |r| {
            patients::identifiers(r, &PatientId("p-2".into()))
        })
        .unwrap_err();
    assert_eq!(err.code(), "corrupt_database");
}

#[test]
fn prescription_rules_hold_in_the_store() {
    let fx = Fixture::new();
    let store = fx.create();
    let (cid, rx) = seed_one(&store, "x");
    // Only the author signs (R-RX-1): a second draft signed by someone else is refused.
    let other = "rx-2".to_string();
    let err = store
        .write(&doctor(), t0(), |w| {
            prescriptions::insert_draft(
                w,
                &other,
                &cid,
                "dr-1",
                &Sensitive::new("I10".into()),
                &[line("a")],
            )?;
            prescriptions::sign(w, &other, "dr-2")
        })
        .unwrap_err();
    assert_eq!(err.code(), "constraint_violation");
    // At most five lines (R-RX-4).
    let err = store
        .write(&doctor(), t0(), |w| {
            let six: Vec<_> = (0..6).map(|i| line(&format!("m{i}"))).collect();
            prescriptions::insert_draft(
                w,
                "rx-3",
                &cid,
                "dr-1",
                &Sensitive::new("I10".into()),
                &six,
            )
        })
        .unwrap_err();
    assert_eq!(err.code(), "constraint_violation");
    // Blocks are never overridden; warnings only with a reason (R-RX-7).
    store
        .write(&doctor(), t0(), |w| {
            for (id, sev) in [
                ("f-block", findings::Severity::Block),
                ("f-warn", findings::Severity::Warn),
            ] {
                findings::insert(
                    w,
                    &findings::Finding {
                        id: id.into(),
                        prescription_id: rx.clone(),
                        line_no: Some(1),
                        rule_id: "dose-max".into(),
                        severity: sev,
                        reason: "above the maximum daily dose".into(),
                        source: "label".into(),
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
    let block = store.write(&doctor(), t0(), |w| {
        finding_overrides::insert(w, "f-block", "dr-1", "I know")
    });
    assert_eq!(block.unwrap_err().code(), "constraint_violation");
    let blank = store.write(&doctor(), t0(), |w| {
        finding_overrides::insert(w, "f-warn", "dr-1", "  ")
    });
    assert_eq!(blank.unwrap_err().code(), "constraint_violation");
    store
        .write(&doctor(), t0(), |w| {
            finding_overrides::insert(w, "f-warn", "dr-1", "titrated, monitored")
        })
        .unwrap();
    // A pharmacist rejection needs reasons; an approval flips the status (R-RX-6).
    let review = |approved: bool, reasons: &str| pharmacist_reviews::Review {
        id: uuid::Uuid::new_v4().to_string(),
        prescription_id: rx.clone(),
        pharmacist_id: "ph-1".into(),
        approved,
        reasons: reasons.into(),
    };
    let pharmacist = Actor::new("ph-1");
    let err = store
        .write(&pharmacist, t0(), |w| {
            pharmacist_reviews::record(w, &review(false, ""))
        })
        .unwrap_err();
    assert_eq!(err.code(), "constraint_violation");
    store
        .write(&pharmacist, t0(), |w| {
            pharmacist_reviews::record(w, &review(true, ""))
        })
        .unwrap();
    let got = store
        .read(&pharmacist, t0(), |r| prescriptions::get(r, &rx))
        .unwrap();
    assert_eq!(got.status, prescriptions::RxStatus::Approved);
    assert_eq!(got.lines.len(), 1);
    store.verify().unwrap();
}

#[test]
fn intake_queue_orders_by_priority_then_deadline_from_its_index() {
    let fx = Fixture::new();
    let store = fx.create();
    let base = t0().timestamp_millis();
    let rows = [
        (Priority::Normal, 0),
        (Priority::Emergency, 10),
        (Priority::Urgent, 5),
        (Priority::Emergency, 2),
        (Priority::Normal, -20),
    ];
    let mut ids = Vec::new();
    store
        .write(&doctor(), t0(), |w| {
            patients::upsert(w, &patient("p-1", "演示患者甲"), None)?;
            for (p, minutes) in rows {
                let c = consultation("p-1", p, base + minutes * 60_000, "cough");
                ids.push(c.id);
                consultations::insert(w, &c)?;
            }
            consultations::set_status(
                w,
                &ids[4],
                meddesk_domain::ConsultationStatus::Claimed,
                Some("dr-9"),
            )
        })
        .unwrap();
    let queue = store
        .read(&doctor(), t0(), |r| consultations::intake_queue(r, 50))
        .unwrap();
    let order: Vec<_> = queue.iter().map(|q| q.id).collect();
    assert_eq!(
        order,
        [ids[3], ids[1], ids[2], ids[0]],
        "claimed ones leave the queue"
    );
    assert_eq!(queue[0].masked_name.as_str(), "演****");

    let plan = Store::explain_for_tests(&store, consultations::INTAKE_QUEUE_SQL);
    assert!(plan.contains("consultations_intake_queue"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "no sort step: {plan}");
}

#[test]
fn idle_lock_decision_is_a_pure_function_of_time() {
    let t = t0();
    assert!(!idle_lock_due(
        t + Duration::minutes(9),
        t,
        DEFAULT_IDLE_TIMEOUT
    ));
    assert!(idle_lock_due(
        t + Duration::minutes(10),
        t,
        DEFAULT_IDLE_TIMEOUT
    ));
    assert!(
        !idle_lock_due(t - Duration::minutes(60), t, DEFAULT_IDLE_TIMEOUT),
        "clock went back"
    );
    assert!(idle_lock_due(
        t + Duration::seconds(31),
        t,
        Duration::seconds(30)
    ));
}

#[test]
fn session_locks_explicitly_and_when_idle_and_unlocks_offline_with_the_password() {
    let fx = Fixture::new();
    drop(fx.create());
    let verifier = PasswordVerifier::create("s3cret-pw").unwrap();
    verifier.save(&fx.files.unlock_verifier()).unwrap();
    let verifier = PasswordVerifier::load(&fx.files.unlock_verifier()).unwrap();
    let source = Box::new(meddesk_store::MemoryKeySource::with_key(
        fx.keys.load().unwrap(),
    ));
    let mut s = Session::new(fx.files.clone(), source, verifier, Duration::minutes(5)).unwrap();
    assert!(s.is_locked());
    assert_eq!(s.store(t0()).unwrap_err().code(), "locked");
    let err = s.unlock(&Zeroizing::new("wrong".into()), t0()).unwrap_err();
    assert_eq!(err.code(), "wrong_password");
    assert!(s.is_locked());

    s.unlock(&Zeroizing::new("s3cret-pw".into()), t0()).unwrap();
    seed_one(s.store(t0() + Duration::minutes(4)).unwrap(), "x");
    // Activity at +4 min keeps it open until +9.
    assert!(!s.tick(t0() + Duration::minutes(8)));
    assert!(s.tick(t0() + Duration::minutes(9)));
    assert!(s.is_locked());
    assert_eq!(
        s.store(t0() + Duration::minutes(9)).unwrap_err().code(),
        "locked"
    );

    s.unlock(
        &Zeroizing::new("s3cret-pw".into()),
        t0() + Duration::minutes(10),
    )
    .unwrap();
    s.store(t0() + Duration::minutes(10))
        .unwrap()
        .verify()
        .unwrap();
    s.lock();
    assert!(s.is_locked());
    // Locked means closed: the WAL is checkpointed away when the last connection closes.
    assert!(!fx.files.database_files()[1].exists());
    assert!(
        Session::new(
            fx.files.clone(),
            Box::new(meddesk_store::MemoryKeySource::new()),
            PasswordVerifier::create("x").unwrap(),
            Duration::zero()
        )
        .is_err()
    );
}

#[test]
fn backups_full_then_incremental_restore_and_retention() {
    let fx = Fixture::new();
    let store = fx.create();
    for i in 0..50 {
        seed_one(&store, &format!("{i}"));
    }
    let folder = fx.dir.path().join("backups");
    assert_eq!(
        BackupPolicy::new(&folder, MINIMUM_RETENTION_DAYS - 1)
            .unwrap_err()
            .code(),
        "retention_too_short"
    );
    let policy = BackupPolicy::new(&folder, MINIMUM_RETENTION_DAYS).unwrap();
    let key = fx.key();
    let full = store.backup(&policy, false, &key, t0()).unwrap();
    assert_eq!(full.kind, BackupKind::Full, "no full backup this month yet");
    let (_, rx_late) = seed_one(&store, "after the full backup");
    let incr = store
        .backup(&policy, false, &key, t0() + Duration::days(1))
        .unwrap();
    assert_eq!(incr.kind, BackupKind::Incremental);
    assert!(
        incr.pages_in_body < full.pages_in_body / 2,
        "{} vs {}",
        incr.pages_in_body,
        full.pages_in_body
    );
    assert!(incr.bytes < full.bytes);
    drop(store);

    // Restore the incremental into a fresh profile with the same key.
    let other = Fixture::with_key(key.clone());
    std::fs::create_dir_all(other.files.dir()).unwrap();
    std::fs::copy(fx.files.key_check(), other.files.key_check()).unwrap();
    let report = backup::restore(&other.files, &incr.path, &key, t0()).unwrap();
    assert!(report.previous_moved_to.is_none());
    let restored = other.open();
    restored.verify().unwrap();
    assert!(
        restored
            .read(&doctor(), t0(), |r| prescriptions::exists(r, &rx_late))
            .unwrap()
    );
    drop(restored);

    // A damaged backup is refused and the live database is untouched.
    let bad = folder.join("damaged.mdbk");
    let mut bytes = std::fs::read(&full.path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&bad, bytes).unwrap();
    let before = snapshot(other.files.dir());
    let err = backup::restore(&other.files, &bad, &key, t0()).unwrap_err();
    assert_eq!(err.code(), "backup_invalid");
    assert_eq!(snapshot(other.files.dir()), before);

    // A backup made with another key is refused too.
    let stranger = Fixture::new();
    let s = stranger.create();
    let theirs = s
        .backup(
            &BackupPolicy::new(stranger.dir.path().join("b"), MINIMUM_RETENTION_DAYS).unwrap(),
            true,
            &stranger.key(),
            t0(),
        )
        .unwrap();
    assert_eq!(
        backup::restore(&other.files, &theirs.path, &key, t0())
            .unwrap_err()
            .code(),
        "backup_invalid"
    );
    assert_eq!(snapshot(other.files.dir()), before);

    // Restoring over a live database keeps the old one aside.
    let report = backup::restore(&other.files, &full.path, &key, t0()).unwrap();
    assert!(report.previous_moved_to.unwrap().exists());
}

#[test]
fn backup_schedule_and_retention_are_pure_and_never_below_three_years() {
    use backup::{BackupFile, Header, due, expired};
    let h = |kind, id: &str, base: &str, days_ago: i64| Header {
        kind,
        id: id.into(),
        created_at: (t0() - Duration::days(days_ago)).timestamp_millis(),
        base_id: base.into(),
        parent_id: None,
        sequence: 0,
        page_size: 4096,
        db_len: 0,
        content_sha256: String::new(),
        key_check: String::new(),
        audit_entries: 0,
        audit_head: String::new(),
        pages_in_body: 0,
    };
    assert_eq!(due(t0(), &[]), Some(BackupKind::Full));
    assert_eq!(due(t0(), &[h(BackupKind::Full, "f", "f", 0)]), None);
    assert_eq!(
        due(t0(), &[h(BackupKind::Full, "f", "f", 1)]),
        Some(BackupKind::Incremental)
    );
    assert_eq!(
        due(t0(), &[h(BackupKind::Full, "f", "f", 40)]),
        Some(BackupKind::Full)
    );

    let file = |hd: Header| BackupFile {
        path: format!("/b/{}", hd.id).into(),
        header: hd,
    };
    let old = 3 * 365 + 30;
    let set = vec![
        file(h(BackupKind::Full, "f1", "f1", old + 10)),
        file(h(BackupKind::Incremental, "i1", "f1", old)),
        file(h(BackupKind::Full, "f2", "f2", old - 20)),
        file(h(BackupKind::Incremental, "i2", "f2", 100)),
        file(h(BackupKind::Full, "f3", "f3", 5)),
    ];
    let gone: Vec<String> = expired(t0(), &set, MINIMUM_RETENTION_DAYS)
        .into_iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        gone,
        ["/b/f1", "/b/i1"],
        "a chain goes only when all of it is old"
    );
    // A configured retention below the minimum is raised to it.
    assert_eq!(expired(t0(), &set, 30).len(), 2);
    // The newest full backup is kept however old.
    let lone = vec![file(h(BackupKind::Full, "f1", "f1", 5000))];
    assert!(expired(t0(), &lone, MINIMUM_RETENTION_DAYS).is_empty());
}
