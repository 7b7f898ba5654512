//! Chunked writing: [`create_writer`] makes a [`ChunkWriter`] for a
//! dataset whose full shape is known, and the caller writes it chunk by
//! chunk along axis 0 — the counterpart of [`open`](crate::open), used by
//! the host's sinks and its on-disk chunk store.
//!
//! The writer is created with a [`DatasetSpec`] (shape, element type, axis
//! labels, chunk length along axis 0, metadata). Chunk `i` covers slices
//! `i * chunk .. min((i + 1) * chunk, shape[0])` and is written whole,
//! with [`ChunkWriter::write`] (an [`Array`]) or
//! [`ChunkWriter::write_bytes`] (the caller's buffer, native endianness).
//! Zarr takes chunks in any order, each written atomically; the streaming
//! formats (NPY, TIFF) take them in order, and an out-of-order chunk is an
//! error naming both chunks.
//!
//! Nothing appears under the final name before [`ChunkWriter::finish`]:
//! NPY and TIFF are written to `<path>.partial`, Zarr to the folder
//! `<path>.partial`, renamed at the end. Unlike
//! [`StackWriter`](crate::StackWriter), a chunk writer dropped unfinished
//! *keeps* its partial output, so that a killed or cancelled run can
//! resume: created again with [`WriteOptions::resume`], a writer re-opens
//! its own partial output when that is safe — same spec, recognisably
//! ours, whole chunks known ([`WriteStart::Resumed`]) — and otherwise
//! removes it and says why ([`WriteStart::Discarded`]). [`ChunkWriter::abort`]
//! removes it explicitly.

use std::ops::Range;
use std::path::{Path, PathBuf};

use plexus_plugin_api::{default_axes, Array, DType};
use serde_json::{Map, Value};

use crate::error::{shown, IoError};
use crate::format::Format;
use crate::tiff::TiffOptions;
use crate::zarr::ZarrOptions;

/// What a chunk writer writes: known in full before the first chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSpec {
    /// Extent of each axis, slowest first.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Axis labels, space separated (`"z y x"`); one per axis.
    pub axes: String,
    /// Slices per chunk along axis 0 (at least 1); the last chunk may be
    /// shorter.
    pub chunk: usize,
    /// Metadata stored with the dataset (units, voxel size, angles), as
    /// JSON. Zarr keeps all of it; `voxel_size_um` (one number per axis,
    /// or one for all space axes) and `pixel_size_um` become the OME-Zarr
    /// scale.
    pub meta: Map<String, Value>,
}

impl DatasetSpec {
    /// A spec with the default axis labels for the rank, chunks of one
    /// slice and no metadata.
    pub fn new(shape: Vec<usize>, dtype: DType) -> DatasetSpec {
        DatasetSpec { axes: default_axes(shape.len()), shape, dtype, chunk: 1, meta: Map::new() }
    }

    /// The same spec with other axis labels.
    pub fn with_axes(mut self, axes: &str) -> DatasetSpec {
        self.axes = axes.split_whitespace().collect::<Vec<_>>().join(" ");
        self
    }

    /// The same spec with `chunk` slices per chunk.
    pub fn with_chunk(mut self, chunk: usize) -> DatasetSpec {
        self.chunk = chunk;
        self
    }

    /// The same spec with this metadata.
    pub fn with_meta(mut self, meta: Map<String, Value>) -> DatasetSpec {
        self.meta = meta;
        self
    }

    /// Extent of axis 0 (1 for a 0-dimensional dataset).
    pub fn len(&self) -> usize {
        self.shape.first().copied().unwrap_or(1)
    }

    /// Whether axis 0 is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of one slice along axis 0.
    pub fn slice_bytes(&self) -> usize {
        self.shape.iter().skip(1).product::<usize>() * self.dtype.size()
    }

    /// Number of chunks.
    pub fn chunks(&self) -> usize {
        self.len().div_ceil(self.chunk.max(1))
    }

    /// The slices chunk `index` covers.
    pub fn chunk_slices(&self, index: usize) -> Range<usize> {
        let start = index * self.chunk;
        start.min(self.len())..((index + 1) * self.chunk).min(self.len())
    }

    /// A short text that changes whenever the bytes written would: used to
    /// recognise a partial output of the same dataset.
    pub(crate) fn fingerprint(&self) -> String {
        format!("{:?} {} [{}] {}", self.shape, self.dtype, self.axes, self.chunk)
    }

    /// Checks the spec itself, before any file is created.
    pub(crate) fn check(&self, path: &Path) -> Result<(), IoError> {
        if self.chunk == 0 {
            return Err(IoError::cannot_write(path, "chunks of 0 slices: `chunk` must be at least 1"));
        }
        let labels = self.axes.split_whitespace().count();
        if labels != self.shape.len() {
            return Err(IoError::cannot_write(
                path,
                format!("axis labels `{}` for a shape of {} axes {:?}", self.axes, self.shape.len(), self.shape),
            ));
        }
        Ok(())
    }
}

/// How a writer found its output when it was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteStart {
    /// Nothing was there to resume: the output starts empty.
    New,
    /// The partial output of an earlier writer of the same spec was
    /// re-opened; `chunks` of its chunks are complete and kept.
    Resumed {
        /// How many chunks were kept ([`ChunkWriter::is_written`] says which).
        chunks: usize,
    },
    /// A partial output was there but could not be resumed, or resuming
    /// was not asked: it was removed.
    Discarded {
        /// The partial file or folder that was removed.
        partial: PathBuf,
        /// Why it was not resumed.
        why: String,
    },
}

/// Options for [`create_writer`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WriteOptions {
    /// Re-open a partial output of the same spec instead of starting over.
    pub resume: bool,
    /// TIFF options (classic or BigTIFF).
    pub tiff: TiffOptions,
    /// Zarr options (codec, sharding, OME metadata and pyramid).
    pub zarr: ZarrOptions,
}

