//! # plexus-generator
//!
//! Source operators that make test data: seeded noise (`uniform`,
//! `gaussian`), a paced live stream (`stream`), the Shepp–Logan phantom
//! (`shepp_logan`), a porous medium (`blobs`) and a simulated parallel-beam
//! scan of a phantom with flat and dark fields, noise, zingers and stripes
//! (`projections`). Sources take no input:
//! the host calls `process` with an empty tick until the operator ends the
//! stream (see [`source`]). Every output is deterministic for its
//! parameters, whatever the chunking.
//!
//! This file only registers the operators; each lives in its own module.

pub mod blobs;
pub mod gaussian;
pub mod params;
pub mod projections;
pub mod shepp_logan;
pub mod source;
pub mod stream;
pub mod uniform;

/// Seeded random numbers (shared with the reconstruction tests).
pub use plexus_kernels::rng;

plexus_plugin_api::export_plugin! {
    "uniform" => uniform::Uniform::new,
    "gaussian" => gaussian::Gaussian::new,
    "stream" => stream::Stream::new,
    "shepp_logan" => shepp_logan::SheppLogan::new,
    "blobs" => blobs::Blobs::new,
    "projections" => projections::Projections::new,
}
