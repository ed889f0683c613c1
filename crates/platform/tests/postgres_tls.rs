//! PostgreSQL over TLS (issue 13 §3, R-SEC-3): a node reaches a TLS-only server with
//! `sslmode=verify-full` against the server's root, is refused by a server presenting a
//! certificate from another root, and refuses by itself a plaintext link to a database on
//! another host before any connection is tried.
#![allow(clippy::unwrap_used)]

mod support;

use meddesk_platform::Database;
use meddesk_platform::storage::postgres::PgStore;
use meddesk_sync::OpKind;
use support::*;

fn self_signed() -> (String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_link_is_tls_and_checked() {
    let (cert, key) = self_signed();
    let pg = postgres::PgCluster::start_tls(&cert, &key);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &cert).unwrap();
    let url = |query: &str| format!("postgres://postgres@127.0.0.1:{}/postgres{query}", pg.port);

    // The server's own root: the node starts and works over TLS.
    let verified = url(&format!(
        "?sslmode=verify-full&sslrootcert={}",
        ca.display()
    ));
    let addr = start_in_process(Database::Postgres(verified), 900).await;
    let base = format!("http://{addr}");
    let mut intake = client(&base, "intake", "dev-intake").await;
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

    // Encrypted without a check (libpq's `require`) also reaches it.
    PgStore::open(&url("?sslmode=require"))
        .await
        .expect("require");

    // A certificate from another root is refused.
    let (other, _) = self_signed();
    let wrong = dir.path().join("other.pem");
    std::fs::write(&wrong, &other).unwrap();
    let err = PgStore::open(&url(&format!(
        "?sslmode=verify-full&sslrootcert={}",
        wrong.display()
    )))
    .await
    .expect_err("an unknown certificate");
    assert_eq!(err.code(), "storage_failed", "{err}");

    // Plaintext to this TLS-only server is refused by the server.
    assert!(PgStore::open(&url("")).await.is_err());

    // Plaintext to another host is refused by the node itself, before connecting (this
    // address would otherwise time out).
    let started = std::time::Instant::now();
    let err = PgStore::open("postgres://meddesk:secret@10.255.255.1:5432/meddesk")
        .await
        .expect_err("plaintext to another host");
    assert_eq!(err.code(), "insecure_database");
    assert!(!err.to_string().contains("secret"));
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}
