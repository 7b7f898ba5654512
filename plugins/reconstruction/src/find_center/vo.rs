//! Vo's Fourier method for the rotation centre (Vo, Atwood & Drakopoulos
//! 2014), as algotom 1.7's `find_center_vo` computes it.
//!
//! # Method
//!
//! For a candidate centre the mirrored 180° sinogram is shifted by
//! `2(center − (cols − 1)/2)` columns (whole: a roll; fractional: cubic
//! spline, [`crate::spline_shift`]) with the vacated columns taken from the
//! sinogram flipped upside down, and stacked under the sinogram: at the
//! right centre the stack is a consistent 360° sinogram, whose 2-D
//! spectrum has little energy outside the double wedge `|v| ≤ |u|·r`
//! (object radius `r = ratio · cols / 2`). The metric is the mean of
//! `|FFT|` times the inverse double-wedge mask (`make_inverse_double_wedge_mask`:
//! rows around zero angle-frequency and three columns around zero
//! detector-frequency dropped). A coarse search over whole columns in
//! `[start, stop]` (default `cols/2 ± cols/16`, on a Gaussian-smoothed
//! (σ = 3, 1), block-averaged copy when `downsample`) is refined on a
//! `step` grid within `± radius` of it, on the sinogram smoothed with
//! σ = (2, 2); the minimum wins. Sub-pixel to `step` (0.25 by default).
//!
//! # References
//!
//! - N. T. Vo, M. Drakopoulos, R. C. Atwood and C. Reinhard, "Reliable
//!   method for calculating the center of rotation in parallel-beam
//!   tomography," *Opt. Express*, vol. 22, no. 16, pp. 19078–19086, 2014.
//!   DOI: 10.1364/OE.22.019078

use rustfft::num_complex::Complex;
use serde::Deserialize;

use super::CenterEstimate;
use crate::error::{ReconError, Result};
use crate::fft2::{unshifted, Fft2};
use crate::gaussian::gaussian_filter;
use crate::geometry::SinoShape;
use crate::parallel::map_indices;
use crate::spline_shift::shift_line;

/// Parameters of Vo's method (algotom's names and defaults).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoParams {
    /// The sinogram of the stack to use (default the middle one).
    pub row: Option<usize>,
    /// First candidate column of the coarse search (default `cols/2 − cols/16`).
    pub start: Option<f64>,
    /// Last candidate column of the coarse search (default `cols/2 + cols/16`).
    pub stop: Option<f64>,
    /// Step of the fine search, in columns.
    pub step: f64,
    /// Half-width of the fine search, in columns.
    pub radius: f64,
    /// Object width as a fraction of the detector width.
    pub ratio: f64,
    /// Coarse search on a downsampled sinogram (wide detectors only).
    pub downsample: bool,
}

impl Default for VoParams {
    fn default() -> Self {
        VoParams { row: None, start: None, stop: None, step: 0.25, radius: 4.0, ratio: 0.5, downsample: true }
    }
}

/// A sinogram in f64 with its mirror images and the search mask.
struct Search {
    nrow: usize,
    ncol: usize,
    sino: Vec<f64>,
    flip: Vec<f64>,
    comp: Vec<f64>,
    /// `(shifted row, shifted col)` of the mask's ones.
    mask: Vec<(usize, usize)>,
    fft: Fft2,
}

/// algotom's `make_inverse_double_wedge_mask(height, width, radius)`.
fn inverse_double_wedge(height: usize, width: usize, radius: f64) -> Vec<bool> {
    let du = 1.0 / width as f64;
    let dv = (height as f64 - 1.0) / (height as f64 * 2.0 * std::f64::consts::PI);
    let ndrop = 20.min((0.05 * height as f64) as usize) as isize;
    let ycenter = ((height as f64 - 1.0) / 2.0).ceil() as isize;
    let xcenter = ((width as f64 - 1.0) / 2.0).ceil() as isize;
    let mut mask = vec![false; height * width];
    let last = width as isize - 1;
    for i in 0..height as isize {
        let num = (((i - ycenter) as f64 * dv / radius) / du).ceil() as isize;
        let (a, b) = ((-num + xcenter).clamp(0, last), (num + xcenter).clamp(0, last));
        let (p1, p2) = (a.min(b), a.max(b));
        for x in p1..=p2 {
            mask[i as usize * width + x as usize] = true;
        }
    }
    for i in (ycenter - ndrop).max(0)..(ycenter + ndrop + 1).min(height as isize) {
        mask[i as usize * width..(i as usize + 1) * width].fill(false);
    }
    for i in 0..height {
        for x in (xcenter - 1).max(0)..(xcenter + 2).min(width as isize) {
            mask[i * width + x as usize] = false;
        }
    }
    mask
}

impl Search {
    fn new(sino: Vec<f64>, nrow: usize, ncol: usize, ratio: f64) -> Search {
        let flip = (0..nrow * ncol).map(|k| sino[(k / ncol) * ncol + ncol - 1 - k % ncol]).collect();
        let comp = (0..nrow * ncol).map(|k| sino[(nrow - 1 - k / ncol) * ncol + k % ncol]).collect();
        let m = inverse_double_wedge(2 * nrow, ncol, 0.5 * ratio * ncol as f64);
        let mask = (0..2 * nrow * ncol).filter(|&k| m[k]).map(|k| (k / ncol, k % ncol)).collect();
        Search { nrow, ncol, sino, flip, comp, mask, fft: Fft2::new(2 * nrow, ncol, false) }
    }

