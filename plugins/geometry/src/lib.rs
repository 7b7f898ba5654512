//! # plexus-geometry
//!
//! Geometry and filtering operators for Plexus:
//!
//! - `convolve` / `correlate` ([`convolve`]): any 2-D kernel or a built-in
//!   filter, scipy boundary modes, separable and general fast paths
//!   ([`filter`] holds the slice kernels);
//! - `gradient` ([`gradient`]): `numpy.gradient` central differences and the
//!   `skimage.filters.sobel` magnitude;
//! - `power_spectrum` ([`spectrum`]): radially averaged power spectrum on a
//!   2-D real FFT;
//! - `minkowski` ([`minkowski`]): area, perimeter and Euler numbers of
//!   thresholded images.
//!
//! Every operator works plane by plane on `[y, x]`, `[n, y, x]` (and
//! channel-last) arrays; see [`image`].

pub mod convolve;
pub mod filter;
pub mod gradient;
pub mod image;
pub mod minkowski;
pub mod options;
pub mod spectrum;

use plexus_plugin_api::export_plugin;

export_plugin! {
    "convolve" => convolve::ConvolveOp::convolve,
    "correlate" => convolve::ConvolveOp::correlate,
    "gradient" => gradient::Gradient::new,
    "power_spectrum" => spectrum::PowerSpectrum::new,
    "minkowski" => minkowski::Minkowski::new,
}
