//! # plexus-quantify
//!
//! The quantify plugin: measurements of segmented volumes, as plain Rust
//! kernels over row-major `(z, y, x)` buffers (see
//! [`plexus_kernels::volume::Shape`]) and one operator per module. Each
//! kernel module holds its parameter struct (`serde`, defaults), its
//! algorithm, for reductions an accumulator that adds chunks of z-slices and
//! merges exactly, and its `Operator`:
//!
//! | operator | module | chunks |
//! |---|---|---|
//! | `porosity` | [`porosity`]: volume fraction of a phase (PoreSpy) | any |
//! | `euler_number` | [`euler_number`]: 3-D Euler characteristic, 6 / 26, as `skimage.measure.euler_number` | any, in z order |
//! | `surface_area` | [`surface_area`]: Lewiner marching cubes + mesh area (scikit-image), open or closed, µm² | any, in z order |
//! | `pore_size` | [`pore_size`]: local thickness (PoreSpy `local_thickness`, `dt`) and its distribution, µm | whole volume |
//! | `tortuosity` | [`tortuosity`]: diffusive (PoreSpy `tortuosity_fd`) and geometric | whole volume |
//! | `connectivity` | [`connectivity`]: components per phase | any, in z order |
//! | `metrics` | [`metrics`]: PSNR and SSIM against a reference (`skimage.metrics`) | any, in z order |
//!
//! Reductions forward their input and publish results with units in their
//! names at `finish` (the sidecar holds them). Shared pieces: [`chunk`]
//! (a chunk's place, the slice kept below each chunk), [`error`].
//! Conventions: `docs/CONVENTIONS.md`. This file only registers.

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

plexus_plugin_api::export_plugin! {
    "porosity" => porosity::PorosityOp::new,
    "euler_number" => euler_number::EulerOp::new,
    "surface_area" => surface_area::SurfaceAreaOp::new,
    "pore_size" => pore_size::PoreSizeOp::new,
    "tortuosity" => tortuosity::TortuosityOp::new,
    "connectivity" => connectivity::ConnectivityOp::new,
    "metrics" => metrics::MetricsOp::new,
}
