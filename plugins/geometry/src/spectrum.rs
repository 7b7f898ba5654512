//! The `power_spectrum` operator: the radially averaged power spectrum of each
//! 2-D plane, and the 2-D real FFT under it.
//!
//! Convention (the numpy versions are in `tests/fixtures/make_fixtures.py`
//! and `tests/fixtures/make_conventions.py`):
//!
//! ```text
//! P = |fftshift(fft2(img))|²            # unnormalised forward FFT, no mean removed
//! r = rint(hypot(y - h//2, x - w//2))   # binning = "round" (the default)
//! r = floor(hypot(y - h//2, x - w//2))  # binning = "floor"
//! S[k] = mean of P over pixels with r == k,   k = 0 ..= max r
//! ```
//!
//! With `round`, bin `k` holds the frequencies with `k - 0.5 < |f| < k + 0.5`
//! (in cycles per image; no frequency lies exactly on a half-integer); with
//! `floor` (`hypot(...).astype(int)`, the other common spelling),
//! `k <= |f| < k + 1`. Bins are never empty either way: a unit step on the
//! frequency grid changes `|f|` by at most 1, and the grid's corner holds the
//! largest radius.
//! The transform is computed in f64 whatever the input type. Only the
//! half-spectrum of the real FFT is computed; each entry counts once or twice
//! (its Hermitian mirror has the same radius).

use std::sync::Arc;

use plexus_plugin_api::{Array, Context, Emitter, Frame, FrameView, Operator, Param, Params, PluginError};
use realfft::{RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftNum, FftPlanner};
use serde::{Deserialize, Serialize};

use crate::image::{as_cow, plane, Planes};

/// Parameters of `power_spectrum`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PowerSpectrumParams {
    /// How a frequency's radius becomes a bin.
    pub binning: Binning,
}

impl Params for PowerSpectrumParams {
    const TABLE: &'static [Param] = &[Param::new(
        "binning",
        "radius bin of frequency |f| (cycles per image): round = rint(|f|), floor = floor(|f|) as hypot(...).astype(int)",
    )];
}

/// How a frequency's radius `|f|` becomes an integer bin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Binning {
    /// `rint(|f|)`: bin `k` holds `k - 0.5 < |f| < k + 0.5`.
    #[default]
    Round,
    /// `floor(|f|)`: bin `k` holds `k <= |f| < k + 1`.
    Floor,
}

impl Binning {
    /// The bin of a frequency with `|f|² = r2`.
    fn bin(self, r2: u64) -> usize {
        match self {
            // |f| is never a half-integer, so + 0.5 and truncation round the
            // same way as rint, without a libm call.
            Binning::Round => ((r2 as f64).sqrt() + 0.5) as usize,
            // Exact on the integer, so a perfect square is never floored to
            // the bin below.
            Binning::Floor => r2.isqrt() as usize,
        }
    }
}

/// A planned 2-D real-to-complex FFT of an `h × w` image.
///
/// The result is the half-spectrum `rfft2(img)` (`h × (w/2 + 1)` in numpy)
/// stored transposed: `w/2 + 1` rows of `h` values, `out[kx * h + ky]`.
pub struct Rfft2<T: FftNum> {
    h: usize,
    w: usize,
    row: Arc<dyn RealToComplex<T>>,
    col: Arc<dyn Fft<T>>,
}

impl<T: FftNum + Default> Rfft2<T> {
    /// Plans the transforms (rustfft picks AVX/SSE kernels at run time).
    pub fn new(h: usize, w: usize) -> Rfft2<T> {
        assert!(h > 0 && w > 0);
        Rfft2 {
            h,
            w,
            row: RealFftPlanner::<T>::new().plan_fft_forward(w),
            col: FftPlanner::<T>::new().plan_fft_forward(h),
        }
    }

    /// Columns of the half spectrum: `w / 2 + 1`.
    pub fn half_width(&self) -> usize {
        self.w / 2 + 1
    }

