//! # plexus-denoise
//!
//! The denoise plugin: filters for volumes and images, each checked against
//! the peer users reach for (scipy, scikit-image) by fixtures committed with
//! the scripts that made them (`tests/fixtures/make_fixtures.py`), and a
//! learned denoiser run through ONNX Runtime:
//!
//! | operator | operator type | kernel | parameters | peer |
//! |---|---|---|---|---|
//! | `gaussian` | [`gaussian::Gaussian`] | [`gaussian::gaussian`] | [`gaussian::GaussianParams`] | `scipy.ndimage.gaussian_filter` |
//! | `median` | [`median::Median`] | [`median::median`] | [`median::MedianParams`] | `scipy.ndimage.median_filter` |
//! | `bilateral` | [`bilateral::Bilateral`] | [`bilateral::bilateral`] | [`bilateral::BilateralParams`] | `skimage.restoration.denoise_bilateral` (its kernel) |
//! | `tv_chambolle` | [`tv_chambolle::TvChambolle`] | [`tv_chambolle::tv_chambolle`] | [`tv_chambolle::TvChambolleParams`] | `skimage.restoration.denoise_tv_chambolle` |
//! | `nl_means` | [`nl_means::NlMeans`] | [`nl_means::nl_means`] | [`nl_means::NlMeansParams`] | `skimage.restoration.denoise_nl_means` |
//! | `onnx` | [`onnx::OnnxDenoise`] | `plexus_onnx::denoise::denoise` | `plexus_onnx::denoise::OnnxDenoiseParams` | Python `onnxruntime` on the same model |
//!
//! Every kernel is a plain function over a row-major `(z, y, x)` f32 slice
//! and its [`axes::Shape`] (`docs/CONVENTIONS.md`; a 2-D image is `z = 1`),
//! writing into a caller's buffer, with a thread budget. Every operator
//! reads its frame's first array (any element type, converted to f32),
//! filters it and sends on an f32 array of the same shape, axis labels,
//! chunk key and metadata ([`stage`]). Each parameter struct says the halo
//! along z a chunk needs for chunked output to equal whole-volume output;
//! an operator refuses a chunk cut inside the volume with less halo than
//! its parameters need, rather than give seams.
//!
//! This file only registers the operators.

pub mod axes;
pub mod bilateral;
pub mod boundary;
pub mod error;
pub mod gaussian;
pub mod median;
pub mod nl_means;
pub mod onnx;
pub mod parallel;
mod stage;
pub mod tv_chambolle;

pub use error::DenoiseError;

/// The one-line doc of every `mode` parameter.
pub(crate) const MODE_DOC: &str =
    "boundary, scipy names: reflect (d c b a | a b c d), mirror (d c b | a b c d), nearest (a a | a b c d), constant (cval)";

/// The one-line doc of every `dims` parameter.
pub(crate) const DIMS_DOC: &str =
    "volume: filter in 3-D (neighbourhoods extend along z); planes: each z slice as its own 2-D image";

plexus_plugin_api::export_plugin! {
    "gaussian" => gaussian::Gaussian::new,
    "median" => median::Median::new,
    "bilateral" => bilateral::Bilateral::new,
    "tv_chambolle" => tv_chambolle::TvChambolle::new,
    "nl_means" => nl_means::NlMeans::new,
    "onnx" => onnx::OnnxDenoise::new,
}
