//! `phase_retrieval`: single-distance phase retrieval of a homogeneous
//! object (Paganin et al. 2002), as TomoPy's `retrieve_phase` (≥ 1.15)
//! computes it.
//!
//! # Parameters ([`PhaseRetrievalParams`])
//!
//! `pixel_size_cm` (detector pixel, default 1e-4), `distance_cm`
//! (propagation distance, default 50), `energy_kev` (default 20),
//! `delta_over_beta` (δ/β of the material: TomoPy's `alpha`, default
//! 1e-3 as TomoPy's), `pad` (default true), `output` (`transmission`, the
//! low-passed intensity to feed `minus_log`; or `beta-thickness`,
//! `−ln(T)·λ/(4π)` in cm, TomoPy's output).
//!
//! # Input and output
//!
//! Normalised projections `(angle, row, col)`; each projection is filtered
//! alone (chunking along `angle` does not change the result); f32 out, the
//! same shape.
//!
//! # Method
//!
//! `λ = 2π ħ c / E` (TomoPy's constants: ħ = 6.58211928e−19 keV·s,
//! c = 2.99792458e10 cm/s). Each projection is padded by edge replication to
//! `2^⌈log₂(n + ⌈π λ z / p²⌉)⌉` along both axes (TomoPy's `_calc_pad_width`),
//! multiplied in the 2-D Fourier domain by
//! `H = 1 / (1 + z · (δ/β) · λ · w² / (4π))`, normalised to a maximum of
//! 1, where `w² = u² + v²` on TomoPy's reciprocal grid
//! `u_m = (2m − (N−1)) · 2π / ((N−1) p)`, `m = 0 … N−1` (which spans twice
//! the DFT's frequency range: kept as TomoPy has it, so that `δ/β` means
//! what it means there), `fftshift`ed onto the DFT bins; then cropped.
//! TomoPy's `minus_log` has no floor; `beta-thickness` raises `T` to
//! 1e−6 first, as [`crate::minus_log`] does.
//!
//! # References
//!
//! - D. Paganin, S. C. Mayo, T. E. Gureyev, P. R. Miller and S. W. Wilkins,
//!   "Simultaneous phase and amplitude extraction from a single defocused
//!   image of a homogeneous object," *J. Microsc.*, vol. 206, no. 1,
//!   pp. 33–40, 2002. DOI: 10.1046/j.1365-2818.2002.01010.x
//! - D. Gürsoy, F. De Carlo, X. Xiao and C. Jacobsen, "TomoPy: a framework
//!   for the analysis of synchrotron tomographic data," *J. Synchrotron
//!   Rad.*, vol. 21, pp. 1188–1193, 2014. DOI: 10.1107/S1600577514013939

use rustfft::num_complex::Complex;
use serde::Deserialize;

use crate::error::{ReconError, Result};
use crate::fft2::{unshifted, Fft2};
use crate::parallel::for_each_block;

/// TomoPy's π (`3.14159265359`), kept so the wavelength matches its own.
#[allow(clippy::approx_constant)]
const PI_TOMOPY: f64 = 3.14159265359;
/// ħ in keV·s, TomoPy's `PLANCK_CONSTANT`.
const HBAR_KEV_S: f64 = 6.58211928e-19;
/// c in cm/s.
const C_CM_S: f64 = 299792458e2;

/// What `phase_retrieval` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseOutput {
    /// The filtered intensity (feed it to `minus_log`).
    #[default]
    Transmission,
    /// `−ln(T) · λ/(4π)`, in cm: TomoPy's output.
    BetaThickness,
}

/// Parameters of `phase_retrieval`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhaseRetrievalParams {
    /// Detector pixel size, cm.
    pub pixel_size_cm: f64,
    /// Sample–detector distance, cm.
    pub distance_cm: f64,
    /// Photon energy, keV.
    pub energy_kev: f64,
    /// δ/β of the material.
    pub delta_over_beta: f64,
    /// Pad by edge replication before filtering.
    pub pad: bool,
    /// Output quantity.
    pub output: PhaseOutput,
}

impl Default for PhaseRetrievalParams {
    fn default() -> Self {
        PhaseRetrievalParams {
            pixel_size_cm: 1e-4,
            distance_cm: 50.0,
            energy_kev: 20.0,
            delta_over_beta: 1e-3,
            pad: true,
            output: PhaseOutput::Transmission,
        }
    }
}

