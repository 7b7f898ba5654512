//! Sorting-based stripe removal (Vo, Atwood & Drakopoulos 2018,
//! algorithm 3; algotom's `remove_stripe_based_sorting`): sort each column
//! along the angle axis, so that a column's slowly varying intensity
//! profile becomes monotonic and a stripe becomes a step across columns;
//! median-filter the sorted image across columns (`dim = 1`: a `1 × size`
//! window; `dim = 2`: `size × size`; boundary `reflect`); undo the sort.

use serde::Deserialize;

use super::{check_dim, sort_backward, sort_forward, sort_order};
use crate::error::Result;
use crate::median::{check_size, median_filter_2d};

/// Parameters of the sorting-based method.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SortingParams {
    /// Median window size (odd; the published default 21).
    pub size: usize,
    /// Window dimension: 1 (across columns) or 2 (square).
    pub dim: u8,
}

impl Default for SortingParams {
    fn default() -> Self {
        SortingParams { size: 21, dim: 1 }
    }
}

impl SortingParams {
    /// Checks the parameters.
    pub fn check(&self) -> Result<()> {
        check_size("size", self.size)?;
        check_dim(self.dim)
    }
}

/// Sort, median across columns, unsort: one `(angles, cols)` sinogram.
pub fn sort_median_unsort(s: &[f32], angles: usize, cols: usize, size: usize, dim: u8, out: &mut [f32]) {
    let order = sort_order(s, angles, cols);
    let mut sorted = vec![0.0; s.len()];
    sort_forward(s, &order, cols, &mut sorted);
    let mut filtered = vec![0.0; s.len()];
    let ky = if dim == 2 { size } else { 1 };
    median_filter_2d(&sorted, angles, cols, ky, size, &mut filtered);
    sort_backward(&filtered, &order, cols, out);
}

/// Applies the method to one sinogram.
pub fn apply(s: &[f32], angles: usize, cols: usize, p: &SortingParams, out: &mut [f32]) {
    sort_median_unsort(s, angles, cols, p.size, p.dim, out);
}
