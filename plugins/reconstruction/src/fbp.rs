//! `fbp`: filtered back-projection of parallel-beam sinograms.
//!
//! # Parameters ([`FbpParams`])
//!
//! `filter` (ramp, shepp-logan, cosine, hamming, hann), `padding` (zero,
//! edge, none), `center_col` (rotation axis as a detector column; default
//! the detector middle `(cols − 1)/2`, see `docs/CONVENTIONS.md`),
//! `circle_mask`, `output_size`.
//!
//! # Input and output
//!
//! Sinograms `(rows, angles, cols)` f32, angles in degrees; output slices
//! `(rows, n, n)` f32 with `n = output_size` (default `cols`), pixel
//! `(i, j)` at `x = j − (n−1)/2`, `y = (n−1)/2 − i`. Each slice is
//! reconstructed alone, so any chunking along `rows` gives the same volume
//! bit for bit.
//!
//! **Scale: attenuation per pixel.** With sinogram values that are line
//! integrals `∫μ dl` measured in detector pixels (what `minus_log` of a
//! normalised projection gives when `μ` is per pixel), the output is `μ`
//! per pixel; divide by the pixel size (cm) for cm⁻¹. scikit-image's
//! `iradon`, TomoPy's `recon(algorithm='fbp')` and ASTRA's `FBP` with unit
//! detector and volume pixels use the same scale, so outputs compare
//! directly (ASTRA and TomoPy differ from this only by their filters'
//! discretisation: within 0.3 dB PSNR on the test phantom).
//!
//! # Method
//!
//! Each projection is zero-padded, filtered in the Fourier domain
//! ([`crate::fourier_filter`]: the Kak–Slaney ramp times the window, as
//! scikit-image builds it) and back-projected with linear interpolation
//! ([`crate::backproject`]), scaled by `π / (2·angles)` — the angular step
//! of a half turn, so `angles_deg` should cover `[0°, 180°)` evenly.
//!
//! # References
//!
//! - A. C. Kak and M. Slaney, *Principles of Computerized Tomographic
//!   Imaging*, IEEE Press, 1988, ch. 3.
//! - L. A. Shepp and B. F. Logan, "The Fourier reconstruction of a head
//!   section," *IEEE Trans. Nucl. Sci.*, vol. 21, no. 3, pp. 21–43, 1974.
//!   DOI: 10.1109/TNS.1974.6499235
//! - W. van Aarle et al., "Fast and flexible X-ray tomography using the
//!   ASTRA toolbox," *Opt. Express*, vol. 24, no. 22, pp. 25129–25147,
//!   2016. DOI: 10.1364/OE.24.025129

use serde::Deserialize;

use crate::backproject::{backproject, PaddedProjections, Target};
use crate::error::{ReconError, Result};
use crate::fourier_filter::{Filter, Padding, ProjectionFilter};
use crate::geometry::{angles_rad, center_or_default, Grid, SinoShape};
use crate::parallel::for_each_block;

/// Parameters of `fbp`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FbpParams {
    /// Window on the ramp filter (default `shepp-logan`).
    pub filter: Filter,
    /// How projections are extended before filtering (default `zero`).
    pub padding: Padding,
    /// Rotation axis as a detector column (pixel centres at integers);
    /// default `(cols − 1)/2`.
    pub center_col: Option<f64>,
    /// Zero the pixels outside the reconstruction circle (default true).
    pub circle_mask: bool,
    /// Pixels along each side of the slice (default: detector columns).
    pub output_size: Option<usize>,
}

impl Default for FbpParams {
    fn default() -> Self {
        FbpParams {
            filter: Filter::default(),
            padding: Padding::default(),
            center_col: None,
            circle_mask: true,
            output_size: None,
        }
    }
}

impl FbpParams {
    /// The slice size for `cols` detector columns.
    pub fn size(&self, cols: usize) -> Result<usize> {
        match self.output_size {
            None => Ok(cols),
            Some(0) => Err(ReconError::param("output_size", "at least 1", 0)),
            Some(n) => Ok(n),
        }
    }
}

/// Reconstructs every sinogram of `sino` (`shape`), returning
/// `(rows, n, n)` slices. `threads = 0` uses every core.
pub fn fbp(sino: &[f32], shape: SinoShape, angles_deg: &[f64], params: &FbpParams, threads: usize) -> Result<Vec<f32>> {
    shape.check("sinogram", sino)?;
    let n = params.size(shape.cols)?;
    let mut out = vec![0.0; shape.rows * n * n];
    fbp_into(sino, shape, angles_deg, params, threads, &mut out)?;
    Ok(out)
}

