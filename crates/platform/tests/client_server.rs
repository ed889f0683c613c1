//! The sync client against the real platform server on loopback, on both backends
//! (R-SEC-1, R-TRI-1, R-RX-1, R-RX-6, R-ROLE-1…4, R-CMP-2).
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use meddesk_platform::Database;
use meddesk_sync::{
    OpKind, OutboxState, PrescriptionLine, PrescriptionStatus, QueueStatus, RecordBody,
    RecordField, RecordKey, RejectionCode, ReviewDecision, SyncError, SyncState, SyncStatus,
};
use support::*;
use uuid::Uuid;

fn rejection_of(c: &Client, op_id: Uuid) -> Option<RejectionCode> {
    c.replica()
        .lock()
        .unwrap()
        .outbox()
        .iter()
        .find(|e| e.op.op_id == op_id)
        .and_then(|e| match &e.state {
            OutboxState::Rejected(r) => Some(r.code),
            _ => None,
        })
}

fn record(c: &Client, key: &RecordKey) -> Option<(u64, RecordBody)> {
    c.replica().lock().unwrap().records().get(key).cloned()
}

async fn file(intake: &mut Client, specialty: &str) -> Uuid {
    let req = request(specialty);
    let id = req.id;
    commit(
        intake,
        op(
            "intake",
            "dev-intake",
            0,
            hlc_now(),
            OpKind::CreateConsultation { request: req },
        ),
    );
    let r = intake.sync_once().await.unwrap();
    assert_eq!(r.acked, 1);
    id
}

/// First claim wins; the loser's claim comes back rejected with a reason, shown as
/// `rejected`, and the consultation leaves the loser's queue (R-TRI-3, R-ROLE-4).
async fn queue_and_first_claim_wins(base: &str) {
    let mut intake = client(base, "intake", "dev-intake").await;
    let mut doc1 = client(base, "doc1", "dev-doc1").await;
    let mut doc2 = client(base, "doc2", "dev-doc2").await;
    let mut doc3 = client(base, "doc3", "dev-doc3").await;
    let id = file(&mut intake, "cardiology").await;
    let key = RecordKey::consultation(id);
    doc1.sync_once().await.unwrap();
    doc2.sync_once().await.unwrap();
    doc3.sync_once().await.unwrap();
    assert!(record(&doc1, &key).is_some(), "in doc1's queue");
    assert!(record(&doc2, &key).is_some(), "in doc2's queue");
    assert!(
        record(&doc3, &key).is_none(),
        "not pediatrics: never sent (R-ROLE-4)"
    );

    // Both claim offline; doc2 pushes first.
    let claim1 = op(
        "doc1",
        "dev-doc1",
        1,
        hlc_now(),
        OpKind::ClaimConsultation {
            consultation_id: id,
        },
    );
    let claim2 = op(
        "doc2",
        "dev-doc2",
        1,
        hlc_now(),
        OpKind::ClaimConsultation {
            consultation_id: id,
        },
    );
    let (c1, c2) = (claim1.op_id, claim2.op_id);
    commit(&doc1, claim1);
    commit(&doc2, claim2);
    assert_eq!(
        doc2.replica().lock().unwrap().status_of(&key),
        SyncStatus::Pending
    );
    let r2 = doc2.sync_once().await.unwrap();
    assert_eq!((r2.acked, r2.rejected), (1, 0));
    assert_eq!(
        doc2.replica().lock().unwrap().status_of(&key),
        SyncStatus::Synced
    );
    let r1 = doc1.sync_once().await.unwrap();
    assert_eq!((r1.acked, r1.rejected), (0, 1));
    assert_eq!(rejection_of(&doc1, c1), Some(RejectionCode::AlreadyClaimed));
    assert_eq!(rejection_of(&doc2, c2), None);
    assert_eq!(
        doc1.replica().lock().unwrap().status_of(&key),
        SyncStatus::Rejected
    );
    // The claimed consultation left doc1's view; doc2 holds it as claimed by doc2.
    assert!(record(&doc1, &key).is_none());
    match record(&doc2, &key) {
        Some((_, RecordBody::Consultation(c))) => {
            assert_eq!(c.status, QueueStatus::Claimed);
            assert_eq!(c.physician_id.as_deref(), Some("u-doc2"));
        }
        other => panic!("doc2 should hold the consultation: {other:?}"),
    }
}

