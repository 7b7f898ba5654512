//! `bilateral`: the bilateral filter of each plane, as scikit-image's
//! `denoise_bilateral` (grey-level images, its colour look-up table).

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::axes::{self, Shape};
use crate::boundary::{self, Mode};
use crate::error::DenoiseError;
use crate::parallel;
use crate::stage::filter_frame;

/// Parameters of [`bilateral`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BilateralParams {
    /// Window side in pixels, odd; default `max(5, 2 · ceil(3 · sigma_spatial) + 1)`.
    pub win_size: Option<usize>,
    /// Standard deviation of the grey-level distance, in image units;
    /// default: the standard deviation of the plane.
    pub sigma_color: Option<f64>,
    /// Standard deviation of the spatial distance, in pixels. Default 1.
    pub sigma_spatial: f64,
    /// Bins of the grey-level weight table. Default 10000.
    pub bins: usize,
    /// How values beyond the edges are made up (scipy names: scikit-image's
    /// `symmetric` is `reflect`, its `reflect` is `mirror`, its `edge` is
    /// `nearest`). Default `constant`, as scikit-image.
    pub mode: Mode,
    /// The value beyond the edges for `mode = "constant"`, in image units. Default 0.
    pub cval: f64,
}

impl Default for BilateralParams {
    fn default() -> Self {
        BilateralParams {
            win_size: None,
            sigma_color: None,
            sigma_spatial: 1.0,
            bins: 10000,
            mode: Mode::Constant,
            cval: 0.0,
        }
    }
}

impl Params for BilateralParams {
    const TABLE: &'static [Param] = &[
        Param::new("win_size", "window side in pixels, odd; default max(5, 2 ceil(3 sigma_spatial) + 1)").min(1.0),
        Param::new("sigma_color", "standard deviation of the grey-level distance, image units; default the plane's standard deviation").min(0.0),
        Param::new("sigma_spatial", "standard deviation of the spatial distance, pixels").min(0.0),
        Param::new("bins", "entries of the grey-level weight table").min(1.0),
        Param::new("mode", "boundary, scipy names (scikit-image symmetric = reflect, reflect = mirror, edge = nearest); constant as scikit-image"),
        Param::new("cval", "value beyond the edges for mode = constant, in image units"),
    ];
}

impl BilateralParams {
    /// The window side used.
    pub fn window(&self) -> Result<usize, DenoiseError> {
        if !(self.sigma_spatial.is_finite() && self.sigma_spatial > 0.0) {
            return Err(DenoiseError::param("sigma_spatial", "a positive number", self.sigma_spatial));
        }
        let win = self.win_size.unwrap_or_else(|| 5.max(2 * (3.0 * self.sigma_spatial).ceil() as usize + 1));
        if win.is_multiple_of(2) {
            return Err(DenoiseError::param("win_size", "an odd number", win));
        }
        Ok(win)
    }
}

/// The `bilateral` operator: [`bilateral`] on each frame (f32 out). It
/// filters plane by plane, so it needs no halo.
#[derive(Debug)]
pub struct Bilateral {
    params: BilateralParams,
    threads: usize,
}

impl Bilateral {
    /// Checks the parameters and builds the operator.
    pub fn new(params: BilateralParams, ctx: &Context) -> Result<Bilateral, PluginError> {
        params.window()?;
        if params.bins == 0 {
            return Err(PluginError::bad_parameter("bins", "at least 1", "0"));
        }
        Ok(Bilateral { params, threads: ctx.threads() })
    }
}

impl Operator for Bilateral {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        filter_frame(input, out, 0, "", |data, shape, o| Ok(bilateral(data, shape, &self.params, self.threads, o)?))
    }
}