/// A dataset being written chunk by chunk along axis 0.
pub trait ChunkWriter: Send {
    /// What is being written.
    fn spec(&self) -> &DatasetSpec;

    /// The final path (without `.partial`).
    fn path(&self) -> &Path;

    /// How the output was found at creation.
    fn start(&self) -> &WriteStart;

    /// Whether chunks may be written in any order (Zarr) or only in order
    /// (NPY, TIFF).
    fn any_order(&self) -> bool;

    /// Whether chunk `index` is complete (written now or kept on resume).
    fn is_written(&self, index: usize) -> bool;

    /// Writes chunk `index` from `bytes`: its slices, row-major, native
    /// endianness, exactly `chunk_slices(index).len() * slice_bytes()`
    /// bytes.
    fn write_bytes(&mut self, index: usize, bytes: &[u8]) -> Result<(), IoError>;

    /// Writes `chunk` as the chunk that starts at slice `start` of axis 0:
    /// `start` must begin a chunk, and the array must have that chunk's
    /// length along axis 0 and the dataset's element type and other axes.
    fn write(&mut self, start: usize, chunk: &Array) -> Result<(), IoError> {
        let spec = self.spec();
        let file = shown(self.path());
        let index = start / spec.chunk.max(1);
        let err = |what: String| IoError::Chunk { file: file.clone(), index, what };
        if !start.is_multiple_of(spec.chunk.max(1)) || index >= spec.chunks() {
            return Err(err(format!(
                "starts at slice {start}, which begins no chunk: chunks start at multiples of {} below {}",
                spec.chunk,
                spec.len()
            )));
        }
        if chunk.dtype() != spec.dtype {
            return Err(err(format!("has dtype `{}`, the dataset `{}`", chunk.dtype(), spec.dtype)));
        }
        let slices = spec.chunk_slices(index);
        let mut want = spec.shape.clone();
        if let Some(first) = want.first_mut() {
            *first = slices.len();
        }
        if chunk.shape() != want.as_slice() {
            return Err(err(format!("has shape {:?}, expected {want:?} (slices {slices:?})", chunk.shape())));
        }
        self.write_bytes(index, chunk.as_bytes())
    }

    /// Makes every chunk written so far durable (survives a power loss):
    /// call it before recording chunks as done.
    fn sync(&mut self) -> Result<(), IoError>;

    /// Completes the output (every chunk must be written) and renames it
    /// into place; returns the final path.
    fn finish(self: Box<Self>) -> Result<PathBuf, IoError>;

    /// Abandons the output and removes its partial file or folder.
    fn abort(self: Box<Self>);
}

/// Checks a chunk given to a writer: index in range, byte count right.
pub(crate) fn check_chunk(path: &Path, spec: &DatasetSpec, index: usize, bytes: usize) -> Result<(), IoError> {
    let err = |what: String| IoError::Chunk { file: shown(path), index, what };
    if index >= spec.chunks() {
        return Err(err(format!("does not exist: the dataset has {} chunks of {} slices", spec.chunks(), spec.chunk)));
    }
    let want = spec.chunk_slices(index).len() * spec.slice_bytes();
    if bytes != want {
        return Err(err(format!(
            "has {bytes} bytes, expected {want} ({} slices of {} bytes)",
            spec.chunk_slices(index).len(),
            spec.slice_bytes()
        )));
    }
    Ok(())
}

/// Creates a writer for `path` in the format its extension names.
pub fn create_writer(path: &Path, spec: DatasetSpec, options: &WriteOptions) -> Result<Box<dyn ChunkWriter>, IoError> {
    spec.check(path)?;
    match Format::from_path(path)? {
        Format::Npy => Ok(Box::new(crate::npy::NpyWriter::create(path, spec, options.resume)?)),
        Format::Tiff => Ok(Box::new(crate::tiff::TiffWriter::create(path, spec, options.tiff, options.resume)?)),
        Format::Zarr => Ok(Box::new(crate::zarr::ZarrWriter::create(path, spec, &options.zarr, options.resume)?)),
        Format::Png => {
            Err(IoError::cannot_write(path, "a PNG chunk by chunk: PNG holds one image; write .tif, .npy or .zarr"))
        }
        Format::Hdf5 => Err(IoError::cannot_write(
            path,
            "an HDF5 file chunk by chunk: write .zarr, .tif or .npy, or a whole scan with `write_dxchange`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_axis_0() {
        let s = DatasetSpec::new(vec![10, 4], DType::U8).with_chunk(4);
        assert_eq!((s.chunks(), s.chunk_slices(0), s.chunk_slices(2)), (3, 0..4, 8..10));
        assert_eq!(s.slice_bytes(), 4);
        let scalar = DatasetSpec::new(vec![], DType::F64);
        assert_eq!((scalar.len(), scalar.chunks(), scalar.chunk_slices(0), scalar.slice_bytes()), (1, 1, 0..1, 8));
        assert_eq!(DatasetSpec::new(vec![0, 3], DType::U8).chunks(), 0);
    }

    #[test]
    fn specs_are_checked() {
        let p = Path::new("out.npy");
        let err = DatasetSpec::new(vec![2, 3], DType::U8).with_chunk(0).check(p).unwrap_err();
        assert_eq!(err.to_string(), "`out.npy`: cannot write chunks of 0 slices: `chunk` must be at least 1");
        let err = DatasetSpec::new(vec![2, 3], DType::U8).with_axes("z y x").check(p).unwrap_err();
        assert_eq!(err.to_string(), "`out.npy`: cannot write axis labels `z y x` for a shape of 2 axes [2, 3]");
    }
}
