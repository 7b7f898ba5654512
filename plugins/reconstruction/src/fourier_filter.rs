//! The ramp-family filters of filtered back-projection and gridrec, and
//! filtering one projection with zero padding.
//!
//! # Method
//!
//! As scikit-image's `iradon` (`_get_fourier_filter`): the padded length is
//! `P = max(64, 2^⌈log₂ 2·cols⌉)`; the ramp is the DFT of the band-limited
//! spatial ramp kernel (Kak & Slaney eq. 3.61: `h[0] = 1/4`,
//! `h[k] = −1/(πk)²` for odd `k`, 0 for even `k`, indices taken
//! circularly), i.e. `2·Re FFT(h)`, which has no DC bias; the windows
//! multiply it:
//!
//! - `shepp-logan`: `sin(ω)/ω`, `ω = π·fftfreq(P)`;
//! - `cosine`: `fftshift(sin(linspace(0, π, P, endpoint=False)))`;
//! - `hamming`, `hann`: `fftshift(numpy.hamming(P))`, `fftshift(numpy.hanning(P))`.
//!
//! scikit-image applies this length-`P` filter to a complex FFT and keeps
//! the real part; for real input that equals applying the symmetrised
//! filter `(H[k] + H[P−k])/2` (the Hamming and Hann windows, shifted by
//! `P/2`, are symmetric only to one sample), which is what the half-spectrum
//! real FFT here uses, so results agree with scikit-image's to rounding.
//!
//! # References
//!
//! - A. C. Kak and M. Slaney, *Principles of Computerized Tomographic
//!   Imaging*, IEEE Press, 1988, ch. 3, eq. (61).
//! - S. van der Walt et al., "scikit-image: image processing in Python,"
//!   *PeerJ*, vol. 2, e453, 2014. DOI: 10.7717/peerj.453
//!   (`skimage.transform.iradon`).

use std::f64::consts::PI;
use std::sync::Arc;

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use serde::Deserialize;

/// The window on the ramp filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Filter {
    /// The ramp `|ω|` alone (Ram–Lak): sharpest, noisiest.
    Ramp,
    /// Ramp × `sinc`: the usual compromise.
    #[default]
    SheppLogan,
    /// Ramp × cosine.
    Cosine,
    /// Ramp × Hamming window.
    Hamming,
    /// Ramp × Hann window: smoothest.
    Hann,
}

/// How a projection is extended before its FFT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Padding {
    /// Zeros to `max(64, 2^⌈log₂ 2·cols⌉)` (scikit-image, ASTRA).
    #[default]
    Zero,
    /// The edge values repeated to the same length: fewer truncation
    /// artefacts when the object is wider than the detector.
    Edge,
    /// No padding beyond an even length: circular convolution.
    None,
}

/// The padded FFT length for `cols` detector columns.
pub fn padded_len(cols: usize, padding: Padding) -> usize {
    match padding {
        Padding::Zero | Padding::Edge => 64usize.max((2 * cols).next_power_of_two()),
        Padding::None => cols + cols % 2,
    }
}

/// The filter's full length-`p` response as scikit-image builds it (`p` even).
pub fn full_response(filter: Filter, p: usize) -> Vec<f64> {
    // Spatial ramp kernel, circular indices: h[k] for k = 0..p, with
    // n = k for k ≤ p/2 and p − k after.
    let mut h = vec![Complex::new(0.0f64, 0.0); p];
    h[0].re = 0.25;
    for (k, v) in h.iter_mut().enumerate().skip(1) {
        let n = if k <= p / 2 { k } else { p - k };
        if n % 2 == 1 {
            v.re = -1.0 / (PI * n as f64).powi(2);
        }
    }
    rustfft::FftPlanner::new().plan_fft_forward(p).process(&mut h);
    let mut r: Vec<f64> = h.iter().map(|c| 2.0 * c.re).collect();
    let shifted = |m: usize| (m + p / 2) % p; // fftshift: out[k] = w[(k + p/2) mod p]
    match filter {
        Filter::Ramp => {}
        Filter::SheppLogan => {
            for (k, v) in r.iter_mut().enumerate().skip(1) {
                let f = if k < p / 2 { k as f64 / p as f64 } else { k as f64 / p as f64 - 1.0 };
                let w = PI * f;
                *v *= w.sin() / w;
            }
        }
        Filter::Cosine => {
            for (k, v) in r.iter_mut().enumerate() {
                *v *= (PI * shifted(k) as f64 / p as f64).sin();
            }
        }
        Filter::Hamming | Filter::Hann => {
            let a = if filter == Filter::Hamming { 0.54 } else { 0.5 };
            for (k, v) in r.iter_mut().enumerate() {
                let m = shifted(k) as f64;
                *v *= a - (1.0 - a) * (2.0 * PI * m / (p as f64 - 1.0)).cos();
            }
        }
    }
    r
}

