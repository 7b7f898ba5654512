//! 2-D correlation kernels on plain slices, for the `convolve`/`correlate`
//! operators, the gradient filters and other plugins.
//!
//! Conventions (the same as `scipy.ndimage.correlate`/`convolve`):
//!
//! - correlation: `out[y, x] = Σ k[i, j] · in[y + i - ay, x + j - ax]` with the
//!   anchor `(ay, ax) = (kh / 2, kw / 2)` ([`Anchor::correlate`]); this is also
//!   `cv2.filter2D` with its default anchor.
//! - convolution: correlation with the kernel flipped on both axes and the
//!   anchor `((kh - 1) / 2, (kw - 1) / 2)` ([`Anchor::convolve`]); for odd sizes
//!   that is the centre, for even sizes scipy's placement.
//! - values outside the image come from [`Mode`].
//!
//! Arithmetic is in the sample type `T` (f32 for f32 images, f64 otherwise),
//! accumulating in `T` in the order the taps are listed (row-major over the
//! kernel, zero taps skipped: scipy skips them too). Where the CPU has FMA
//! (x86-64 AVX2+FMA or AVX-512), each tap is a fused multiply-add, so the
//! last bit can differ from a machine without it, never between runs or
//! thread counts on one machine.
//!
//! The implementation: each thread takes a band of output rows and keeps a
//! ring of `kh` padded input rows (width `w + kw - 1`, padding columns filled
//! once per row from the boundary mode); an output row is computed in blocks
//! of 64 (f32) or 32 (f64) pixels whose accumulators stay in SIMD registers
//! while the taps run outermost. No per-pixel boundary branch is taken.

use std::ops::{Add, Div, Mul, Sub};

use crate::options::Mode;

/// The arithmetic type of a filter: `f32` or `f64`.
pub trait Sample:
    Copy
    + Send
    + Sync
    + PartialEq
    + PartialOrd
    + Default
    + std::fmt::Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + 'static
{
    /// Zero.
    const ZERO: Self;
    /// Converts (rounding for f32).
    fn from_f64(v: f64) -> Self;
    /// Converts exactly.
    fn to_f64(self) -> f64;
    /// `self * a + b`, fused when `FMA` (only instantiated where the CPU has it).
    fn madd<const FMA: bool>(self, a: Self, b: Self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
}

impl Sample for f32 {
    const ZERO: f32 = 0.0;
    #[inline(always)]
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn madd<const FMA: bool>(self, a: f32, b: f32) -> f32 {
        if FMA {
            self.mul_add(a, b)
        } else {
            self * a + b
        }
    }
    #[inline(always)]
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
}

impl Sample for f64 {
    const ZERO: f64 = 0.0;
    #[inline(always)]
    fn from_f64(v: f64) -> f64 {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn madd<const FMA: bool>(self, a: f64, b: f64) -> f64 {
        if FMA {
            self.mul_add(a, b)
        } else {
            self * a + b
        }
    }
    #[inline(always)]
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
}

/// Where the kernel's origin sits, in kernel coordinates `(row, col)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    /// Kernel row that lands on the output pixel.
    pub y: usize,
    /// Kernel column that lands on the output pixel.
    pub x: usize,
}

impl Anchor {
    /// scipy `correlate` / OpenCV `filter2D`: `(kh / 2, kw / 2)`.
    pub fn correlate(kh: usize, kw: usize) -> Anchor {
        Anchor { y: kh / 2, x: kw / 2 }
    }

    /// scipy `convolve`, applied to the flipped kernel: `((kh - 1) / 2, (kw - 1) / 2)`.
    pub fn convolve(kh: usize, kw: usize) -> Anchor {
        Anchor { y: (kh - 1) / 2, x: (kw - 1) / 2 }
    }
}

/// A 2-D kernel, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel {
    /// Rows.
    pub kh: usize,
    /// Columns.
    pub kw: usize,
    /// `kh * kw` weights.
    pub weights: Vec<f64>,
}

impl Kernel {
    /// A kernel; panics when the sizes do not match (callers validate).
    pub fn new(kh: usize, kw: usize, weights: Vec<f64>) -> Kernel {
        assert!(kh > 0 && kw > 0 && weights.len() == kh * kw, "kernel {kh}x{kw} with {} weights", weights.len());
        Kernel { kh, kw, weights }
    }

