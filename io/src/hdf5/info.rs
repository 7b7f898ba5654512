//! [`DatasetInfo`]: one dataset of an HDF5 file as `plexus inspect` lists
//! it. Compiled with or without the `hdf5` feature, so that an
//! [`Inspection`](crate::Inspection) has the same fields either way.

use plexus_plugin_api::DType;

/// One dataset of an HDF5 file, as [`inspect`](crate::inspect) lists it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DatasetInfo {
    /// Absolute path inside the file: `/exchange/data`, `/0`.
    pub path: String,
    /// Its shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// The element type `read_hdf5` returns, `None` when it refuses it.
    pub dtype: Option<DType>,
    /// How elements are stored, in HDF5's terms: `uint16`, `float32`,
    /// `unicode (var len)`, `compound (3 fields)`.
    pub stored: String,
    /// Number of attributes.
    pub attributes: usize,
}
