//! [`AtomicStore`]: a Zarr filesystem store whose writes are all-or-nothing.
//!
//! `zarrs`' own filesystem store truncates a chunk file and writes into it,
//! so a process killed mid-write leaves a short file under the chunk's
//! name that the next reader takes as complete (an uncompressed chunk would
//! even decode, with zeros). Here every value is written to a hidden
//! temporary file beside its key and renamed over it: a chunk file is
//! either absent or whole, which is what resuming a run relies on
//! ("a chunk whose file exists is done"). Temporaries left by a killed
//! process match [`is_temporary`] and are removed by [`remove_temporaries`].
//!
//! Syncing each value to disk (`durable`) is optional: a store that only
//! spills a run's intermediate data does not need to survive a power loss,
//! and an `fsync` per chunk would dominate its cost.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use zarrs::filesystem::FilesystemStore;
use zarrs::storage::{
    byte_range::ByteRangeIterator, Bytes, ListableStorageTraits, MaybeBytes, MaybeBytesIterator, OffsetBytesIterator,
    ReadableStorageTraits, StorageError, StoreKey, StoreKeys, StoreKeysPrefixes, StorePrefix, WritableStorageTraits,
};

/// Marks the temporary files of this store: `.{name}.plexus-tmp-{pid}-{n}`.
const TEMPORARY: &str = ".plexus-tmp-";

/// A filesystem store with atomic, optionally durable writes.
#[derive(Debug)]
pub(crate) struct AtomicStore {
    root: PathBuf,
    inner: FilesystemStore,
    durable: bool,
    counter: AtomicU64,
}

impl AtomicStore {
    /// A store rooted at the folder `root` (which need not exist yet).
    pub(crate) fn new(root: &Path, durable: bool) -> Result<AtomicStore, StorageError> {
        let inner = FilesystemStore::new(root).map_err(|e| StorageError::Other(e.to_string()))?;
        Ok(AtomicStore { root: root.to_path_buf(), inner, durable, counter: AtomicU64::new(0) })
    }

    /// The store's root folder.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The file a key is stored in.
    pub(crate) fn file_of(&self, key: &StoreKey) -> PathBuf {
        self.inner.key_to_fspath(key)
    }

    fn write_atomically(&self, key: &StoreKey, value: &[u8]) -> std::io::Result<()> {
        let target = self.inner.key_to_fspath(key);
        let dir = target.parent().map(Path::to_path_buf).unwrap_or_default();
        fs::create_dir_all(&dir)?;
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}{TEMPORARY}{}-{n}", std::process::id()));
        let result = (|| {
            let mut f = fs::File::create(&temp)?;
            f.write_all(value)?;
            if self.durable {
                f.sync_all()?;
            }
            drop(f);
            fs::rename(&temp, &target)?;
            if self.durable {
                // The rename itself is durable once the folder is synced.
                fs::File::open(&dir)?.sync_all()?;
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result
    }
}

/// Whether a file name is one of this store's temporaries.
pub(crate) fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && name.contains(TEMPORARY)
}

/// Removes temporaries left under `root` by killed processes; returns how
/// many there were.
pub(crate) fn remove_temporaries(root: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if is_temporary(&entry.file_name().to_string_lossy()) {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

impl ReadableStorageTraits for AtomicStore {
    fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<MaybeBytesIterator<'a>, StorageError> {
        self.inner.get_partial_many(key, byte_ranges)
    }

    fn get(&self, key: &StoreKey) -> Result<MaybeBytes, StorageError> {
        self.inner.get(key)
    }

    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        self.inner.size_key(key)
    }

    fn supports_get_partial(&self) -> bool {
        self.inner.supports_get_partial()
    }
}

impl ListableStorageTraits for AtomicStore {
    fn list(&self) -> Result<StoreKeys, StorageError> {
        self.inner.list()
    }

    fn list_prefix(&self, prefix: &StorePrefix) -> Result<StoreKeys, StorageError> {
        self.inner.list_prefix(prefix)
    }

    fn list_dir(&self, prefix: &StorePrefix) -> Result<StoreKeysPrefixes, StorageError> {
        self.inner.list_dir(prefix)
    }

    fn size_prefix(&self, prefix: &StorePrefix) -> Result<u64, StorageError> {
        self.inner.size_prefix(prefix)
    }
}

impl WritableStorageTraits for AtomicStore {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        self.write_atomically(key, &value).map_err(|e| StorageError::from(std::sync::Arc::new(e)))
    }

    fn set_partial_many(&self, key: &StoreKey, offset_values: OffsetBytesIterator) -> Result<(), StorageError> {
        // Not advertised (`supports_set_partial` is false), so zarrs reads,
        // patches and sets whole values; kept correct if called anyway.
        let mut value = self.inner.get(key)?.map(|b| b.to_vec()).unwrap_or_default();
        for (offset, bytes) in offset_values {
            let end = offset as usize + bytes.len();
            if value.len() < end {
                value.resize(end, 0);
            }
            value[offset as usize..end].copy_from_slice(&bytes);
        }
        self.set(key, Bytes::from(value))
    }

    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.inner.erase(key)
    }

    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.inner.erase_prefix(prefix)
    }

    fn supports_set_partial(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_whole_files_and_leave_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let store = AtomicStore::new(dir.path(), false).unwrap();
        let key = StoreKey::new("a/c/0/0").unwrap();
        store.set(&key, Bytes::from_static(b"first value")).unwrap();
        store.set(&key, Bytes::from_static(b"second")).unwrap();
        assert_eq!(fs::read(dir.path().join("a/c/0/0")).unwrap(), b"second");
        assert_eq!(store.get(&key).unwrap().unwrap().as_ref(), b"second");
        let names: Vec<String> = fs::read_dir(dir.path().join("a/c/0"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["0"]);
        // A temporary left by a killed writer is recognised and removed.
        let stale = dir.path().join("a/c/0/.1.plexus-tmp-99-0");
        fs::write(&stale, b"half").unwrap();
        assert!(is_temporary(".1.plexus-tmp-99-0") && !is_temporary("0"));
        assert_eq!(remove_temporaries(dir.path()).unwrap(), 1);
        assert!(!stale.exists());
    }
}