    /// The outer product `col ⊗ row`.
    pub fn outer(col: &[f64], row: &[f64]) -> Kernel {
        Kernel::new(col.len(), row.len(), col.iter().flat_map(|c| row.iter().map(move |r| c * r)).collect())
    }

    /// The kernel flipped along both axes.
    pub fn flipped(&self) -> Kernel {
        Kernel::new(self.kh, self.kw, self.weights.iter().rev().copied().collect())
    }

    /// Whether every weight is an integer.
    pub fn is_integer(&self) -> bool {
        self.weights.iter().all(|w| w.fract() == 0.0 && w.is_finite())
    }

    /// `(col, row)` with `col ⊗ row == self` exactly (in f64), if the kernel
    /// has rank 1.
    ///
    /// Among the exact factorisations obtained by scaling the row through the
    /// largest weight (by each of its non-zero entries, or for an integer
    /// kernel by the gcd of its entries), the one whose factors have the
    /// fewest significant bits is taken: the binomial `[1 4 6 4 1]/16 ⊗ same`
    /// factors as `[1 4 6 4 1]/256 ⊗ [1 4 6 4 1]`, so the separable path is as
    /// exact as the general one. An integer kernel is only factored into
    /// integer factors, so its separable path is exact.
    pub fn factor(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        let (kh, kw) = (self.kh, self.kw);
        let k = &self.weights;
        let (p, _) = k.iter().enumerate().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))?;
        let (py, px) = (p / kw, p % kw);
        if k[p] == 0.0 {
            return Some((vec![0.0; kh], vec![0.0; kw]));
        }
        let pivot_row = &k[py * kw..(py + 1) * kw];
        let integer = self.is_integer();
        let mut divisors: Vec<f64> = pivot_row.iter().copied().filter(|&v| v != 0.0).collect();
        if integer {
            let g = pivot_row.iter().fold(0u64, |g, &v| gcd(g, v.abs() as u64)).max(1) as f64;
            divisors.push(g.copysign(k[p]));
        }
        let bits = |v: f64| if v == 0.0 { 0 } else { 53 - (v.to_bits() & ((1 << 52) - 1) | 1 << 52).trailing_zeros() };
        let mut best: Option<(u32, Vec<f64>, Vec<f64>)> = None;
        for d in divisors {
            let row: Vec<f64> = pivot_row.iter().map(|v| v / d).collect();
            let col: Vec<f64> = (0..kh).map(|i| k[i * kw + px] / row[px]).collect();
            let exact = (0..kh).all(|i| (0..kw).all(|j| col[i] * row[j] == k[i * kw + j]));
            let whole = col.iter().chain(&row).all(|v| v.fract() == 0.0);
            if !exact || (integer && !whole) {
                continue;
            }
            let score = col.iter().chain(&row).map(|&v| bits(v)).sum::<u32>();
            if best.as_ref().is_none_or(|b| score < b.0) {
                best = Some((score, col, row));
            }
        }
        best.map(|(_, c, r)| (c, r))
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Which arithmetic the inner loops use, picked once per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Isa {
    Generic,
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

fn detect() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if std::env::var_os("PLEXUS_GEOMETRY_NO_SIMD").is_some() {
            return Isa::Generic;
        }
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma") {
            return Isa::Avx512;
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return Isa::Avx2Fma;
        }
    }
    Isa::Generic
}

/// One tap: input row (index into the row window), column offset, weight.
type Tap<T> = (usize, usize, T);

