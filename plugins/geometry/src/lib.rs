//! # plexus-geometry
//!
//! Geometry and filtering operators for Plexus:
//!
//! - `convolve` / `correlate` ([`convolve`]): any 2-D kernel or a built-in
//!   filter, scipy boundary modes, separable and general fast paths
//!   ([`filter`] holds the slice kernels);
//! - `gradient` ([`gradient`]): `numpy.gradient` central differences and the
//!   Sobel magnitude as `skimage.filters.sobel` or as `hypot` of scipy's
//!   `ndimage.sobel`;
//! - `power_spectrum` ([`spectrum`]): radially averaged power spectrum on a
//!   2-D real FFT, radii binned by rounding or by `floor`;
//! - `minkowski` ([`minkowski`]): area, perimeters (crack length, Crofton,
//!   scikit-image's weighted estimator) and Euler numbers of thresholded
//!   images.
//!
//! Every operator works plane by plane on `[y, x]`, `[n, y, x]` (and
//! channel-last) arrays; see [`image`].

pub mod convolve;
pub mod filter;
pub mod gradient;
pub mod image;
pub mod minkowski;
pub mod options;
pub mod perimeter;
pub mod spectrum;

use plexus_plugin_api::export_plugin;

export_plugin! {
    "convolve" => convolve::ConvolveOp::convolve,
    "correlate" => convolve::ConvolveOp::correlate,
    "gradient" => gradient::Gradient::new,
    "power_spectrum" => spectrum::PowerSpectrum::new,
    "minkowski" => minkowski::Minkowski::new,
}