    /// Transforms `src` (`h × w`, row-major) into `out` (`(w/2+1) × h`),
    /// with `threads` threads. `rows` is scratch of `h × (w/2+1)`.
    pub fn process(&self, src: &[T], threads: usize, rows: &mut Vec<Complex<T>>, out: &mut Vec<Complex<T>>) {
        let (h, w, wc) = (self.h, self.w, self.half_width());
        assert_eq!(src.len(), h * w);
        rows.resize(h * wc, Complex::default());
        out.resize(h * wc, Complex::default());
        let threads = threads.clamp(1, h.min(wc));
        // 1. real FFT of every row.
        let row_band = |src: &[T], dst: &mut [Complex<T>]| {
            let mut input = self.row.make_input_vec();
            let mut scratch = self.row.make_scratch_vec();
            for (s, d) in src.chunks_exact(w).zip(dst.chunks_exact_mut(wc)) {
                input.copy_from_slice(s);
                self.row.process_with_scratch(&mut input, d, &mut scratch).expect("lengths planned");
            }
        };
        // 2.+3. transpose columns c0..c1 into rows of `dst` and FFT them, in
        // blocks of 16 columns so that each block is transformed while it is
        // still in cache.
        let col_band = |rows: &[Complex<T>], dst: &mut [Complex<T>], c0: usize, c1: usize| {
            const BLOCK: usize = 16;
            let mut scratch = vec![Complex::default(); self.col.get_inplace_scratch_len()];
            for b0 in (c0..c1).step_by(BLOCK) {
                let b1 = (b0 + BLOCK).min(c1);
                let block = &mut dst[(b0 - c0) * h..(b1 - c0) * h];
                transpose(rows, h, wc, block, b0, b1);
                self.col.process_with_scratch(block, &mut scratch);
            }
        };
        if threads == 1 {
            row_band(src, rows);
            col_band(rows, out, 0, wc);
            return;
        }
        let per = h.div_ceil(threads);
        std::thread::scope(|s| {
            for (sb, db) in src.chunks(per * w).zip(rows.chunks_mut(per * wc)) {
                s.spawn(move || row_band(sb, db));
            }
        });
        let per = wc.div_ceil(threads);
        let rows = &*rows;
        std::thread::scope(|s| {
            for (b, db) in out.chunks_mut(per * h).enumerate() {
                s.spawn(move || {
                    let c0 = b * per;
                    col_band(rows, db, c0, (c0 + per).min(wc));
                });
            }
        });
    }
}

/// Writes columns `c0..c1` (a few) of the `h × wc` matrix `src` as rows of `dst`.
fn transpose<V: Copy>(src: &[V], h: usize, wc: usize, dst: &mut [V], c0: usize, c1: usize) {
    for r in 0..h {
        let srow = &src[r * wc + c0..r * wc + c1];
        for (i, &v) in srow.iter().enumerate() {
            dst[i * h + r] = v;
        }
    }
}

/// Signed frequency of FFT index `k` of length `n`, as placed by `fftshift`
/// (position `k` moves to `(k + n/2) % n`, the centre `n/2` is frequency 0).
fn signed_freq(k: usize, n: usize) -> i64 {
    if k < n - n / 2 {
        k as i64
    } else {
        k as i64 - n as i64
    }
}

/// Number of radial bins for an `h × w` image: the bin of the grid's
/// corner, `(h/2, w/2)` from the centre, plus one.
pub fn bin_count(h: usize, w: usize, binning: Binning) -> usize {
    let (fy, fx) = ((h / 2) as u64, (w / 2) as u64);
    binning.bin(fy * fy + fx * fx) + 1
}

/// The radially averaged power spectrum of the half spectrum `half`
/// (transposed, as [`Rfft2::process`] writes it) of an `h × w` image.
///
/// # Arguments
/// - `half`: `(w/2 + 1) × h` complex values, `half[kx * h + ky]`.
/// - `h`, `w`: the image's size in pixels.
/// - `binning`: how a radius becomes a bin (module docs).
///
/// # Returns
/// `S[k]`, the mean of `|F|²` over the frequencies of bin `k`, for
/// `k = 0 .. bin_count(h, w, binning)`.
pub fn radial_average(half: &[Complex<f64>], h: usize, w: usize, binning: Binning) -> Vec<f64> {
    let wc = w / 2 + 1;
    assert_eq!(half.len(), h * wc);
    let nb = bin_count(h, w, binning);
    let mut sum = vec![0.0f64; nb];
    let mut count = vec![0u64; nb];
    let fy2: Vec<i64> = (0..h).map(|ky| signed_freq(ky, h).pow(2)).collect();
    for kx in 0..wc {
        // kx = 0 and the even-width Nyquist column are their own mirrors.
        let weight = if kx == 0 || (w.is_multiple_of(2) && kx == w / 2) { 1 } else { 2 };
        let fx2 = signed_freq(kx, w).pow(2);
        let col = &half[kx * h..(kx + 1) * h];
        for (v, &fy2) in col.iter().zip(&fy2) {
            let b = binning.bin((fy2 + fx2) as u64);
            sum[b] += weight as f64 * v.norm_sqr();
            count[b] += weight;
        }
    }
    sum.iter().zip(&count).map(|(s, &c)| s / c as f64).collect()
}

/// The `power_spectrum` operator.
pub struct PowerSpectrum {
    binning: Binning,
    threads: usize,
    plan: Option<Rfft2<f64>>,
}

