//! The rotation centre from the projections at `θ₀` and `θ₀ + 180°`: in
//! parallel beam the second is the first mirrored about the axis,
//! `p₁₈₀(c) = p₀(2·center − c)`, so the mirrored second projection is the
//! first shifted by `δ = 2·center − (cols − 1)`. `δ` is the peak of their
//! cross-correlation (both made zero-mean), refined to sub-pixel by a
//! parabola through the peak and its neighbours; `center = (cols − 1 + δ)/2`.
//!
//! # References
//!
//! - A. V. Bronnikov, "Virtual alignment of X-ray cone-beam tomography
//!   system using two calibration aperture measurements," *Opt. Eng.*,
//!   vol. 38, no. 2, pp. 381–386, 1999. DOI: 10.1117/1.602100

use serde::Deserialize;

use super::CenterEstimate;
use crate::error::{ReconError, Result};
use crate::geometry::SinoShape;

/// Parameters of the 0°/180° correlation.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorrelationParams {
    /// The sinogram of the stack to use (default the middle one).
    pub row: Option<usize>,
}

/// Runs the method on one sinogram.
pub fn find(s: &[f32], shape: SinoShape, angles_deg: &[f64], _p: &CorrelationParams) -> Result<CenterEstimate> {
    if angles_deg.len() != shape.angles {
        return Err(ReconError::Angles { got: angles_deg.len(), expected: shape.angles });
    }
    let n = shape.cols;
    let target = angles_deg[0] + 180.0;
    let (opposite, gap) = angles_deg
        .iter()
        .enumerate()
        .map(|(i, a)| (i, (a - target).abs()))
        .fold((0, f64::INFINITY), |best, x| if x.1 < best.1 { x } else { best });
    let spacing = if shape.angles > 1 { (angles_deg[1] - angles_deg[0]).abs() } else { 0.0 };
    if gap > 0.5 * spacing.max(1e-9) {
        return Err(ReconError::param(
            "angles_deg",
            "a projection 180° from the first (for `method = \"correlation\"`)",
            format!("nearest {:.3}° from it", gap),
        ));
    }
    let centred = |row: &[f32]| {
        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
        row.iter().map(|&v| v as f64 - mean).collect::<Vec<f64>>()
    };
    let p0 = centred(&s[..n]);
    let mut q = centred(&s[opposite * n..(opposite + 1) * n]);
    q.reverse();
    // R(δ) = Σ_c p0(c + δ) q(c), δ in (−n, n).
    let corr = |d: isize| -> f64 {
        (0..n as isize)
            .filter(|&c| (0..n as isize).contains(&(c + d)))
            .map(|c| p0[(c + d) as usize] * q[c as usize])
            .sum()
    };
    let lags: Vec<isize> = (-(n as isize) + 1..n as isize).collect();
    let values: Vec<f64> = lags.iter().map(|&d| corr(d)).collect();
    let k = (0..values.len()).fold(0, |b, i| if values[i] > values[b] { i } else { b });
    let mut delta = lags[k] as f64;
    if k > 0 && k + 1 < values.len() {
        let (a, b, c) = (values[k - 1], values[k], values[k + 1]);
        let den = a - 2.0 * b + c;
        if den < 0.0 {
            delta += 0.5 * (a - c) / den;
        }
    }
    Ok(CenterEstimate { center_col: (n as f64 - 1.0 + delta) / 2.0, candidates: Vec::new(), metric: Vec::new() })
}
