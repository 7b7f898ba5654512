//! HDF5, with the `hdf5` feature: one array from any dataset
//! ([`read_hdf5`]), slabs of a dataset by hyperslab ([`Hdf5Reader`],
//! behind [`open`](crate::open)), tomography scans in the dxchange layout
//! ([`read_dxchange`], [`write_dxchange`]) and image sets ([`ImageSet`],
//! [`write_image_set`]).
//!
//! **Element types**: u8, u16, u32, i16, i32, f32 and f64 read as they are
//! (any byte order), int8 widens to i16 and bool (h5py's enum) to u8;
//! 64-bit integers, strings and compounds are refused with the dataset named.
//!
//! Files are written to `<path>.partial` and renamed when complete, as every
//! writer in this crate does.
//!
//! - `file`: opening, finding and listing datasets.
//! - `elements`: element types, whole-dataset reads.
//! - `reader`: [`Hdf5Reader`], hyperslabs along axis 0.
//! - `attrs`: attributes as JSON.
//! - `dxchange`: scans.
//! - `image_set`: image sets.
//! - `write`: whole-file writes.
//! - `info`: [`DatasetInfo`], compiled without the feature too.

#[cfg(feature = "hdf5")]
mod attrs;
#[cfg(feature = "hdf5")]
mod dxchange;
#[cfg(feature = "hdf5")]
mod elements;
#[cfg(feature = "hdf5")]
mod file;
#[cfg(feature = "hdf5")]
mod image_set;
mod info;
#[cfg(feature = "hdf5")]
mod reader;
#[cfg(feature = "hdf5")]
mod write;

#[cfg(feature = "hdf5")]
pub use attrs::Attributes;
#[cfg(feature = "hdf5")]
pub(crate) use dxchange::read_default;
#[cfg(feature = "hdf5")]
pub use dxchange::{read_dxchange, write_dxchange, Dxchange};
#[cfg(feature = "hdf5")]
pub use elements::read_hdf5;
#[cfg(feature = "hdf5")]
pub(crate) use file::describe_datasets;
#[cfg(feature = "hdf5")]
pub use image_set::{write_image_set, ImageSet, ImageSetView};
pub use info::DatasetInfo;
#[cfg(feature = "hdf5")]
pub use reader::Hdf5Reader;

/// Datasets of a dxchange file.
pub const DXCHANGE_DATA: &str = "/exchange/data";
/// Flat fields of a dxchange file.
pub const DXCHANGE_WHITE: &str = "/exchange/data_white";
/// Dark fields of a dxchange file.
pub const DXCHANGE_DARK: &str = "/exchange/data_dark";
/// Angles of a dxchange file.
pub const DXCHANGE_THETA: &str = "/exchange/theta";
