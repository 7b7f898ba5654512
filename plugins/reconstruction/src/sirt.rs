//! `sirt`: the simultaneous iterative reconstruction technique.
//!
//! # Parameters ([`SirtParams`])
//!
//! `iterations` (default 100), `non_negative` (clip at 0 after every
//! update, ASTRA's `MinConstraint = 0`), `tolerance` (stop once an
//! iteration lowers the residual by less than this fraction; default
//! off), `relaxation` (default 1), `center_col`, `output_size`.
//!
//! # Input and output
//!
//! Sinograms `(rows, angles, cols)`, angles in degrees, line integrals in
//! pixels; slices `(rows, n, n)` in attenuation per pixel (the scale of
//! [`crate::fbp`]); one [`SolveReport`] per slice (residual after each
//! iteration). Slices are independent: any chunking gives the same volume.
//!
//! # Method
//!
//! `x ← x + λ C Aᵀ R (b − A x)` from `x = 0`, with `R = 1/(A 1)` (inverse
//! ray sums) and `C = 1/(Aᵀ 1)` (inverse pixel sums), zero where a sum
//! vanishes — ASTRA's CPU `SIRT` with the `linear` (Joseph) projector
//! ([`crate::projector`]), which it matches pixel by pixel. SIRT descends
//! `½‖b − A x‖²_R`; the plain residual it reports falls monotonically in
//! practice (tested on the phantom), not by theorem.
//!
//! # References
//!
//! - P. Gilbert, "Iterative methods for the three-dimensional
//!   reconstruction of an object from projections," *J. Theor. Biol.*,
//!   vol. 36, no. 1, pp. 105–117, 1972. DOI: 10.1016/0022-5193(72)90180-4
//! - J. Gregor and T. Benson, "Computational analysis and improvement of
//!   SIRT," *IEEE Trans. Med. Imaging*, vol. 27, no. 7, pp. 918–924, 2008.
//!   DOI: 10.1109/TMI.2008.923696
//! - W. van Aarle et al., "Fast and flexible X-ray tomography using the
//!   ASTRA toolbox," *Opt. Express*, vol. 24, no. 22, pp. 25129–25147,
//!   2016. DOI: 10.1364/OE.24.025129

use serde::Deserialize;

use crate::error::{ReconError, Result};
use crate::geometry::SinoShape;
use crate::solver::{check_tolerance, inverse_weights, norm, SolveReport, System};

/// Parameters of `sirt`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SirtParams {
    /// Iterations (at most, with `tolerance`).
    pub iterations: usize,
    /// Clip negative values after every update.
    pub non_negative: bool,
    /// Stop once an iteration lowers the residual by less than this
    /// fraction of the previous one.
    pub tolerance: Option<f64>,
    /// Step length `λ` (stable for `0 < λ < 2`).
    pub relaxation: f64,
    /// Rotation axis as a detector column; default `(cols − 1)/2`.
    pub center_col: Option<f64>,
    /// Slice side (default: detector columns).
    pub output_size: Option<usize>,
}

impl Default for SirtParams {
    fn default() -> Self {
        SirtParams {
            iterations: 100,
            non_negative: false,
            tolerance: None,
            relaxation: 1.0,
            center_col: None,
            output_size: None,
        }
    }
}

/// Reconstructs every sinogram of `sino`; returns the `(rows, n, n)`
/// slices and one report per slice.
pub fn sirt(
    sino: &[f32],
    shape: SinoShape,
    angles_deg: &[f64],
    params: &SirtParams,
    threads: usize,
) -> Result<(Vec<f32>, Vec<SolveReport>)> {
    shape.check("sinogram", sino)?;
    check_tolerance(params.tolerance)?;
    if !(params.relaxation > 0.0 && params.relaxation < 2.0) {
        return Err(ReconError::param("relaxation", "in (0, 2)", params.relaxation));
    }
    let n = output_size(params.output_size, shape.cols)?;
    let mut sys = System::new(shape, angles_deg, params.center_col, n, threads)?;
    let m = shape.slice_len();
    // R and C depend only on the geometry: once per stack.
    let mut ray = vec![0.0; m];
    sys.forward(&vec![1.0; n * n], &mut ray);
    inverse_weights(&mut ray);
    let mut pixel = vec![0.0; n * n];
    sys.adjoint(&vec![1.0; m], &mut pixel);
    inverse_weights(&mut pixel);
    let lambda = params.relaxation as f32;
    let mut out = vec![0.0; shape.rows * n * n];
    let mut reports = Vec::with_capacity(shape.rows);
    let (mut ax, mut back) = (vec![0.0; m], vec![0.0; n * n]);
    for (r, x) in out.chunks_mut(n * n).enumerate() {
        let b = &sino[r * m..(r + 1) * m];
        let mut report = SolveReport { residuals: Vec::new(), data_norm: norm(b), converged: false };
        // ax holds b − A x for the current x (x = 0: b).
        ax.copy_from_slice(b);
        for _ in 0..params.iterations {
            for (e, w) in ax.iter_mut().zip(&ray) {
                *e *= w;
            }
            sys.adjoint(&ax, &mut back);
            for ((v, g), c) in x.iter_mut().zip(&back).zip(&pixel) {
                *v += lambda * c * g;
                if params.non_negative && *v < 0.0 {
                    *v = 0.0;
                }
            }
            sys.forward(x, &mut ax);
            for (e, bi) in ax.iter_mut().zip(b) {
                *e = bi - *e;
            }
            if report.push(norm(&ax), params.tolerance) {
                break;
            }
        }
        reports.push(report);
    }
    Ok((out, reports))
}

/// The slice side: `output_size` or the detector width.
pub fn output_size(output_size: Option<usize>, cols: usize) -> Result<usize> {
    match output_size {
        None => Ok(cols),
        Some(0) => Err(ReconError::param("output_size", "at least 1", 0)),
        Some(n) => Ok(n),
    }
}
