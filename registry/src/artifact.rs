//! Finding, opening and hashing a plugin's artifact: regular files only,
//! inside the plugin's folder, under a size cap.
//!
//! Why: a FIFO as artifact blocks `open` forever and `/dev/zero` is hashed
//! forever, so either would hang discovery (and `plexus plugins list`). A
//! symlink out of the folder would load whatever it points at, from a
//! folder nobody checked. Every open is `O_NONBLOCK` and re-checked on the
//! open descriptor, so a file swapped for a FIFO between the check and the
//! open is refused too, not waited on.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::RejectReason;
use crate::trust;
use crate::verified::FileKey;

/// The largest artifact the registry hashes and loads: 256 MiB. The
/// built-in plugins are 6–14 MiB with line tables; a cap keeps a stray
/// disk image from being read into memory at every scan.
pub const MAX_ARTIFACT_BYTES: u64 = 256 << 20;

/// The largest `plugin.toml` read: 1 MiB (the biggest built-in is 6 KiB).
pub(crate) const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Checks the artifact at `path` (as the manifest names it) of the plugin
/// in `folder` before anything reads it: present, inside `folder` after
/// following symlinks, a regular file under the cap, and owned and
/// writable as [`trust`] requires. Returns the path to open.
pub(crate) fn resolve(path: PathBuf, folder: &Path) -> Result<PathBuf, RejectReason> {
    let link = std::fs::symlink_metadata(&path).map_err(|e| missing_or_failed(&path, e))?;
    let real = if link.file_type().is_symlink() {
        let target = path.canonicalize().map_err(|e| missing_or_failed(&path, e))?;
        let real_folder = folder.canonicalize().map_err(|e| missing_or_failed(folder, e))?;
        if !target.starts_with(&real_folder) {
            return Err(RejectReason::OutsideFolder { path, target, folder: folder.to_path_buf() });
        }
        // A folder between the plugin's and the target: checked like it.
        if let Some(parent) = target.parent().filter(|p| *p != real_folder) {
            trust::check_folder(parent).map_err(|problem| RejectReason::Untrusted {
                what: "artifact",
                path: path.clone(),
                problem,
            })?;
        }
        target
    } else {
        path.clone()
    };
    let md = std::fs::metadata(&real).map_err(|e| missing_or_failed(&path, e))?;
    check_kind(&path, md.file_type(), md.len(), MAX_ARTIFACT_BYTES)?;
    trust::check_file(&real).map_err(|problem| RejectReason::Untrusted {
        what: "artifact",
        path: path.clone(),
        problem,
    })?;
    Ok(path)
}

/// Hex sha256 of the artifact at `path`, read through [`open_regular`].
pub(crate) fn sha256(path: &Path) -> Result<String, RejectReason> {
    let file = open_regular(path, MAX_ARTIFACT_BYTES)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut reader = file.take(MAX_ARTIFACT_BYTES);
    loop {
        let n = reader.read(&mut buf).map_err(|e| failed(path, format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The whole artifact at `path`, read through [`open_regular`] (at most
/// [`MAX_ARTIFACT_BYTES`]; a file that grew past it since is refused), with
/// its cache key when the
/// open file's `stat` was the same before and after the read (otherwise it
/// changed meanwhile and no cached hash may stand for these bytes).
pub(crate) fn read_keyed(path: &Path) -> Result<(Vec<u8>, Option<FileKey>), RejectReason> {
    let mut file = open_regular(path, MAX_ARTIFACT_BYTES)?;
    let key_now = |f: &File| f.metadata().map(|md| FileKey::of(&md)).ok();
    let before = key_now(&file);
    let mut bytes = Vec::new();
    (&mut file)
        .take(MAX_ARTIFACT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| failed(path, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_ARTIFACT_BYTES {
        return Err(RejectReason::TooLarge {
            path: path.to_path_buf(),
            bytes: bytes.len() as u64,
            cap_bytes: MAX_ARTIFACT_BYTES,
        });
    }
    let after = key_now(&file);
    let key = before.filter(|k| Some(*k) == after);
    Ok((bytes, key))
}

/// A file read through [`open_regular`], at most `cap` bytes.
pub(crate) fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, RejectReason> {
    let file = open_regular(path, cap)?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes).map_err(|e| failed(path, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(RejectReason::TooLarge { path: path.to_path_buf(), bytes: bytes.len() as u64, cap_bytes: cap });
    }
    Ok(bytes)
}

/// Hex sha256 of `bytes`.
pub(crate) fn sha256_of(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Opens `path` for reading if it is a regular file of at most `cap`
/// bytes: checked with `stat` first (so a device is never opened), then
/// opened non-blocking (a FIFO swapped in meanwhile does not block) and
/// checked again on the descriptor.
pub(crate) fn open_regular(path: &Path, cap: u64) -> Result<File, RejectReason> {
    let md = std::fs::metadata(path).map_err(|e| missing_or_failed(path, e))?;
    check_kind(path, md.file_type(), md.len(), cap)?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| missing_or_failed(path, e))?;
    let md = file.metadata().map_err(|e| failed(path, format!("cannot read: {e}")))?;
    check_kind(path, md.file_type(), md.len(), cap)?;
    Ok(file)
}

fn check_kind(path: &Path, kind: std::fs::FileType, len: u64, cap: u64) -> Result<(), RejectReason> {
    if !kind.is_file() {
        return Err(RejectReason::NotAFile { path: path.to_path_buf(), found: describe(kind) });
    }
    if len > cap {
        return Err(RejectReason::TooLarge { path: path.to_path_buf(), bytes: len, cap_bytes: cap });
    }
    Ok(())
}

/// `a FIFO`, `a character device`, ... for messages.
fn describe(kind: std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a folder"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "an unknown kind of file"
    }
}

fn missing_or_failed(path: &Path, e: std::io::Error) -> RejectReason {
    if e.kind() == std::io::ErrorKind::NotFound {
        RejectReason::MissingArtifact(path.to_path_buf())
    } else {
        failed(path, e.to_string())
    }
}

fn failed(path: &Path, message: String) -> RejectReason {
    RejectReason::LoadFailed { path: path.to_path_buf(), message }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_under_the_cap_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert_eq!(open_regular(&fifo, 10).unwrap_err(), RejectReason::NotAFile { path: fifo, found: "a FIFO" });
        let zero = Path::new("/dev/zero");
        assert_eq!(
            open_regular(zero, 10).unwrap_err(),
            RejectReason::NotAFile { path: zero.into(), found: "a character device" }
        );
        let f = dir.path().join("f");
        std::fs::write(&f, b"0123456789").unwrap();
        assert_eq!(read_capped(&f, 10).unwrap(), b"0123456789");
        assert_eq!(
            read_capped(&f, 9).unwrap_err().to_string(),
            format!("artifact `{}` is 0.0 MiB (10 bytes), over the 0 MiB cap on plugin artifacts", f.display())
        );
        assert_eq!(sha256(&f).unwrap(), sha256_of(b"0123456789"));
        assert_eq!(sha256_of(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
