//! # plexus-denoise
//!
//! Denoising kernels for volumes and images, each checked against the peer
//! users reach for (scipy, scikit-image) by fixtures committed with the
//! scripts that made them (`tests/fixtures/make_fixtures.py`):
//!
//! | operator | function | parameters | peer |
//! |---|---|---|---|
//! | `gaussian` | [`gaussian::gaussian`] | [`gaussian::GaussianParams`] | `scipy.ndimage.gaussian_filter` |
//! | `median` | [`median::median`] | [`median::MedianParams`] | `scipy.ndimage.median_filter` |
//! | `tv_chambolle` | [`tv_chambolle::tv_chambolle`] | [`tv_chambolle::TvChambolleParams`] | `skimage.restoration.denoise_tv_chambolle` |
//! | `nl_means` | [`nl_means::nl_means`] | [`nl_means::NlMeansParams`] | `skimage.restoration.denoise_nl_means` |
//! | `bilateral` | [`bilateral::bilateral`] | [`bilateral::BilateralParams`] | `skimage.restoration.denoise_bilateral` (its kernel) |
//!
//! Every kernel is a plain function over a row-major `(z, y, x)` f32 slice
//! and its [`axes::Shape`] (`docs/CONVENTIONS.md`; a 2-D image is `z = 1`),
//! writing into a caller's buffer, with a thread budget. Each parameter
//! struct deserialises from a pipeline's `params` table (serde, defaults as
//! the peer's, `deny_unknown_fields`) and says the halo along z that a chunk
//! needs so chunked output equals whole-volume output.
//!
//! Plugin registration (`plugin.toml`, operator wrappers) is added once
//! plugin contract v2 lands.

pub mod axes;
pub mod bilateral;
pub mod boundary;
pub mod error;
pub mod gaussian;
pub mod median;
pub mod nl_means;
pub mod parallel;
pub mod tv_chambolle;

pub use error::DenoiseError;
