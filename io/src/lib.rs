//! # plexus-io
//!
//! Reads and writes [`Array`]s in the formats scientists exchange: TIFF
//! (classic and BigTIFF, multi-page stacks), PNG, NumPy's `.npy`, Zarr (v3
//! and v2 read, v3 with OME-Zarr written) and, with the `hdf5` feature,
//! HDF5 — whole, or chunk by chunk along axis 0 so that no caller needs a
//! dataset in memory.
//!
//! ```no_run
//! use plexus_io::{create_writer, open, DatasetSpec, WriteOptions};
//! # fn main() -> Result<(), plexus_io::IoError> {
//! let mut input = open("scan.tif".as_ref())?; // TIFF by pages, strips or tiles
//! let info = input.info().clone(); // shape, dtype, axes, metadata
//! let spec = DatasetSpec::new(info.shape.clone(), info.dtype).with_axes(&info.axes).with_chunk(16);
//! let mut output = create_writer("out.zarr".as_ref(), spec, &WriteOptions::default())?;
//! let mut buf = vec![0u8; 16 * info.slice_bytes()];
//! for index in 0..output.spec().chunks() {
//!     let slices = output.spec().chunk_slices(index);
//!     let bytes = &mut buf[..slices.len() * info.slice_bytes()];
//!     input.read_into(slices.start, slices.len(), bytes)?; // straight into `buf`
//!     output.write_bytes(index, bytes)?; // one atomic chunk file
//! }
//! output.finish()?; // OME-Zarr metadata, pyramid, rename into place
//! # Ok(()) }
//! ```
//!
//! - [`open`] ([`open_dataset`] for a named HDF5 dataset or Zarr array)
//!   gives a [`ChunkReader`]: [`ChunkReader::read_into`] copies slices of
//!   axis 0 into the caller's buffer — NPY by offset, TIFF by pages, strips
//!   or tiles, HDF5 by hyperslab, Zarr by chunk; PNG is read whole
//!   ([`WholeFile`], `streams() == false`). [`SlabBuffer`] is a buffer for
//!   slabs backed by huge pages.
//! - [`create_writer`] gives a [`ChunkWriter`] for a dataset of known shape
//!   ([`DatasetSpec`]): NPY and TIFF in order, Zarr in any order with each
//!   chunk atomic; partial outputs can be resumed ([`WriteOptions::resume`]).
//! - [`read`] and [`write()`] / [`write_tiff`] handle whole arrays;
//!   [`StackWriter`] appends chunks of unknown number to NPY or TIFF. Every
//!   writer writes `<path>.partial` and renames it when complete.
//! - [`inspect`] describes a file from its headers for `plexus inspect`.
//! - [`Batch`] reads a folder of images in natural order (`img2` before
//!   `img10`), one file at a time.
//! - Feature `hdf5` (off by default; needs the system HDF5 library, see
//!   `scripts/ensure-deps.sh`): [`Hdf5Reader`] by hyperslab (a dxchange
//!   scan's flat and dark fields and angles as [`ChunkReader::aux`]),
//!   `read_hdf5` any dataset, `read_dxchange`/`write_dxchange` tomography
//!   scans in the dxchange layout, `ImageSet`/`write_image_set` image sets
//!   (datasets `0`, `1`, … with attributes). Without it, HDF5 files are
//!   still recognised and reported as such.
//!
//! Axis conventions (`docs/CONVENTIONS.md`): a gray image is `y x`, a
//! multi-channel one `y x band`, a stack `z y x`. When writing, the last axis
//! is taken as bands only when labelled `band`, `c` or `channel`.
//!
//! Errors are [`IoError`]s whose messages name the file first (and the byte
//! offset, dataset or chunk where the format lets us know it); nothing in
//! this crate panics on file contents.
//!
//! Modules: `source` (the reader contract) and `writer` (the writer
//! contract); one folder per format — `npy`, `tiff`, `hdf5`, `zarr` — and
//! `png`; `element` (stored element types and their conversion),
//! `positioned` (positioned reads), `ordered` (the resumable partial file
//! of the streaming writers), `stack` (appending and atomic whole-file
//! writes), `slab_buffer`, `format` (detection), `inspect`, `batch`,
//! `natural` (name order), `error`.

#![deny(missing_docs)]

mod batch;
mod create;
mod element;
mod error;
mod format;
mod hdf5;
mod inspect;
mod natural;
mod npy;
mod open;
mod ordered;
mod partial;
mod png;
mod positioned;
mod slab_buffer;
mod source;
mod stack;
mod tiff;
mod writer;
mod zarr;

use std::borrow::Cow;
use std::path::Path;

use plexus_plugin_api::Array;

