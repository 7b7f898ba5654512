//! Partial moments — count, mean, sum of squared deviations, min, max, NaN
//! count — of one channel of an array, and how partials merge. Both trend
//! operators are built on it.
//!
//! # Method
//!
//! Values are shifted by a constant `K` before they are accumulated — the
//! first finite value of the channel, kept for the rest of the stream —
//! so that data with a large offset (1e9 + a small spread) are accumulated
//! at the magnitude of their spread: `x − K` is exact when `x` and `K` are
//! within a factor 2 (Sterbenz), and the means and `M2` no longer carry an
//! error of an ulp of the offset (Chan, Golub & LeVeque recommend the
//! shift). The published mean is `K + mean(x − K)`.
//!
//! Within a frame the elements of a channel are cut into blocks of
//! [`BLOCK`] elements. Each block is reduced in two passes (its mean, then
//! the sum of squared deviations from that mean), which is exact up to
//! rounding whatever the offset of the data. Blocks are then merged
//! pairwise in a balanced tree, and frames in stream order, with the
//! update of Chan, Golub & LeVeque:
//!
//! ```text
//! n = nA + nB,   δ = x̄B − x̄A,   x̄ = x̄A + δ·nB/n,   M2 = M2A + M2B + δ²·nA·nB/n
//! ```
//!
//! The rounding error of the mean and of `M2` grows like `O(log n)·ε`
//! within a frame, instead of the `O(n)·ε` of a running sum, and never
//! suffers the cancellation of the textbook `Σx² − (Σx)²/n` (which loses
//! every digit of a variance of 1 around an offset of 1e9).
//!
//! Variance is `M2 / (n − ddof)`: `ddof = 0` is the population variance
//! (`numpy.var`'s default), `ddof = 1` the unbiased sample variance. When
//! `n ≤ ddof` it is NaN, as numpy returns.
//!
//! # NaN
//!
//! NaN elements never enter the moments; they are counted in `nans`. What a
//! NaN does to the published statistics is the operator's [`NanPolicy`].
//! Infinite values enter the moments and give infinite or NaN results, as
//! in numpy.
//!
//! # References
//!
//! - T. F. Chan, G. H. Golub and R. J. LeVeque, "Updating formulae and a
//!   pairwise algorithm for computing sample variances," in *COMPSTAT 1982*,
//!   Physica, pp. 30–41. DOI: 10.1007/978-3-642-51461-6_3
//! - B. P. Welford, "Note on a method for calculating corrected sums of
//!   squares and products," *Technometrics*, vol. 4, no. 3, pp. 419–420,
//!   1962. DOI: 10.1080/00401706.1962.10490022
//! - N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd
//!   ed., SIAM, 2002, §1.9 and ch. 4 (pairwise summation).

use plexus_plugin_api::{ArrayView, DType, Element};
use serde_json::{json, Value};

/// Elements reduced directly, in two passes, before pairwise merging.
pub const BLOCK: usize = 256;

/// Moments of a set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Number of non-NaN values.
    pub n: u64,
    /// The shift `K` subtracted from every value before accumulating.
    pub shift: f64,
    /// Mean of the shifted values `x − K` (0 when `n = 0`).
    pub mean: f64,
    /// Sum of squared deviations from the mean (shift-invariant).
    pub m2: f64,
    /// Smallest value (+∞ when `n = 0`).
    pub min: f64,
    /// Largest value (−∞ when `n = 0`).
    pub max: f64,
    /// Number of NaN values seen.
    pub nans: u64,
}

impl Default for Moments {
    fn default() -> Moments {
        Moments::EMPTY
    }
}

impl Moments {
    /// No values.
    pub const EMPTY: Moments =
        Moments { n: 0, shift: 0.0, mean: 0.0, m2: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY, nans: 0 };

