//! The fast mode: for each shift `t`, the box-summed squared difference
//! between the image and itself shifted by `t` gives the patch distance of
//! every voxel to its `t`-neighbour at once (Darbon et al. 2008).
//!
//! Work is split into bands of output (z planes in 3-D, rows in 2-D); each
//! band runs every shift over its own voxels, so threads share nothing. Each
//! shift `t` serves both `p ← p + t` and `p + t ← p` (the distance is
//! symmetric), so only half the shifts are computed, over the band grown by
//! `|t|` toward the side its partners come from. Box sums are direct sums of
//! `s − 1` neighbours per axis, vectorised along x, so nothing accumulates
//! rounding across the image as an integral image would in f32.

use super::{fast_exp, padded, NlMeansParams, DISTANCE_CUTOFF};
use crate::axes::{Dims, Shape};

/// Per-axis geometry of the search.
struct Geometry {
    shape: Shape,
    /// Padded shape and padding per axis.
    ps: Shape,
    pad: [usize; 3],
    /// Largest shift per axis (0 on z for 2-D).
    reach: [isize; 3],
    /// The box of voxel `p` spans `p + lo .. p + lo + len` per axis.
    lo: [isize; 3],
    len: [usize; 3],
    /// `h² · sᵈ`.
    norm: f32,
    /// `2σ²`.
    var2: f32,
}

pub(super) fn denoise(input: &[f32], shape: Shape, params: &NlMeansParams, threads: usize, output: &mut [f32]) {
    let s = params.patch();
    let o = s / 2;
    let d = params.patch_distance;
    let three_d = params.dims == Dims::Volume;
    let full = o + d + 1;
    let pad = if three_d { [full; 3] } else { [0, full, full] };
    let (p, ps) = padded(input, shape, pad);
    let (lo, len) = (1 - o as isize, 2 * o);
    let g = Geometry {
        shape,
        ps,
        pad,
        reach: if three_d { [d as isize; 3] } else { [0, d as isize, d as isize] },
        lo: if three_d { [lo; 3] } else { [0, lo, lo] },
        len: if three_d { [len; 3] } else { [1, len, len] },
        norm: (params.h * params.h * (s as f64).powi(if three_d { 3 } else { 2 })) as f32,
        var2: (2.0 * params.sigma * params.sigma) as f32,
    };
    // bands along z in 3-D, along y in 2-D (z = 1)
    let axis = if three_d { 0 } else { 1 };
    let n_units = shape[axis];
    let unit: usize = shape[axis + 1..].iter().product();
    let threads = threads.clamp(1, n_units);
    let per = n_units.div_ceil(threads);
    if threads == 1 {
        band(&p, &g, axis, 0, n_units, output);
        return;
    }
    std::thread::scope(|sc| {
        for (i, out) in output.chunks_mut(per * unit).enumerate() {
            let (p, g) = (&p, &g);
            sc.spawn(move || band(p, g, axis, i * per, i * per + out.len() / unit, out));
        }
    });
}

/// Denoises the output voxels with `axis` coordinate in `a..b` into `out`.
fn band(p: &[f32], g: &Geometry, axis: usize, a: usize, b: usize, out: &mut [f32]) {
    let mut region = [[0, g.shape[0]], [0, g.shape[1]], [0, g.shape[2]]];
    region[axis] = [a, b];
    let r_shape = region.map(|[lo, hi]| hi - lo);
    let n = r_shape.iter().product::<usize>();
    let self_weight = fast_exp(0.0) as f32;
    let mut acc = vec![0.0f32; n];
    let mut wsum = vec![self_weight; n];
    // the null shift: every voxel is its own neighbour once
    for_rows(r_shape, |z, y, i| {
        let src = g.index([region[0][0] + z, region[1][0] + y, region[2][0]], [0; 3]);
        for (acc, &v) in acc[i..i + r_shape[2]].iter_mut().zip(&p[src..]) {
            *acc = self_weight * v;
        }
    });
    let mut bufs = Buffers::default();
    for tz in -g.reach[0]..=g.reach[0] {
        for ty in -g.reach[1]..=g.reach[1] {
            for tx in -g.reach[2]..=g.reach[2] {
                if (tz, ty, tx) <= (0, 0, 0) {
                    continue;
                }
                shift(p, g, &region, [tz, ty, tx], &mut bufs, &mut acc, &mut wsum);
            }
        }
    }
    for ((o, a), w) in out.iter_mut().zip(&acc).zip(&wsum) {
        *o = a / w;
    }
}

#[derive(Default)]
struct Buffers {
    diff: Vec<f32>,
    sx: Vec<f32>,
    sy: Vec<f32>,
    weight: Vec<f32>,
}

impl Geometry {
    /// Index into the padded image of interior voxel `c` moved by `t`.
    fn index(&self, c: [usize; 3], t: [isize; 3]) -> usize {
        let at = |ax: usize| (c[ax] as isize + self.pad[ax] as isize + t[ax]) as usize;
        (at(0) * self.ps[1] + at(1)) * self.ps[2] + at(2)
    }
}

