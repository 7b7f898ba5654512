//! `nl_means`: non-local means denoising, as scikit-image's
//! `denoise_nl_means`: the fast mode (shifted-image box distances, Darbon
//! et al.; [`fast`]) and the classic pixelwise mode (Gaussian-weighted patch
//! distances, Buades et al.; [`classic`]), in 2-D and 3-D, with the noise
//! `sigma` correction.

mod classic;
mod fast;

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::axes::{self, Dims, Shape};
use crate::boundary::{self, Mode};
use crate::error::DenoiseError;
use crate::stage::filter_frame;

/// Parameters of [`nl_means`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NlMeansParams {
    /// Patch side in voxels (an even value is increased by one, as
    /// scikit-image does). Default 7.
    pub patch_size: usize,
    /// Largest shift searched for similar patches, in voxels per axis.
    /// Default 11.
    pub patch_distance: usize,
    /// Cut-off distance in grey levels: larger accepts less similar patches.
    /// Default 0.1.
    pub h: f64,
    /// The noise standard deviation, if known: `2σ²` is taken off each
    /// squared voxel difference before the weights (0: no correction).
    pub sigma: f64,
    /// `fast` (default) or `classic`.
    pub method: NlMeansMethod,
    /// `volume` (3-D, default) or `planes` (each z plane alone).
    pub dims: Dims,
}

/// How patch distances are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NlMeansMethod {
    /// scikit-image `fast_mode=True`: every voxel of a patch weighs the same;
    /// cost independent of the patch size.
    #[default]
    Fast,
    /// scikit-image `fast_mode=False`: Gaussian-weighted voxels, the
    /// original algorithm; cost grows with the patch volume.
    Classic,
}

impl Default for NlMeansParams {
    fn default() -> Self {
        NlMeansParams {
            patch_size: 7,
            patch_distance: 11,
            h: 0.1,
            sigma: 0.0,
            method: NlMeansMethod::Fast,
            dims: Dims::Volume,
        }
    }
}

impl Params for NlMeansParams {
    const TABLE: &'static [Param] = &[
        Param::new("patch_size", "patch side in voxels (an even value is increased by one, as scikit-image)").min(1.0),
        Param::new("patch_distance", "largest shift searched for similar patches, voxels per axis"),
        Param::new("h", "cut-off distance in image units: larger accepts less similar patches").min(0.0),
        Param::new("sigma", "noise standard deviation if known, image units (2 sigma^2 is taken off each squared difference); 0: no correction").min(0.0),
        Param::new("method", "fast: scikit-image fast_mode (box patch distances); classic: Gaussian-weighted patches"),
        Param::new("dims", crate::DIMS_DOC),
    ];
}

impl NlMeansParams {
    /// The patch side actually used (odd).
    pub fn patch(&self) -> usize {
        self.patch_size | 1
    }

    /// The halo along z for chunked output to equal whole-volume output:
    /// half a patch plus the search distance (0 for `planes`).
    pub fn halo(&self) -> usize {
        match self.dims {
            Dims::Planes => 0,
            Dims::Volume => self.patch() / 2 + self.patch_distance,
        }
    }

    /// Checks the parameters.
    pub fn check(&self) -> Result<(), DenoiseError> {
        if self.patch_size == 0 {
            return Err(DenoiseError::param("patch_size", "at least 1", self.patch_size));
        }
        if self.method == NlMeansMethod::Classic && self.patch() < 3 {
            // classic weights are exp(-r² / 2A²) with A = (s - 1) / 4 = 0
            return Err(DenoiseError::param("patch_size", "at least 3 for `classic`", self.patch_size));
        }
        if !(self.h.is_finite() && self.h > 0.0) {
            return Err(DenoiseError::param("h", "a positive number", self.h));
        }
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return Err(DenoiseError::param("sigma", "a non-negative number", self.sigma));
        }
        Ok(())
    }
}

