//! Partial moments — count, mean, sum of squared deviations, min, max, NaN
//! count — of one channel of an array, and how partials merge. Both trend
//! operators are built on it.
//!
//! # Method
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

use plexus_plugin_api::{ArrayView, DType, Element, PluginError};
use serde_json::{json, Value};

/// Elements reduced directly, in two passes, before pairwise merging.
pub const BLOCK: usize = 256;

/// Axis labels that mark the last axis as channels (`docs/CONVENTIONS.md`).
pub const CHANNEL_LABELS: [&str; 3] = ["band", "c", "channel"];

/// Moments of a set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Number of non-NaN values.
    pub n: u64,
    /// Their mean (0 when `n = 0`).
    pub mean: f64,
    /// Sum of squared deviations from the mean.
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
        Moments { n: 0, mean: 0.0, m2: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY, nans: 0 };

    /// Moments of `values` in two passes (for short runs; see [`BLOCK`]).
    pub fn of_block(values: impl Iterator<Item = f64> + Clone) -> Moments {
        let mut m = Moments::EMPTY;
        let mut sum = 0.0;
        for v in values.clone() {
            if v.is_nan() {
                m.nans += 1;
                continue;
            }
            m.n += 1;
            sum += v;
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
        m.m2 = values.filter(|v| !v.is_nan()).map(|v| (v - m.mean) * (v - m.mean)).sum();
        m
    }

    /// Chan, Golub & LeVeque's merge of two disjoint sets.
    pub fn merge(self, other: Moments) -> Moments {
        let nans = self.nans + other.nans;
        if other.n == 0 {
            return Moments { nans, ..self };
        }
        if self.n == 0 {
            return Moments { nans, ..other };
        }
        let n = self.n + other.n;
        let (na, nb, nf) = (self.n as f64, other.n as f64, n as f64);
        let delta = other.mean - self.mean;
        // Weighted form: accurate when one side is much larger than the other.
        let mean = self.mean + delta * (nb / nf);
        let m2 = self.m2 + other.m2 + delta * delta * (na * nb / nf);
        Moments { n, mean, m2, min: self.min.min(other.min), max: self.max.max(other.max), nans }
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
        json!([self.n, self.mean.to_bits(), self.m2.to_bits(), self.min.to_bits(), self.max.to_bits(), self.nans])
    }

    /// Decodes [`Moments::to_json`].
    pub fn from_json(v: &Value) -> Option<Moments> {
        let a = v.as_array().filter(|a| a.len() == 6)?;
        let u = |i: usize| a[i].as_u64();
        Some(Moments {
            n: u(0)?,
            mean: f64::from_bits(u(1)?),
            m2: f64::from_bits(u(2)?),
            min: f64::from_bits(u(3)?),
            max: f64::from_bits(u(4)?),
            nans: u(5)?,
        })
    }
}

/// Moments of `count` elements of `data` starting at `start`, `stride` apart:
/// blocks of [`BLOCK`] in two passes, merged in a balanced binary tree.
fn pairwise<T: Element>(data: &[T], start: usize, stride: usize, count: usize) -> Moments {
    if count <= BLOCK {
        return Moments::of_block((0..count).map(move |i| data[start + i * stride].to_f64()));
    }
    // Split on a block boundary so the tree does not depend on anything but
    // the count.
    let half = count.div_ceil(2 * BLOCK) * BLOCK;
    pairwise(data, start, stride, half).merge(pairwise(data, start + half * stride, stride, count - half))
}

/// How many channels an array has: its last extent when the last axis is
/// labelled `band`, `c` or `channel`, else 1.
pub fn channels(view: &ArrayView<'_>) -> usize {
    match (view.axes().split_whitespace().last(), view.shape().last()) {
        (Some(label), Some(&n)) if CHANNEL_LABELS.contains(&label) => n,
        _ => 1,
    }
}