    /// Moments of `values` shifted by `shift`, in two passes (for short
    /// runs; see [`BLOCK`]).
    pub fn of_block(values: impl Iterator<Item = f64> + Clone, shift: f64) -> Moments {
        let mut m = Moments { shift, ..Moments::EMPTY };
        let mut sum = 0.0;
        for v in values.clone() {
            if v.is_nan() {
                m.nans += 1;
                continue;
            }
            m.n += 1;
            sum += v - shift;
            m.min = m.min.min(v);
            m.max = m.max.max(v);
        }
        if m.n == 0 {
            return m;
        }
        m.mean = sum / m.n as f64;
        if !m.mean.is_finite() {
            // An infinite value (or an overflowing sum): the deviations are
            // not finite either; keep what numpy would report.
            m.m2 = f64::NAN;
            return m;
        }
        m.m2 = values.filter(|v| !v.is_nan()).map(|v| (v - shift - m.mean) * (v - shift - m.mean)).sum();
        m
    }

    /// The mean of the values themselves, `K + mean(x − K)`.
    pub fn value_mean(&self) -> f64 {
        self.shift + self.mean
    }

    /// Chan, Golub & LeVeque's merge of two disjoint sets. Both sides
    /// normally share one shift; otherwise `other` is rebased onto this
    /// side's shift first.
    pub fn merge(self, mut other: Moments) -> Moments {
        let nans = self.nans + other.nans;
        if other.n == 0 {
            return Moments { nans, ..self };
        }
        if self.n == 0 {
            return Moments { nans, ..other };
        }
        if other.shift != self.shift {
            other.mean += other.shift - self.shift;
            other.shift = self.shift;
        }
        let n = self.n + other.n;
        let (na, nb, nf) = (self.n as f64, other.n as f64, n as f64);
        let delta = other.mean - self.mean;
        // Weighted form: accurate when one side is much larger than the other.
        let mean = self.mean + delta * (nb / nf);
        let m2 = self.m2 + other.m2 + delta * delta * (na * nb / nf);
        Moments { n, shift: self.shift, mean, m2, min: self.min.min(other.min), max: self.max.max(other.max), nans }
    }

    /// Variance with `ddof` delta degrees of freedom; NaN when `n ≤ ddof`.
    pub fn var(&self, ddof: u64) -> f64 {
        if self.n <= ddof {
            return f64::NAN;
        }
        self.m2 / (self.n - ddof) as f64
    }

    /// Encodes exactly (floats as their bit patterns) for snapshots.
    pub fn to_json(&self) -> Value {
        let bits = [self.shift, self.mean, self.m2, self.min, self.max].map(f64::to_bits);
        json!([self.n, bits[0], bits[1], bits[2], bits[3], bits[4], self.nans])
    }

    /// Decodes [`Moments::to_json`].
    pub fn from_json(v: &Value) -> Option<Moments> {
        let a = v.as_array().filter(|a| a.len() == 7)?;
        let u = |i: usize| a[i].as_u64();
        let f = |i: usize| u(i).map(f64::from_bits);
        Some(Moments { n: u(0)?, shift: f(1)?, mean: f(2)?, m2: f(3)?, min: f(4)?, max: f(5)?, nans: u(6)? })
    }
}

/// Integers of at most 16 bits, whose sums of values and of squares over a
/// block of [`EXACT_BLOCK`] elements fit an `i64`.
trait SmallInt: Element + Ord + Into<i64> {}
impl SmallInt for u8 {}
impl SmallInt for u16 {}
impl SmallInt for i16 {}

/// Elements per block of [`exact`]: `2^16 · (2^16)^2 = 2^48` bounds the
/// block's sum of squares.
const EXACT_BLOCK: usize = 1 << 16;