/// The `nl_means` operator: [`nl_means`] on each frame (f32 out), with a
/// halo of half a patch plus the search distance along z (none for
/// `planes`).
#[derive(Debug)]
pub struct NlMeans {
    params: NlMeansParams,
    threads: usize,
}

impl NlMeans {
    /// Checks the parameters and builds the operator.
    pub fn new(params: NlMeansParams, ctx: &Context) -> Result<NlMeans, PluginError> {
        params.check()?;
        Ok(NlMeans { params, threads: ctx.threads() })
    }
}

impl Operator for NlMeans {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let why = "`patch_size` / 2 + `patch_distance`";
        let p = &self.params;
        filter_frame(input, out, p.halo(), why, |data, shape, o| Ok(nl_means(data, shape, p, self.threads, o)?))
    }
}

/// Non-local means denoising of a volume, or of each of its planes.
///
/// # Arguments
/// - `input`: `shape` = `(z, y, x)` values, row-major, f32, in any range
///   (`h` and `sigma` are in the same units).
/// - `params`: patch size, search distance, `h`, `sigma`, method, 2-D or 3-D.
/// - `threads`: the thread budget (output bands, or planes, are shared
///   out; the result does not depend on it).
/// - `output`: same shape as `input`.
///
/// # Notes
/// Each voxel becomes the weighted mean of the voxels within
/// `patch_distance` of it, a voxel's weight growing with the similarity of
/// the patches around the two. With patch side `s`, offset `o = s / 2`,
/// `var = 2σ²`:
///
/// - `fast`: distance `D = max(Σ_box ((u(y) − u(y + t))² − var), 0) / (h² sᵈ)`
///   over the box of `(s − 1)ᵈ` voxels `y ∈ (p − o, p + o]` (scikit-image's
///   integral-image box, which is one voxel short of the patch and not
///   centred); the image is padded by `o + d + 1` with numpy's `reflect`
///   (scipy `mirror`), so voxels near the edge also search `d` voxels into
///   the reflection.
/// - `classic`: `D = Σ w(y)((u(p + y) − u(q + y))² − var)` over the patch with
///   Gaussian weights `w ∝ exp(−|y|² / 2A²)`, `A = (s − 1) / 4`, normalised
///   to `Σ w = 1 / h²`; the patch is read from the image padded by `o` with
///   `reflect`, and the search window is clipped to the image.
///
/// In both, a pair with `D > 5` gets weight 0 and the weight is otherwise
/// `exp(−D)` by Schraudolph's approximation ([`fast_exp`]), as scikit-image
/// computes it, so weights and results match to rounding. Arithmetic is f32
/// here (scikit-image: f64 for the fast mode).
///
/// # References
/// A. Buades, B. Coll, J.-M. Morel, "A non-local algorithm for image
/// denoising", CVPR 2005, vol. 2, 60–65, doi:10.1109/CVPR.2005.38;
/// J. Darbon, A. Cunha, T. F. Chan, S. Osher, G. J. Jensen, "Fast nonlocal
/// filtering applied to electron cryomicroscopy", ISBI 2008, 1331–1334,
/// doi:10.1109/ISBI.2008.4541250;
/// J. Froment, "Parameter-free fast pixelwise non-local means denoising",
/// Image Processing On Line 4, 300–326 (2014), doi:10.5201/ipol.2014.120;
/// A. Buades, B. Coll, J.-M. Morel, "Non-local means denoising", Image
/// Processing On Line 1, 208–212 (2011), doi:10.5201/ipol.2011.bcm_nlm (the
/// `sigma` correction).
pub fn nl_means(
    input: &[f32],
    shape: Shape,
    params: &NlMeansParams,
    threads: usize,
    output: &mut [f32],
) -> Result<(), DenoiseError> {
    axes::check(shape, input.len(), output.len())?;
    params.check()?;
    let [nz, ny, nx] = shape;
    let plane = ny * nx;
    let run = |src: &[f32], shape: Shape, threads: usize, dst: &mut [f32]| match params.method {
        NlMeansMethod::Fast => fast::denoise(src, shape, params, threads, dst),
        NlMeansMethod::Classic => classic::denoise(src, shape, params, threads, dst),
    };
    match params.dims {
        Dims::Volume => run(input, shape, threads, output),
        Dims::Planes if nz < 2 * threads.max(1) => {
            for (src, dst) in input.chunks(plane).zip(output.chunks_mut(plane)) {
                run(src, [1, ny, nx], threads, dst);
            }
        }
        Dims::Planes => {
            let per = nz.div_ceil(threads);
            std::thread::scope(|s| {
                for (src, dst) in input.chunks(per * plane).zip(output.chunks_mut(per * plane)) {
                    let run = &run;
                    s.spawn(move || {
                        for (a, b) in src.chunks(plane).zip(dst.chunks_mut(plane)) {
                            run(a, [1, ny, nx], 1, b);
                        }
                    });
                }
            });
        }
    }
    Ok(())
}

