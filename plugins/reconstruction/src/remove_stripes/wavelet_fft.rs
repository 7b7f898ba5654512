//! Fourier–wavelet stripe removal (Münch, Trtik, Marone & Stampanoni
//! 2009; algotom's `remove_stripe_based_wavelet_fft`): decompose the
//! sinogram with a 2-D DWT; in each level's vertical details (`cV`: detail
//! across columns, approximation along angles — where vertical stripes
//! concentrate) damp the low frequencies along the angle axis with
//! `1 − exp(−k²/(2σ²))` (or the Butterworth-like `1 − 1/(1 + (k/σ)²)`);
//! reconstruct.
//!
//! Conventions as algotom: optional sort of each column first; padding
//! `p = min(150, ⌊0.1·min(angles, cols)⌋)` rows of each column's mean at
//! both ends of the angle axis, then `p` edge columns at both sides;
//! `level` clipped to `⌊log₂(min(H, W)/16)⌋` of the padded size (and that
//! value when `level` is 0); the damping window indexed in the
//! `fftshift`ed domain from `⌈h/2⌉ − 1` (so for even `h` it is centred one
//! bin before DC, as in algotom); [`crate::dwt`] for PyWavelets'
//! `wavedec2`/`waverec2`.

use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use serde::Deserialize;

use super::{sort_backward, sort_forward, sort_order};
use crate::dwt::{wavedec2, waverec2, Filters, Plane, Wavelet};
use crate::error::{ReconError, Result};

/// The damping window along the angle-frequency axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DampingWindow {
    /// `1 − exp(−k²/(2σ²))`.
    #[default]
    Gaussian,
    /// `1 − 1/(1 + (k/σ)²)`.
    Butter,
}

/// Parameters of the Fourier–wavelet method.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WaveletFftParams {
    /// Decomposition levels (clipped to what the size allows; 0 = the most).
    pub level: usize,
    /// Damping width in frequency bins (algotom's `size`; larger damps more).
    pub sigma: f64,
    /// The wavelet.
    pub wavelet: Wavelet,
    /// The damping window.
    pub window: DampingWindow,
    /// Sort each column along the angle axis first (Vo et al. 2018).
    pub sort: bool,
}

impl Default for WaveletFftParams {
    fn default() -> Self {
        WaveletFftParams { level: 5, sigma: 1.0, wavelet: Wavelet::Db9, window: DampingWindow::Gaussian, sort: false }
    }
}

impl WaveletFftParams {
    /// Checks the parameters.
    pub fn check(&self) -> Result<()> {
        if !(self.sigma.is_finite() && self.sigma > 0.0) {
            return Err(ReconError::param("sigma", "a finite number > 0", self.sigma));
        }
        Ok(())
    }
}

/// Damps the low angle-frequencies of every column of `p`.
fn damp(p: &mut Plane, sigma: f64, window: DampingWindow, planner: &mut FftPlanner<f64>) {
    let h = p.h;
    let centre = (h as f64 / 2.0).ceil() - 1.0;
    let w = |r: usize| {
        let x = r as f64 - centre;
        match window {
            DampingWindow::Gaussian => 1.0 - (-x * x / (2.0 * sigma * sigma)).exp(),
            DampingWindow::Butter => 1.0 - 1.0 / (1.0 + (x / sigma).powi(2)),
        }
    };
    // Weight of unshifted bin k: the window at its fftshifted index.
    let weights: Vec<f64> = (0..h).map(|k| w((k + h / 2) % h)).collect();
    let (fwd, inv) = (planner.plan_fft_forward(h), planner.plan_fft_inverse(h));
    let mut line = vec![Complex::new(0.0, 0.0); h];
    for c in 0..p.w {
        for (r, v) in line.iter_mut().enumerate() {
            *v = Complex::new(p.data[r * p.w + c], 0.0);
        }
        fwd.process(&mut line);
        for (v, g) in line.iter_mut().zip(&weights) {
            *v *= g;
        }
        inv.process(&mut line);
        for (r, v) in line.iter().enumerate() {
            p.data[r * p.w + c] = v.re / h as f64;
        }
    }
}

/// Applies the method to one sinogram.
pub fn apply(s: &[f32], angles: usize, cols: usize, p: &WaveletFftParams, out: &mut [f32]) {
    let order = p.sort.then(|| sort_order(s, angles, cols));
    let mut input = s.to_vec();
    if let Some(o) = &order {
        sort_forward(s, o, cols, &mut input);
    }
    let pad = 150.min(angles.min(cols) / 10);
    let (h, w) = (angles + 2 * pad, cols + 2 * pad);
    let means: Vec<f64> =
        (0..cols).map(|c| (0..angles).map(|a| input[a * cols + c] as f64).sum::<f64>() / angles as f64).collect();
    let mut plane = Plane::zeros(h, w);
    for r in 0..h {
        for x in 0..w {
            let c = x.saturating_sub(pad).min(cols - 1);
            plane.data[r * w + x] =
                if r < pad || r >= pad + angles { means[c] } else { input[(r - pad) * cols + c] as f64 };
        }
    }
    let max_level = ((h as f64 / 16.0).log2().floor()).min((w as f64 / 16.0).log2().floor());
    let level = if p.level == 0 || p.level as f64 > max_level || max_level < 1.0 {
        max_level.max(0.0) as usize
    } else {
        p.level
    };
    let fb = Filters::new(p.wavelet);
    let (a, mut details) = wavedec2(&plane, &fb, level);
    let mut planner = FftPlanner::new();
    for d in details.iter_mut() {
        damp(&mut d.1, p.sigma, p.window, &mut planner);
    }
    let rec = waverec2(&a, &details, &fb);
    let mut cleaned = vec![0.0f32; s.len()];
    for r in 0..angles {
        for c in 0..cols {
            cleaned[r * cols + c] = rec.data[(r + pad) * rec.w + c + pad] as f32;
        }
    }
    match &order {
        Some(o) => sort_backward(&cleaned, o, cols, out),
        None => out.copy_from_slice(&cleaned),
    }
}
