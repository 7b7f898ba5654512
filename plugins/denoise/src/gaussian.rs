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
/// input. Boundary modes: `docs/CONVENTIONS.md`. Arithmetic is f32.
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
    let cval = params.cval as f32;
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

/// scipy's `_gaussian_kernel1d(sigma, 0, radius)`: `exp(-0.5 k² / σ²)`
/// normalised to sum 1, computed in f64 and then rounded.
fn kernel(sigma: f64, radius: usize) -> Vec<f32> {
    let r = radius as f64;
    let phi: Vec<f64> = (0..=2 * radius).map(|i| (-0.5 / (sigma * sigma) * (i as f64 - r).powi(2)).exp()).collect();
    let sum: f64 = phi.iter().sum();
    phi.iter().map(|p| (p / sum) as f32).collect()
}

/// `out = src ⋆ w` along `axis` of a `shape` volume (`w` odd-length,
/// centred), values beyond the edge from `mode`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn correlate_axis(
    src: &[f32],
    shape: Shape,
    axis: usize,
    w: &[f32],
    mode: Mode,
    cval: f32,
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
            for (dz, dst) in band.chunks_mut(plane).enumerate() {
                let z = z0 + dz;
                axpy_lines(
                    dst,
                    w,
                    |k| mode.map(z as isize + k as isize - r as isize, nz).map(|s| &src[s * plane..][..plane]),
                    cval,
                );
            }
        }),
        1 => parallel::bands(out, plane, threads, |z0, band| {
            for (dz, dst_plane) in band.chunks_mut(plane).enumerate() {
                let sp = &src[(z0 + dz) * plane..][..plane];
                for (y, dst) in dst_plane.chunks_mut(nx).enumerate() {
                    axpy_lines(
                        dst,
                        w,
                        |k| mode.map(y as isize + k as isize - r as isize, ny).map(|s| &sp[s * nx..][..nx]),
                        cval,
                    );
                }
            }
        }),
        _ => parallel::bands(out, nx, threads, |row0, band| {
            let mut line = vec![0.0f32; nx + 2 * r];
            let map: Vec<Option<usize>> = (0..nx + 2 * r).map(|i| mode.map(i as isize - r as isize, nx)).collect();
            for (dr, dst) in band.chunks_mut(nx).enumerate() {
                let row = &src[(row0 + dr) * nx..][..nx];
                for (l, m) in line.iter_mut().zip(&map) {
                    *l = m.map_or(cval, |i| row[i]);
                }
                correlate_line(&line, w, dst);
            }
        }),
    }
}

/// `dst = Σ_k w[k] · line(k)`, where `line(k)` is a source line or `None`
/// (the constant `cval`). Taps run outermost so each is a vectorised AXPY.
fn axpy_lines<'a>(dst: &mut [f32], w: &[f32], line: impl Fn(usize) -> Option<&'a [f32]>, cval: f32) {
    dst.fill(0.0);
    for (k, &wk) in w.iter().enumerate() {
        match line(k) {
            Some(src) => dst.iter_mut().zip(src).for_each(|(d, s)| *d += wk * s),
            None => dst.iter_mut().for_each(|d| *d += wk * cval),
        }
    }
}

/// `dst[i] = Σ_k w[k] · line[i + k]`; `line` holds `dst.len() + w.len() - 1`.
fn correlate_line(line: &[f32], w: &[f32], dst: &mut [f32]) {
    dst.fill(0.0);
    for (k, &wk) in w.iter().enumerate() {
        dst.iter_mut().zip(&line[k..]).for_each(|(d, s)| *d += wk * s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_is_scipys() {
        // scipy.ndimage._filters._gaussian_kernel1d(1.0, 0, 4)
        let want = [1.33830625e-4, 4.43186162e-3, 5.39911274e-2, 2.41971446e-1, 3.98943469e-1];
        let k = kernel(1.0, 4);
        for (a, b) in k.iter().zip(want) {
            assert!((*a as f64 - b).abs() < 1e-7, "{a} vs {b}");
        }
        assert!((k.iter().map(|&v| v as f64).sum::<f64>() - 1.0).abs() < 1e-6);
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
