//! `find_center`: the rotation axis as a detector column, sub-pixel, from
//! one sinogram; published as the result `center_col` for a later
//! `fbp`/`gridrec`/`sirt` stage (`center_col = "${center.center_col}"`).
//!
//! # Parameters ([`FindCenterParams`], chosen by `method`)
//!
//! - `method = "vo"` ([`vo`]): Vo, Atwood & Drakopoulos 2014, Fourier
//!   analysis of the sinogram and its mirror, exactly as algotom's
//!   `find_center_vo` (coarse integer search, fine search on a `step` grid).
//! - `method = "correlation"` ([`correlation`]): the projection at 0° and
//!   the mirrored one at 180° are cross-correlated; sub-pixel by a parabola
//!   through the peak. Needs a projection 180° from the first.
//! - `method = "sweep"` ([`sweep`]): reconstruct the slice for each
//!   candidate and score it (`entropy`, minimised, Donath et al. 2006; or
//!   `sharpness`, the mean squared gradient, maximised); sub-pixel by a
//!   parabola through the best three. The per-candidate scores are part of
//!   the result (the centre-sweep plot).
//!
//! Every method also takes `row`: the sinogram of the stack to use
//! (default the middle one).
//!
//! # Input and output
//!
//! Sinograms `(rows, angles, cols)`, angles in degrees; a
//! [`CenterEstimate`]: `center_col` in the convention of
//! `docs/CONVENTIONS.md` (column index, pixel centres at integers; the
//! detector middle is `(cols − 1)/2`), and the candidates with their
//! metric where the method has them.

pub mod correlation;
pub mod sweep;
pub mod vo;

use serde::{Deserialize, Serialize};

use crate::error::{ReconError, Result};
use crate::geometry::SinoShape;

pub use correlation::CorrelationParams;
pub use sweep::SweepParams;
pub use vo::VoParams;

/// Parameters of `find_center`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum FindCenterParams {
    /// Vo's Fourier method (algotom's `find_center_vo`).
    Vo(VoParams),
    /// 0°/180° cross-correlation.
    Correlation(CorrelationParams),
    /// Reconstruct-and-score sweep.
    Sweep(SweepParams),
}

impl Default for FindCenterParams {
    fn default() -> Self {
        FindCenterParams::Vo(VoParams::default())
    }
}

/// What `find_center` publishes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CenterEstimate {
    /// The rotation axis as a detector column.
    pub center_col: f64,
    /// The candidates the method scored (empty for `correlation`).
    pub candidates: Vec<f64>,
    /// Their metric (lower is better for `vo` and `entropy`, higher for
    /// `sharpness`).
    pub metric: Vec<f64>,
}

/// Finds the rotation centre from sinogram `row` of `sino`.
pub fn find_center(
    sino: &[f32],
    shape: SinoShape,
    angles_deg: &[f64],
    params: &FindCenterParams,
    threads: usize,
) -> Result<CenterEstimate> {
    shape.check("sinogram", sino)?;
    let row = match params {
        FindCenterParams::Vo(p) => p.row,
        FindCenterParams::Correlation(p) => p.row,
        FindCenterParams::Sweep(p) => p.row,
    }
    .unwrap_or(shape.rows / 2);
    if row >= shape.rows {
        return Err(ReconError::param("row", "a row of the sinogram stack", row));
    }
    let s = &sino[row * shape.slice_len()..(row + 1) * shape.slice_len()];
    let one = SinoShape::slice(shape.angles, shape.cols);
    match params {
        FindCenterParams::Vo(p) => vo::find(s, one, p, threads),
        FindCenterParams::Correlation(p) => correlation::find(s, one, angles_deg, p),
        FindCenterParams::Sweep(p) => sweep::find(s, one, angles_deg, p, threads),
    }
}
