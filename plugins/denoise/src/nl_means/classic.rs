//! The classic mode: for each voxel and each candidate in its search window,
//! the Gaussian-weighted distance between the two patches (Buades et al.
//! 2005), with scikit-image's early exit once a partial distance passes the
//! cut-off.

use super::{fast_exp, padded, NlMeansParams, DISTANCE_CUTOFF};
use crate::axes::{Dims, Shape};
use crate::parallel;

pub(super) fn denoise(input: &[f32], shape: Shape, params: &NlMeansParams, threads: usize, output: &mut [f32]) {
    let s = params.patch();
    let o = s / 2;
    let d = params.patch_distance;
    let three_d = params.dims == Dims::Volume;
    let pad = if three_d { [o; 3] } else { [0, o, o] };
    let size = if three_d { [s; 3] } else { [1, s, s] };
    let (p, ps) = padded(input, shape, pad);
    let weights = patch_weights(size, params.h);
    let var2 = (2.0 * params.sigma * params.sigma) as f32;
    let [nz, ny, nx] = shape;
    let reach = |c: usize, n: usize, on: bool| if on { (c - c.min(d), c + (d + 1).min(n - c)) } else { (c, c + 1) };
    parallel::bands(output, nx, threads, |row0, band| {
        for (dr, out) in band.chunks_mut(nx).enumerate() {
            let (z, y) = ((row0 + dr) / ny, (row0 + dr) % ny);
            let (z0, z1) = reach(z, nz, three_d);
            let (y0, y1) = reach(y, ny, true);
            for (x, o) in out.iter_mut().enumerate() {
                let (x0, x1) = reach(x, nx, true);
                let centre = (z * ps[1] + y) * ps[2] + x;
                let (mut sum, mut wsum) = (0.0f32, 0.0f32);
                for i in z0..z1 {
                    for j in y0..y1 {
                        for k in x0..x1 {
                            let other = (i * ps[1] + j) * ps[2] + k;
                            let w = distance_weight(&p, ps, size, &weights, centre, other, var2);
                            wsum += w;
                            sum += w * p[other + (pad[0] * ps[1] + pad[1]) * ps[2] + pad[2]];
                        }
                    }
                }
                *o = sum / wsum;
            }
        }
    });
}

/// `exp(−|y|² / 2A²)`, `A = (s − 1) / 4`, over the patch, scaled to sum
/// `1 / h²`.
fn patch_weights(size: Shape, h: f64) -> Vec<f32> {
    let half = size.map(|s| (s / 2) as f64);
    let a = (size[2] as f64 - 1.0) / 4.0;
    let mut w = Vec::with_capacity(size.iter().product());
    for z in 0..size[0] {
        for y in 0..size[1] {
            for x in 0..size[2] {
                let r2 = (z as f64 - half[0]).powi(2) + (y as f64 - half[1]).powi(2) + (x as f64 - half[2]).powi(2);
                w.push((-r2 / (2.0 * a * a)).exp());
            }
        }
    }
    let scale = 1.0 / (w.iter().sum::<f64>() * h * h);
    w.iter().map(|v| (v * scale) as f32).collect()
}

/// The weight of the pair of patches whose first voxels are at padded
/// indices `a` and `b`: `exp(−max(D, 0))`, 0 once a partial `D` exceeds the
/// cut-off at the start of a patch slice (rows in 2-D, planes in 3-D).
fn distance_weight(p: &[f32], ps: Shape, size: Shape, w: &[f32], a: usize, b: usize, var2: f32) -> f32 {
    let mut dist = 0.0f32;
    let mut k = 0;
    let outer = if size[0] > 1 { 0 } else { 1 };
    for z in 0..size[0] {
        for y in 0..size[1] {
            if (outer == 0 && y == 0 || outer == 1) && dist > DISTANCE_CUTOFF {
                return 0.0;
            }
            let off = (z * ps[1] + y) * ps[2];
            let (ra, rb) = (&p[a + off..][..size[2]], &p[b + off..][..size[2]]);
            for ((&va, &vb), &wk) in ra.iter().zip(rb).zip(&w[k..k + size[2]]) {
                let t = va - vb;
                dist += wk * (t * t - var2);
            }
            k += size[2];
        }
    }
    fast_exp(-(dist.max(0.0) as f64)) as f32
}