/// Moments of `count` elements of integer `data` of at most 16 bits (from
/// `start`, `stride` apart), computed exactly: the count `n`, the sum `S`
/// and the sum of squares `Q` are integers (`i128` across blocks), so
/// `mean(x − K) = (S − nK)/n` and `M2 = (nQ − S²)/n` carry one rounding
/// each, where the floating-point two-pass blocks carry `O(log n)`. The
/// block loops are plain integer reductions the compiler vectorises: about
/// 3.7× the throughput of [`pairwise`] (BENCHMARKS.md, trend).
fn exact<T: SmallInt>(data: &[T], start: usize, stride: usize, count: usize, shift: f64) -> Moments {
    let mut m = Moments { shift, ..Moments::EMPTY };
    if count == 0 {
        return m;
    }
    let (mut sum, mut squares) = (0i128, 0i128);
    let (mut lo, mut hi) = (None::<T>, None::<T>);
    let mut add = |b_sum: i64, b_sq: i64, b_lo: T, b_hi: T| {
        sum += b_sum as i128;
        squares += b_sq as i128;
        lo = Some(lo.map_or(b_lo, |l| l.min(b_lo)));
        hi = Some(hi.map_or(b_hi, |h| h.max(b_hi)));
    };
    if stride == 1 {
        for block in data[start..start + count].chunks(EXACT_BLOCK) {
            let (mut s, mut q) = (0i64, 0i64);
            let (mut l, mut h) = (block[0], block[0]);
            for &v in block {
                let x: i64 = v.into();
                s += x;
                q += x * x;
                l = l.min(v);
                h = h.max(v);
            }
            add(s, q, l, h);
        }
    } else {
        for b0 in (0..count).step_by(EXACT_BLOCK) {
            let (mut s, mut q) = (0i64, 0i64);
            let first = data[start + b0 * stride];
            let (mut l, mut h) = (first, first);
            for i in b0..(b0 + EXACT_BLOCK).min(count) {
                let v = data[start + i * stride];
                let x: i64 = v.into();
                s += x;
                q += x * x;
                l = l.min(v);
                h = h.max(v);
            }
            add(s, q, l, h);
        }
    }
    let n = count as i128;
    m.n = count as u64;
    // The shift is one of the values or 0: an integer, exact in i128.
    m.mean = (sum - n * shift as i128) as f64 / count as f64;
    m.m2 = (n * squares - sum * sum) as f64 / count as f64;
    m.min = lo.expect("count > 0").to_f64();
    m.max = hi.expect("count > 0").to_f64();
    m
}

/// Moments of `count` elements of `data` starting at `start`, `stride` apart:
/// blocks of [`BLOCK`] in two passes, merged in a balanced binary tree.
fn pairwise<T: Element>(data: &[T], start: usize, stride: usize, count: usize, shift: f64) -> Moments {
    if count <= BLOCK {
        return Moments::of_block((0..count).map(move |i| data[start + i * stride].to_f64()), shift);
    }
    // Split on a block boundary so the tree does not depend on anything but
    // the count.
    let half = count.div_ceil(2 * BLOCK) * BLOCK;
    pairwise(data, start, stride, half, shift).merge(pairwise(data, start + half * stride, stride, count - half, shift))
}

/// How many channels an array has: its last extent when the last axis is
/// labelled `band`, `c` or `channel`, else 1.
pub fn channels(view: &ArrayView<'_>) -> usize {
    plexus_plugin_api::channel_count(view.shape(), view.axes())
}

/// Moments of each of `channels` interleaved channels of the elements
/// `range` of `view` (flat, row-major indices; `range` must hold whole
/// pixels). `shifts` gives each channel's shift; without it, a channel's
/// shift is its first finite value in `range` (0 if none).
pub fn per_channel(
    view: &ArrayView<'_>,
    channels: usize,
    range: std::ops::Range<usize>,
    shifts: Option<&[f64]>,
) -> Vec<Moments> {
    fn typed<T: Element>(
        data: &[T],
        channels: usize,
        range: std::ops::Range<usize>,
        shifts: Option<&[f64]>,
        reduce: fn(&[T], usize, usize, usize, f64) -> Moments,
    ) -> Vec<Moments> {
        let pixels = range.len() / channels.max(1);
        (0..channels)
            .map(|c| {
                let start = range.start + c;
                let shift = match shifts {
                    Some(s) => s[c],
                    None => {
                        (0..pixels).map(|i| data[start + i * channels].to_f64()).find(|v| v.is_finite()).unwrap_or(0.0)
                    }
                };
                reduce(data, start, channels, pixels, shift)
            })
            .collect()
    }
    if channels == 0 {
        return Vec::new();
    }
    macro_rules! go {
        ($t:ty, $reduce:expr) => {
            typed::<$t>(view.as_slice::<$t>().expect("dtype checked"), channels, range, shifts, $reduce)
        };
    }
    match view.dtype() {
        DType::U8 => go!(u8, exact),
        DType::U16 => go!(u16, exact),
        DType::U32 => go!(u32, pairwise),
        DType::I16 => go!(i16, exact),
        DType::I32 => go!(i32, pairwise),
        DType::F32 => go!(f32, pairwise),
        DType::F64 => go!(f64, pairwise),
    }
}