/// The X-ray wavelength in cm at `energy_kev` (TomoPy's `_wavelength`).
pub fn wavelength_cm(energy_kev: f64) -> f64 {
    2.0 * PI_TOMOPY * HBAR_KEV_S * C_CM_S / energy_kev
}

fn positive(param: &'static str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(ReconError::param(param, "a finite number > 0", v))
    }
}

/// TomoPy's `_calc_pad_width`: padding on each side of an axis of `dim`.
fn pad_width(dim: usize, p: &PhaseRetrievalParams, lambda: f64) -> usize {
    let pad_pix = (PI_TOMOPY * lambda * p.distance_cm / p.pixel_size_cm.powi(2)).ceil();
    let total = 2f64.powf((dim as f64 + pad_pix).log2().ceil());
    ((total - dim as f64) * 0.5) as usize
}

/// TomoPy's `_reciprocal_coord`, squared.
fn reciprocal_sq(n: usize, pixel: f64) -> Vec<f64> {
    if n < 2 {
        return vec![0.0; n];
    }
    let m = (n - 1) as f64;
    (0..n).map(|k| ((2.0 * k as f64 - m) * 2.0 * PI_TOMOPY / (m * pixel)).powi(2)).collect()
}

/// Filters every projection of `data` (`(angles, rows, cols)`).
pub fn phase_retrieval(
    data: &[f32],
    shape: [usize; 3],
    params: &PhaseRetrievalParams,
    threads: usize,
) -> Result<Vec<f32>> {
    positive("pixel_size_cm", params.pixel_size_cm)?;
    positive("distance_cm", params.distance_cm)?;
    positive("energy_kev", params.energy_kev)?;
    positive("delta_over_beta", params.delta_over_beta)?;
    ReconError::check_len("projections", data.len(), &shape)?;
    let [_, rows, cols] = shape;
    let lambda = wavelength_cm(params.energy_kev);
    let (py, px) = if params.pad { (pad_width(rows, params, lambda), pad_width(cols, params, lambda)) } else { (0, 0) };
    let (h, w) = (rows + 2 * py, cols + 2 * px);
    let (u2, v2) = (reciprocal_sq(h, params.pixel_size_cm), reciprocal_sq(w, params.pixel_size_cm));
    let k = params.distance_cm * params.delta_over_beta * lambda / (4.0 * PI_TOMOPY);
    // The filter on shifted indices, then normalised, then read at each
    // unshifted DFT bin.
    let shifted = |a: usize, b: usize| 1.0 / (1.0 + k * (u2[a] + v2[b]));
    let max = (0..h).flat_map(|a| (0..w).map(move |b| (a, b))).map(|(a, b)| shifted(a, b)).fold(0.0, f64::max);
    let mut filter = vec![0.0; h * w];
    for a in 0..h {
        for b in 0..w {
            filter[unshifted(a, h) * w + unshifted(b, w)] = shifted(a, b) / max;
        }
    }
    let (fwd, inv) = (Fft2::new(h, w, false), Fft2::new(h, w, true));
    let plane = rows * cols;
    let mut out = vec![0.0f32; data.len()];
    if plane == 0 {
        return Ok(out);
    }
    let to_thickness = lambda / (4.0 * PI_TOMOPY);
    for_each_block(&mut out, plane, threads, |m, o| {
        let src = &data[m * plane..(m + 1) * plane];
        let mut buf = vec![Complex::new(0.0, 0.0); h * w];
        for y in 0..h {
            let r = y.saturating_sub(py).min(rows - 1);
            for x in 0..w {
                let c = x.saturating_sub(px).min(cols - 1);
                buf[y * w + x] = Complex::new(src[r * cols + c] as f64, 0.0);
            }
        }
        let mut scratch = Vec::new();
        fwd.process(&mut buf, &mut scratch, 1);
        buf.iter_mut().zip(&filter).for_each(|(v, f)| *v *= f);
        inv.process(&mut buf, &mut scratch, 1);
        let norm = (h * w) as f64;
        for r in 0..rows {
            for c in 0..cols {
                let t = buf[(r + py) * w + c + px].re / norm;
                o[r * cols + c] = match params.output {
                    PhaseOutput::Transmission => t as f32,
                    PhaseOutput::BetaThickness => (-(t.max(1e-6)).ln() * to_thickness) as f32,
                };
            }
        }
    });
    Ok(out)
}
