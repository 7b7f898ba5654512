//! `gaussian`: a Gaussian filter with a sigma per axis, as
//! `scipy.ndimage.gaussian_filter`.

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::axes::{self, Dims, Shape};
use crate::boundary::Mode;
use crate::error::DenoiseError;
use crate::parallel;
use crate::stage::filter_frame;

/// Parameters of [`gaussian`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GaussianParams {
    /// Standard deviation in voxels, one for all axes or one per axis
    /// (z, y, x; y, x for `planes`); an axis with sigma 0 is not filtered.
    /// Default `[1]`.
    pub sigma: Vec<f64>,
    /// The kernel stops at `truncate` standard deviations: radius
    /// `floor(truncate · sigma + 0.5)` voxels. Default 4 (scipy's).
    pub truncate: f64,
    /// How values beyond the edges are made up (scipy names). Default `reflect`.
    pub mode: Mode,
    /// The value beyond the edges for `mode = "constant"`. Default 0.
    pub cval: f64,
    /// `volume` (3-D, default) or `planes` (each z plane alone).
    pub dims: Dims,
}

impl Default for GaussianParams {
    fn default() -> Self {
        GaussianParams { sigma: vec![1.0], truncate: 4.0, mode: Mode::Reflect, cval: 0.0, dims: Dims::Volume }
    }
}

impl Params for GaussianParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "sigma",
            "standard deviation in voxels: one for every axis, or (z, y, x) (y, x for planes); 0 leaves an axis alone",
        )
        .min(0.0),
        Param::new("truncate", "the kernel stops at truncate standard deviations: radius floor(truncate sigma + 0.5)")
            .min(0.0),
        Param::new("mode", crate::MODE_DOC),
        Param::new("cval", "value beyond the edges for mode = constant, in image units"),
        Param::new("dims", crate::DIMS_DOC),
    ];
}

impl GaussianParams {
    /// The kernel radius per axis `(z, y, x)`, in voxels; `radius[0]` is the
    /// halo a chunk along z needs for chunked output to equal whole-volume
    /// output.
    pub fn radius(&self) -> Result<[usize; 3], DenoiseError> {
        let sigma = self.sigmas()?;
        Ok(sigma.map(|s| if s > 1e-15 { (self.truncate * s + 0.5) as usize } else { 0 }))
    }

    fn sigmas(&self) -> Result<[f64; 3], DenoiseError> {
        let sigma = axes::per_axis("sigma", &self.sigma, self.dims)?;
        if sigma.iter().any(|s| !s.is_finite() || *s < 0.0) {
            return Err(DenoiseError::param("sigma", "finite non-negative numbers", sigma));
        }
        if !(self.truncate.is_finite() && self.truncate > 0.0) {
            return Err(DenoiseError::param("truncate", "a positive number", self.truncate));
        }
        Ok(sigma)
    }
}

