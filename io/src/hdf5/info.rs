//! What is known of HDF5 without the library: [`DatasetInfo`], one dataset
//! of a file as `plexus inspect` lists it, and the dataset paths of the
//! dxchange layout. Compiled with or without the `hdf5` feature, so that an
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

/// Datasets of a dxchange file.
pub const DXCHANGE_DATA: &str = "/exchange/data";
/// Flat fields of a dxchange file.
pub const DXCHANGE_WHITE: &str = "/exchange/data_white";
/// Dark fields of a dxchange file.
pub const DXCHANGE_DARK: &str = "/exchange/data_dark";
/// Angles of a dxchange file.
pub const DXCHANGE_THETA: &str = "/exchange/theta";
