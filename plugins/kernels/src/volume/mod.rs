//! Volume kernels shared by the `segment` and `quantify` plugins, as plain
//! Rust over row-major `(z, y, x)` buffers ([`shape::Shape`]; a 2-D image
//! is one slice). Conventions: `docs/CONVENTIONS.md`.
//!
//! - [`shape`]: shapes, connectivities (4/8, 6/18/26), voxel sizes;
//! - [`sample`]: the voxel types an intensity kernel accepts;
//! - [`bands`]: work split over a thread budget;
//! - [`runs`]: foreground runs and the union-find over them;
//! - [`label`]: connected components numbered as `scipy.ndimage.label`,
//!   merged exactly across z-chunks;
//! - [`distance_transform`]: the exact Euclidean distance transform with
//!   voxel sizes, as `scipy.ndimage.distance_transform_edt`;
//! - [`error`]: what these kernels refuse, with the values.

pub mod bands;
pub mod distance_transform;
pub mod error;
pub mod label;
pub mod runs;
pub mod sample;
pub mod shape;

pub use error::SegmentError;
pub use shape::{Connectivity, Shape};
