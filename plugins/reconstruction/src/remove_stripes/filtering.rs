//! Filtering-based stripe removal (Vo, Atwood & Drakopoulos 2018,
//! algorithm 2; algotom's `remove_stripe_based_filtering`): split each
//! column's intensity profile (along the angle axis) into a smooth and a
//! sharp part with a Gaussian window in the Fourier domain; stripes live
//! in the smooth part, which is cleaned by the sorting-based method
//! (`sort = true`) or a plain median across columns; the sharp part is
//! added back unchanged.
//!
//! Separation as algotom's `separate_frequency_component`: each column is
//! padded by `min(150, ⌊0.1·angles⌋)` mirrored samples at both ends
//! (numpy's `reflect`), multiplied by `(−1)^k` (which centres the spectrum),
//! transformed, multiplied by the window
//! `exp(−½((k − (M−1)/2)/σ)²)` (`scipy.signal.windows.gaussian(M, σ)`,
//! `M` the padded length), transformed back, multiplied by `(−1)^k` and
//! cropped; the real part is the smooth component.

use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use serde::Deserialize;

use super::check_dim;
use super::sorting::sort_median_unsort;
use crate::error::{ReconError, Result};
use crate::median::{check_size, median_filter_2d};

/// Parameters of the filtering-based method.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilteringParams {
    /// Width of the Gaussian window separating smooth and sharp parts
    /// (published default 3).
    pub sigma: f64,
    /// Median window size (odd; published default 21).
    pub size: usize,
    /// Median window dimension: 1 (across columns) or 2 (square).
    pub dim: u8,
    /// Sort the smooth part before the median (published default true).
    pub sort: bool,
}

impl Default for FilteringParams {
    fn default() -> Self {
        FilteringParams { sigma: 3.0, size: 21, dim: 1, sort: true }
    }
}

impl FilteringParams {
    /// Checks the parameters.
    pub fn check(&self) -> Result<()> {
        if !(self.sigma.is_finite() && self.sigma > 0.0) {
            return Err(ReconError::param("sigma", "a finite number > 0", self.sigma));
        }
        check_size("size", self.size)?;
        check_dim(self.dim)
    }
}

/// numpy's `reflect` (scipy's `mirror`): `d c b | a b c d | c b a`.
fn mirror(k: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * n as isize - 2;
    let m = k.rem_euclid(period);
    (if m < n as isize { m } else { period - m }) as usize
}

/// The smooth part of every column of an `(angles, cols)` sinogram.
pub fn smooth_part(s: &[f32], angles: usize, cols: usize, sigma: f64) -> Vec<f32> {
    let pad = 150.min(angles / 10);
    let m = angles + 2 * pad;
    let window: Vec<f64> =
        (0..m).map(|k| (-0.5 * ((k as f64 - (m as f64 - 1.0) / 2.0) / sigma).powi(2)).exp()).collect();
    let mut planner = FftPlanner::<f64>::new();
    let (fwd, inv) = (planner.plan_fft_forward(m), planner.plan_fft_inverse(m));
    let mut line = vec![Complex::new(0.0, 0.0); m];
    let mut out = vec![0.0f32; s.len()];
    for c in 0..cols {
        for (k, v) in line.iter_mut().enumerate() {
            let a = mirror(k as isize - pad as isize, angles);
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            *v = Complex::new(sign * s[a * cols + c] as f64, 0.0);
        }
        fwd.process(&mut line);
        for (v, w) in line.iter_mut().zip(&window) {
            *v *= w;
        }
        inv.process(&mut line);
        for a in 0..angles {
            let k = a + pad;
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            out[a * cols + c] = (sign * line[k].re / m as f64) as f32;
        }
    }
    out
}

/// Applies the method to one sinogram.
pub fn apply(s: &[f32], angles: usize, cols: usize, p: &FilteringParams, out: &mut [f32]) {
    let smooth = smooth_part(s, angles, cols, p.sigma);
    if p.sort {
        sort_median_unsort(&smooth, angles, cols, p.size, p.dim, out);
    } else {
        let ky = if p.dim == 2 { p.size } else { 1 };
        median_filter_2d(&smooth, angles, cols, ky, p.size, out);
    }
    // out = cleaned smooth + (s − smooth), the sharp part in f32 as algotom.
    for ((o, v), sm) in out.iter_mut().zip(s).zip(&smooth) {
        *o += v - sm;
    }
}