fn line() -> PrescriptionLine {
    PrescriptionLine {
        generic_name: "氨氯地平".into(),
        strength: "5 mg".into(),
        dose: "5 mg".into(),
        route: "口服".into(),
        frequency: "每日一次".into(),
        course_days: 7,
        quantity: "7 片".into(),
        notes: String::new(),
    }
}

async fn claimed_by_doc1(base: &str) -> (Client, Client, Uuid) {
    let mut intake = client(base, "intake", "dev-intake").await;
    let mut doc1 = client(base, "doc1", "dev-doc1").await;
    let id = file(&mut intake, "cardiology").await;
    doc1.sync_once().await.unwrap();
    commit(
        &doc1,
        op(
            "doc1",
            "dev-doc1",
            1,
            hlc_now(),
            OpKind::ClaimConsultation {
                consultation_id: id,
            },
        ),
    );
    assert_eq!(doc1.sync_once().await.unwrap().acked, 1);
    (intake, doc1, id)
}

/// Draft → sign → pharmacist rejects with reasons → revise → sign → approve (R-RX-1, R-RX-6).
async fn prescription_review_cycle(base: &str) {
    let (_intake, mut doc1, cid) = claimed_by_doc1(base).await;
    let mut pharm = client(base, "pharm", "dev-pharm").await;
    let mut pharm2 = client(base, "pharm2", "dev-pharm2").await;
    let rx = Uuid::now_v7();
    let key = RecordKey::prescription(rx);
    // R-RX-10: both sign with keys the platform certified.
    let doc1_key = certified_key(base, "doc1", 1).await;
    let pharm_key = certified_key(base, "pharm", 2).await;
    let consultation = match record(&doc1, &RecordKey::consultation(cid)) {
        Some((_, RecordBody::Consultation(c))) => *c,
        other => panic!("{other:?}"),
    };
    let signed = || Some(physician_signed(rx, &consultation, "u-doc1", &doc1_key));
    let reviewed = |c: &Client, approve: bool, reasons: Vec<String>| match record(
        c,
        &RecordKey::prescription(rx),
    ) {
        Some((_, RecordBody::Prescription(p))) => {
            Some(pharmacist_signed(&p, &pharm_key, approve, reasons))
        }
        other => panic!("{other:?}"),
    };
    let draft = |diagnosis: &str| OpKind::SavePrescriptionDraft {
        prescription_id: rx,
        consultation_id: cid,
        diagnosis: diagnosis.into(),
        lines: vec![line()],
    };
    commit(
        &doc1,
        op("doc1", "dev-doc1", 0, hlc_now(), draft("I10 高血压")),
    );
    doc1.sync_once().await.unwrap();
    // The pharmacist does not see drafts.
    pharm.sync_once().await.unwrap();
    assert!(record(&pharm, &key).is_none());
    // Signing a version the physician did not see is refused (R-RX-1).
    let stale = op(
        "doc1",
        "dev-doc1",
        0,
        hlc_now(),
        OpKind::SignPrescription {
            prescription_id: rx,
            signed: signed(),
        },
    );
    let stale_id = stale.op_id;
    commit(&doc1, stale);
    doc1.sync_once().await.unwrap();
    assert_eq!(
        rejection_of(&doc1, stale_id),
        Some(RejectionCode::StaleVersion)
    );
    let v = record(&doc1, &key).unwrap().0;
    commit(
        &doc1,
        op(
            "doc1",
            "dev-doc1",
            v,
            hlc_now(),
            OpKind::SignPrescription {
                prescription_id: rx,
                signed: signed(),
            },
        ),
    );
    assert_eq!(doc1.sync_once().await.unwrap().acked, 1);

    pharm.sync_once().await.unwrap();
    pharm2.sync_once().await.unwrap();
    assert!(
        record(&pharm2, &key).is_none(),
        "another organisation's queue (R-ROLE-2)"
    );
    let (_, body) = record(&pharm, &key).expect("in the review queue");
    assert!(
        matches!(body, RecordBody::Prescription(ref p) if p.status == PrescriptionStatus::Signed)
    );
    // A rejection without reasons is refused; with reasons it stands.
    let bare = op(
        "pharm",
        "dev-pharm",
        0,
        hlc_now(),
        OpKind::ReviewPrescription {
            prescription_id: rx,
            decision: ReviewDecision::Reject,
            reasons: vec![],
            signature: None,
        },
    );
    let bare_id = bare.op_id;
    commit(&pharm, bare);
    commit(
        &pharm,
        op(
            "pharm",
            "dev-pharm",
            0,
            hlc_now(),
            OpKind::ReviewPrescription {
                prescription_id: rx,
                decision: ReviewDecision::Reject,
                reasons: vec!["剂量需按肾功能调整".into()],
                signature: reviewed(&pharm, false, vec!["剂量需按肾功能调整".into()]),
            },
        ),
    );
    let r = pharm.sync_once().await.unwrap();
    assert_eq!((r.acked, r.rejected), (1, 1));
    assert_eq!(
        rejection_of(&pharm, bare_id),
        Some(RejectionCode::InvalidInput)
    );
    // A physician cannot review (R-ROLE-2 is the pharmacist's).
    let forged = op(
        "doc1",
        "dev-doc1",
        0,
        hlc_now(),
        OpKind::ReviewPrescription {
            prescription_id: rx,
            decision: ReviewDecision::Approve,
            reasons: vec![],
            signature: None,
        },
    );
    let forged_id = forged.op_id;
    commit(&doc1, forged);
    doc1.sync_once().await.unwrap();
    assert_eq!(
        rejection_of(&doc1, forged_id),
        Some(RejectionCode::NotPermitted)
    );
    match record(&doc1, &key) {
        Some((_, RecordBody::Prescription(p))) => {
            assert_eq!(p.status, PrescriptionStatus::Rejected);
            assert_eq!(p.reviews[0].reasons, vec!["剂量需按肾功能调整".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    // Revise, sign again, approve.
    commit(
        &doc1,
        op(
            "doc1",
            "dev-doc1",
            0,
            hlc_now(),
            draft("I10 高血压（调整剂量）"),
        ),
    );
    doc1.sync_once().await.unwrap();
    pharm.sync_once().await.unwrap();
    assert!(
        record(&pharm, &key).is_none(),
        "under revision: out of the review queue"
    );
    let v = record(&doc1, &key).unwrap().0;
    commit(
        &doc1,
        op(
            "doc1",
            "dev-doc1",
            v,
            hlc_now(),
            OpKind::SignPrescription {
                prescription_id: rx,
                signed: signed(),
            },
        ),
    );
    doc1.sync_once().await.unwrap();
    pharm.sync_once().await.unwrap();
    commit(
        &pharm,
        op(
            "pharm",
            "dev-pharm",
            0,
            hlc_now(),
            OpKind::ReviewPrescription {
                prescription_id: rx,
                decision: ReviewDecision::Approve,
                reasons: vec![],
                signature: reviewed(&pharm, true, vec![]),
            },
        ),
    );
    assert_eq!(pharm.sync_once().await.unwrap().acked, 1);
    doc1.sync_once().await.unwrap();
    assert!(
        matches!(record(&doc1, &key), Some((_, RecordBody::Prescription(p))) if p.status == PrescriptionStatus::Approved)
    );
}

/// Two devices of the treating physician edit the same field offline: both are acked, the
/// later stamp wins, the other value is kept in history, never dropped.
async fn concurrent_field_edits_keep_both(base: &str) {
    let (_intake, mut doc1, cid) = claimed_by_doc1(base).await;
    let mut laptop = client(base, "doc1", "dev-doc1-laptop").await;
    laptop.sync_once().await.unwrap();
    let key = RecordKey::consultation(cid);
    let base_version = record(&doc1, &key).unwrap().0;
    let mut early = hlc_now();
    early.wall_ms -= 60_000;
    let late = hlc_now();
    let edit = |device: &str, hlc, text: &str| {
        op(
            "doc1",
            device,
            base_version,
            hlc,
            OpKind::UpdateRecord {
                consultation_id: cid,
                fields: BTreeMap::from([(RecordField::History, text.to_owned())]),
            },
        )
    };
    commit(
        &laptop,
        edit("dev-doc1-laptop", late, "高血压病史十年（笔记本）"),
    );
    commit(&doc1, edit("dev-doc1", early, "高血压病史八年（工作站）"));
    assert_eq!(laptop.sync_once().await.unwrap().acked, 1);
    assert_eq!(doc1.sync_once().await.unwrap().acked, 1);
    laptop.sync_once().await.unwrap();
    for c in [&doc1, &laptop] {
        match record(c, &key) {
            Some((_, RecordBody::Consultation(rec))) => {
                assert_eq!(
                    rec.fields[&RecordField::History].value,
                    "高血压病史十年（笔记本）"
                );
                assert!(
                    rec.field_history
                        .iter()
                        .any(|h| h.value == "高血压病史八年（工作站）")
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A client that crashed after the platform applied its push but before it recorded the
/// acknowledgement pushes the same operation again: same answer, applied once.
async fn duplicate_delivery_applies_once(base: &str) {
    let mut intake = client(base, "intake", "dev-intake").await;
    let req = request("cardiology");
    let cid = req.id;
    let o = op(
        "intake",
        "dev-intake",
        0,
        hlc_now(),
        OpKind::CreateConsultation { request: req },
    );
    commit(&intake, o.clone());
    let first = intake.sync_once().await.unwrap();
    let seq = match &intake.replica().lock().unwrap().outbox()[0].state {
        OutboxState::Acked { seq } => *seq,
        s => panic!("{s:?}"),
    };
    let mut again = client(base, "intake", "dev-intake").await;
    commit(&again, o.clone());
    commit(&again, o);
    let second = again.sync_once().await.unwrap();
    assert_eq!(
        again.replica().lock().unwrap().outbox().len(),
        1,
        "op_id is unique in the outbox"
    );
    assert_eq!(second.acked, 1);
    match &again.replica().lock().unwrap().outbox()[0].state {
        OutboxState::Acked { seq: s } => {
            assert_eq!(*s, seq, "the stored outcome, not a new change")
        }
        s => panic!("{s:?}"),
    }
    assert!(second.head >= first.head);
    // The record was created once: version 1, whoever pulls it.
    let (version, _) = record(&again, &RecordKey::consultation(cid)).expect("pulled");
    assert_eq!(version, 1);
}

/// An operation id is an idempotency key bound to (user, id, body digest): the same id with
/// another body, or from another user, is a `conflict` — never the first operation's answer —
/// and changes nothing (issue 13, R-SEC-8).
async fn a_used_op_id_is_not_another_operation(base: &str) {
    let mut intake = client(base, "intake", "dev-intake").await;
    let first = request("cardiology");
    let o = op(
        "intake",
        "dev-intake",
        0,
        hlc_now(),
        OpKind::CreateConsultation { request: first },
    );
    commit(&intake, o.clone());
    assert_eq!(intake.sync_once().await.unwrap().acked, 1);

    // The same id, another request: refused as a conflict; the second request is not filed.
    let other = request("cardiology");
    let other_id = other.id;
    let mut forged = o.clone();
    forged.kind = OpKind::CreateConsultation { request: other };
    let mut again = client(base, "intake", "dev-intake").await;
    commit(&again, forged);
    again.sync_once().await.unwrap();
    assert_eq!(rejection_of(&again, o.op_id), Some(RejectionCode::Conflict));
    assert!(record(&again, &RecordKey::consultation(other_id)).is_none());

    // The same id from another user (whatever the body): a conflict too.
    let doc1 = client(base, "doc1", "dev-doc1").await;
    let mut theirs = op(
        "doc1",
        "dev-doc1",
        0,
        hlc_now(),
        OpKind::ClaimConsultation {
            consultation_id: other_id,
        },
    );
    theirs.op_id = o.op_id;
    let mut doc1 = doc1;
    commit(&doc1, theirs);
    doc1.sync_once().await.unwrap();
    assert_eq!(rejection_of(&doc1, o.op_id), Some(RejectionCode::Conflict));

    // The genuine retry still gets its first answer.
    let mut retry = client(base, "intake", "dev-intake").await;
    commit(&retry, o.clone());
    assert_eq!(retry.sync_once().await.unwrap().acked, 1);
}

/// Initial sync in pages survives a connection cut mid-page and resumes from the last
/// applied page; the early pages are usable at once.
async fn paged_initial_sync_resumes(base: &str, addr: std::net::SocketAddr) {
    let mut intake = client(base, "intake", "dev-intake").await;
    for _ in 0..60 {
        commit(
            &intake,
            op(
                "intake",
                "dev-intake",
                0,
                hlc_now(),
                OpKind::CreateConsultation {
                    request: request("general_practice"),
                },
            ),
        );
    }
    assert_eq!(intake.sync_once().await.unwrap().acked, 60);
    let proxy = Proxy::start(addr).await;
    let pbase = format!("http://{}", proxy.addr);
    let replica = std::sync::Arc::new(std::sync::Mutex::new(meddesk_sync::MemoryReplica::new()));
    let mut cfg = meddesk_sync::ClientConfig::new(&pbase, "dev-doc1");
    cfg.page_limit = 10;
    let tokens = std::sync::Arc::new(meddesk_sync::MemoryTokenStore::new());
    let mut doc =
        meddesk_sync::SyncClient::new(cfg.clone(), replica.clone(), tokens.clone()).unwrap();
    doc.sign_in("doc1", &password("doc1"), None).await.unwrap();
    doc.register_device("t").await.unwrap();
    // Let three pages through, then cut the fourth answer half-way.
    let pages = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let p2 = pages.clone();
    let px = proxy.clone();
    doc.on_progress(move |_| {
        if p2.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 3 {
            px.cut_next(Cut::MidResponse(300));
        }
    });
    let err = doc.sync_once().await.expect_err("the cut fails this sync");
    assert!(matches!(err, SyncError::RetryLater { .. }), "{err}");
    let partial = replica.lock().unwrap().records().len();
    let cursor = replica.lock().unwrap().cursor_value();
    assert!(
        partial > 0 && cursor > 0,
        "early pages applied and usable: {partial} records"
    );
    // A rebuilt client resumes from the stored cursor.
    let mut doc = meddesk_sync::SyncClient::new(cfg, replica.clone(), tokens).unwrap();
    let report = doc.sync_until_done(5).await.unwrap();
    assert_eq!(report.cursor, report.head);
    let applied = replica.lock().unwrap().applied_changes();
    let total = replica.lock().unwrap().records().len();
    assert!(total >= 60 && total > partial);
    assert!(
        applied < (total as u64) * 3,
        "resumed, not restarted: {applied} applied for {total}"
    );
}

/// The notification channel announces a new consultation to a connected physician.
async fn notification_channel(base: &str) {
    let mut intake = client(base, "intake", "dev-intake").await;
    let mut doc = client(base, "doc1", "dev-doc1").await;
    let head = doc.sync_once().await.unwrap().head;
    let mut events = doc.subscribe(head).await.unwrap();
    let id = file(&mut intake, "cardiology").await;
    let ev = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .expect("announced within 5 s")
        .unwrap()
        .expect("an event");
    assert!(ev.head > head);
    doc.sync_once().await.unwrap();
    assert!(record(&doc, &RecordKey::consultation(id)).is_some());
}

/// Organisations are kept apart: another organisation's waiting consultation is neither
/// sent to nor claimable by this organisation's physicians of the same specialty, while that
/// organisation's own physician claims it. Returns it (the administrator's scenario uses it).
async fn organisations_are_kept_apart(base: &str) -> Uuid {
    let mut intake2 = client(base, "intake2", "dev-intake2").await;
    let mut doc1 = client(base, "doc1", "dev-doc1").await;
    let mut doc4 = client(base, "doc4", "dev-doc4").await;
    let mut req = request("cardiology");
    req.org_id = "org-2".into();
    let id = req.id;
    commit(
        &intake2,
        op(
            "intake2",
            "dev-intake2",
            0,
            hlc_now(),
            OpKind::CreateConsultation { request: req },
        ),
    );
    assert_eq!(intake2.sync_once().await.unwrap().acked, 1);
    doc1.sync_once().await.unwrap();
    assert!(
        record(&doc1, &RecordKey::consultation(id)).is_none(),
        "another organisation's queue reached doc1"
    );
    // A claim crafted without having seen it.
    let claim = op(
        "doc1",
        "dev-doc1",
        1,
        hlc_now(),
        OpKind::ClaimConsultation {
            consultation_id: id,
        },
    );
    let claim_id = claim.op_id;
    commit(&doc1, claim);
    doc1.sync_once().await.unwrap();
    assert_eq!(
        rejection_of(&doc1, claim_id),
        Some(RejectionCode::NotPermitted)
    );
    doc4.sync_once().await.unwrap();
    assert!(record(&doc4, &RecordKey::consultation(id)).is_some());
    commit(
        &doc4,
        op(
            "doc4",
            "dev-doc4",
            1,
            hlc_now(),
            OpKind::ClaimConsultation {
                consultation_id: id,
            },
        ),
    );
    assert_eq!(doc4.sync_once().await.unwrap().acked, 1);
    id
}

/// Administrators need TOTP (R-ROLE-3); a suspended physician can no longer claim (R-CMP-2).
async fn admin_totp_and_suspension(base: &str, other_org: Uuid) {
    let replica = std::sync::Arc::new(std::sync::Mutex::new(meddesk_sync::MemoryReplica::new()));
    let mut admin = meddesk_sync::SyncClient::new(
        meddesk_sync::ClientConfig::new(base, "dev-admin"),
        replica,
        std::sync::Arc::new(meddesk_sync::MemoryTokenStore::new()),
    )
    .unwrap();
    // R-SEC-8: no answer says which factor was wrong — a missing code with the right
    // password is refused exactly like a wrong password.
    match admin.sign_in("admin", &password("admin"), None).await {
        Err(SyncError::SignInRefused { code }) => assert_eq!(code, "sign_in_failed"),
        other => panic!("{other:?}"),
    }
    match admin
        .sign_in("admin", &password("admin"), Some("000000"))
        .await
    {
        Err(SyncError::SignInRefused { code }) => assert_eq!(code, "sign_in_failed"),
        other => panic!("{other:?}"),
    }
    let step = u64::try_from(now_ms() / 1000 / 30).unwrap();
    let code = format!(
        "{:06}",
        meddesk_sync::totp::code_at(b"12345678901234567890", step * 30, 6)
    );
    // A wrong password with the right code fails, and does not use the code up.
    match admin.sign_in("admin", "wrong password", Some(&code)).await {
        Err(SyncError::SignInRefused { code }) => assert_eq!(code, "sign_in_failed"),
        other => panic!("{other:?}"),
    }
    admin
        .sign_in("admin", &password("admin"), Some(&code))
        .await
        .unwrap();
    // R-SEC-8: the same code is not accepted twice (here from another device).
    let replay = meddesk_sync::SyncClient::new(
        meddesk_sync::ClientConfig::new(base, "dev-admin-2"),
        std::sync::Arc::new(std::sync::Mutex::new(meddesk_sync::MemoryReplica::new())),
        std::sync::Arc::new(meddesk_sync::MemoryTokenStore::new()),
    )
    .unwrap();
    match replay
        .sign_in("admin", &password("admin"), Some(&code))
        .await
    {
        Err(SyncError::SignInRefused { code }) => assert_eq!(code, "sign_in_failed"),
        other => panic!("a replayed second factor was accepted: {other:?}"),
    }
    admin.register_device("admin desk").await.unwrap();
    commit(
        &admin,
        op(
            "admin",
            "dev-admin",
            0,
            hlc_now(),
            OpKind::SuspendPhysician {
                physician_id: "u-doc3".into(),
                reason: "合规违规（投诉核实）".into(),
            },
        ),
    );
    assert_eq!(admin.sync_once().await.unwrap().acked, 1);
    // An administrator acts on and sees their own organisation only.
    let far = op(
        "admin",
        "dev-admin",
        0,
        hlc_now(),
        OpKind::SuspendPhysician {
            physician_id: "u-doc4".into(),
            reason: "越权操作".into(),
        },
    );
    let far_id = far.op_id;
    commit(&admin, far);
    admin.sync_once().await.unwrap();
    assert_eq!(
        rejection_of(&admin, far_id),
        Some(RejectionCode::NotPermitted)
    );
    assert!(record(&admin, &RecordKey::consultation(other_org)).is_none());
    let mut intake = client(base, "intake", "dev-intake").await;
    let mut doc3 = client(base, "doc3", "dev-doc3").await;
    let id = file(&mut intake, "pediatrics").await;
    doc3.sync_once().await.unwrap();
    let claim = op(
        "doc3",
        "dev-doc3",
        1,
        hlc_now(),
        OpKind::ClaimConsultation {
            consultation_id: id,
        },
    );
    let claim_id = claim.op_id;
    commit(&doc3, claim);
    doc3.sync_once().await.unwrap();
    assert_eq!(
        rejection_of(&doc3, claim_id),
        Some(RejectionCode::Suspended)
    );
}

async fn all_scenarios(addr: std::net::SocketAddr) {
    let base = format!("http://{addr}");
    eprintln!("scenario: queue_and_first_claim_wins");
    queue_and_first_claim_wins(&base).await;
    eprintln!("scenario: prescription_review_cycle");
    prescription_review_cycle(&base).await;
    eprintln!("scenario: concurrent_field_edits_keep_both");
    concurrent_field_edits_keep_both(&base).await;
    eprintln!("scenario: duplicate_delivery_applies_once");
    duplicate_delivery_applies_once(&base).await;
    eprintln!("scenario: a_used_op_id_is_not_another_operation");
    a_used_op_id_is_not_another_operation(&base).await;
    eprintln!("scenario: paged_initial_sync_resumes");
    paged_initial_sync_resumes(&base, addr).await;
    eprintln!("scenario: notification_channel");
    notification_channel(&base).await;
    eprintln!("scenario: organisations_are_kept_apart");
    let other_org = organisations_are_kept_apart(&base).await;
    eprintln!("scenario: admin_totp_and_suspension");
    admin_totp_and_suspension(&base, other_org).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_against_the_server_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let addr = start_in_process(Database::Sqlite(dir.path().join("p.sqlite3")), 900).await;
    all_scenarios(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_against_the_server_on_postgres() {
    let pg = postgres::PgCluster::start(&[("fsync", "off")]);
    let addr = start_in_process(Database::Postgres(pg.url.clone()), 900).await;
    all_scenarios(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_invalid_tokens_have_clear_states_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Access tokens that live one second.
    let addr = start_in_process(Database::Sqlite(dir.path().join("p.sqlite3")), 1).await;
    let base = format!("http://{addr}");
    let mut intake = client(&base, "intake", "dev-intake").await;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    // Expired: refreshed transparently, the op goes through.
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
    assert_eq!(intake.sync_once().await.unwrap().acked, 1);

    // Invalid (revoked / forged): needs sign-in, the op stays pending, nothing lost.
    let replica = std::sync::Arc::new(std::sync::Mutex::new(meddesk_sync::MemoryReplica::new()));
    let tokens = std::sync::Arc::new(meddesk_sync::MemoryTokenStore::new());
    use meddesk_sync::TokenStore as _;
    tokens
        .save(&meddesk_sync::Tokens {
            access_token: meddesk_sync::TokenSecret("forged.token".into()),
            refresh_token: meddesk_sync::TokenSecret("not-a-refresh-token".into()),
        })
        .unwrap();
    let mut c = meddesk_sync::SyncClient::new(
        meddesk_sync::ClientConfig::new(&base, "dev-intake"),
        replica.clone(),
        tokens,
    )
    .unwrap();
    let pending = op(
        "intake",
        "dev-intake",
        0,
        hlc_now(),
        OpKind::CreateConsultation {
            request: request("cardiology"),
        },
    );
    replica.lock().unwrap().commit(pending.clone());
    let err = c.sync_once().await.expect_err("forged token");
    assert!(matches!(err, SyncError::NeedsSignIn), "{err}");
    assert_eq!(c.state(), &SyncState::NeedsSignIn);
    assert_eq!(replica.lock().unwrap().pending_count(), 1, "still pending");
    c.sign_in("intake", &password("intake"), None)
        .await
        .unwrap();
    assert_eq!(c.sync_once().await.unwrap().acked, 1);
    assert_eq!(replica.lock().unwrap().pending_count(), 0);
}
