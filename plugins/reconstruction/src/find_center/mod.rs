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
//! A pipeline writes one flat table ([`FindCenterParams`]); a parameter
//! the chosen method does not take must be left out, and one left out
//! takes the method's default (`step`: 0.25 for `vo`, 0.5 for `sweep`).
//! [`FindCenterParams::method_params`] gives the typed [`MethodParams`]
//! the kernel takes.
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
use crate::fourier_filter::Filter;
use crate::geometry::SinoShape;

pub use correlation::CorrelationParams;
pub use sweep::{SweepMetric, SweepParams};
pub use vo::VoParams;

/// The centre-finding method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Vo's Fourier method (algotom's `find_center_vo`).
    #[default]
    Vo,
    /// 0°/180° cross-correlation.
    Correlation,
    /// Reconstruct-and-score sweep.
    Sweep,
}

/// Parameters of `find_center`, as a pipeline writes them: the method,
/// the row, and optionally the parameters the method takes (left out: the
/// method's default).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FindCenterParams {
    /// The method.
    pub method: Method,
    /// The sinogram of the stack to use (default the middle one).
    pub row: Option<usize>,
    /// First candidate column (`vo`: `cols/2 − cols/16`; `sweep`:
    /// `(cols − 1)/2 − cols/16`).
    pub start: Option<f64>,
    /// Last candidate column (`vo`: `cols/2 + cols/16`; `sweep`:
    /// `(cols − 1)/2 + cols/16`).
    pub stop: Option<f64>,
    /// Candidate spacing in columns (`vo`: 0.25, its fine search; `sweep`: 0.5).
    pub step: Option<f64>,
    /// Half-width of the fine search in columns (`vo`; 4).
    pub radius: Option<f64>,
    /// Object width as a fraction of the detector width (`vo`; 0.5).
    pub ratio: Option<f64>,
    /// Coarse search on a downsampled sinogram (`vo`; true).
    pub downsample: Option<bool>,
    /// Score of a candidate slice (`sweep`; `entropy`).
    pub metric: Option<SweepMetric>,
    /// FBP filter of the candidate slices (`sweep`; `shepp-logan`).
    pub filter: Option<Filter>,
}

impl FindCenterParams {
    /// The typed parameters of the chosen method, defaults filled in; an
    /// error names a parameter the method does not take.
    pub fn method_params(&self) -> Result<MethodParams> {
        let m = self.method;
        let expected = match m {
            Method::Vo => "left out with method `vo`",
            Method::Correlation => "left out with method `correlation`",
            Method::Sweep => "left out with method `sweep`",
        };
        let refuse = |given: Option<String>, param: &'static str, takes: &'static str| match given {
            Some(v) => Err(ReconError::Param { param, expected, got: format!("{v} (it is a parameter of {takes})") }),
            None => Ok(()),
        };
        let text = |v: Option<f64>| v.map(|v| v.to_string());
        let vo_only = [
            (text(self.radius), "radius"),
            (text(self.ratio), "ratio"),
            (self.downsample.map(|v| v.to_string()), "downsample"),
        ];
        let sweep_only = [
            (self.metric.map(|v| format!("{v:?}").to_lowercase()), "metric"),
            (self.filter.map(|v| format!("{v:?}").to_lowercase()), "filter"),
        ];
        Ok(match m {
            Method::Vo => {
                for (v, p) in sweep_only {
                    refuse(v, p, "sweep")?;
                }
                let d = VoParams::default();
                MethodParams::Vo(VoParams {
                    row: self.row,
                    start: self.start,
                    stop: self.stop,
                    step: self.step.unwrap_or(d.step),
                    radius: self.radius.unwrap_or(d.radius),
                    ratio: self.ratio.unwrap_or(d.ratio),
                    downsample: self.downsample.unwrap_or(d.downsample),
                })
            }
            Method::Correlation => {
                for (v, p) in [(text(self.start), "start"), (text(self.stop), "stop"), (text(self.step), "step")] {
                    refuse(v, p, "vo and sweep")?;
                }
                for (v, p) in vo_only {
                    refuse(v, p, "vo")?;
                }
                for (v, p) in sweep_only {
                    refuse(v, p, "sweep")?;
                }
                MethodParams::Correlation(CorrelationParams { row: self.row })
            }
            Method::Sweep => {
                for (v, p) in vo_only {
                    refuse(v, p, "vo")?;
                }
                let d = SweepParams::default();
                MethodParams::Sweep(SweepParams {
                    row: self.row,
                    start: self.start,
                    stop: self.stop,
                    step: self.step.unwrap_or(d.step),
                    metric: self.metric.unwrap_or(d.metric),
                    filter: self.filter.unwrap_or(d.filter),
                })
            }
        })
    }
}

/// The typed parameters of one method, as the kernel takes them.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum MethodParams {
    /// Vo's Fourier method (algotom's `find_center_vo`).
    Vo(VoParams),
    /// 0°/180° cross-correlation.
    Correlation(CorrelationParams),
    /// Reconstruct-and-score sweep.
    Sweep(SweepParams),
}

impl Default for MethodParams {
    fn default() -> Self {
        MethodParams::Vo(VoParams::default())
    }
}

impl MethodParams {
    /// The row the method reads (`None`: the middle of the stack).
    pub fn row(&self) -> Option<usize> {
        match self {
            MethodParams::Vo(p) => p.row,
            MethodParams::Correlation(p) => p.row,
            MethodParams::Sweep(p) => p.row,
        }
    }

    /// The same method reading row `row`.
    pub fn with_row(mut self, row: Option<usize>) -> MethodParams {
        match &mut self {
            MethodParams::Vo(p) => p.row = row,
            MethodParams::Correlation(p) => p.row = row,
            MethodParams::Sweep(p) => p.row = row,
        }
        self
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
    params: &MethodParams,
    threads: usize,
) -> Result<CenterEstimate> {
    shape.check("sinogram", sino)?;
    let row = params.row().unwrap_or(shape.rows / 2);
    if row >= shape.rows {
        return Err(ReconError::param("row", "a row of the sinogram stack", row));
    }
    let s = &sino[row * shape.slice_len()..(row + 1) * shape.slice_len()];
    let one = SinoShape::slice(shape.angles, shape.cols);
    match params {
        MethodParams::Vo(p) => vo::find(s, one, p, threads),
        MethodParams::Correlation(p) => correlation::find(s, one, angles_deg, p),
        MethodParams::Sweep(p) => sweep::find(s, one, angles_deg, p, threads),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_params_fill_the_method_defaults_and_refuse_foreign_ones() {
        let p = FindCenterParams { method: Method::Sweep, row: Some(3), ..Default::default() };
        assert_eq!(
            p.method_params().unwrap(),
            MethodParams::Sweep(SweepParams { row: Some(3), ..SweepParams::default() })
        );
        assert_eq!(FindCenterParams::default().method_params().unwrap(), MethodParams::default());
        let p = FindCenterParams { method: Method::Vo, metric: Some(SweepMetric::Sharpness), ..Default::default() };
        assert_eq!(
            p.method_params().unwrap_err().to_string(),
            "`metric` must be left out with method `vo`, got sharpness (it is a parameter of sweep)"
        );
        let p = FindCenterParams { method: Method::Correlation, step: Some(0.5), ..Default::default() };
        assert_eq!(
            p.method_params().unwrap_err().to_string(),
            "`step` must be left out with method `correlation`, got 0.5 (it is a parameter of vo and sweep)"
        );
    }
}
