//! # plexus-reconstruction
//!
//! Parallel-beam tomographic reconstruction kernels, as plain functions
//! over `f32` slices and shapes. Each operator lives in its own module with
//! its parameter struct (`serde::Deserialize`, `Default`, kebab-case enums,
//! units in names), its method, conventions and references:
//!
//! | module | operator | layout in → out |
//! |---|---|---|
//! | [`fbp`] | filtered back-projection | sinograms → slices |
//!
//! Shared pieces: [`geometry`] (shapes, centre, grid — the conventions of
//! `docs/CONVENTIONS.md`), [`fourier_filter`] (ramp-family filters and
//! padding), [`backproject`] and [`interp`] (the SIMD inner loops),
//! [`parallel`] (thread budget).
//!
//! Every kernel works slice by slice (sinograms) or projection by
//! projection, so any chunking along the other axes gives the same volume,
//! and its result does not depend on the thread count.
//!
//! The plugin registration (`export_plugin!`, `plugin.toml`, `Operator`
//! impls) comes once plugin contract v2 lands; this crate is an rlib until
//! then.

pub mod backproject;
pub mod cgls;
pub mod dwt;
pub mod error;
pub mod fbp;
pub mod fft2;
pub mod find_center;
pub mod fourier_filter;
pub mod gaussian;
pub mod geometry;
pub mod gridrec;
pub mod interp;
pub mod median;
pub mod minus_log;
pub mod normalize;
pub mod parallel;
pub mod phase_retrieval;
pub mod projector;
pub mod pswf;
pub mod remove_stripes;
pub mod remove_zingers;
pub mod sart;
pub mod sirt;
pub mod solver;
pub mod spline_shift;

pub use error::{ReconError, Result};
pub use geometry::SinoShape;
