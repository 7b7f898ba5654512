//! # plexus-quantify
//!
//! Quantification kernels for segmented Plexus volumes, as plain Rust over
//! row-major `(z, y, x)` buffers (see [`plexus_segment::Shape`]). Each
//! operator lives in its own module with its parameter struct (`serde`,
//! kebab-case, defaults), its algorithm and, for reductions, an accumulator
//! that adds chunks of z-slices and merges exactly:
//!
//! - [`porosity`]: volume fraction of a phase;
//! - [`euler_number`]: 3-D Euler characteristic, 6- and 26-connectivity, as
//!   `skimage.measure.euler_number`, additive over chunks;
//! - [`surface_area`]: Lewiner marching cubes + mesh area as scikit-image,
//!   open or closed at the box faces, in µm²;
//! - [`pore_size`]: local thickness as PoreSpy's `local_thickness(method="dt")`
//!   and its histogram, the pore size distribution, in µm;
//! - [`tortuosity`]: diffusive (finite-difference steady diffusion, as
//!   PoreSpy's `tortuosity_fd`) and geometric (shortest paths);
//! - [`connectivity`]: connected components per phase;
//! - [`metrics`]: PSNR and SSIM against a reference, as `skimage.metrics`.
//!
//! Results are `serde::Serialize` structs whose field names carry units.
//! Conventions: `docs/CONVENTIONS.md`. Plugin registration comes with plugin
//! contract v2.

#![deny(missing_docs)]

pub mod chunk;
pub mod connectivity;
pub mod error;
pub mod euler_number;
pub mod metrics;
pub mod pore_size;
pub mod porosity;
pub mod surface_area;
pub mod tortuosity;

pub use error::QuantifyError;