/// Gaussian filter of a volume, separably along z, then y, then x.
///
/// # Arguments
/// - `input`: `shape` = `(z, y, x)` values, row-major, f32 (a 2-D image is
///   `z = 1`).
/// - `params`: sigma per axis in voxels, truncation, boundary mode.
/// - `threads`: the thread budget (planes or rows are split among threads;
///   the result does not depend on it).
/// - `output`: same shape as `input`.
///
/// # Notes
/// Each axis is a 1-D correlation with the sampled, normalised Gaussian
/// `w[k] ∝ exp(-k² / 2σ²)`, `|k| ≤ radius`, exactly scipy's
/// `gaussian_filter1d` kernel (order 0), applied axis by axis in increasing
/// axis order with the intermediate rounded to f32, as scipy does for f32
/// input. Each pass is scipy's arithmetic to the bit: f64 weights (the
/// normalising sum is numpy's pairwise sum), each output accumulated in f64
/// as `x₀ w₀ + Σ_{j=-r}^{-1} (x_j + x_{-j}) w_j` from the outermost tap in
/// (`NI_Correlate1D`'s symmetric branch), `cval` in f64, then rounded to
/// f32; so f32 input gives scipy's f32 output exactly. Boundary modes:
/// `docs/CONVENTIONS.md`.
///
/// # References
/// P. Virtanen et al., "SciPy 1.0: fundamental algorithms for scientific
/// computing in Python", Nature Methods 17, 261–272 (2020),
/// doi:10.1038/s41592-019-0686-2 (`scipy.ndimage.gaussian_filter`).
pub fn gaussian(
    input: &[f32],
    shape: Shape,
    params: &GaussianParams,
    threads: usize,
    output: &mut [f32],
) -> Result<(), DenoiseError> {
    axes::check(shape, input.len(), output.len())?;
    let sigma = params.sigmas()?;
    let radius = params.radius()?;
    output.copy_from_slice(input);
    let mut scratch = vec![0.0f32; input.len()];
    let cval = params.cval;
    for axis in 0..3 {
        if radius[axis] == 0 && sigma[axis] <= 1e-15 {
            continue;
        }
        let w = kernel(sigma[axis], radius[axis]);
        scratch.copy_from_slice(output);
        correlate_axis(&scratch, shape, axis, &w, params.mode, cval, threads, output);
    }
    Ok(())
}

/// The `gaussian` operator: [`gaussian`] on each frame (f32 out), with the
/// halo along z its radius needs.
#[derive(Debug)]
pub struct Gaussian {
    params: GaussianParams,
    halo: usize,
    threads: usize,
}

impl Gaussian {
    /// Checks the parameters and builds the operator.
    pub fn new(params: GaussianParams, ctx: &Context) -> Result<Gaussian, PluginError> {
        let halo = params.radius()?[0];
        Ok(Gaussian { params, halo, threads: ctx.threads() })
    }
}

impl Operator for Gaussian {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let why = "the kernel radius floor(truncate sigma_z + 0.5)";
        filter_frame(input, out, self.halo, why, |data, shape, o| {
            Ok(gaussian(data, shape, &self.params, self.threads, o)?)
        })
    }
}

/// scipy's `_gaussian_kernel1d(sigma, 0, radius)`: `exp(-0.5 / σ² · k²)`
/// normalised by numpy's (pairwise) sum, in f64 as scipy keeps it.
fn kernel(sigma: f64, radius: usize) -> Vec<f64> {
    let r = radius as isize;
    let phi: Vec<f64> = (-r..=r).map(|k| (-0.5 / (sigma * sigma) * (k * k) as f64).exp()).collect();
    let sum = pairwise_sum(&phi);
    phi.iter().map(|p| p / sum).collect()
}

/// numpy's `pairwise_sum` for f64 (what `ndarray.sum` does on a contiguous
/// array): under 8 values a plain loop, up to 128 eight running sums
/// combined as a tree then the rest, beyond that halves at a multiple of 8.
fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(0.0, |s, v| s + v);
    }
    if n > 128 {
        let half = n / 2 - (n / 2) % 8;
        return pairwise_sum(&a[..half]) + pairwise_sum(&a[half..]);
    }
    let mut r = [0.0; 8];
    r.copy_from_slice(&a[..8]);
    let whole = n - n % 8;
    for block in a[8..whole].chunks_exact(8) {
        r.iter_mut().zip(block).for_each(|(s, v)| *s += v);
    }
    let tree = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    a[whole..].iter().fold(tree, |s, v| s + v)
}