/// Distances above this get weight 0 (scikit-image's `DISTANCE_CUTOFF`).
const DISTANCE_CUTOFF: f32 = 5.0;

/// Schraudolph's approximation of `exp(y)` as scikit-image's `fast_exp.h`
/// computes it (minimum-RMS-error constant): the high 32 bits of an IEEE
/// double set to `⌊2²⁰/ln 2 · y⌋ + 1023 · 2²⁰ − 60801`, the low bits zero.
/// Relative error within ~3 % for `y ∈ [−5, 0]`; `exp(0) ≈ 0.971`.
///
/// N. N. Schraudolph, "A fast, compact approximation of the exponential
/// function", Neural Computation 11, 853–862 (1999),
/// doi:10.1162/089976699300016467.
#[inline]
pub fn fast_exp(y: f64) -> f64 {
    const EXP_A: f64 = 1_512_775.395_195_185_7; // 2²⁰ / ln 2
    const EXP_BC: i32 = 1072632447;
    let hi = (EXP_A * y) as i32 + EXP_BC;
    f64::from_bits((hi as u32 as u64) << 32)
}

/// The image padded for a kernel: numpy's `reflect` is scipy's `mirror`.
fn padded(input: &[f32], shape: Shape, pad: [usize; 3]) -> (Vec<f32>, Shape) {
    boundary::padded(input, shape, pad, Mode::Mirror, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_exp_is_schraudolphs() {
        // bits as scikit-image's C computes them, e.g. exp(0) = 0x3FEF127F_00000000
        assert_eq!(fast_exp(0.0).to_bits(), (1072632447u64) << 32);
        for y in [-5.0, -2.5, -1.0, -0.1, 0.0] {
            let rel = (fast_exp(y) - f64::exp(y)).abs() / f64::exp(y);
            assert!(rel < 0.04, "{y}: {rel}");
        }
    }

    #[test]
    fn parameters_are_checked() {
        let mut out = [0.0; 27];
        let p = NlMeansParams { h: 0.0, ..Default::default() };
        assert_eq!(
            nl_means(&[0.0; 27], [3, 3, 3], &p, 1, &mut out).unwrap_err().to_string(),
            "parameter `h`: expected a positive number, got 0.0"
        );
        let p = NlMeansParams { patch_size: 1, method: NlMeansMethod::Classic, ..Default::default() };
        assert_eq!(
            nl_means(&[0.0; 27], [3, 3, 3], &p, 1, &mut out).unwrap_err().to_string(),
            "parameter `patch_size`: expected at least 3 for `classic`, got 1"
        );
        let p: NlMeansParams = serde_json::from_str(r#"{"method": "classic", "patch_size": 4}"#).unwrap();
        assert_eq!((p.method, p.patch(), p.halo()), (NlMeansMethod::Classic, 5, 13));
    }
}
