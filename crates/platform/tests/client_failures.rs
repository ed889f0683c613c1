//! A platform that answers 5xx, 429, garbage, a truncated body, nothing at all, or breaks
//! the TLS handshake: the client says so in a clear state, keeps every operation pending,
//! backs off, and delivers them once the real platform answers (R-SEC-1, R-SEC-3).
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use meddesk_platform::Database;
use meddesk_sync::{
    ClientConfig, MemoryReplica, MemoryTokenStore, OpKind, SyncClient, SyncError, SyncState,
    TokenSecret, TokenStore, Tokens,
};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A TCP server that answers every connection with `response` (raw bytes).
async fn fake(response: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 65536];
                let _ = tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await;
                let _ = s.write_all(response).await;
                let _ = s.shutdown().await;
            });
        }
    });
    format!("{addr}")
}

fn signed_in_tokens() -> Arc<MemoryTokenStore> {
    let t = Arc::new(MemoryTokenStore::new());
    t.save(&Tokens {
        access_token: TokenSecret("a".into()),
        refresh_token: TokenSecret("r".into()),
    })
    .unwrap();
    t
}

fn state_of(err: &SyncError) -> (u64, SyncState) {
    match err {
        SyncError::RetryLater { delay_ms, state } => (*delay_ms, state.clone()),
        other => panic!("expected a retry, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_have_clear_states_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let real = start_in_process(Database::Sqlite(dir.path().join("p.sqlite3")), 900).await;
    let replica = Arc::new(Mutex::new(MemoryReplica::new()));
    let o = op(
        "intake",
        "dev-intake",
        0,
        hlc_now(),
        OpKind::CreateConsultation {
            request: request("cardiology"),
        },
    );
    replica.lock().unwrap().commit(o.clone());

    let http_500 =
        fake(b"HTTP/1.1 500 Internal Server Error\r\nretry-after: 7\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
    let http_503 =
        fake(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
    let http_429 =
        fake(b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 3\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
    let garbage = fake(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 27\r\nconnection: close\r\n\r\n<html>captive portal</html>",
    )
    .await;
    let truncated = fake(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\nconnection: close\r\n\r\n{\"outcomes\":[",
    )
    .await;
    let refused = {
        let port = postgres::free_port();
        format!("127.0.0.1:{port}")
    };

    type Case = (String, fn(&SyncState) -> bool, Option<u64>);
    let cases: Vec<Case> = vec![
        (
            format!("http://{http_500}"),
            |s| matches!(s, SyncState::ServerError { status: 500, .. }),
            Some(7_000),
        ),
        (
            format!("http://{http_503}"),
            |s| matches!(s, SyncState::ServerError { status: 503, .. }),
            None,
        ),
        (
            format!("http://{http_429}"),
            |s| matches!(s, SyncState::RateLimited { .. }),
            Some(3_000),
        ),
        (
            format!("http://{garbage}"),
            |s| matches!(s, SyncState::BadAnswer { .. }),
            None,
        ),
        (
            format!("http://{truncated}"),
            |s| matches!(s, SyncState::BadAnswer { .. } | SyncState::Offline { .. }),
            None,
        ),
        (
            format!("http://{refused}"),
            |s| matches!(s, SyncState::Offline { .. }),
            None,
        ),
        // TLS to something that is not TLS (a captive portal, a misconfigured proxy).
        (
            format!("https://{garbage}"),
            |s| matches!(s, SyncState::TlsFailure { .. }),
            None,
        ),
    ];
    for (url, expected, floor) in cases {
        let mut cfg = ClientConfig::new(&url, "dev-intake");
        cfg.timeout = Duration::from_secs(5);
        let mut c = SyncClient::new(cfg, replica.clone(), signed_in_tokens()).unwrap();
        let (d1, s1) = state_of(&c.sync_once().await.expect_err(&url));
        assert!(expected(&s1), "{url}: {s1:?}");
        assert_eq!(c.state(), &s1, "{url}: the state is shown");
        if let Some(floor) = floor {
            assert!(d1 >= floor, "{url}: Retry-After honoured ({d1} ms)");
        }
        // A second failure backs off further (exponential, jittered).
        let (d2, _) = state_of(&c.sync_once().await.expect_err(&url));
        assert!(d2 >= d1.min(500), "{url}: {d2} after {d1}");
        assert_eq!(
            replica.lock().unwrap().pending_count(),
            1,
            "{url}: nothing lost"
        );
    }

    // The platform is back: the same replica delivers its operation, once.
    let base = format!("http://{real}");
    let mut c = client_with(&base, "intake", "dev-intake", replica.clone()).await;
    let report = c.sync_once().await.unwrap();
    assert_eq!(report.acked, 1);
    assert_eq!(replica.lock().unwrap().pending_count(), 0);
}

#[test]
fn plain_http_is_refused_except_to_loopback() {
    let replica = Arc::new(Mutex::new(MemoryReplica::new()));
    let tokens = Arc::new(MemoryTokenStore::new());
    for url in [
        "http://platform.example.cn",
        "http://192.168.1.10:8080",
        "ftp://x",
    ] {
        let err = SyncClient::new(ClientConfig::new(url, "d"), replica.clone(), tokens.clone())
            .expect_err(url);
        assert_eq!(err.code(), "insecure_transport", "{url}");
    }
    for url in [
        "https://platform.example.cn",
        "http://127.0.0.1:9",
        "http://localhost:9",
        "http://[::1]:9",
    ] {
        assert!(
            SyncClient::new(ClientConfig::new(url, "d"), replica.clone(), tokens.clone()).is_ok(),
            "{url}"
        );
    }
}
