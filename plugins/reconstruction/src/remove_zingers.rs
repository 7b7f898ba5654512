//! `remove_zingers`: isolated bright outliers (direct hits of scattered
//! X-rays or cosmic rays on the detector) replaced by the local median.
//!
//! # Parameters ([`RemoveZingersParams`])
//!
//! - `threshold` (data units, default 0.1: suits transmission; use counts
//!   for raw data): a pixel is a zinger when it exceeds the median of its
//!   window by more than this.
//! - `size` (odd, default 3): the window side.
//! - `axis` (`plane` | `angle`, default `plane`): `plane` takes a
//!   `size × size` window in each projection (input projections
//!   `(angle, row, col)`, TomoPy's `remove_outlier`); `angle` takes `size`
//!   neighbours along the angle axis of each sinogram (input sinograms
//!   `(row, angle, col)`), which spares small sharp features of the object
//!   that repeat from angle to angle only slowly.
//!
//! Each projection (`plane`) or sinogram (`angle`) is filtered alone, so
//! chunks along the first axis give the same result.
//!
//! # Method
//!
//! `out = med if v − med > threshold else v`, `med` from
//! `scipy.ndimage.median_filter` with `mode='reflect'`.
//!
//! # References
//!
//! - D. Gürsoy, F. De Carlo, X. Xiao and C. Jacobsen, "TomoPy: a framework
//!   for the analysis of synchrotron tomographic data," *J. Synchrotron
//!   Rad.*, vol. 21, pp. 1188–1193, 2014. DOI: 10.1107/S1600577514013939
//!   (`tomopy.misc.corr.remove_outlier`).
//! - N. T. Vo et al., "Data processing methods and data acquisition for
//!   samples larger than the field of view in parallel-beam tomography,"
//!   *Opt. Express*, vol. 29, no. 12, pp. 17849–17874, 2021.
//!   DOI: 10.1364/OE.418448 (algotom's `remove_zinger`).

use serde::Deserialize;

use crate::error::{ReconError, Result};
use crate::median::{check_size, median_filter_2d};
use crate::parallel::for_each_block;

/// Where the median window lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZingerAxis {
    /// `size × size` in each projection `(row, col)`.
    #[default]
    Plane,
    /// `size` along the angle axis of each sinogram `(angle, col)`.
    Angle,
}

/// Parameters of `remove_zingers`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoveZingersParams {
    /// Excess over the median that marks a zinger.
    pub threshold: f32,
    /// Window side (odd).
    pub size: usize,
    /// Window orientation.
    pub axis: ZingerAxis,
}

impl Default for RemoveZingersParams {
    fn default() -> Self {
        RemoveZingersParams { threshold: 0.1, size: 3, axis: ZingerAxis::Plane }
    }
}

/// Removes zingers from a stack of `planes` planes of `h × w` (projections
/// `(angle, row, col)` for `plane`, sinograms `(row, angle, col)` for
/// `angle`).
pub fn remove_zingers(
    data: &[f32],
    shape: [usize; 3],
    params: &RemoveZingersParams,
    threads: usize,
) -> Result<Vec<f32>> {
    check_size("size", params.size)?;
    if !(params.threshold.is_finite() && params.threshold >= 0.0) {
        return Err(ReconError::param("threshold", "a finite number ≥ 0", params.threshold));
    }
    ReconError::check_len("data", data.len(), &shape)?;
    let [_, h, w] = shape;
    let (ky, kx) = match params.axis {
        ZingerAxis::Plane => (params.size, params.size),
        ZingerAxis::Angle => (params.size, 1),
    };
    let mut out = vec![0.0; data.len()];
    let plane = h * w;
    if plane == 0 {
        return Ok(out);
    }
    let t = params.threshold;
    for_each_block(&mut out, plane, threads, |k, o| {
        let src = &data[k * plane..(k + 1) * plane];
        median_filter_2d(src, h, w, ky, kx, o);
        for (m, v) in o.iter_mut().zip(src) {
            // Keep the input unless it exceeds the median by more than the
            // threshold (a NaN difference keeps the input too).
            if (v - *m).partial_cmp(&t) != Some(std::cmp::Ordering::Greater) {
                *m = *v;
            }
        }
    });
    Ok(out)
}
