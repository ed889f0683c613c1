//! Crash-safe file replacement: the only way this crate writes a file other than the
//! database itself.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use crate::error::{Result, StoreError};

/// Write `bytes` to a temporary file beside `path`, fsync it, rename it over `path`, fsync
/// the folder: readers see the old file or the new one, never half of either.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().ok_or_else(|| {
        StoreError::io(
            path.display().to_string(),
            std::io::Error::other("no parent folder"),
        )
    })?;
    fs::create_dir_all(dir).map_err(|e| StoreError::io(dir.display().to_string(), e))?;
    let tmp = temp_sibling(path);
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e| StoreError::io(path.display().to_string(), e))
}

/// A unique temporary name in the same folder (same file system, so rename is atomic).
pub(crate) fn temp_sibling(path: &Path) -> std::path::PathBuf {
    let mut suffix = [0u8; 6];
    // Uniqueness only; a failure to get randomness falls back to the process id.
    let tag = if getrandom::fill(&mut suffix).is_ok() {
        hex::encode(suffix)
    } else {
        std::process::id().to_string()
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{tag}.tmp"))
}

/// Make a rename durable. Folders cannot be opened for fsync on Windows; there the rename
/// is already durable through NTFS's journal.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
    Ok(())
}