pub use batch::{Batch, Uniform};
pub use create::{create_writer, WriteOptions};
pub use error::IoError;
pub use format::Format;
#[cfg(feature = "hdf5")]
pub use hdf5::{
    read_dxchange, read_hdf5, write_dxchange, write_image_set, Attributes, Dxchange, Hdf5Reader, ImageSet, ImageSetView,
};
pub use hdf5::{DatasetInfo, DXCHANGE_DARK, DXCHANGE_DATA, DXCHANGE_THETA, DXCHANGE_WHITE};
pub use inspect::{inspect, Inspection};
pub use npy::{npy_header, NpyReader, NpyWriter};
pub use open::{open, open_dataset, WholeFile};
pub use partial::partial_path;
pub use slab_buffer::SlabBuffer;
pub use source::{check_slab, ChunkReader, SourceInfo};
pub use stack::StackWriter;
pub use tiff::{BigTiff, TiffOptions, TiffReader, TiffWriter};
pub use writer::{ChunkWriter, DatasetSpec, WriteStart};
pub use zarr::{ZarrCodec, ZarrOptions, ZarrReader, ZarrWriter};

/// Reads the array stored in `path`.
///
/// The format comes from the extension (`.tif`/`.tiff`/`.btf`, `.png`,
/// `.npy`, `.h5`/`.hdf5`, any case) and must agree with the file's magic
/// bytes. From HDF5 (feature `hdf5`) it reads `/exchange/data`, or the
/// file's only dataset.
pub fn read(path: &Path) -> Result<Array, IoError> {
    let (format, len) = format::detect(path)?;
    match format {
        Format::Tiff => tiff::read(path, len),
        Format::Png => png::read(path, len),
        Format::Npy => npy::read(path, len),
        #[cfg(feature = "hdf5")]
        Format::Hdf5 => hdf5::read_default(path),
        #[cfg(not(feature = "hdf5"))]
        Format::Hdf5 => Err(IoError::unsupported(path, "HDF5 file: plexus-io was built without its `hdf5` feature")),
        Format::Zarr => zarr::read(path),
    }
}

/// Writes `array` to `path` in the format its extension names, with default
/// options (TIFF: BigTIFF only when needed).
pub fn write(path: &Path, array: &Array) -> Result<(), IoError> {
    match Format::from_path(path)? {
        Format::Tiff => write_tiff(path, array, TiffOptions::default()),
        Format::Png => {
            // Check before creating any file.
            png::check(path, array)?;
            partial::write_atomically(path, |out| png::write(path, array, out))
        }
        Format::Npy if array.shape().is_empty() => partial::write_atomically(path, |out| {
            use std::io::Write;
            out.write_all(&npy::header_bytes(array.dtype(), &[]))
                .and_then(|_| out.write_all(&le_bytes(array)))
                .map_err(|e| IoError::os(&partial_path(path), "write", e))
        }),
        Format::Npy => {
            let mut w = StackWriter::open(path, Format::Npy)?;
            w.append(array)?;
            w.finish().map(|_| ())
        }
        Format::Zarr => {
            let spec = DatasetSpec::new(array.shape().to_vec(), array.dtype())
                .with_axes(array.axes())
                .with_chunk(array.shape().first().copied().unwrap_or(1).max(1));
            let mut w = create_writer(path, spec, &WriteOptions::default())?;
            if w.spec().chunks() > 0 {
                w.write(0, array)?;
            }
            w.finish().map(|_| ())
        }
        Format::Hdf5 => Err(IoError::cannot_write(
            path,
            "a single array as HDF5: use `write_dxchange` or `write_image_set` (feature `hdf5`), or .tif/.npy",
        )),
    }
}

/// Writes `array` as TIFF with explicit options, whatever the extension.
///
/// 2-D arrays become one page; higher ranks one page per `y x` (or
/// `y x band`) slice. The shape and axis labels are stored in the first
/// page's description in tifffile's JSON form, so tifffile and [`read`]
/// give back the same N-D shape.
pub fn write_tiff(path: &Path, array: &Array, options: TiffOptions) -> Result<(), IoError> {
    if array.shape().is_empty() {
        return Err(IoError::CannotWrite {
            file: path.display().to_string(),
            what: "a 0-dimensional array as TIFF: a page needs at least one axis".into(),
        });
    }
    let mut w = StackWriter::open_tiff(path, options)?;
    w.append(array)?;
    w.finish().map(|_| ())
}

/// The elements as little-endian bytes, as every format here stores them.
pub(crate) fn le_bytes(array: &Array) -> Cow<'_, [u8]> {
    let size = array.dtype().size();
    if cfg!(target_endian = "little") || size == 1 {
        Cow::Borrowed(array.as_bytes())
    } else {
        let mut v = array.as_bytes().to_vec();
        v.chunks_exact_mut(size).for_each(|c| c.reverse());
        Cow::Owned(v)
    }
}
