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
    /// Squared differences of one box row (summed over the box's z extent).
    diff: Vec<f32>,
    /// Sums of horizontally adjacent pairs of `diff`.
    pairs: Vec<f32>,
    /// The last `len[1]` rows of horizontal box sums, by row modulo `len[1]`.
    ring: Vec<f32>,
    /// The weights of one row of R'.
    weight: Vec<f32>,
}

impl Geometry {
    /// Index into the padded image of interior voxel `c` moved by `t`.
    fn index(&self, c: [usize; 3], t: [isize; 3]) -> usize {
        self.at([c[0] as isize + t[0], c[1] as isize + t[1], c[2] as isize + t[2]])
    }

    /// Index into the padded image of interior coordinates `c` (which may
    /// lie in the padding).
    fn at(&self, c: [isize; 3]) -> usize {
        let i = |ax: usize| (c[ax] + self.pad[ax] as isize) as usize;
        (i(0) * self.ps[1] + i(1)) * self.ps[2] + i(2)
    }
}

/// `exp(−d)` as [`fast_exp`] computes it for `d ∈ [0, 5]`, 0 beyond, in f32
/// so it vectorises: the product `2²⁰/ln 2 · d` is rounded to f32 before
/// truncation (the high word can differ by one unit from the f64 product's,
/// a relative 2⁻²⁰ on the weight), and the double with high word `hi` and a
/// zero low word is built directly as the f32 it equals (its 20-bit mantissa
/// fits).
#[inline(always)]
fn weight_of(dist: f32) -> f32 {
    const EXP_A: f32 = 1_512_775.4; // 2²⁰ / ln 2, rounded to f32
    const EXP_BC: i32 = 1072632447;
    // `dist` is never NaN here (it comes out of `f32::max`, which drops a NaN)
    let x = EXP_A * -dist.clamp(0.0, DISTANCE_CUTOFF);
    // SAFETY: `x` is finite and within [-7.6e6, 0], so truncation to i32
    // cannot overflow. A plain `as i32` saturates, and the NaN and range
    // fix-ups it needs kept this loop scalar: measured (perf) 30 % of the
    // fast mode's time in scalar `cvttss2si` sequences before this.
    let hi = unsafe { x.to_int_unchecked::<i32>() } + EXP_BC;
    let bits = ((((hi >> 20) - 1023 + 127) as u32) << 23) | (((hi & 0xF_FFFF) as u32) << 3);
    if dist > DISTANCE_CUTOFF {
        0.0
    } else {
        f32::from_bits(bits)
    }
}

/// Adds shift `t`'s contributions to the band `region`, row by row of
/// R' = R ∪ (R − t): each row's box sums come from a ring of horizontal sums,
/// its weights serve `p ← p + t` where `p ∈ R` and `p + t ← p` where
/// `p + t ∈ R`, and nothing larger than a few rows is held.
fn shift(
    p: &[f32],
    g: &Geometry,
    region: &[[usize; 2]; 3],
    t: [isize; 3],
    bufs: &mut Buffers,
    acc: &mut [f32],
    wsum: &mut [f32],
) {
    let lo: [isize; 3] = std::array::from_fn(|ax| region[ax][0] as isize - t[ax].max(0));
    let hi: [isize; 3] = std::array::from_fn(|ax| region[ax][1] as isize - t[ax].min(0));
    let m: [usize; 3] = std::array::from_fn(|ax| (hi[ax] - lo[ax]) as usize);
    let r_shape = region.map(|[a, b]| b - a);
    let t_off = (t[0] * g.ps[1] as isize + t[1]) * g.ps[2] as isize + t[2];
    let (lx, ly) = (g.len[2], g.len[1]);
    let ex = m[2] + lx.max(1) - 1;
    bufs.weight.resize(m[2], 0.0);
    bufs.diff.resize(ex, 0.0);
    bufs.ring.resize(ly.max(1) * m[2], 0.0);
    let inv_norm = 1.0 / g.norm;
    for zi in 0..m[0] {
        let z = lo[0] + zi as isize;
        // rows of box sums run one box height ahead of the weight rows
        for yi in 0..m[1] + ly.max(1) - 1 {
            if lx > 0 {
                let yb = lo[1] + g.lo[1] + yi as isize;
                let diff = &mut bufs.diff;
                for k in 0..g.len[0] {
                    let src = g.at([z + g.lo[0] + k as isize, yb, lo[2] + g.lo[2]]);
                    let a = &p[src..src + ex];
                    let b = &p[(src as isize + t_off) as usize..][..ex];
                    if k == 0 {
                        diff.iter_mut().zip(a).zip(b).for_each(|((d, &a), &b)| *d = (a - b) * (a - b) - g.var2);
                    } else {
                        diff.iter_mut().zip(a).zip(b).for_each(|((d, &a), &b)| *d += (a - b) * (a - b) - g.var2);
                    }
                }
                let row = &mut bufs.ring[(yi % ly) * m[2]..][..m[2]];
                // lx = 2o is even: sum adjacent pairs once, then o of them
                let pairs = &mut bufs.pairs;
                pairs.resize(ex - 1, 0.0);
                pairs.iter_mut().zip(diff.iter().zip(&diff[1..])).for_each(|(p, (a, b))| *p = a + b);
                row.copy_from_slice(&pairs[..m[2]]);
                for k in (2..lx).step_by(2) {
                    row.iter_mut().zip(&pairs[k..]).for_each(|(r, d)| *r += d);
                }
                if yi + 1 < ly {
                    continue;
                }
            }
            let y = lo[1] + (yi + 1 - ly.max(1)) as isize;
            let w = &mut bufs.weight;
            if lx == 0 {
                // patch size 1: an empty box, distance 0 for every pair
                w.fill(weight_of(0.0));
            } else {
                // vertical sum of the ring, oldest row first
                let first = yi + 1 - ly;
                w.copy_from_slice(&bufs.ring[(first % ly) * m[2]..][..m[2]]);
                for k in 1..ly {
                    let r = &bufs.ring[((first + k) % ly) * m[2]..][..m[2]];
                    w.iter_mut().zip(r).for_each(|(w, r)| *w += r);
                }
                w.iter_mut().for_each(|v| *v = weight_of(v.max(0.0) * inv_norm));
            }
            accumulate(p, g, region, r_shape, [z, y, lo[2]], t, t_off, w, acc, wsum);
        }
    }
}

