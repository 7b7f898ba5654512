//! `cgls`: conjugate gradients on the normal equations, `min ‖b − A x‖₂`.
//!
//! # Parameters ([`CglsParams`])
//!
//! `iterations` (default 100), `non_negative` (clip at 0 **once, after the
//! last iteration**: a clip inside the loop would break the conjugacy CGLS
//! relies on, which is why ASTRA's CGLS has no constraint), `tolerance`
//! (stop once an iteration lowers the residual by less than this
//! fraction), `center_col`, `output_size`.
//!
//! # Input and output
//!
//! As [`crate::sirt`]: sinograms `(rows, angles, cols)` in, slices
//! `(rows, n, n)` in attenuation per pixel and one [`SolveReport`] per
//! slice out. The residual `‖b − A x_k‖₂` comes free with the recursion
//! and falls monotonically (CGLS minimises it over a growing Krylov
//! space).
//!
//! # Method
//!
//! Hestenes–Stiefel CG applied to `Aᵀ A x = Aᵀ b` in the factored form
//! (Björck's CGLS), from `x = 0`: `r = b`, `p = s = Aᵀ r`, `γ = ‖s‖²`;
//! per iteration `q = A p`, `α = γ/‖q‖²`, `x += α p`, `r −= α q`,
//! `s = Aᵀ r`, `β = ‖s‖²/γ`, `p = s + β p`. One `A` and one `Aᵀ` per
//! iteration, with the Joseph pair of [`crate::projector`] (ASTRA's CPU
//! `CGLS` with the `linear` projector).
//!
//! # References
//!
//! - M. R. Hestenes and E. Stiefel, "Methods of conjugate gradients for
//!   solving linear systems," *J. Res. Natl. Bur. Stand.*, vol. 49, no. 6,
//!   pp. 409–436, 1952. DOI: 10.6028/jres.049.044
//! - Å. Björck, *Numerical Methods for Least Squares Problems*, SIAM, 1996,
//!   §7.4. DOI: 10.1137/1.9781611971484

use serde::Deserialize;

use crate::error::Result;
use crate::geometry::SinoShape;
use crate::sirt::output_size;
use crate::solver::{check_tolerance, norm, SolveReport, System};

/// Parameters of `cgls`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CglsParams {
    /// Iterations (at most, with `tolerance`).
    pub iterations: usize,
    /// Clip negative values of the final slice.
    pub non_negative: bool,
    /// Stop once an iteration lowers the residual by less than this
    /// fraction of the previous one.
    pub tolerance: Option<f64>,
    /// Rotation axis as a detector column; default `(cols − 1)/2`.
    pub center_col: Option<f64>,
    /// Slice side (default: detector columns).
    pub output_size: Option<usize>,
}

impl Default for CglsParams {
    fn default() -> Self {
        CglsParams { iterations: 100, non_negative: false, tolerance: None, center_col: None, output_size: None }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
}

/// Reconstructs every sinogram of `sino`; returns the `(rows, n, n)`
/// slices and one report per slice.
pub fn cgls(
    sino: &[f32],
    shape: SinoShape,
    angles_deg: &[f64],
    params: &CglsParams,
    threads: usize,
) -> Result<(Vec<f32>, Vec<SolveReport>)> {
    shape.check("sinogram", sino)?;
    check_tolerance(params.tolerance)?;
    let n = output_size(params.output_size, shape.cols)?;
    let mut sys = System::new(shape, angles_deg, params.center_col, n, threads)?;
    let m = shape.slice_len();
    let mut out = vec![0.0; shape.rows * n * n];
    let mut reports = Vec::with_capacity(shape.rows);
    let (mut r, mut q) = (vec![0.0; m], vec![0.0; m]);
    let (mut p, mut s) = (vec![0.0; n * n], vec![0.0; n * n]);
    for (k, x) in out.chunks_mut(n * n).enumerate() {
        let b = &sino[k * m..(k + 1) * m];
        let mut report = SolveReport { residuals: Vec::new(), data_norm: norm(b), converged: false };
        r.copy_from_slice(b);
        sys.adjoint(&r, &mut p);
        let mut gamma = dot(&p, &p);
        for _ in 0..params.iterations {
            if gamma == 0.0 {
                // b is in A's null space complement's complement: x = 0 is exact.
                report.push(norm(&r), Some(0.0));
                break;
            }
            sys.forward(&p, &mut q);
            let qq = dot(&q, &q);
            if qq == 0.0 {
                report.push(norm(&r), Some(0.0));
                break;
            }
            let alpha = (gamma / qq) as f32;
            x.iter_mut().zip(&p).for_each(|(v, d)| *v += alpha * d);
            r.iter_mut().zip(&q).for_each(|(v, d)| *v -= alpha * d);
            sys.adjoint(&r, &mut s);
            let gamma_new = dot(&s, &s);
            let beta = (gamma_new / gamma) as f32;
            p.iter_mut().zip(&s).for_each(|(v, d)| *v = d + beta * *v);
            gamma = gamma_new;
            if report.push(norm(&r), params.tolerance) {
                break;
            }
        }
        if params.non_negative {
            x.iter_mut().for_each(|v| *v = v.max(0.0));
        }
        reports.push(report);
    }
    Ok((out, reports))
}
