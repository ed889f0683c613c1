//! What the formulary's integration tests share: the test pack and copying a pack to change it.

#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};

/// The small pack the validator tests start from.
pub fn test_pack() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pack")
}

/// Copy a pack folder (recursively) to change it in a test.
pub fn copy_dir(from: &Path, to: &Path) {
    copy_dir_skipping(from, to, None);
}

/// [`copy_dir`], leaving out every file named `skip` (a fixture's expectations).
pub fn copy_dir_skipping(from: &Path, to: &Path, skip: Option<&str>) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let p = e.path();
        if p.is_dir() {
            copy_dir_skipping(&p, &to.join(e.file_name()), skip);
        } else if skip.is_none_or(|s| e.file_name() != s) {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}
