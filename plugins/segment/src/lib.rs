//! # plexus-segment
//!
//! Segmentation kernels for Plexus volumes, as plain Rust over row-major
//! `(z, y, x)` buffers ([`Shape`]; a 2-D image is one slice). Each operator
//! lives in its own module with its parameter struct (`serde`, kebab-case,
//! defaults) and its algorithm:
//!
//! - [`threshold`]: Otsu, multi-Otsu (as scikit-image; integer thresholds
//!   for integer images) and fixed thresholds; foreground is `value > t`;
//! - [`label`]: connected components (4/8 in 2-D, 6/18/26 in 3-D) numbered
//!   as `scipy.ndimage.label`, with sizes, merged exactly across z-chunks;
//!   [`remove_small_objects`] as scikit-image;
//! - [`morphology`]: binary erosion, dilation, opening, closing with cross,
//!   cube and ball structures and scipy's `border_value`;
//! - [`distance_transform`]: exact Euclidean distance transform with voxel
//!   sizes, as `scipy.ndimage.distance_transform_edt`;
//! - [`watershed`]: markers from `peak_local_max` of the distance transform
//!   and marker-based watershed, as scikit-image.
//!
//! Shared pieces: [`shape`] (shape, connectivity, voxel sizes), [`sample`]
//! (the voxel types), [`runs`] (foreground runs and union-find), [`bands`]
//! (work split over threads), [`error`].
//!
//! Masks are `u8` (0 background, nonzero foreground), labels `u32`.
//! Conventions: `docs/CONVENTIONS.md`. Plugin registration (operators,
//! `plugin.toml`) is added with plugin contract v2.

#![deny(missing_docs)]

pub mod bands;
pub mod distance_transform;
pub mod error;
pub mod label;
pub mod morphology;
pub mod remove_small_objects;
pub mod runs;
pub mod sample;
pub mod shape;
pub mod threshold;
pub mod watershed;

pub use error::SegmentError;
pub use shape::{Connectivity, Shape};
