//! NumPy's `.npy` format, read and written here without a dependency.
//!
//! Reading accepts versions 1.0, 2.0 and 3.0, either byte order (big-endian
//! data is swapped) and Fortran order (transposed into row-major). Element
//! types are the seven of [`DType`](plexus_plugin_api::DType) plus three
//! that widen without loss: `bool` → u8 (0/1), `int8` → i16, `float16` →
//! f32. Anything else (64-bit integers, complex, structured or object
//! arrays) is refused by name.
//!
//! - `header`: parsing and writing the header.
//! - `reader`: [`NpyReader`], slabs by offset; a whole-file read is the
//!   slab of every slice.
//! - `writer`: [`NpyWriter`], chunks in order behind the final header.
//!
//! Writing always produces version 1.0 (2.0 when the header outgrows 64 KiB),
//! little-endian, C order; see [`StackWriter`](crate::StackWriter).

mod header;
mod reader;
mod writer;

use std::path::Path;

use plexus_plugin_api::Array;

pub(crate) use header::{header_bytes, read_header};
pub use reader::NpyReader;
pub use writer::NpyWriter;

/// The NPY header (version 1.0, little-endian, C order, padded to 64 bytes)
/// of an array of `dtype` and `shape`: what a caller that streams the data
/// itself (an HTTP answer, say) puts in front of it.
pub fn npy_header(dtype: plexus_plugin_api::DType, shape: &[usize]) -> Vec<u8> {
    header_bytes(dtype, shape)
}

use crate::error::IoError;

/// Reads a whole `.npy` file.
pub(crate) fn read(path: &Path, file_len: u64) -> Result<Array, IoError> {
    let mut reader = NpyReader::open(path, file_len)?;
    crate::source::read_whole(&mut reader)
}