/// The symmetrised half spectrum `(H[k] + H[p−k])/2`, `k = 0..=p/2`.
pub fn half_response(filter: Filter, p: usize) -> Vec<f32> {
    let full = full_response(filter, p);
    (0..=p / 2).map(|k| (0.5 * (full[k] + full[(p - k) % p])) as f32).collect()
}

/// Filters projections of one length: pad, FFT, multiply, inverse FFT.
pub struct ProjectionFilter {
    cols: usize,
    p: usize,
    padding: Padding,
    /// Response divided by `p` (the inverse FFT is unnormalised).
    response: Vec<f32>,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
}

/// Per-thread buffers of a [`ProjectionFilter`].
pub struct FilterScratch {
    line: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl ProjectionFilter {
    /// A filter for projections of `cols` values.
    pub fn new(filter: Filter, padding: Padding, cols: usize) -> ProjectionFilter {
        let p = padded_len(cols, padding);
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(p);
        let inverse = planner.plan_fft_inverse(p);
        let response = half_response(filter, p).iter().map(|v| v / p as f32).collect();
        ProjectionFilter { cols, p, padding, response, forward, inverse }
    }

    /// The padded length.
    pub fn padded(&self) -> usize {
        self.p
    }

    /// The half-spectrum response (divided by the padded length).
    pub fn response(&self) -> &[f32] {
        &self.response
    }

    /// Buffers for one thread.
    pub fn scratch(&self) -> FilterScratch {
        let n = self.p / 2 + 1;
        let s = self.forward.get_scratch_len().max(self.inverse.get_scratch_len());
        FilterScratch {
            line: vec![0.0; self.p],
            spectrum: vec![Complex::new(0.0, 0.0); n],
            scratch: vec![Complex::new(0.0, 0.0); s],
        }
    }

    /// Pads `input` (`cols` values) into the scratch line and takes its
    /// half spectrum (left in `scratch.spectrum`).
    pub fn spectrum(&self, input: &[f32], s: &mut FilterScratch) {
        let n = self.cols;
        s.line[..n].copy_from_slice(&input[..n]);
        match self.padding {
            Padding::Zero | Padding::None => s.line[n..].fill(0.0),
            Padding::Edge => {
                // Extend both edges half-way round the circular buffer.
                let rest = self.p - n;
                let right = rest / 2;
                let (first, last) = (input[0], input[n - 1]);
                s.line[n..n + right].fill(last);
                s.line[n + right..].fill(first);
            }
        }
        self.forward
            .process_with_scratch(&mut s.line, &mut s.spectrum, &mut s.scratch)
            .expect("buffer lengths come from the plan");
    }

    /// Filters `input` into `out` (both `cols` values).
    pub fn apply(&self, input: &[f32], out: &mut [f32], s: &mut FilterScratch) {
        self.spectrum(input, s);
        for (c, r) in s.spectrum.iter_mut().zip(&self.response) {
            *c *= *r;
        }
        // The inverse of a real signal's spectrum: the imaginary parts of the
        // DC and Nyquist bins are zero up to rounding, which realfft refuses.
        s.spectrum[0].im = 0.0;
        if let Some(last) = s.spectrum.last_mut() {
            last.im = 0.0;
        }
        self.inverse
            .process_with_scratch(&mut s.spectrum, &mut s.line, &mut s.scratch)
            .expect("buffer lengths come from the plan");
        out[..self.cols].copy_from_slice(&s.line[..self.cols]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ramp is ≈ `2|f|` at low frequency (Kak & Slaney's band-limited
    /// ramp with unit sampling) and exactly `1/2 · 2 = 1`-ish at Nyquist;
    /// DC is `2·Σh = 2(1/4 − 2·Σ_{odd} 1/(πk)²) → 0`.
    #[test]
    fn ramp_has_no_dc_and_grows_linearly() {
        let p = 256;
        let r = full_response(Filter::Ramp, p);
        assert!(r[0].abs() < 5e-3, "dc {}", r[0]);
        for k in [8usize, 32, 64] {
            let want = 2.0 * k as f64 / p as f64;
            assert!((r[k] - want).abs() < 2e-3, "k {k}: {} vs {want}", r[k]);
        }
        assert!((r[p / 2] - 1.0).abs() < 1e-2);
    }

    #[test]
    fn windows_are_one_at_dc_side_and_symmetric() {
        let p = 128;
        for f in [Filter::SheppLogan, Filter::Cosine, Filter::Hamming, Filter::Hann] {
            let h = half_response(f, p);
            let r = half_response(Filter::Ramp, p);
            assert!(h[1] / r[1] > 0.99, "{f:?}");
            assert!(h[p / 2] <= r[p / 2] + 1e-6);
        }
        assert_eq!(padded_len(100, Padding::Zero), 256);
        assert_eq!(padded_len(20, Padding::Zero), 64);
        assert_eq!(padded_len(7, Padding::None), 8);
    }
}
