//! `sart`: the simultaneous algebraic reconstruction technique, one
//! projection angle at a time.
//!
//! # Parameters ([`SartParams`])
//!
//! `iterations` (sweeps over all angles, default 1), `relaxation` (default
//! 1, Andersen & Kak's; scikit-image's 0.15 belongs to its per-ray
//! normalisation, which takes larger steps), `non_negative` (clip after each angle's update),
//! `tolerance` (stop once a sweep lowers the residual by less than this
//! fraction), `center_col`, `output_size`.
//!
//! # Input and output
//!
//! As [`crate::sirt`]; one [`SolveReport`] per slice with the residual
//! `‖b − A x‖₂` after each sweep.
//!
//! # Method
//!
//! Andersen & Kak: for each angle `θ`, `x ← x + λ · A_θᵀ[(b_θ − A_θ x) /
//! A_θ 1] / A_θᵀ 1` (zero where a weight vanishes), with the Joseph pair
//! of [`crate::projector`]. Angles are visited in scikit-image's
//! golden-ratio order (`order_angles_golden_ratio`: the unused angle next
//! to an ideal angle that advances by `180°/φ²`), which decorrelates
//! successive updates. scikit-image's `iradon_sart` uses its
//! own bilinear ray projector and normalises each ray's correction by the
//! squared norm of its weights (an ART-style step) rather than by the
//! ray and pixel sums, so the two agree in PSNR, not pixel by pixel.
//!
//! # References
//!
//! - A. H. Andersen and A. C. Kak, "Simultaneous algebraic reconstruction
//!   technique (SART): a superior implementation of the ART algorithm,"
//!   *Ultrason. Imaging*, vol. 6, no. 1, pp. 81–94, 1984.
//!   DOI: 10.1177/016173468400600107

use serde::Deserialize;

use crate::error::{ReconError, Result};
use crate::geometry::SinoShape;
use crate::projector::PaddedImage;
use crate::sirt::output_size;
use crate::solver::{check_tolerance, norm, SolveReport, System};

/// Parameters of `sart`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SartParams {
    /// Sweeps over every angle.
    pub iterations: usize,
    /// Step length `λ`.
    pub relaxation: f64,
    /// Clip negative values after every update.
    pub non_negative: bool,
    /// Stop once a sweep lowers the residual by less than this fraction.
    pub tolerance: Option<f64>,
    /// Rotation axis as a detector column; default `(cols − 1)/2`.
    pub center_col: Option<f64>,
    /// Slice side (default: detector columns).
    pub output_size: Option<usize>,
}

impl Default for SartParams {
    fn default() -> Self {
        SartParams {
            iterations: 1,
            relaxation: 1.0,
            non_negative: false,
            tolerance: None,
            center_col: None,
            output_size: None,
        }
    }
}

/// Python's `a % b` for floats (the result takes the sign of `b`).
fn py_mod(a: f64, b: f64) -> f64 {
    a - b * (a / b).floor()
}

/// scikit-image's `order_angles_golden_ratio`, step for step (the ideal
/// angle advances by `180°/φ²` each time; the remaining angle just below
/// or above it is taken, with its distance measured as
/// `min(d % 180, d % −180)` as there).
pub fn golden_ratio_order(angles_deg: &[f64]) -> Vec<usize> {
    if angles_deg.is_empty() {
        return Vec::new();
    }
    let interval = 180.0;
    let golden = (1.0 + 5f64.sqrt()) / 2.0;
    let step = interval / (golden * golden);
    let mut remaining: Vec<usize> = (0..angles_deg.len()).collect();
    remaining.sort_by(|&a, &b| angles_deg[a].total_cmp(&angles_deg[b]));
    let mut angle = angles_deg[remaining[0]];
    let mut order = vec![remaining.remove(0)];
    let distance = |d: f64| py_mod(d, interval).min(py_mod(d, -interval));
    while !remaining.is_empty() {
        angle = py_mod(angle + step, interval);
        let len = remaining.len();
        let above = remaining.partition_point(|&i| angles_deg[i] < angle);
        let below = (above + len - 1) % len;
        let above = above % len;
        let d_below = distance((angle - angles_deg[remaining[below]]).abs());
        let d_above = distance((angle - angles_deg[remaining[above]]).abs());
        order.push(remaining.remove(if d_below < d_above { below } else { above }));
    }
    order
}