/// Moments of each of `channels` interleaved channels of the elements
/// `range` of `view` (flat, row-major indices; `range` must hold whole
/// pixels).
pub fn per_channel(view: &ArrayView<'_>, channels: usize, range: std::ops::Range<usize>) -> Vec<Moments> {
    fn typed<T: Element>(data: &[T], channels: usize, range: std::ops::Range<usize>) -> Vec<Moments> {
        let pixels = range.len() / channels.max(1);
        (0..channels).map(|c| pairwise(data, range.start + c, channels, pixels)).collect()
    }
    if channels == 0 {
        return Vec::new();
    }
    macro_rules! go {
        ($t:ty) => {
            typed::<$t>(view.as_slice::<$t>().expect("dtype checked"), channels, range)
        };
    }
    match view.dtype() {
        DType::U8 => go!(u8),
        DType::U16 => go!(u16),
        DType::U32 => go!(u32),
        DType::I16 => go!(i16),
        DType::I32 => go!(i32),
        DType::F32 => go!(f32),
        DType::F64 => go!(f64),
    }
}

/// What a NaN in the data does to the published statistics (scipy's
/// `nan_policy` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NanPolicy {
    /// NaN makes `min`, `max`, `mean`, `std` and `var` NaN (published as
    /// JSON `null`), as numpy's `min`, `mean`, `std` do.
    Propagate,
    /// NaN values are left out, as numpy's `nanmin`, `nanmean`, `nanstd`.
    Omit,
    /// A NaN fails the frame.
    Raise,
}

impl NanPolicy {
    /// Parses `"propagate"`, `"omit"` or `"raise"`.
    pub fn parse(s: &str) -> Result<NanPolicy, PluginError> {
        match s {
            "propagate" => Ok(NanPolicy::Propagate),
            "omit" => Ok(NanPolicy::Omit),
            "raise" => Ok(NanPolicy::Raise),
            other => Err(PluginError::param(
                "nan_policy",
                format!("expected one of `propagate`, `omit`, `raise`, got `{other}`"),
            )),
        }
    }
}

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
        Summary { count, nan_count: m.nans, min: m.min, max: m.max, mean: m.mean, std: var.sqrt(), var }
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
        let whole = Moments::of_block(v.iter().copied());
        let split = Moments::of_block(v[..333].iter().copied()).merge(Moments::of_block(v[333..].iter().copied()));
        let (mean, var) = naive(&v);
        for m in [whole, split] {
            assert_eq!(m.n, 1000);
            assert!((m.mean - mean).abs() <= 1e-13 * mean.abs());
            assert!((m.var(0) - var).abs() <= 1e-13 * var);
            assert_eq!((m.min, m.max), (-3.0, 47.0));
        }
    }

    #[test]
    fn empty_sides_merge_to_the_other() {
        let a = Moments::of_block([1.0, 2.0].into_iter());
        assert_eq!(a.merge(Moments::EMPTY), a);
        assert_eq!(Moments::EMPTY.merge(a), a);
        let s = Summary::of(&Moments::EMPTY, 0, NanPolicy::Omit);
        assert_eq!(s.count, 0);
        assert!(s.mean.is_nan() && s.min.is_nan());
    }

    #[test]
    fn ddof_at_or_above_count_is_nan() {
        let a = Moments::of_block([4.0].into_iter());
        assert_eq!(a.var(0), 0.0);
        assert!(a.var(1).is_nan());
    }

    #[test]
    fn json_round_trip_is_exact() {
        let m = Moments::of_block([0.1, 0.2, 0.7, f64::NAN].into_iter());
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
            let m = per_channel(&a.view(), 1, 0..n)[0];
            let (mean, var) = naive(&a.to_f64_vec());
            assert_eq!(m.n, n as u64);
            assert!((m.mean - mean).abs() <= 1e-13 * mean.abs().max(1.0), "n = {n}");
            assert!((m.var(0) - var).abs() <= 1e-13 * var.max(1.0), "n = {n}");
        }
    }

    #[test]
    fn nan_policy_parses_with_clear_error() {
        assert_eq!(NanPolicy::parse("omit").unwrap(), NanPolicy::Omit);
        assert_eq!(
            NanPolicy::parse("skip").unwrap_err().to_string(),
            "parameter `nan_policy`: expected one of `propagate`, `omit`, `raise`, got `skip`"
        );
    }
}
