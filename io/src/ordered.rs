//! [`OrderedFile`]: the `.partial` file behind the streaming chunk writers
//! (NPY, TIFF): a fixed header, then every chunk at an offset known from
//! the spec, written in order.
//!
//! Because the header is fixed and chunks arrive in order, the length of a
//! partial file says how many chunks it holds; that is what makes
//! resuming safe. A partial file is resumed only when it begins with
//! exactly the header this writer would write (the NPY header of the same
//! shape and type; for TIFF a signature and the spec's fingerprint), and
//! only its whole chunks are kept — a chunk cut short by a kill is
//! truncated away and written again.

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::element::to_little_endian;
use crate::error::{shown, IoError};
use crate::stack::partial_path;
use crate::writer::{check_chunk, DatasetSpec, WriteStart};

/// A partial file written chunk by chunk in order.
#[derive(Debug)]
pub(crate) struct OrderedFile {
    path: PathBuf,
    partial: PathBuf,
    file: File,
    spec: DatasetSpec,
    data_offset: u64,
    next: usize,
    start: WriteStart,
    /// What the format is called in messages (`NPY`).
    format: &'static str,
}

impl OrderedFile {
    /// Creates (or, with `resume`, re-opens) `<path>.partial` beginning
    /// with `header`; chunk data follows it.
    pub(crate) fn create(
        path: &Path,
        spec: DatasetSpec,
        header: &[u8],
        resume: bool,
        format: &'static str,
    ) -> Result<OrderedFile, IoError> {
        let partial = partial_path(path);
        let data_offset = header.len() as u64;
        let chunk_bytes = (spec.chunk * spec.slice_bytes()) as u64;
        let total = (spec.len() * spec.slice_bytes()) as u64;
        let mut start = WriteStart::New;
        let mut kept = None;
        if partial.exists() {
            let why = if !resume {
                Some("resuming was not asked".to_string())
            } else {
                match same_header(&partial, header) {
                    Ok(true) => None,
                    Ok(false) => Some(format!("it does not begin with the header of this {format} dataset")),
                    Err(e) => Some(format!("it cannot be read: {e}")),
                }
            };
            match why {
                Some(why) => {
                    fs::remove_file(&partial).map_err(|e| IoError::os(&partial, "remove the stale partial file", e))?;
                    start = WriteStart::Discarded { partial: partial.clone(), why };
                }
                None => {
                    let len = fs::metadata(&partial).map_err(|e| IoError::os(&partial, "read", e))?.len();
                    let data = len - data_offset;
                    let done = if data >= total { spec.chunks() } else { (data / chunk_bytes.max(1)) as usize };
                    kept = Some(done);
                    start = WriteStart::Resumed { chunks: done };
                }
            }
        }
        let file = match kept {
            Some(done) => {
                let f = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&partial)
                    .map_err(|e| IoError::os(&partial, "open", e))?;
                // Drop a chunk cut short (and, for TIFF, directories written
                // by a finish that never renamed the file).
                let end = data_offset + (spec.chunk_slices(done.saturating_sub(1)).end * spec.slice_bytes()) as u64;
                let end = if done == 0 { data_offset } else { end };
                f.set_len(end).map_err(|e| IoError::os(&partial, "truncate", e))?;
                f
            }
            None => {
                let f = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&partial)
                    .map_err(|e| IoError::os(&partial, "create", e))?;
                write_at(&f, 0, header).map_err(|e| IoError::os(&partial, "write", e))?;
                f
            }
        };
        let next = kept.unwrap_or(0);
        Ok(OrderedFile { path: path.to_path_buf(), partial, file, spec, data_offset, next, start, format })
    }

    pub(crate) fn spec(&self) -> &DatasetSpec {
        &self.spec
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn partial(&self) -> &Path {
        &self.partial
    }

    pub(crate) fn start(&self) -> &WriteStart {
        &self.start
    }

    /// Whether chunk `index` is in the file.
    pub(crate) fn is_written(&self, index: usize) -> bool {
        index < self.next
    }

    /// Writes chunk `index` (native bytes), which must be the next one.
    pub(crate) fn write_chunk(&mut self, index: usize, bytes: &[u8]) -> Result<(), IoError> {
        check_chunk(&self.path, &self.spec, index, bytes.len())?;
        let order = |what: String| IoError::Chunk { file: shown(&self.path), index, what };
        if index < self.next {
            return Err(order(format!(
                "was written already: {} is written in order and chunk {} comes next",
                self.format, self.next
            )));
        }
        if index > self.next {
            return Err(order(format!(
                "arrived before chunk {}: {} is written in order (Zarr takes chunks in any order)",
                self.next, self.format
            )));
        }
        let offset = self.data_offset + (self.spec.chunk_slices(index).start * self.spec.slice_bytes()) as u64;
        let le = to_little_endian(bytes, self.spec.dtype.size());
        write_at(&self.file, offset, &le).map_err(|e| IoError::os(&self.partial, "write", e))?;
        self.next += 1;
        Ok(())
    }

    /// Whether every chunk is written, or the error saying which is not.
    pub(crate) fn check_complete(&self) -> Result<(), IoError> {
        if self.next < self.spec.chunks() {
            return Err(IoError::cannot_write(
                &self.path,
                format!(
                    "an unfinished dataset: chunks {}..{} of {} were never written",
                    self.next,
                    self.spec.chunks(),
                    self.spec.chunks()
                ),
            ));
        }
        Ok(())
    }

    /// Byte offset of the end of the chunk data.
    pub(crate) fn data_end(&self) -> u64 {
        self.data_offset + (self.spec.len() * self.spec.slice_bytes()) as u64
    }

    /// The open partial file.
    pub(crate) fn file(&mut self) -> &mut File {
        &mut self.file
    }

    pub(crate) fn sync(&mut self) -> Result<(), IoError> {
        self.file.sync_data().map_err(|e| IoError::os(&self.partial, "write", e))
    }

    /// Syncs and renames the partial file into place.
    pub(crate) fn commit(self) -> Result<PathBuf, IoError> {
        self.file.sync_all().map_err(|e| IoError::os(&self.partial, "write", e))?;
        drop(self.file);
        fs::rename(&self.partial, &self.path)
            .map_err(|e| IoError::os(&self.path, "rename the finished file into place", e))?;
        Ok(self.path)
    }

    /// Removes the partial file.
    pub(crate) fn abort(self) {
        drop(self.file);
        let _ = fs::remove_file(&self.partial);
    }
}

/// Whether `partial` begins with `header`.
fn same_header(partial: &Path, header: &[u8]) -> std::io::Result<bool> {
    let mut head = Vec::with_capacity(header.len());
    File::open(partial)?.take(header.len() as u64).read_to_end(&mut head)?;
    Ok(head == header)
}

#[cfg(unix)]
fn write_at(file: &File, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(bytes, offset)
}

#[cfg(windows)]
fn write_at(file: &File, mut offset: u64, mut bytes: &[u8]) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !bytes.is_empty() {
        let n = file.seek_write(bytes, offset)?;
        bytes = &bytes[n..];
        offset += n as u64;
    }
    Ok(())
}