/// Bilateral filter of each z plane of a volume (a 2-D image is `z = 1`).
///
/// # Arguments
/// - `input`: `shape` = `(z, y, x)` values, row-major, f32, any range.
/// - `params`: window, the two standard deviations, table size, boundary.
/// - `threads`: the thread budget (rows are shared out).
/// - `output`: same shape as `input`.
///
/// # Notes
/// `out(p) = Σ_q w_s(q − p) w_c(|u(q) − u(p)|) u(q) / Σ_q w_s w_c` over the
/// `win × win` window, with `w_s(r) = exp(−|r|² / 2σ_s²)` and the grey-level
/// weight read from a table of `bins` entries over `[0, range)`:
/// `w_c(δ) = T[min(⌊δ · bins / range⌋, bins − 1)]`, `T[b] = exp(−(b · range /
/// bins)² / 2σ_c²)`, `range = max(u) − min(min(u), 0)` over the plane. That is
/// scikit-image 0.26's `_denoise_bilateral` kernel step for step, with two
/// departures, both fixes: (1) its public `denoise_bilateral` builds the
/// spatial table over `np.arange(-win // 2, win // 2 + 1)` — `(win + 1)²`
/// entries read with stride `win` — so its spatial weights are misplaced
/// (for `win = 5` the centre pixel gets the weight of offset `(−1, −3)`);
/// here they are the documented Gaussian; (2) for images with negative
/// values its table spacing uses the unshifted maximum while its index uses
/// the shifted one, and `cval` is read in shifted units; here both use
/// `range` and `cval` is in image units. For images with `min ≥ 0` and the
/// table fixed, results equal scikit-image's kernel. A plane with one value
/// is returned unchanged, as scikit-image does.
///
/// # References
/// C. Tomasi, R. Manduchi, "Bilateral filtering for gray and color images",
/// ICCV 1998, 839–846, doi:10.1109/ICCV.1998.710815.
pub fn bilateral(
    input: &[f32],
    shape: Shape,
    params: &BilateralParams,
    threads: usize,
    output: &mut [f32],
) -> Result<(), DenoiseError> {
    axes::check(shape, input.len(), output.len())?;
    let win = params.window()?;
    if params.bins == 0 {
        return Err(DenoiseError::param("bins", "at least 1", params.bins));
    }
    if let Some(s) = params.sigma_color.filter(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(DenoiseError::param("sigma_color", "a positive number", s));
    }
    let [nz, ny, nx] = shape;
    let plane = ny * nx;
    let ext = win / 2;
    let spatial: Vec<f32> = (0..win * win)
        .map(|k| {
            let (dy, dx) = ((k / win) as f64 - ext as f64, (k % win) as f64 - ext as f64);
            (-0.5 * (dy * dy + dx * dx) / (params.sigma_spatial * params.sigma_spatial)).exp() as f32
        })
        .collect();
    for z in 0..nz {
        let src = &input[z * plane..][..plane];
        let dst = &mut output[z * plane..][..plane];
        let (lo, hi) = src.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        if lo == hi {
            dst.copy_from_slice(src);
            continue;
        }
        let range = hi as f64 - (lo as f64).min(0.0);
        let sigma = params.sigma_color.unwrap_or_else(|| std_dev(src));
        let bins = params.bins;
        let table: Vec<f32> = (0..bins)
            .map(|b| {
                let v = b as f64 * range / bins as f64;
                (-0.5 * v * v / (sigma * sigma)).exp() as f32
            })
            .collect();
        let scale = (bins as f64 / range) as f32;
        let (pad, ps) = boundary::padded(src, [1, ny, nx], [0, ext, ext], params.mode, params.cval as f32);
        parallel::bands(dst, nx, threads, |y0, band| {
            for (dy, row) in band.chunks_mut(nx).enumerate() {
                let y = y0 + dy;
                for (x, out) in row.iter_mut().enumerate() {
                    let centre = pad[(y + ext) * ps[2] + x + ext];
                    let (mut sum, mut wsum) = (0.0f32, 0.0f32);
                    for wy in 0..win {
                        let line = &pad[(y + wy) * ps[2] + x..][..win];
                        for (&v, &ws) in line.iter().zip(&spatial[wy * win..][..win]) {
                            let bin = (((centre - v).abs() * scale) as usize).min(bins - 1);
                            let w = ws * table[bin];
                            sum += v * w;
                            wsum += w;
                        }
                    }
                    *out = sum / wsum;
                }
            }
        });
    }
    Ok(())
}

/// Population standard deviation (numpy's `std`, `ddof = 0`), in f64.
fn std_dev(v: &[f32]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_planes_pass_through_and_windows_must_be_odd() {
        let mut out = vec![0.0; 16];
        bilateral(&[0.3; 16], [1, 4, 4], &BilateralParams::default(), 1, &mut out).unwrap();
        assert!(out.iter().all(|&v| v == 0.3));
        let p = BilateralParams { win_size: Some(4), ..Default::default() };
        assert_eq!(
            bilateral(&[0.3; 16], [1, 4, 4], &p, 1, &mut out).unwrap_err().to_string(),
            "parameter `win_size`: expected an odd number, got 4"
        );
        assert_eq!(BilateralParams { sigma_spatial: 2.0, ..Default::default() }.window().unwrap(), 13);
    }

    #[test]
    fn keeps_an_edge_that_a_mean_would_blur() {
        let img: Vec<f32> = (0..100).map(|i| if i % 10 < 5 { 0.0 } else { 1.0 }).collect();
        let mut out = vec![0.0; 100];
        let p = BilateralParams { sigma_color: Some(0.1), mode: Mode::Nearest, ..Default::default() };
        bilateral(&img, [1, 10, 10], &p, 1, &mut out).unwrap();
        assert!(out.iter().zip(&img).all(|(a, b)| (a - b).abs() < 1e-6));
    }
}