/// `out = src ⋆ w` along `axis` of a `shape` volume (`w` odd-length,
/// centred and symmetric), values beyond the edge from `mode`; each output
/// summed in f64 in scipy's order (see [`gaussian`]) and rounded to f32.
#[allow(clippy::too_many_arguments)]
pub(crate) fn correlate_axis(
    src: &[f32],
    shape: Shape,
    axis: usize,
    w: &[f64],
    mode: Mode,
    cval: f64,
    threads: usize,
    out: &mut [f32],
) {
    let [nz, ny, nx] = shape;
    let r = w.len() / 2;
    let plane = ny * nx;
    match axis {
        // z and y: whole rows (or planes) combine, so the inner loop runs
        // along contiguous x and vectorises.
        0 => parallel::bands(out, plane, threads, |z0, band| {
            let mut acc = vec![0.0f64; plane];
            for (dz, dst) in band.chunks_mut(plane).enumerate() {
                let z = z0 + dz;
                let line =
                    |k: usize| mode.map(z as isize + k as isize - r as isize, nz).map(|s| &src[s * plane..][..plane]);
                symmetric_lines(&mut acc, w, line, cval, dst);
            }
        }),
        1 => parallel::bands(out, plane, threads, |z0, band| {
            let mut acc = vec![0.0f64; nx];
            for (dz, dst_plane) in band.chunks_mut(plane).enumerate() {
                let sp = &src[(z0 + dz) * plane..][..plane];
                for (y, dst) in dst_plane.chunks_mut(nx).enumerate() {
                    let line =
                        |k: usize| mode.map(y as isize + k as isize - r as isize, ny).map(|s| &sp[s * nx..][..nx]);
                    symmetric_lines(&mut acc, w, line, cval, dst);
                }
            }
        }),
        _ => parallel::bands(out, nx, threads, |row0, band| {
            let mut line = vec![0.0f64; nx + 2 * r];
            let map: Vec<Option<usize>> = (0..nx + 2 * r).map(|i| mode.map(i as isize - r as isize, nx)).collect();
            for (dr, dst) in band.chunks_mut(nx).enumerate() {
                let row = &src[(row0 + dr) * nx..][..nx];
                for (l, m) in line.iter_mut().zip(&map) {
                    *l = m.map_or(cval, |i| row[i] as f64);
                }
                symmetric_line(&line, w, dst);
            }
        }),
    }
}

/// `dst = w[r] · line(r) + Σ_{k<r} (line(k) + line(2r - k)) · w[k]`, summed
/// in f64 from the outermost tap in, where `line(k)` is a source line or
/// `None` (the constant `cval`). Taps run outermost over whole lines so each
/// is a vectorised AXPY; per element the order of operations is scipy's.
fn symmetric_lines<'a>(
    acc: &mut [f64],
    w: &[f64],
    line: impl Fn(usize) -> Option<&'a [f32]>,
    cval: f64,
    dst: &mut [f32],
) {
    let r = w.len() / 2;
    match line(r) {
        Some(src) => acc.iter_mut().zip(src).for_each(|(a, &s)| *a = s as f64 * w[r]),
        None => acc.fill(cval * w[r]),
    }
    for (k, &wk) in w[..r].iter().enumerate() {
        match (line(k), line(2 * r - k)) {
            (Some(a), Some(b)) => {
                acc.iter_mut().zip(a.iter().zip(b)).for_each(|(d, (&p, &q))| *d += (p as f64 + q as f64) * wk)
            }
            (Some(a), None) | (None, Some(a)) => acc.iter_mut().zip(a).for_each(|(d, &p)| *d += (p as f64 + cval) * wk),
            (None, None) => acc.iter_mut().for_each(|d| *d += (cval + cval) * wk),
        }
    }
    dst.iter_mut().zip(acc.iter()).for_each(|(d, &a)| *d = a as f32);
}

