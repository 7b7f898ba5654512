//! The verified-hash cache: an artifact whose sha256 matched its manifest is
//! remembered by what `stat` says of it, so loading it again skips hashing.
//!
//! The key is the file's device, inode, size, modification time and status
//! change time (nanoseconds). `ctime` is set by the kernel on every write,
//! truncate, rename onto the name or `touch -d`; no user can set it back, so
//! a file whose key is unchanged was not written to since it was hashed.
//! Two guards keep that true:
//!
//! - the key is taken from the open descriptor before and after the read,
//!   and a cached hash is used only if both agree (a write during the read
//!   changes the second);
//! - a hash is stored only when the file's `mtime` and `ctime` are at least
//!   [`SETTLED`] old: file systems stamp times from a coarse clock (a few
//!   ms), so a write in the same tick as the last one can leave them
//!   unchanged; a file quiet for that long cannot be written again within
//!   its own stamped tick (git's "racy clean" rule).
//!
//! Entries are files `<dev>-<ino>` holding `size mtime ctime sha256` in a
//! folder held to the trust rules of plugin folders ([`crate::trust`]): a
//! cache folder or entry another user could write to or owns is neither read
//! nor written, since an entry vouches for native code.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// How old a file's times must be before its hash is cached.
pub(crate) const SETTLED: Duration = Duration::from_secs(2);

/// What `stat` says of an artifact, as the cache keys it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileKey {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl FileKey {
    /// The key of a file's metadata.
    pub(crate) fn of(md: &std::fs::Metadata) -> FileKey {
        let ns = |s: i64, n: i64| s as i128 * 1_000_000_000 + n as i128;
        FileKey {
            dev: md.dev(),
            ino: md.ino(),
            size: md.size(),
            mtime_ns: ns(md.mtime(), md.mtime_nsec()),
            ctime_ns: ns(md.ctime(), md.ctime_nsec()),
        }
    }

    /// Whether both times are at least [`SETTLED`] before `now`.
    fn settled(&self, now: SystemTime) -> bool {
        let now_ns = match now.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i128,
            Err(_) => return false,
        };
        let limit = now_ns - SETTLED.as_nanos() as i128;
        self.mtime_ns <= limit && self.ctime_ns <= limit
    }

    fn line(&self, sha256: &str) -> String {
        format!("{} {} {} {}\n", self.size, self.mtime_ns, self.ctime_ns, sha256)
    }
}

/// The cache in one folder.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedCache {
    dir: PathBuf,
}

impl VerifiedCache {
    /// The cache in `dir` (created `0700` on first store).
    pub(crate) fn new(dir: PathBuf) -> VerifiedCache {
        VerifiedCache { dir }
    }

    fn entry(&self, key: &FileKey) -> PathBuf {
        self.dir.join(format!("{}-{}", key.dev, key.ino))
    }

    /// The sha256 stored for exactly this key, if the folder and the entry
    /// are trusted.
    pub(crate) fn lookup(&self, key: &FileKey) -> Option<String> {
        let path = self.entry(key);
        let md = std::fs::symlink_metadata(&path).ok()?;
        if !md.file_type().is_file() || md.len() > 256 {
            return None;
        }
        if let Err(problem) = crate::trust::check_folder(&self.dir).and_then(|()| crate::trust::check_file(&path)) {
            tracing::warn!("not using the verified-hash cache `{}`: {problem}", path.display());
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let (head, sha) = text.trim_end().rsplit_once(' ')?;
        (head == key.line("").trim_end() && sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| sha.to_ascii_lowercase())
    }

    /// Remembers that the file of `key` hashes to `sha256`, if its times
    /// have settled. Failures only cost a hash next time; they are logged.
    pub(crate) fn store(&self, key: &FileKey, sha256: &str) {
        if !key.settled(SystemTime::now()) {
            return;
        }
        if let Err(e) = self.write(key, sha256) {
            tracing::debug!(dir = %self.dir.display(), "cannot cache a verified hash: {e}");
        }
    }

    fn write(&self, key: &FileKey, sha256: &str) -> Result<(), String> {
        crate::private_file::write(&self.dir, &self.entry(key), key.line(sha256).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    fn old_file(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// The key of `path` with both times moved 10 s back: what a file
    /// written 10 s ago has (ctime cannot be set from user space).
    fn settled_key(path: &Path) -> FileKey {
        let mut k = FileKey::of(&std::fs::metadata(path).unwrap());
        k.mtime_ns -= 10_000_000_000;
        k.ctime_ns -= 10_000_000_000;
        k
    }

    #[test]
    fn a_stored_hash_is_found_only_under_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VerifiedCache::new(dir.path().join("cache"));
        let f = old_file(dir.path(), "a.so", b"abc");
        let key = settled_key(&f);
        let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(cache.lookup(&key), None);
        cache.store(&key, sha);
        assert_eq!(cache.lookup(&key).as_deref(), Some(sha));
        let mode = std::fs::metadata(dir.path().join("cache")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        for changed in [
            FileKey { size: key.size + 1, ..key },
            FileKey { mtime_ns: key.mtime_ns + 1, ..key },
            FileKey { ctime_ns: key.ctime_ns + 1, ..key },
        ] {
            assert_eq!(cache.lookup(&changed), None, "{changed:?}");
        }
    }

    #[test]
    fn a_file_changed_within_the_last_two_seconds_is_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VerifiedCache::new(dir.path().join("cache"));
        let f = old_file(dir.path(), "a.so", b"abc");
        let fresh = FileKey::of(&std::fs::metadata(&f).unwrap());
        cache.store(&fresh, &"0".repeat(64));
        assert_eq!(cache.lookup(&fresh), None);
    }

    #[test]
    fn a_cache_others_could_write_to_is_neither_read_nor_written() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("cache");
        let cache = VerifiedCache::new(folder.clone());
        let f = old_file(dir.path(), "a.so", b"abc");
        let key = settled_key(&f);
        cache.store(&key, &"a".repeat(64));
        assert!(cache.lookup(&key).is_some());
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(cache.lookup(&key), None, "a world-writable folder is not read");
        let other = settled_key(&old_file(dir.path(), "b.so", b"def"));
        cache.store(&other, &"b".repeat(64));
        assert!(!cache.entry(&other).exists(), "nor written");
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(cache.entry(&key), std::fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(cache.lookup(&key), None, "a world-writable entry is not read");
    }
}