/// Reconstructs every sinogram of `sino`; returns the `(rows, n, n)`
/// slices and one report per slice.
pub fn sart(
    sino: &[f32],
    shape: SinoShape,
    angles_deg: &[f64],
    params: &SartParams,
    threads: usize,
) -> Result<(Vec<f32>, Vec<SolveReport>)> {
    shape.check("sinogram", sino)?;
    check_tolerance(params.tolerance)?;
    if !(params.relaxation > 0.0 && params.relaxation < 2.0) {
        return Err(ReconError::param("relaxation", "in (0, 2)", params.relaxation));
    }
    let n = output_size(params.output_size, shape.cols)?;
    let mut sys = System::new(shape, angles_deg, params.center_col, n, threads)?;
    let (m, cols) = (shape.slice_len(), shape.cols);
    let order = golden_ratio_order(angles_deg);
    // Ray sums A_θ 1 for every angle, once.
    let mut ray = vec![0.0; m];
    sys.forward(&vec![1.0; n * n], &mut ray);
    let lambda = params.relaxation as f32;
    let mut out = vec![0.0; shape.rows * n * n];
    let mut reports = Vec::with_capacity(shape.rows);
    let mut padded = PaddedImage::new(n);
    let (mut row, mut back, mut weight) = (vec![0.0; cols], vec![0.0; n * n], vec![0.0; n * n]);
    let mut full = vec![0.0; m];
    for (k, x) in out.chunks_mut(n * n).enumerate() {
        let b = &sino[k * m..(k + 1) * m];
        let mut report = SolveReport { residuals: Vec::new(), data_norm: norm(b), converged: false };
        for _ in 0..params.iterations {
            for &a in &order {
                padded.load(x, n);
                row.fill(0.0);
                sys.projector.forward_angle(a, &padded, &mut row);
                let r = &ray[a * cols..(a + 1) * cols];
                for ((v, bi), w) in row.iter_mut().zip(&b[a * cols..(a + 1) * cols]).zip(r) {
                    *v = if *w > 1e-6 { (bi - *v) / w } else { 0.0 };
                }
                sys.sinogram.row_mut(a).copy_from_slice(&row);
                sys.projector.adjoint_angles(&sys.sinogram, a..a + 1, &mut back, threads);
                sys.sinogram.row_mut(a).fill(1.0);
                sys.projector.adjoint_angles(&sys.sinogram, a..a + 1, &mut weight, threads);
                sys.sinogram.row_mut(a).fill(0.0);
                for ((v, g), w) in x.iter_mut().zip(&back).zip(&weight) {
                    if *w > 1e-6 {
                        *v += lambda * g / w;
                    }
                    if params.non_negative && *v < 0.0 {
                        *v = 0.0;
                    }
                }
            }
            sys.forward(x, &mut full);
            full.iter_mut().zip(b).for_each(|(v, bi)| *v = bi - *v);
            if report.push(norm(&full), params.tolerance) {
                break;
            }
        }
        reports.push(report);
    }
    Ok((out, reports))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scikit-image's `order_angles_golden_ratio(np.arange(0, 180, 20))`
    /// is `[0, 3, 7, 1, 5, 8, 2, 6, 4]`.
    #[test]
    fn golden_ratio_order_is_skimages() {
        let angles: Vec<f64> = (0..9).map(|k| 20.0 * k as f64).collect();
        assert_eq!(golden_ratio_order(&angles), vec![0, 3, 7, 1, 5, 8, 2, 6, 4]);
    }
}