/// Adds one row of weights `w` (R' row starting at interior coordinates
/// `c`) to the voxels of `region` that take it.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn accumulate(
    p: &[f32],
    g: &Geometry,
    region: &[[usize; 2]; 3],
    r_shape: Shape,
    c: [isize; 3],
    t: [isize; 3],
    t_off: isize,
    w: &[f32],
    acc: &mut [f32],
    wsum: &mut [f32],
) {
    let inside = |v: isize, ax: usize| v >= region[ax][0] as isize && v < region[ax][1] as isize;
    let nx = r_shape[2] as isize;
    let local = |z: isize, y: isize| {
        ((z - region[0][0] as isize) as usize * r_shape[1] + (y - region[1][0] as isize) as usize) * r_shape[2]
    };
    // p ← p + t for p in this row and in R: x ∈ [0, nx)
    if inside(c[0], 0) && inside(c[1], 1) {
        let (x0, x1) = (0isize, nx);
        let i = local(c[0], c[1]);
        let wr = &w[(x0 - c[2]) as usize..(x1 - c[2]) as usize];
        let src = (g.at([c[0], c[1], x0]) as isize + t_off) as usize;
        let v = &p[src..src + (x1 - x0) as usize];
        add(&mut acc[i..i + r_shape[2]], &mut wsum[i..i + r_shape[2]], wr, v);
    }
    // p + t ← p for p + t in R: x + t_x ∈ [0, nx)
    let q = [c[0] + t[0], c[1] + t[1]];
    if inside(q[0], 0) && inside(q[1], 1) {
        let (x0, x1) = (-t[2], nx - t[2]);
        let i = local(q[0], q[1]);
        let wr = &w[(x0 - c[2]) as usize..(x1 - c[2]) as usize];
        let src = g.at([c[0], c[1], x0]);
        let v = &p[src..src + (x1 - x0) as usize];
        add(&mut acc[i..i + r_shape[2]], &mut wsum[i..i + r_shape[2]], wr, v);
    }
}

#[inline(always)]
fn add(acc: &mut [f32], wsum: &mut [f32], w: &[f32], v: &[f32]) {
    // equal lengths up front, so the loop has no bounds checks and vectorises
    let n = acc.len();
    let (wsum, w, v) = (&mut wsum[..n], &w[..n], &v[..n]);
    for i in 0..n {
        acc[i] += w[i] * v[i];
        wsum[i] += w[i];
    }
}

/// Calls `f(z, y, first_index)` for every x row of a `shape` region.
fn for_rows(shape: Shape, mut f: impl FnMut(usize, usize, usize)) {
    for z in 0..shape[0] {
        for y in 0..shape[1] {
            f(z, y, (z * shape[1] + y) * shape[2]);
        }
    }
}