/// What a NaN in the data does to the published statistics (scipy's
/// `nan_policy` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NanPolicy {
    /// NaN makes `min`, `max`, `mean`, `std` and `var` NaN (published as
    /// JSON `null`), as numpy's `min`, `mean`, `std` do.
    #[default]
    Propagate,
    /// NaN values are left out, as numpy's `nanmin`, `nanmean`, `nanstd`.
    Omit,
    /// A NaN fails the frame.
    Raise,
}

/// The one-line doc of every trend operator's `ddof` parameter.
pub const DDOF_DOC: &str = "delta degrees of freedom: std = sqrt(M2 / (n - ddof)); 0 as numpy.std";

/// The one-line doc of every trend operator's `nan_policy` parameter.
pub const NAN_POLICY_DOC: &str =
    "propagate: NaN makes the statistics NaN (null); omit: ignore NaN as numpy.nanmean; raise: fail the frame";

/// The statistics published for one channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Elements seen, NaN included.
    pub count: u64,
    /// NaN elements seen.
    pub nan_count: u64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Standard deviation with the operator's `ddof`.
    pub std: f64,
    /// Variance with the operator's `ddof`.
    pub var: f64,
}

impl Summary {
    /// Applies the NaN policy and `ddof`. An empty set has NaN statistics
    /// (numpy raises for `min` of an empty array and gives NaN for `mean`).
    pub fn of(m: &Moments, ddof: u64, policy: NanPolicy) -> Summary {
        let count = m.n + m.nans;
        let nan = f64::NAN;
        if m.n == 0 || (m.nans > 0 && policy == NanPolicy::Propagate) {
            return Summary { count, nan_count: m.nans, min: nan, max: nan, mean: nan, std: nan, var: nan };
        }
        let var = m.var(ddof);
        Summary { count, nan_count: m.nans, min: m.min, max: m.max, mean: m.value_mean(), std: var.sqrt(), var }
    }

    /// The field `name` as a JSON number (`null` for NaN or infinity).
    pub fn field(&self, name: &str) -> Value {
        match name {
            "count" => self.count.into(),
            "nan_count" => self.nan_count.into(),
            "min" => self.min.into(),
            "max" => self.max.into(),
            "mean" => self.mean.into(),
            "std" => self.std.into(),
            "var" => self.var.into(),
            _ => Value::Null,
        }
    }
}

/// The fields every summary publishes, in order.
pub const FIELDS: [&str; 7] = ["count", "nan_count", "min", "max", "mean", "std", "var"];

