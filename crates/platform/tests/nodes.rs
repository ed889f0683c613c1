//! Two platform nodes on one PostgreSQL behave as one (issue 13 §6): a request filed through
//! one node reaches a physician subscribed to the other (LISTEN/NOTIFY wakes its notification
//! channel), both see one gap-free sequence, and of two physicians claiming the same
//! consultation at the same time through different nodes exactly one wins.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use meddesk_platform::Database;
use meddesk_sync::{OpKind, OutboxState, RecordKey};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_behave_as_one() {
    let pg = postgres::PgCluster::start(&[("fsync", "off")]);
    let a = start_in_process(Database::Postgres(pg.url.clone()), 900).await;
    let b = start_in_process(Database::Postgres(pg.url.clone()), 900).await;
    let (base_a, base_b) = (format!("http://{a}"), format!("http://{b}"));

    let mut intake = client(&base_a, "intake", "dev-intake").await;
    let mut doc1 = client(&base_a, "doc1", "dev-doc1").await;
    let mut doc2 = client(&base_b, "doc2", "dev-doc2").await;
    let head = doc2.sync_once().await.unwrap().head;
    let mut events = doc2.subscribe(head).await.unwrap();

    // Filed through A, announced on B.
    let req = request("cardiology");
    let id = req.id;
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
    assert_eq!(intake.sync_once().await.unwrap().acked, 1);
    let ev = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .expect("the other node announces it")
        .unwrap()
        .expect("an event");
    assert!(ev.head > head);
    doc2.sync_once().await.unwrap();
    doc1.sync_once().await.unwrap();
    let key = RecordKey::consultation(id);
    assert!(doc2.replica().lock().unwrap().records().contains_key(&key));

    // Both claim at once, through different nodes: one wins.
    for (c, user, device) in [(&doc1, "doc1", "dev-doc1"), (&doc2, "doc2", "dev-doc2")] {
        commit(
            c,
            op(
                user,
                device,
                1,
                hlc_now(),
                OpKind::ClaimConsultation {
                    consultation_id: id,
                },
            ),
        );
    }
    let (r1, r2) = tokio::join!(doc1.sync_once(), doc2.sync_once());
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    assert_eq!(
        r1.acked + r2.acked,
        1,
        "exactly one claim wins: {r1:?} {r2:?}"
    );
    assert_eq!(r1.rejected + r2.rejected, 1);
    let refused = |c: &Client| {
        c.replica()
            .lock()
            .unwrap()
            .outbox()
            .iter()
            .any(|e| matches!(e.state, OutboxState::Rejected(_)))
    };
    assert!(refused(&doc1) ^ refused(&doc2));

    // One sequence: both nodes report the same head.
    let h = |base: String| async move {
        let v: serde_json::Value = reqwest::get(format!("{base}/health"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["head"].as_u64().unwrap()
    };
    assert_eq!(h(base_a).await, h(base_b).await);
}
