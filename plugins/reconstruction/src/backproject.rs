//! Pixel-driven back-projection of filtered projections onto the slice
//! grid, with linear interpolation along the detector: the second half of
//! FBP, and the step the `find_center` sweep repeats per candidate.
//!
//! # Method
//!
//! For slice pixel `(x, y)` (see [`crate::geometry`]) and angle `θ` the
//! detector position is `u = x cos θ + y sin θ + center_col`; the pixel
//! receives `Σ_θ lerp(q_θ, u) · scale`, reading zero off the detector
//! (scikit-image's `iradon` with `interpolation='linear'`). Work is cut
//! into blocks of [`ROWS`] slice rows that stay in L1 while every angle is
//! added in order, so the sum for each pixel runs over angles in the same
//! order whatever the thread count: results are bit-identical for any
//! `threads`.

use crate::geometry::Grid;
use crate::interp::{self, SLACK};
use crate::parallel::for_each_block;

/// Slice rows per work block (8 rows of 512 f32 = 16 KiB).
pub const ROWS: usize = 8;

/// Filtered projections laid out for back-projection: each angle's row is
/// zero-padded so that any slice pixel's position lands inside it.
pub struct PaddedProjections {
    /// `angles × stride` values; detector column `c` of angle `a` is at
    /// `a·stride + lo + c`.
    pub data: Vec<f32>,
    /// Row length.
    pub stride: usize,
    /// Offset of column 0.
    pub lo: usize,
    /// Detector columns.
    pub cols: usize,
}

impl PaddedProjections {
    /// Zeroed storage for `angles` projections of `cols` columns that a grid
    /// of `n` pixels around `center_col` can be back-projected from.
    pub fn new(angles: usize, cols: usize, n: usize, center_col: f64) -> PaddedProjections {
        // The farthest pixel, a corner, is √2·(n−1)/2 from the axis.
        let reach = std::f64::consts::SQRT_2 * (n as f64 - 1.0).max(0.0) / 2.0 + 2.0;
        let lo = (reach - center_col).max(0.0).ceil() as usize + 2;
        let hi = (center_col + reach - (cols as f64 - 1.0)).max(0.0).ceil() as usize;
        let stride = lo + cols + hi + SLACK;
        PaddedProjections { data: vec![0.0; angles * stride], stride, lo, cols }
    }

    /// The `cols` values of angle `a`.
    pub fn row_mut(&mut self, a: usize) -> &mut [f32] {
        let start = a * self.stride + self.lo;
        &mut self.data[start..start + self.cols]
    }

    /// Every padded row, in angle order.
    pub fn rows_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        let (lo, cols) = (self.lo, self.cols);
        self.data.chunks_mut(self.stride).map(move |r| &mut r[lo..lo + cols])
    }
}

/// The slice a back-projection fills.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The slice grid.
    pub grid: Grid,
    /// Zero the pixels outside the reconstruction circle (and skip them).
    pub circle: bool,
    /// Factor on the sum over angles.
    pub scale: f32,
}

/// Back-projects `proj` onto the `grid.n × grid.n` slice `out`
/// (overwritten): `out = scale · Σ_θ lerp(q_θ, u)`; pixels outside the
/// reconstruction circle are 0 when `target.circle` is set.
///
/// `angles_rad` has one angle per padded row; `threads = 0` uses every core.
pub fn backproject(
    proj: &PaddedProjections,
    angles_rad: &[f64],
    center_col: f64,
    target: Target,
    out: &mut [f32],
    threads: usize,
) {
    let Target { grid, circle, scale } = target;
    let n = grid.n;
    assert_eq!(out.len(), n * n, "output buffer matches the grid");
    let isa = interp::isa();
    let trig: Vec<(f64, f64)> = angles_rad.iter().map(|a| a.sin_cos()).collect();
    let origin = center_col + proj.lo as f64;
    for_each_block(out, ROWS * n, threads, |b, block| {
        block.fill(0.0);
        let rows = block.len() / n;
        let spans: Vec<(usize, usize)> =
            (0..rows).map(|r| if circle { grid.circle_span(b * ROWS + r) } else { (0, n) }).collect();
        for (a, &(sin, cos)) in trig.iter().enumerate() {
            let src = &proj.data[a * proj.stride..(a + 1) * proj.stride];
            for (r, &(j0, j1)) in spans.iter().enumerate() {
                if j0 == j1 {
                    continue;
                }
                let y = grid.y(b * ROWS + r);
                let base = grid.x(j0) * cos + y * sin + origin;
                let acc = &mut block[r * n + j0..r * n + j1];
                interp::lerp_row(isa, acc, src, base as f32, cos as f32, 1.0);
            }
        }
        block.iter_mut().for_each(|v| *v *= scale);
    });
}