/// One field across channels: a number for one channel, a list otherwise.
pub fn field_over_channels(summaries: &[Summary], name: &str) -> Value {
    match summaries {
        [one] => one.field(name),
        many => Value::Array(many.iter().map(|s| s.field(name)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_plugin_api::Array;

    fn naive(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        (mean, v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n)
    }

    #[test]
    fn merge_equals_direct_reduction() {
        let v: Vec<f64> = (0..1000).map(|i| ((i * 37) % 101) as f64 * 0.5 - 3.0).collect();
        let whole = Moments::of_block(v.iter().copied(), 0.0);
        let split =
            Moments::of_block(v[..333].iter().copied(), 1.0).merge(Moments::of_block(v[333..].iter().copied(), 1.0));
        let (mean, var) = naive(&v);
        for m in [whole, split] {
            assert_eq!(m.n, 1000);
            assert!((m.value_mean() - mean).abs() <= 1e-13 * mean.abs());
            assert!((m.var(0) - var).abs() <= 1e-13 * var);
            assert_eq!((m.min, m.max), (-3.0, 47.0));
        }
    }

    /// Every u16 (and every i16) value once, three times over (beyond one
    /// exact block): mean and variance of the discrete uniform
    /// distribution in closed form, `(N² − 1)/12` for `N = 65536`; the
    /// exact integer path gives them to the last bit, and the two-pass
    /// float path agrees to 1e-13; interleaved as two channels too.
    #[test]
    fn small_integers_are_reduced_exactly() {
        let var = (65536.0f64 * 65536.0 - 1.0) / 12.0;
        let u: Vec<u16> = (0..3 * 65536).map(|i| (i % 65536) as u16).collect();
        let i: Vec<i16> = u.iter().map(|&v| (v as i32 - 32768) as i16).collect();
        for (m, mean, lo, hi) in [
            (exact(&u, 0, 1, u.len(), 7.0), 32767.5, 0.0, 65535.0),
            (exact(&i, 0, 1, i.len(), -32768.0), -0.5, -32768.0, 32767.0),
        ] {
            assert_eq!(m.n, 3 * 65536);
            assert_eq!(m.value_mean(), mean);
            assert_eq!(m.var(0), var);
            assert_eq!((m.min, m.max), (lo, hi));
        }
        let float = pairwise(&u, 0, 1, u.len(), 7.0);
        assert!((float.var(0) - var).abs() <= 1e-13 * var, "{}", float.var(0));
        // Two interleaved channels: the even and the odd values.
        let even = exact(&u, 0, 2, u.len() / 2, 0.0);
        let odd = exact(&u, 1, 2, u.len() / 2, 1.0);
        assert_eq!((even.value_mean(), odd.value_mean()), (32767.0, 32768.0));
        assert_eq!((even.min, even.max, odd.min, odd.max), (0.0, 65534.0, 1.0, 65535.0));
        // Values 0, 2, …, 65534: 2·uniform(32768), variance 4·(32768² − 1)/12.
        assert_eq!(even.var(0), 4.0 * (32768.0f64 * 32768.0 - 1.0) / 12.0);
    }

    #[test]
    fn empty_sides_merge_to_the_other() {
        let a = Moments::of_block([1.0, 2.0].into_iter(), 0.0);
        assert_eq!(a.merge(Moments::EMPTY), a);
        assert_eq!(Moments::EMPTY.merge(a), a);
        let s = Summary::of(&Moments::EMPTY, 0, NanPolicy::Omit);
        assert_eq!(s.count, 0);
        assert!(s.mean.is_nan() && s.min.is_nan());
    }

    #[test]
    fn merge_rebases_a_different_shift() {
        let v = [1e9 + 1.0, 1e9 + 2.0, 1e9 + 4.0, 1e9 + 5.0];
        let a = Moments::of_block(v[..2].iter().copied(), 1e9);
        let b = Moments::of_block(v[2..].iter().copied(), 1e9 + 4.0);
        let m = a.merge(b);
        assert_eq!((m.shift, m.value_mean(), m.var(0)), (1e9, 1e9 + 3.0, 2.5));
    }

    #[test]
    fn ddof_at_or_above_count_is_nan() {
        let a = Moments::of_block([4.0].into_iter(), 0.0);
        assert_eq!(a.var(0), 0.0);
        assert!(a.var(1).is_nan());
    }

    #[test]
    fn json_round_trip_is_exact() {
        let m = Moments::of_block([0.1, 0.2, 0.7, f64::NAN].into_iter(), 0.1);
        assert_eq!(Moments::from_json(&m.to_json()), Some(m));
        assert_eq!(Moments::from_json(&Moments::EMPTY.to_json()), Some(Moments::EMPTY));
    }

    #[test]
    fn channels_follow_the_last_axis_label() {
        let rgb = Array::zeros::<u8>(vec![2, 2, 3]).with_axes("y x c").unwrap();
        assert_eq!(channels(&rgb.view()), 3);
        let vol = Array::zeros::<u8>(vec![2, 2, 3]);
        assert_eq!(channels(&vol.view()), 1);
    }

    #[test]
    fn pairwise_tree_handles_uneven_counts() {
        for n in [1usize, 255, 256, 257, 1000, 4097] {
            let a = Array::from_fn(vec![n], |i| (i % 13) as f64);
            let m = per_channel(&a.view(), 1, 0..n, None)[0];
            let (mean, var) = naive(&a.to_f64_vec());
            assert_eq!(m.n, n as u64);
            assert!((m.value_mean() - mean).abs() <= 1e-13 * mean.abs().max(1.0), "n = {n}");
            assert!((m.var(0) - var).abs() <= 1e-13 * var.max(1.0), "n = {n}");
        }
    }
}
