//! TIFF: classic and BigTIFF, read by pages, strips or tiles; written by
//! our own streaming encoder.
//!
//! **Reading** accepts either byte order, strips or tiles, chunky or
//! planar samples, no compression, LZW, deflate or PackBits, with or
//! without a horizontal or floating-point predictor. All full-resolution
//! pages of the main IFD chain form the array: one page gives `y x` (or
//! `y x band` for several samples per pixel), several identical pages a
//! `z y x` stack. Pages marked reduced-resolution (thumbnails, pyramid
//! levels) are skipped. When the first page carries tifffile's JSON
//! description (`{"shape": [...]}`) and it matches the pixel count, the
//! array takes that shape, so N-D arrays written by tifffile or by us come
//! back with their shape. Samples are returned as stored, whatever the
//! colour model, as tifffile does: palette images give their indices,
//! `WhiteIsZero` gray its stored values, CMYK its four inks. One
//! difference from tifffile: planar RGB is returned as `y x band`
//! (tifffile gives `band y x`).
//!
//! - `layout`: the directories (pages, strips, tiles), without pixels.
//! - `decode`: one strip or tile, decompressed and un-predicted.
//! - `reader`: [`TiffReader`], slabs along axis 0; a whole-file read is
//!   the slab of every slice.
//! - `encode`: the encoder behind [`StackWriter`](crate::StackWriter) and
//!   [`TiffWriter`].
//! - `writer`: [`TiffWriter`], chunks in order for a known shape.

mod decode;
mod encode;
mod layout;
mod reader;
mod writer;

use std::path::Path;

use plexus_plugin_api::Array;

pub(crate) use encode::TiffEncoder;
pub use encode::{BigTiff, TiffOptions};
pub(crate) use layout::{array_shape, compression_name, compression_supported, scan, Sample};
pub use reader::TiffReader;
pub use writer::TiffWriter;

use crate::error::IoError;

/// Reads a whole TIFF file.
pub(crate) fn read(path: &Path, file_len: u64) -> Result<Array, IoError> {
    let mut reader = TiffReader::open(path, file_len)?;
    crate::source::read_whole(&mut reader)
}