/// [`fbp`] into a caller's buffer of `rows · n · n` values.
pub fn fbp_into(
    sino: &[f32],
    shape: SinoShape,
    angles_deg: &[f64],
    params: &FbpParams,
    threads: usize,
    out: &mut [f32],
) -> Result<()> {
    shape.check("sinogram", sino)?;
    let n = params.size(shape.cols)?;
    ReconError::check_len("output", out.len(), &[shape.rows, n, n])?;
    let theta = angles_rad(angles_deg, shape.angles)?;
    let center = center_or_default(params.center_col, shape.cols)?;
    let filter = ProjectionFilter::new(params.filter, params.padding, shape.cols);
    let grid = Grid { n };
    let scale = (std::f64::consts::PI / (2.0 * shape.angles as f64)) as f32;
    let mut padded = PaddedProjections::new(shape.angles, shape.cols, n, center);
    for (r, slice) in out.chunks_mut(n * n).enumerate() {
        let s = &sino[r * shape.slice_len()..(r + 1) * shape.slice_len()];
        filter_projections(&filter, s, shape.cols, &mut padded, threads);
        let target = Target { grid, circle: params.circle_mask, scale };
        backproject(&padded, &theta, center, target, slice, threads);
    }
    Ok(())
}

/// Filters each of the sinogram's projections into its padded row.
pub fn filter_projections(
    filter: &ProjectionFilter,
    sino: &[f32],
    cols: usize,
    padded: &mut PaddedProjections,
    threads: usize,
) {
    let (stride, lo) = (padded.stride, padded.lo);
    // Blocks of 16 angles: enough work per block to amortise the scratch.
    for_each_block(&mut padded.data, 16 * stride, threads, |b, block| {
        let mut scratch = filter.scratch();
        for (k, row) in block.chunks_mut(stride).enumerate() {
            let a = b * 16 + k;
            filter.apply(&sino[a * cols..(a + 1) * cols], &mut row[lo..lo + cols], &mut scratch);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A disc of radius R and unit density has the sinogram `2√(R² − s²)`
    /// at every angle; FBP of it is 1 inside and 0 outside, away from the
    /// edge (the ramp filter rings for ~3 pixels either side of the jump).
    /// Tolerance 0.03: the ramp's discretisation ripple at this size.
    #[test]
    fn disc_reconstructs_to_its_density() {
        let (cols, angles, r) = (65usize, 90usize, 20.0f64);
        let mut sino = vec![0.0f32; angles * cols];
        for a in 0..angles {
            for c in 0..cols {
                let s = c as f64 - 32.0;
                sino[a * cols + c] = if s.abs() < r { (2.0 * (r * r - s * s).sqrt()) as f32 } else { 0.0 };
            }
        }
        let angles_deg = crate::geometry::half_turn_deg(angles);
        let params = FbpParams { filter: Filter::Ramp, ..FbpParams::default() };
        let img = fbp(&sino, SinoShape::slice(angles, cols), &angles_deg, &params, 2).unwrap();
        let g = Grid { n: cols };
        for i in 0..cols {
            for j in 0..cols {
                let d = (g.x(j).powi(2) + g.y(i).powi(2)).sqrt();
                let v = img[i * cols + j];
                if d < r - 3.0 {
                    assert!((v - 1.0).abs() < 0.03, "inside ({i},{j}) {v}");
                } else if d > r + 3.0 {
                    assert!(v.abs() < 0.03, "outside ({i},{j}) {v}");
                }
            }
        }
    }

    #[test]
    fn params_parse_kebab_case_and_refuse_unknown_keys() {
        let p: FbpParams = toml::from_str("filter = \"shepp-logan\"\ncenter_col = 63.5\ncircle_mask = false").unwrap();
        assert_eq!(p.filter, Filter::SheppLogan);
        assert_eq!(p.center_col, Some(63.5));
        assert!(!p.circle_mask);
        let e = toml::from_str::<FbpParams>("centre = 1.0").unwrap_err().to_string();
        assert!(e.contains("unknown field `centre`"), "{e}");
        let e = toml::from_str::<FbpParams>("filter = \"shepp\"").unwrap_err().to_string();
        assert!(e.contains("unknown variant `shepp`"), "{e}");
    }
}
