//! Writing under a temporary name: every output goes to `<path>.partial`
//! ([`partial_path`]) and is renamed to `<path>` only once complete and
//! synced, so a crash or an error never leaves a truncated file under the
//! final name, and an existing file there stays untouched until the rename
//! replaces it. [`Partial`] is such a file that deletes itself if dropped
//! before [`Partial::commit`].

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::error::IoError;

/// The temporary name a file is written under: `scan.tif` → `scan.tif.partial`.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

/// An open `.partial` file that becomes `path` on [`Partial::commit`] and is
/// deleted if dropped before.
pub(crate) struct Partial {
    pub(crate) path: PathBuf,
    pub(crate) partial: PathBuf,
    out: Option<BufWriter<File>>,
}

impl Partial {
    pub(crate) fn create(path: &Path) -> Result<Partial, IoError> {
        let partial = partial_path(path);
        let file = File::create(&partial).map_err(|e| IoError::os(&partial, "create", e))?;
        Ok(Partial { path: path.to_path_buf(), partial, out: Some(BufWriter::with_capacity(1 << 20, file)) })
    }

    pub(crate) fn out(&mut self) -> &mut BufWriter<File> {
        // Only `commit` takes the writer, and it consumes `self`.
        self.out.as_mut().expect("partial file is open until commit")
    }

    /// Flushes, syncs and renames into place.
    pub(crate) fn commit(mut self) -> Result<(), IoError> {
        let out = self.out.take().expect("partial file is open until commit");
        let file = out.into_inner().map_err(|e| IoError::os(&self.partial, "write", e.into_error()))?;
        // Sync before the rename so that after a crash the final name holds
        // either the old file or the complete new one.
        file.sync_all().map_err(|e| IoError::os(&self.partial, "write", e))?;
        drop(file);
        fs::rename(&self.partial, &self.path)
            .map_err(|e| IoError::os(&self.path, "rename the finished file into place", e))
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            // Best effort: a failed write is already being reported.
            let _ = fs::remove_file(&self.partial);
        }
    }
}

/// Writes a whole file through a `.partial` file.
pub(crate) fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let mut p = Partial::create(path)?;
    body(p.out())?;
    p.commit()
}
