//! # plexus-reconstruction
//!
//! Parallel-beam tomographic reconstruction kernels, as plain functions
//! over `f32` slices and shapes. Each operator lives in its own module with
//! its parameter struct (`serde::Deserialize`, `Default`, kebab-case enums,
//! units in names), its method, conventions and references:
//!
//! | module | operator | layout in → out | checked against |
//! |---|---|---|---|
//! | [`normalize`] | flat/dark correction | projections → projections | numpy |
//! | [`minus_log`] | `−ln(max(T, floor))` | any → same | numpy |
//! | [`remove_zingers`] | outliers → local median | projections or sinograms | scipy `median_filter` |
//! | [`remove_stripes`] | sorting, filtering, Fourier–wavelet | sinograms → sinograms | algotom 1.7 |
//! | [`phase_retrieval`] | Paganin single distance | projections → projections | TomoPy's formula (numpy) |
//! | [`find_center`] | Vo, 0°/180° correlation, sweep | sinograms → `center_col` | algotom `find_center_vo` |
//! | [`fbp`] | filtered back-projection | sinograms → slices | scikit-image `iradon`, ASTRA `FBP` |
//! | [`gridrec`] | PSWF Fourier gridding | sinograms → slices | FBP, phantom |
//! | [`sirt`] | SIRT | sinograms → slices + residuals | ASTRA `SIRT` |
//! | [`cgls`] | CGLS | sinograms → slices + residuals | ASTRA `CGLS` |
//! | [`sart`] | SART | sinograms → slices + residuals | scikit-image `iradon_sart` |
//!
//! Axes: projections `(angle, row, col)`, sinograms `(row, angle, col)`,
//! slices `(row, y, x)`; angles in degrees; the rotation centre is a
//! detector column with pixel centres at integers, default `(cols − 1)/2`
//! (`docs/CONVENTIONS.md`, "Tomography", says how scikit-image's and
//! ASTRA's conventions map to it).
//!
//! Shared pieces: [`geometry`] (shapes, centre, slice grid),
//! [`fourier_filter`] (ramp-family filters, padding), [`backproject`] and
//! [`interp`] (the SIMD inner loops), [`projector`] (Joseph's pair for the
//! iterative methods) and [`solver`], [`fft2`], [`dwt`] (PyWavelets'
//! transforms), [`pswf`], [`median`], [`gaussian`], [`spline_shift`]
//! (scipy's filters), [`parallel`] (the thread budget).
//!
//! Every kernel works slice by slice (sinograms) or projection by
//! projection, so any chunking along the other axes gives the same volume,
//! and its result does not depend on the thread count (both bit for bit;
//! `tests/recon/chunking.rs`). `threads = 0` means every core.
//!
//! No GPU code: nothing here has run on a GPU (see the crate's report).
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
