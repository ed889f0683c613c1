//! Crash test (issue 3): a child writing signed prescriptions is SIGKILLed at random points
//! at least 200 times; after each kill the database opens, passes integrity_check and the
//! audit chain, and every prescription the child reported committed is present.

#![cfg(unix)]

mod support;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use meddesk_domain::Priority;
use meddesk_store::tables::{consultations, patients, prescriptions};
use rand::Rng;
use support::*;

const KILLS: usize = 200;

#[test]
fn sigkill_at_random_points_loses_no_committed_prescription() {
    // The child gets the key the way a test may: hex in its environment, from memory.
    let key_bytes: [u8; 32] = rand::rng().random();
    let hex_key = hex::encode(key_bytes);
    let fx = Fixture::with_key(meddesk_store::DbKey::from_bytes(key_bytes));
    let store = fx.create();
    let c = consultation(
        "p-1",
        Priority::Normal,
        t0().timestamp_millis(),
        "crash test",
    );
    let cid = c.id;
    store
        .write(&doctor(), t0(), |w| {
            patients::upsert(w, &patient("p-1", "演示患者甲"), None)?;
            consultations::insert(w, &c)
        })
        .unwrap();
    drop(store);

    let key = fx.key();
    let mut rng = rand::rng();
    let mut total_committed = 0usize;
    let mut killed = 0usize;
    let mut iterations = 0usize;
    let mut after_first_commit = 0usize;
    while killed < KILLS {
        iterations += 1;
        assert!(iterations < KILLS * 3, "the child keeps exiting on its own");
        let mut child = Command::new(env!("CARGO_BIN_EXE_meddesk-store-crash-writer"))
            .arg(fx.files.dir())
            .arg(cid.0.to_string())
            .env("MEDDESK_TEST_KEY", &hex_key)
            .env("MEDDESK_FORBID_KEYCHAIN", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn crash writer");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut out = String::new();
        // Half the kills land at a random time from the start (opening, recovery, the
        // first writes); the other half at a random time after the child reported its first
        // commit, so they certainly hit the write loop even on a slow, loaded machine.
        if iterations % 2 == 0 {
            stdout.read_line(&mut out).expect("first commit");
            after_first_commit += 1;
            std::thread::sleep(Duration::from_micros(rng.random_range(0..10_000)));
        } else {
            std::thread::sleep(Duration::from_micros(rng.random_range(500..40_000)));
        }
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        stdout.read_to_string(&mut out).expect("read stdout");
        if status.signal() == Some(9) {
            killed += 1;
        } else {
            let mut err = String::new();
            child
                .stderr
                .take()
                .expect("stderr")
                .read_to_string(&mut err)
                .ok();
            panic!("the child exited by itself ({status}): {err}");
        }
        // Only complete lines: a line cut by the kill was never fully reported.
        let reported: Vec<&str> = out
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .map(str::trim)
            .collect();
        total_committed += reported.len();

        let store = meddesk_store::Store::open(&fx.files, &key, t0()).expect("opens after SIGKILL");
        let report = store
            .verify()
            .expect("integrity_check and audit chain pass after SIGKILL");
        assert!(report.audit_entries >= 2 + 2 * total_committed as i64);
        store
            .read(&doctor(), t0(), |r| {
                for id in &reported {
                    assert!(
                        prescriptions::exists(r, id)?,
                        "committed prescription {id} lost"
                    );
                }
                let n: i64 = r.conn().query_row(
                    "SELECT count(*) FROM prescriptions WHERE status = 'signed'",
                    [],
                    |row| row.get(0),
                )?;
                assert!(
                    n as usize >= total_committed,
                    "{n} signed < {total_committed} reported"
                );
                Ok(())
            })
            .unwrap();
        drop(store);
    }
    assert!(killed >= KILLS);
    assert!(after_first_commit >= KILLS / 2 - 1, "{after_first_commit}");
    assert!(
        total_committed >= after_first_commit,
        "the kills landed while writing ({total_committed} commits)"
    );
}
