//! [`NpyWriter`]: an `.npy` file written chunk by chunk, in order, with
//! its final header first — the shape is known from the start, so the file
//! never needs rewriting and a partial file can be resumed (see
//! `ordered`). The result is byte-identical to [`write`](crate::write) of
//! the whole array.

use std::path::{Path, PathBuf};

use crate::error::IoError;
use crate::npy::header_bytes;
use crate::ordered::OrderedFile;
use crate::writer::{ChunkWriter, DatasetSpec, WriteStart};

/// A `.npy` file being written chunk by chunk.
#[derive(Debug)]
pub struct NpyWriter {
    out: OrderedFile,
}

impl NpyWriter {
    /// Starts `<path>.partial` (re-opening it when `resume` and it holds
    /// the same dataset).
    pub(crate) fn create(path: &Path, spec: DatasetSpec, resume: bool) -> Result<NpyWriter, IoError> {
        let header = header_bytes(spec.dtype, &spec.shape);
        Ok(NpyWriter { out: OrderedFile::create(path, spec, &header, resume, "NPY")? })
    }
}

impl ChunkWriter for NpyWriter {
    fn spec(&self) -> &DatasetSpec {
        self.out.spec()
    }

    fn path(&self) -> &Path {
        self.out.path()
    }

    fn start(&self) -> &WriteStart {
        self.out.start()
    }

    fn any_order(&self) -> bool {
        false
    }

    fn is_written(&self, index: usize) -> bool {
        self.out.is_written(index)
    }

    fn write_bytes(&mut self, index: usize, bytes: &[u8]) -> Result<(), IoError> {
        self.out.write_chunk(index, bytes)
    }

    fn sync(&mut self) -> Result<(), IoError> {
        self.out.sync()
    }

    fn finish(self: Box<Self>) -> Result<PathBuf, IoError> {
        self.out.check_complete()?;
        self.out.commit()
    }

    fn abort(self: Box<Self>) {
        self.out.abort()
    }
}
