//! [`TiffWriter`]: a TIFF written chunk by chunk, in order, for a dataset
//! whose shape is known from the start.
//!
//! Pixel data goes behind the 16 bytes the encoder reserves for the
//! header, at offsets fixed by the shape; the directories follow at
//! [`finish`](ChunkWriter::finish), exactly as
//! [`StackWriter`](crate::StackWriter) writes them, so the file is
//! byte-identical to a whole-array write. While the file is partial its
//! reserved bytes hold a signature and the spec's fingerprint instead of
//! the header, which is what lets a later writer recognise and resume it.

use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::IoError;
use crate::ordered::OrderedFile;
use crate::tiff::encode::{TiffEncoder, HEADER_RESERVED};
use crate::tiff::TiffOptions;
use crate::writer::{ChunkWriter, DatasetSpec, WriteStart};

/// First bytes of a partial TIFF written by this writer.
const SIGNATURE: &[u8; 8] = b"PLXTIF\x00\x01";

/// A TIFF file being written chunk by chunk.
#[derive(Debug)]
pub struct TiffWriter {
    out: OrderedFile,
    options: TiffOptions,
}

impl TiffWriter {
    /// Starts `<path>.partial` (re-opening it when `resume` and it holds
    /// the same dataset).
    pub(crate) fn create(
        path: &Path,
        spec: DatasetSpec,
        options: TiffOptions,
        resume: bool,
    ) -> Result<TiffWriter, IoError> {
        // Fails now, before any file, if TIFF cannot hold the array.
        TiffEncoder::for_written(path, options, spec.dtype, &spec.shape, &spec.axes)?;
        let mut header = SIGNATURE.to_vec();
        header.extend_from_slice(&fnv1a(format!("{} {options:?}", spec.fingerprint()).as_bytes()).to_le_bytes());
        debug_assert_eq!(header.len() as u64, HEADER_RESERVED);
        Ok(TiffWriter { out: OrderedFile::create(path, spec, &header, resume, "TIFF")?, options })
    }
}

/// The 64-bit FNV-1a hash: a fingerprint, not a defence against forgery.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

impl ChunkWriter for TiffWriter {
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

    fn finish(mut self: Box<Self>) -> Result<PathBuf, IoError> {
        self.out.check_complete()?;
        let spec = self.out.spec().clone();
        let mut enc = TiffEncoder::for_written(self.out.path(), self.options, spec.dtype, &spec.shape, &spec.axes)?;
        let end = self.out.data_end();
        let partial = self.out.partial().to_path_buf();
        let file = self.out.file();
        file.seek(SeekFrom::Start(end)).map_err(|e| IoError::os(&partial, "write", e))?;
        let mut w = std::io::BufWriter::new(&mut *file);
        enc.finish(&partial, &mut w)?;
        w.into_inner().map_err(|e| IoError::os(&partial, "write", e.into_error()))?;
        self.out.commit()
    }

    fn abort(self: Box<Self>) {
        self.out.abort()
    }
}