/// [`symmetric_lines`] along one padded line: `dst[i]` from
/// `line[i..i + w.len()]`; `line` holds `dst.len() + w.len() - 1` values.
fn symmetric_line(line: &[f64], w: &[f64], dst: &mut [f32]) {
    let r = w.len() / 2;
    for (i, d) in dst.iter_mut().enumerate() {
        let x = &line[i..i + 2 * r + 1];
        let mut acc = x[r] * w[r];
        for k in 0..r {
            acc += (x[k] + x[2 * r - k]) * w[k];
        }
        *d = acc as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_is_scipys_to_the_bit() {
        // float(v).hex() of scipy.ndimage._filters._gaussian_kernel1d(sigma, 0, r)[:r + 1]
        let want: [(f64, usize, &[&str]); 3] = [
            (
                1.0,
                4,
                &[
                    "0x1.18a9c4fd536c6p-13",
                    "0x1.22724cb7eb269p-8",
                    "0x1.ba4b99d1799abp-5",
                    "0x1.ef8eb9ad499bap-3",
                    "0x1.9884a307594fbp-2",
                ],
            ),
            (
                1.7,
                7,
                &[
                    "0x1.99a7e586392dfp-15",
                    "0x1.e56b0ffd38c59p-12",
                    "0x1.96f27c01b3878p-9",
                    "0x1.e2bdf93668747p-7",
                    "0x1.9526c2350be94p-5",
                    "0x1.e124bbff172a3p-4",
                    "0x1.9441a834fe23fp-3",
                    "0x1.e09c9f68ddeebp-3",
                ],
            ),
            (0.6, 2, &["0x1.505dafd617359p-9", "0x1.52fe8b43e1330p-3", "0x1.53dffefe63382p-1"]),
        ];
        for (sigma, r, hex) in want {
            let k = kernel(sigma, r);
            for (i, h) in hex.iter().enumerate() {
                assert_eq!(k[i], hex_f64(h), "sigma {sigma}, tap {i}: {:e}", k[i]);
                assert_eq!(k[i], k[2 * r - i], "symmetric");
            }
        }
    }

    /// `float.hex()` text (`0x1.<13 hex digits>p<exp>`, normal numbers) back to the f64.
    fn hex_f64(h: &str) -> f64 {
        let (mantissa, exp) = h.trim_start_matches("0x1.").split_once('p').unwrap();
        let bits = u64::from_str_radix(mantissa, 16).unwrap() | ((exp.parse::<i64>().unwrap() + 1023) as u64) << 52;
        f64::from_bits(bits)
    }

    #[test]
    fn pairwise_sum_is_numpys_order() {
        // 1 then sixteen 1e-16: a plain loop stays at 1 (each 1e-16 is
        // under half an ulp of 1); numpy's eight running sums pair them
        // first, and 1 + 2e-16 rounds up.
        let mut a = vec![1e-16; 17];
        a[0] = 1.0;
        let tree = ((1.0 + 2e-16) + (2e-16 + 2e-16)) + ((2e-16 + 2e-16) + (2e-16 + 2e-16)) + 1e-16;
        assert_eq!(pairwise_sum(&a), tree);
        assert_ne!(tree, a.iter().sum::<f64>());
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
    }

    #[test]
    fn preserves_a_constant_and_the_mean_of_an_impulse() {
        let shape = [5, 6, 7];
        let n = 5 * 6 * 7;
        let mut out = vec![0.0; n];
        gaussian(&vec![2.5; n], shape, &GaussianParams::default(), 2, &mut out).unwrap();
        assert!(out.iter().all(|v| (v - 2.5).abs() < 1e-6));
        // radius 3 around the centre of a 9³ cube: nothing leaks past the edge
        let p = GaussianParams { mode: Mode::Constant, sigma: vec![0.7], ..Default::default() };
        let mut impulse = vec![0.0; 729];
        impulse[4 * 81 + 4 * 9 + 4] = 1.0;
        let mut out = vec![0.0; 729];
        gaussian(&impulse, [9, 9, 9], &p, 1, &mut out).unwrap();
        assert!((out.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn bad_parameters_are_named() {
        let mut out = vec![0.0; 8];
        let p = GaussianParams { sigma: vec![-1.0], ..Default::default() };
        assert_eq!(
            gaussian(&[0.0; 8], [2, 2, 2], &p, 1, &mut out).unwrap_err().to_string(),
            "parameter `sigma`: expected finite non-negative numbers, got [-1.0, -1.0, -1.0]"
        );
        let p = GaussianParams { truncate: 0.0, ..Default::default() };
        assert_eq!(
            gaussian(&[0.0; 8], [2, 2, 2], &p, 1, &mut out).unwrap_err().to_string(),
            "parameter `truncate`: expected a positive number, got 0.0"
        );
    }
}
