//! Bad input and faults (issue 3): wrong key, damaged files, plaintext on disk.

mod support;

use meddesk_store::tables::{patients, prescriptions};
use meddesk_store::{DbKey, Store, StoreError};
use support::*;

#[test]
fn wrong_key_is_refused_and_the_files_are_untouched() {
    let fx = Fixture::new();
    let store = fx.create();
    seed_one(&store, "x");
    drop(store);
    let before = snapshot(fx.files.dir());

    let wrong = DbKey::generate().unwrap();
    let err = Store::open(&fx.files, &wrong, t0()).unwrap_err();
    assert_eq!(err.code(), "wrong_key", "{err}");
    assert_eq!(
        snapshot(fx.files.dir()),
        before,
        "nothing written, nothing created"
    );

    // Without the key check file SQLCipher itself must refuse, still touching nothing.
    std::fs::remove_file(fx.files.key_check()).unwrap();
    let before = snapshot(fx.files.dir());
    let err = Store::open(&fx.files, &wrong, t0()).unwrap_err();
    assert_eq!(err.code(), "wrong_key", "{err}");
    assert_eq!(snapshot(fx.files.dir()), before);

    // The right key still opens it.
    fx.open().verify().unwrap();
}

fn damaged(change: impl FnOnce(&mut Vec<u8>)) -> (Fixture, Vec<(String, String)>, StoreError) {
    let fx = Fixture::new();
    let store = fx.create();
    for i in 0..300 {
        seed_one(
            &store,
            &format!("complaint {i} {}", "long text ".repeat(20)),
        );
    }
    drop(store);
    let db = fx.files.database();
    assert!(
        !fx.files.database_files()[1].exists(),
        "clean close removes the WAL"
    );
    let mut bytes = std::fs::read(&db).expect("read db");
    assert!(bytes.len() > 20 * 4096, "a multi-page database");
    change(&mut bytes);
    std::fs::write(&db, &bytes).expect("write db");
    let before = snapshot(fx.files.dir());
    let err = match Store::open(&fx.files, &fx.key(), t0()) {
        Err(e) => e,
        Ok(store) => {
            let e = store.verify().expect_err("damage must be detected");
            drop(store);
            e
        }
    };
    (fx, before, err)
}

#[test]
fn truncated_file_is_corrupt_and_not_overwritten() {
    for cut in [1000usize, 4096 * 5, 4096 * 5 + 100] {
        let (fx, before, err) = damaged(|b| b.truncate(b.len() - cut));
        assert_eq!(err.code(), "corrupt_database", "cut {cut}: {err}");
        let db = fx.files.database();
        assert_eq!(
            snapshot(fx.files.dir())
                .into_iter()
                .find(|(n, _)| n == "meddesk.db"),
            before.iter().find(|(n, _)| n == "meddesk.db").cloned(),
            "cut {cut}: the damaged file is left as it was for inspection and restore"
        );
        assert!(db.exists());
    }
}

#[test]
fn bit_flips_are_corrupt_and_not_overwritten() {
    // Page 1 (header, key confirmed by the check value), a middle page, the last page.
    for offset in [100usize, 4096 * 7 + 1234, usize::MAX] {
        let (fx, before, err) = damaged(|b| {
            let at = if offset == usize::MAX {
                b.len() - 50
            } else {
                offset
            };
            b[at] ^= 0x10;
        });
        assert_eq!(err.code(), "corrupt_database", "offset {offset}: {err}");
        let after = snapshot(fx.files.dir());
        let main = |s: &[(String, String)]| s.iter().find(|(n, _)| n == "meddesk.db").cloned();
        assert_eq!(main(&after), main(&before), "offset {offset}");
    }
}

#[test]
fn no_plaintext_in_database_wal_or_shm() {
    let marker = "PLAINTEXT-MARKER-7f3a9c";
    let fx = Fixture::new();
    let store = fx.create();
    let (cid, rx) = seed_one(&store, marker);
    store
        .write(&doctor(), t0(), |w| {
            patients::upsert(
                w,
                &patient("p-2", "演示患者乙"),
                Some(&meddesk_domain::Sensitive::new(patients::Identifiers {
                    full_name: format!("{marker}-name"),
                    id_number: Some(format!("{marker}-id")),
                    phone: None,
                })),
            )
        })
        .unwrap();
    let check = |label: &str| {
        let mut seen = 0;
        for path in fx.files.database_files() {
            if let Ok(bytes) = std::fs::read(&path) {
                seen += 1;
                // Needles long enough that random ciphertext cannot contain them by chance.
                for needle in [
                    marker.as_bytes(),
                    "amlodipine".as_bytes(),
                    "演示患者".as_bytes(),
                ] {
                    assert!(
                        !bytes.windows(needle.len()).any(|w| w == needle),
                        "{label}: {} contains plaintext",
                        path.display()
                    );
                }
            }
        }
        seen
    };
    // While open: the WAL holds the newest pages.
    assert_eq!(
        check("open"),
        3,
        "db, -wal and -shm all exist and were checked"
    );
    // The data is really there.
    let rx_read = store
        .read(&doctor(), t0(), |r| prescriptions::get(r, &rx))
        .unwrap();
    assert_eq!(rx_read.consultation_id, cid);
    assert_eq!(rx_read.diagnosis.expose(), &format!("dx {marker}"));
    drop(store);
    assert!(check("closed") >= 1);
}