/// `out[x] = Σ_taps w · rows[r][x + dx]`, accumulating in tap order.
#[inline(always)]
fn apply_taps_impl<T: Sample, const FMA: bool, const B: usize>(rows: &[&[T]], taps: &[Tap<T>], out: &mut [T]) {
    let w = out.len();
    let mut x0 = 0;
    while x0 + B <= w {
        let mut acc = [T::ZERO; B];
        for &(r, dx, t) in taps {
            let s: &[T; B] = rows[r][x0 + dx..x0 + dx + B].try_into().unwrap();
            for i in 0..B {
                acc[i] = s[i].madd::<FMA>(t, acc[i]);
            }
        }
        out[x0..x0 + B].copy_from_slice(&acc);
        x0 += B;
    }
    for (x, o) in out.iter_mut().enumerate().skip(x0) {
        let mut a = T::ZERO;
        for &(r, dx, t) in taps {
            a = rows[r][x + dx].madd::<FMA>(t, a);
        }
        *o = a;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn apply_taps_avx2<T: Sample, const B: usize>(rows: &[&[T]], taps: &[Tap<T>], out: &mut [T]) {
    apply_taps_impl::<T, true, B>(rows, taps, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn apply_taps_avx512<T: Sample, const B: usize>(rows: &[&[T]], taps: &[Tap<T>], out: &mut [T]) {
    apply_taps_impl::<T, true, B>(rows, taps, out)
}

#[inline]
fn apply_taps<T: Sample>(isa: Isa, rows: &[&[T]], taps: &[Tap<T>], out: &mut [T]) {
    // 64 f32 or 32 f64 accumulators: 8 AVX registers, 4 AVX-512 ones.
    const B32: usize = 64;
    const B64: usize = 32;
    let is_f32 = std::mem::size_of::<T>() == 4;
    match isa {
        Isa::Generic => {
            if is_f32 {
                apply_taps_impl::<T, false, B32>(rows, taps, out)
            } else {
                apply_taps_impl::<T, false, B64>(rows, taps, out)
            }
        }
        // SAFETY: `detect` checked that the CPU has these features.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma => unsafe {
            if is_f32 {
                apply_taps_avx2::<T, B32>(rows, taps, out)
            } else {
                apply_taps_avx2::<T, B64>(rows, taps, out)
            }
        },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe {
            if is_f32 {
                apply_taps_avx512::<T, B32>(rows, taps, out)
            } else {
                apply_taps_avx512::<T, B64>(rows, taps, out)
            }
        },
    }
}

/// Fills padded input rows from an image with a boundary mode.
struct RowPadder<'a, T> {
    src: &'a [T],
    h: usize,
    w: usize,
    mode: Mode,
    cval: T,
    left: usize,
    /// Source column for each padding column (left then right), `None`: cval.
    pad_cols: Vec<Option<usize>>,
}

impl<'a, T: Sample> RowPadder<'a, T> {
    fn new(src: &'a [T], h: usize, w: usize, mode: Mode, cval: T, left: usize, right: usize) -> Self {
        let pad_cols = (0..left)
            .map(|j| mode.map(j as isize - left as isize, w))
            .chain((0..right).map(|j| mode.map((w + j) as isize, w)))
            .collect();
        RowPadder { src, h, w, mode, cval, left, pad_cols }
    }

    /// Writes padded input row `r` (any integer) into `dst` (`left + w + right`).
    fn fill(&self, r: isize, dst: &mut [T]) {
        let Some(sr) = self.mode.map(r, self.h) else {
            dst.fill(self.cval);
            return;
        };
        let row = &self.src[sr * self.w..(sr + 1) * self.w];
        dst[self.left..self.left + self.w].copy_from_slice(row);
        let (l, w) = (self.left, self.w);
        for (k, c) in self.pad_cols.iter().enumerate() {
            let j = if k < l { k } else { l + w + (k - l) };
            dst[j] = c.map_or(self.cval, |c| row[c]);
        }
    }
}

/// The row window of a band: a ring of `kh` padded rows.
struct Ring<T> {
    bufs: Vec<Vec<T>>,
    kh: usize,
    /// Padded row index held by each slot.
    held: Vec<isize>,
}

impl<T: Sample> Ring<T> {
    fn new(kh: usize, wp: usize) -> Ring<T> {
        Ring { bufs: vec![vec![T::ZERO; wp]; kh], kh, held: vec![isize::MIN; kh] }
    }

    /// Makes sure rows `first..first + kh` are held; returns them in order.
    fn window(&mut self, pad: &RowPadder<'_, T>, first: isize) -> Vec<&[T]> {
        for r in first..first + self.kh as isize {
            let slot = r.rem_euclid(self.kh as isize) as usize;
            if self.held[slot] != r {
                pad.fill(r, &mut self.bufs[slot]);
                self.held[slot] = r;
            }
        }
        (first..first + self.kh as isize)
            .map(|r| self.bufs[r.rem_euclid(self.kh as isize) as usize].as_slice())
            .collect()
    }
}

/// How a kernel is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Factor rank-1 kernels, general path otherwise.
    Auto,
    /// Require a rank-1 kernel and use the two 1-D passes.
    Separable,
    /// All `kh · kw` taps per pixel.
    General,
}

/// Correlates the `h × w` image `src` with `kernel` at `anchor`, writing
/// `out` (`h × w`), with `threads` threads over row bands.
///
/// `path` picks the separable (column pass then row pass, `kh + kw` taps
/// per pixel) or the general path; `Path::Auto` factors the kernel exactly
/// ([`Kernel::factor`]). Returns an error message if `Path::Separable` is
/// asked of a kernel that is not rank 1.
#[allow(clippy::too_many_arguments)]
pub fn correlate2d<T: Sample>(
    src: &[T],
    h: usize,
    w: usize,
    kernel: &Kernel,
    anchor: Anchor,
    mode: Mode,
    cval: f64,
    path: Path,
    threads: usize,
    out: &mut [T],
) -> Result<(), String> {
    assert_eq!(src.len(), h * w, "image is not {h}x{w}");
    assert_eq!(out.len(), h * w, "output is not {h}x{w}");
    assert!(anchor.y < kernel.kh && anchor.x < kernel.kw, "anchor outside the kernel");
    if h == 0 || w == 0 {
        return Ok(());
    }
    let factors = match path {
        Path::General => None,
        Path::Auto => kernel.factor(),
        Path::Separable => Some(kernel.factor().ok_or("the kernel is not separable (rank 1)")?),
    };
    let (kh, kw) = (kernel.kh, kernel.kw);
    let left = anchor.x;
    let right = kw - 1 - anchor.x;
    let wp = w + kw - 1;
    let pad = RowPadder::new(src, h, w, mode, T::from_f64(cval), left, right);
    let isa = detect();
    let nz = |w: f64| w != 0.0;

    // Taps: separable → (column taps over the window, row taps over tmp);
    // general → all non-zero taps.
    let (col_taps, row_taps): (Vec<Tap<T>>, Vec<Tap<T>>) = match &factors {
        Some((col, row)) => (
            col.iter().enumerate().filter(|(_, &c)| nz(c)).map(|(i, &c)| (i, 0, T::from_f64(c))).collect(),
            row.iter().enumerate().filter(|(_, &r)| nz(r)).map(|(j, &r)| (0, j, T::from_f64(r))).collect(),
        ),
        None => (
            Vec::new(),
            kernel
                .weights
                .iter()
                .enumerate()
                .filter(|(_, &k)| nz(k))
                .map(|(p, &k)| (p / kw, p % kw, T::from_f64(k)))
                .collect(),
        ),
    };
    let separable = factors.is_some();

    let band = |y0: usize, out_band: &mut [T]| {
        let mut ring = Ring::<T>::new(kh, wp);
        let mut tmp = vec![T::ZERO; if separable { wp } else { 0 }];
        for (i, orow) in out_band.chunks_exact_mut(w).enumerate() {
            let y = y0 + i;
            let rows = ring.window(&pad, y as isize - anchor.y as isize);
            if separable {
                apply_taps(isa, &rows, &col_taps, &mut tmp);
                apply_taps(isa, &[&tmp], &row_taps, orow);
            } else {
                apply_taps(isa, &rows, &row_taps, orow);
            }
        }
    };

    let threads = threads.clamp(1, h);
    // Below ~64k pixels a thread costs more than it saves.
    if threads == 1 || h * w < 1 << 16 {
        band(0, out);
        return Ok(());
    }
    let rows_per = h.div_ceil(threads);
    std::thread::scope(|s| {
        for (b, chunk) in out.chunks_mut(rows_per * w).enumerate() {
            let band = &band;
            s.spawn(move || band(b * rows_per, chunk));
        }
    });
    Ok(())
}

/// [`correlate2d`] on a newly allocated output.
#[allow(clippy::too_many_arguments)]
pub fn correlate2d_vec<T: Sample>(
    src: &[T],
    h: usize,
    w: usize,
    kernel: &Kernel,
    anchor: Anchor,
    mode: Mode,
    cval: f64,
    path: Path,
    threads: usize,
) -> Result<Vec<T>, String> {
    let mut out = vec![T::ZERO; h * w];
    correlate2d(src, h, w, kernel, anchor, mode, cval, path, threads, &mut out)?;
    Ok(out)
}

/// `scipy.ndimage.correlate(src, kernel, mode=mode, cval=cval)` for a 2-D image.
pub fn correlate<T: Sample>(
    src: &[T],
    h: usize,
    w: usize,
    kernel: &Kernel,
    mode: Mode,
    cval: f64,
    threads: usize,
) -> Vec<T> {
    correlate2d_vec(src, h, w, kernel, Anchor::correlate(kernel.kh, kernel.kw), mode, cval, Path::Auto, threads)
        .expect("auto path never fails")
}

/// `scipy.ndimage.convolve(src, kernel, mode=mode, cval=cval)` for a 2-D image.
pub fn convolve<T: Sample>(
    src: &[T],
    h: usize,
    w: usize,
    kernel: &Kernel,
    mode: Mode,
    cval: f64,
    threads: usize,
) -> Vec<T> {
    correlate2d_vec(
        src,
        h,
        w,
        &kernel.flipped(),
        Anchor::convolve(kernel.kh, kernel.kw),
        mode,
        cval,
        Path::Auto,
        threads,
    )
    .expect("auto path never fails")
}

/// A direct, obviously correct correlation in f64 (for tests).
#[allow(clippy::too_many_arguments)]
pub fn correlate2d_reference(
    src: &[f64],
    h: usize,
    w: usize,
    kernel: &Kernel,
    anchor: Anchor,
    mode: Mode,
    cval: f64,
) -> Vec<f64> {
    let mut out = vec![0.0; h * w];
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for i in 0..kernel.kh {
                for j in 0..kernel.kw {
                    let sy = mode.map(y as isize + i as isize - anchor.y as isize, h);
                    let sx = mode.map(x as isize + j as isize - anchor.x as isize, w);
                    let v = match (sy, sx) {
                        (Some(sy), Some(sx)) => src[sy * w + sx],
                        _ => cval,
                    };
                    acc += kernel.weights[i * kernel.kw + j] * v;
                }
            }
            out[y * w + x] = acc;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: u64) -> impl FnMut() -> f64 {
        let mut s = seed;
        move || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn factor_finds_integer_factors() {
        let sobel = Kernel::outer(&[1.0, 2.0, 1.0], &[1.0, 0.0, -1.0]);
        let (c, r) = sobel.factor().unwrap();
        assert_eq!(Kernel::outer(&c, &r), sobel);
        assert!(c.iter().chain(&r).all(|v| v.fract() == 0.0));
        assert!(Kernel::new(2, 2, vec![1.0, 2.0, 3.0, 4.0]).factor().is_none());
        let b = [1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0];
        let (c, r) = Kernel::outer(&b, &b).factor().unwrap();
        assert_eq!(r, [1.0, 4.0, 6.0, 4.0, 1.0]);
        assert_eq!(c, b.map(|v| v / 16.0));
    }

    #[test]
    fn matches_reference_all_modes_and_sizes() {
        let mut rnd = lcg(7);
        for &(h, w) in &[(1, 1), (1, 7), (5, 1), (3, 4), (17, 70), (9, 130)] {
            let img: Vec<f64> = (0..h * w).map(|_| rnd() * 10.0 - 5.0).collect();
            for &(kh, kw) in &[(1, 1), (3, 3), (2, 5), (4, 4), (5, 5), (7, 2)] {
                let k = Kernel::new(kh, kw, (0..kh * kw).map(|_| rnd() - 0.5).collect());
                for mode in [Mode::Reflect, Mode::Constant, Mode::Nearest, Mode::Mirror] {
                    for anchor in [Anchor::correlate(kh, kw), Anchor::convolve(kh, kw)] {
                        let want = correlate2d_reference(&img, h, w, &k, anchor, mode, 1.5);
                        for threads in [1, 3] {
                            let got =
                                correlate2d_vec(&img, h, w, &k, anchor, mode, 1.5, Path::General, threads).unwrap();
                            let err = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
                            assert!(err < 1e-12, "{h}x{w} kernel {kh}x{kw} {mode:?}: {err}");
                        }
                    }
                }
            }
        }
    }
}