/// Adds shift `t`'s contributions to the band `region`.
fn shift(
    p: &[f32],
    g: &Geometry,
    region: &[[usize; 2]; 3],
    t: [isize; 3],
    bufs: &mut Buffers,
    acc: &mut [f32],
    wsum: &mut [f32],
) {
    // R' = R ∪ (R − t), in interior coordinates (may reach into the padding)
    let lo: [isize; 3] = std::array::from_fn(|ax| region[ax][0] as isize - t[ax].max(0));
    let hi: [isize; 3] = std::array::from_fn(|ax| region[ax][1] as isize - t[ax].min(0));
    let m: [usize; 3] = std::array::from_fn(|ax| (hi[ax] - lo[ax]) as usize);
    // squared differences over R' grown by the box
    let e: [usize; 3] = std::array::from_fn(|ax| m[ax] + g.len[ax].max(1) - 1);
    let at = |c: [isize; 3]| -> usize {
        let i = |ax: usize| (c[ax] + g.pad[ax] as isize) as usize;
        (i(0) * g.ps[1] + i(1)) * g.ps[2] + i(2)
    };
    let t_off = (t[0] * g.ps[1] as isize + t[1]) * g.ps[2] as isize + t[2];
    let weights = &mut bufs.weight;
    weights.resize(m.iter().product(), 0.0);
    if g.len[2] == 0 {
        // patch size 1: an empty box, distance 0 for every pair
        weights.fill(fast_exp(0.0) as f32);
    } else {
        let diff = &mut bufs.diff;
        diff.resize(e.iter().product(), 0.0);
        for z in 0..e[0] {
            for y in 0..e[1] {
                let c = [lo[0] + g.lo[0] + z as isize, lo[1] + g.lo[1] + y as isize, lo[2] + g.lo[2]];
                let src = at(c);
                let a = &p[src..src + e[2]];
                let b = &p[(src as isize + t_off) as usize..][..e[2]];
                let row = &mut diff[(z * e[1] + y) * e[2]..][..e[2]];
                for ((d, &a), &b) in row.iter_mut().zip(a).zip(b) {
                    *d = (a - b) * (a - b) - g.var2;
                }
            }
        }
        // box sums: x, then y, then z
        let sx = &mut bufs.sx;
        sx.resize(e[0] * e[1] * m[2], 0.0);
        for (src, dst) in diff.chunks_exact(e[2]).zip(sx.chunks_exact_mut(m[2])) {
            dst.copy_from_slice(&src[..m[2]]);
            for k in 1..g.len[2] {
                dst.iter_mut().zip(&src[k..]).for_each(|(d, s)| *d += s);
            }
        }
        let sy = &mut bufs.sy;
        sy.resize(e[0] * m[1] * m[2], 0.0);
        for z in 0..e[0] {
            let src = &sx[z * e[1] * m[2]..][..e[1] * m[2]];
            for y in 0..m[1] {
                let dst = &mut sy[(z * m[1] + y) * m[2]..][..m[2]];
                dst.copy_from_slice(&src[y * m[2]..][..m[2]]);
                for k in 1..g.len[1] {
                    dst.iter_mut().zip(&src[(y + k) * m[2]..]).for_each(|(d, s)| *d += s);
                }
            }
        }
        let plane = m[1] * m[2];
        let inv_norm = 1.0 / g.norm;
        for z in 0..m[0] {
            let dst = &mut weights[z * plane..][..plane];
            dst.copy_from_slice(&sy[z * plane..][..plane]);
            for k in 1..g.len[0] {
                dst.iter_mut().zip(&sy[(z + k) * plane..]).for_each(|(d, s)| *d += s);
            }
            for w in dst.iter_mut() {
                let dist = w.max(0.0) * inv_norm;
                *w = if dist > DISTANCE_CUTOFF { 0.0 } else { fast_exp(-dist as f64) as f32 };
            }
        }
    }
    // p ∈ R takes p + t (weight at p); q ∈ R takes q − t (weight at q − t)
    let r_shape = region.map(|[a, b]| b - a);
    let w_at = |c: [isize; 3]| -> usize {
        (((c[0] - lo[0]) as usize * m[1]) + (c[1] - lo[1]) as usize) * m[2] + (c[2] - lo[2]) as usize
    };
    for_rows(r_shape, |z, y, i| {
        let c = [(region[0][0] + z) as isize, (region[1][0] + y) as isize, region[2][0] as isize];
        let nx = r_shape[2];
        let (acc, wsum) = (&mut acc[i..i + nx], &mut wsum[i..i + nx]);
        let w = &weights[w_at(c)..][..nx];
        let v = &p[(at(c) as isize + t_off) as usize..][..nx];
        for (((a, s), &w), &v) in acc.iter_mut().zip(wsum.iter_mut()).zip(w).zip(v) {
            *a += w * v;
            *s += w;
        }
        let back = [c[0] - t[0], c[1] - t[1], c[2] - t[2]];
        let w = &weights[w_at(back)..][..nx];
        let v = &p[at(back)..][..nx];
        for (((a, s), &w), &v) in acc.iter_mut().zip(wsum.iter_mut()).zip(w).zip(v) {
            *a += w * v;
            *s += w;
        }
    });
}

/// Calls `f(z, y, first_index)` for every x row of a `shape` region.
fn for_rows(shape: Shape, mut f: impl FnMut(usize, usize, usize)) {
    for z in 0..shape[0] {
        for y in 0..shape[1] {
            f(z, y, (z * shape[1] + y) * shape[2]);
        }
    }
}