    /// algotom's `calculate_center_metric`.
    fn metric(&self, center: f64) -> f64 {
        let (nrow, ncol) = (self.nrow, self.ncol);
        let shift = 2.0 * (center - (ncol as f64 - 1.0) / 2.0);
        let mut shifted = vec![0.0; nrow * ncol];
        let fill = |sh: &mut [f64], cols: std::ops::Range<usize>| {
            for r in 0..nrow {
                for c in cols.clone() {
                    sh[r * ncol + c] = self.comp[r * ncol + c];
                }
            }
        };
        if shift.fract() == 0.0 {
            let s = shift as isize;
            for r in 0..nrow {
                for c in 0..ncol {
                    let src = (c as isize - s).rem_euclid(ncol as isize) as usize;
                    shifted[r * ncol + c] = self.flip[r * ncol + src];
                }
            }
            let k = s.unsigned_abs().min(ncol);
            if s >= 0 {
                fill(&mut shifted, 0..k)
            } else {
                fill(&mut shifted, ncol - k..ncol)
            }
        } else {
            for r in 0..nrow {
                shift_line(&self.flip[r * ncol..(r + 1) * ncol], shift, &mut shifted[r * ncol..(r + 1) * ncol]);
            }
            if shift >= 0.0 {
                fill(&mut shifted, 0..(shift.ceil() as usize).min(ncol));
            } else {
                let k = (-shift.floor() as usize).min(ncol);
                fill(&mut shifted, ncol - k..ncol);
            }
        }
        let mut mat: Vec<Complex<f64>> = self.sino.iter().chain(&shifted).map(|&v| Complex::new(v, 0.0)).collect();
        let mut scratch = Vec::new();
        self.fft.process(&mut mat, &mut scratch, 1);
        let h = 2 * nrow;
        let sum: f64 = self.mask.iter().map(|&(a, b)| mat[unshifted(a, h) * ncol + unshifted(b, ncol)].norm()).sum();
        sum / (h * ncol) as f64
    }

    /// The candidate with the smallest metric (the first on ties), and all scores.
    fn best(&self, candidates: &[f64], threads: usize) -> (f64, Vec<f64>) {
        let scores = map_indices(candidates.len(), threads, |i| self.metric(candidates[i]));
        let mut k = 0;
        for (i, s) in scores.iter().enumerate() {
            if *s < scores[k] {
                k = i;
            }
        }
        (candidates[k], scores)
    }
}

/// algotom's `downsample_cor`: block means.
fn downsample(p: &[f64], h: usize, w: usize, f0: usize, f1: usize) -> (Vec<f64>, usize, usize) {
    let f0 = f0.clamp(1, (h / 2).max(1));
    let f1 = f1.clamp(1, (w / 2).max(1));
    let (hd, wd) = (h / f0, w / f1);
    let mut out = vec![0.0; hd * wd];
    for r in 0..hd {
        for c in 0..wd {
            let mut s = 0.0;
            for a in 0..f0 {
                for b in 0..f1 {
                    s += p[(r * f0 + a) * w + c * f1 + b];
                }
            }
            out[r * wd + c] = s / (f0 * f1) as f64;
        }
    }
    (out, hd, wd)
}

/// Runs the method on one sinogram.
pub fn find(s: &[f32], shape: SinoShape, p: &VoParams, threads: usize) -> Result<CenterEstimate> {
    if !(p.step.is_finite() && p.step > 0.0) {
        return Err(ReconError::param("step", "a finite number > 0", p.step));
    }
    if !(p.radius.is_finite() && p.radius >= 0.0) {
        return Err(ReconError::param("radius", "a finite number ≥ 0", p.radius));
    }
    if !(p.ratio.is_finite() && p.ratio > 0.0) {
        return Err(ReconError::param("ratio", "a finite number > 0", p.ratio));
    }
    let (nrow, ncol) = (shape.angles, shape.cols);
    let sino: Vec<f64> = s.iter().map(|&v| v as f64).collect();
    let start = p.start.unwrap_or((ncol / 2 - ncol / 16) as f64);
    let stop = p.stop.unwrap_or((ncol / 2 + ncol / 16) as f64);
    let coarse = |search: &Search, start: f64, stop: f64| {
        let last = ncol as f64 - 1.0;
        let (a, b) = (start.clamp(0.0, last) as usize, stop.clamp(0.0, last) as usize);
        let list: Vec<f64> = (a..=b.max(a)).map(|c| c as f64).collect();
        search.best(&list, threads).0
    };
    let (start_fine, radius) = if p.downsample {
        let dsp_col = if ncol > 1000 { ncol / 640 } else { 1 };
        let dsp_row = if nrow > 1000 { nrow / 900 } else { 1 };
        let smooth = gaussian_filter(&sino, nrow, ncol, 3.0, 1.0);
        let (d, hd, wd) = downsample(&smooth, nrow, ncol, dsp_row, dsp_col);
        let search = Search::new(d, hd, wd, p.ratio);
        let f = dsp_col as f64;
        let raw = coarse(&search, (start / f).floor(), (stop / f).ceil());
        (raw * f + 0.5 * f, p.radius.max(f))
    } else {
        let search = Search::new(gaussian_filter(&sino, nrow, ncol, 3.0, 1.0), nrow, ncol, p.ratio);
        let raw = coarse(&search, start, stop);
        (raw, p.radius)
    };
    let fine = Search::new(gaussian_filter(&sino, nrow, ncol, 2.0, 2.0), nrow, ncol, p.ratio);
    let n = ((2.0 * radius + p.step) / p.step).ceil() as usize;
    let list: Vec<f64> =
        (0..n).map(|k| (start_fine - radius + k as f64 * p.step).clamp(0.0, ncol as f64 - 1.0)).collect();
    let (center_col, metric) = fine.best(&list, threads);
    Ok(CenterEstimate { center_col, candidates: list, metric })
}