impl PowerSpectrum {
    /// Builds the operator from its parameters.
    pub fn new(p: PowerSpectrumParams, ctx: &Context) -> Result<PowerSpectrum, PluginError> {
        Ok(PowerSpectrum { binning: p.binning, threads: ctx.threads(), plan: None })
    }

    /// The spectrum of one `h × w` plane.
    pub fn plane(&mut self, src: &[f64], h: usize, w: usize) -> Vec<f64> {
        if self.plan.as_ref().is_none_or(|p| p.h != h || p.w != w) {
            self.plan = Some(Rfft2::new(h, w));
        }
        let plan = self.plan.as_ref().expect("planned above");
        let (mut rows, mut half) = (Vec::new(), Vec::new());
        plan.process(src, self.threads, &mut rows, &mut half);
        radial_average(&half, h, w, self.binning)
    }
}

impl Operator for PowerSpectrum {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let (name, view) = input.first()?;
        let layout = Planes::of(view.shape(), view.axes())?;
        let (h, w) = (layout.h, layout.w);
        if h == 0 || w == 0 {
            return Err(PluginError::bad_input(name, "an image with pixels", "an empty image"));
        }
        let data = as_cow::<f64>(&view);
        let nb = bin_count(h, w, self.binning);
        let mut all = Vec::with_capacity(layout.count() * nb);
        for p in 0..layout.count() {
            all.extend(self.plane(&plane(&data, layout, p), h, w));
        }
        let array = if view.shape().len() == 2 {
            Array::from_vec(vec![nb], all).and_then(|a| a.with_axes("radius"))
        } else {
            Array::from_vec(vec![layout.count(), nb], all).and_then(|a| a.with_axes("plane radius"))
        }
        .map_err(|e| PluginError::failed(format!("building the spectrum: {e}")))?;
        out.emit(Frame::like(input).with_array(name, array));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct DFT for small sizes.
    fn dft2(src: &[f64], h: usize, w: usize) -> Vec<Complex<f64>> {
        let mut out = vec![Complex::default(); h * w];
        for ky in 0..h {
            for kx in 0..w {
                let mut acc = Complex::new(0.0, 0.0);
                for y in 0..h {
                    for x in 0..w {
                        let ph =
                            -2.0 * std::f64::consts::PI * ((ky * y) as f64 / h as f64 + (kx * x) as f64 / w as f64);
                        acc += Complex::new(ph.cos(), ph.sin()) * src[y * w + x];
                    }
                }
                out[ky * w + kx] = acc;
            }
        }
        out
    }

    #[test]
    fn rfft2_matches_direct_dft() {
        for &(h, w) in &[(1, 1), (4, 6), (5, 7), (8, 3), (12, 9)] {
            let src: Vec<f64> = (0..h * w).map(|i| ((i * 37 % 11) as f64).sin()).collect();
            let want = dft2(&src, h, w);
            for threads in [1, 2, 3] {
                let plan = Rfft2::<f64>::new(h, w);
                let (mut rows, mut half) = (Vec::new(), Vec::new());
                plan.process(&src, threads, &mut rows, &mut half);
                for kx in 0..w / 2 + 1 {
                    for ky in 0..h {
                        let d = (half[kx * h + ky] - want[ky * w + kx]).norm();
                        assert!(d < 1e-9, "{h}x{w} ({ky},{kx}) threads {threads}: {d}");
                    }
                }
            }
        }
    }

    #[test]
    fn radial_average_of_full_spectrum() {
        // Brute force over the full shifted grid.
        for (&(h, w), binning) in
            [(6, 6), (7, 5), (8, 11), (9, 4)].iter().flat_map(|s| [(s, Binning::Round), (s, Binning::Floor)])
        {
            let src: Vec<f64> = (0..h * w).map(|i| ((i * 13 % 7) as f64) - 2.0).collect();
            let full = dft2(&src, h, w);
            let nb = bin_count(h, w, binning);
            let (mut s, mut c) = (vec![0.0; nb], vec![0.0; nb]);
            for ky in 0..h {
                for kx in 0..w {
                    let (fy, fx) = (signed_freq(ky, h), signed_freq(kx, w));
                    let r = ((fy * fy + fx * fx) as f64).sqrt();
                    let r = if binning == Binning::Round { r.round() } else { r.floor() } as usize;
                    s[r] += full[ky * w + kx].norm_sqr();
                    c[r] += 1.0;
                }
            }
            let mut op = PowerSpectrum { binning, threads: 1, plan: None };
            let got = op.plane(&src, h, w);
            for k in 0..nb {
                assert!(c[k] > 0.0);
                let want = s[k] / c[k];
                assert!((got[k] - want).abs() <= 1e-9 * want.abs().max(1.0), "{h}x{w} {binning:?} bin {k}");
            }
        }
    }
}
