//! The `threshold` operator: Otsu, multi-Otsu and fixed thresholds, with
//! histograms that accumulate chunk by chunk.
//!
//! # Operator
//! `segment.threshold` sends on a u8 image of the input's shape: 0/1 for one
//! threshold (`value > t`), classes `0 ..= n` for `n` thresholds. `fixed`
//! works on any chunking. Otsu and multi-Otsu are statistics of the whole
//! volume: on a frame that is the whole volume (or an independent image) they
//! are computed from it; a volume streamed in chunks has its thresholds
//! measured by [`crate::otsu`] first and applied here with `method =
//! "fixed"` and `value = "${otsu.threshold}"` (or `thresholds =
//! "${otsu.thresholds}"`). The thresholds of the last frame are published
//! as `threshold` and `thresholds` (and each output frame's metadata holds
//! its own `thresholds`).
//!
//! # Conventions
//! - Foreground (Otsu, fixed): `value > threshold` → 1, else 0, as
//!   scikit-image documents for `threshold_otsu` ("pixels with an intensity
//!   higher than this value are assumed to be foreground").
//! - Multi-Otsu classes: `numpy.digitize(value, thresholds)`, the use the
//!   scikit-image docs show: class `k` holds `t[k-1] <= value < t[k]`.
//! - Histograms as `skimage.exposure.histogram(source_range="image")`:
//!   integer images get one bin per integer from their minimum to their
//!   maximum, so thresholds are integers; float images get `nbins` (256)
//!   equal bins over `[min, max]` with numpy's edge rule and the bin centre
//!   as threshold.
//! - Arithmetic follows scikit-image's exactly, f32 where it uses f32
//!   (counts, cumulative weights; everything for f32 images; the multi-Otsu
//!   lookup table), so ties resolve the same way.
//!
//! # Chunks
//! [`Histogram`] is a reduction: each chunk adds its voxels
//! ([`Histogram::add`]) and histograms of chunks merge by adding counts
//! ([`Histogram::merge`]), exactly. Float images need their range first: a
//! [`ValueRange`] pass (which merges too), then the counts.
//!
//! # References
//! - N. Otsu, "A threshold selection method from gray-level histograms",
//!   *IEEE Trans. Systems, Man, and Cybernetics* 9(1):62–66 (1979),
//!   doi:10.1109/TSMC.1979.4310076.
//! - P.-S. Liao, T.-S. Chen, P.-C. Chung, "A fast algorithm for multilevel
//!   thresholding", *J. Information Science and Engineering* 17(5):713–727
//!   (2001), doi:10.6688/JISE.2001.17.5.1.

use plexus_kernels::binning::Binning;
use plexus_kernels::chunk::{self, VolumeChunk};
use plexus_kernels::with_elements;
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::error::{param, SegmentError};
use crate::sample::Sample;

/// How the threshold is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Otsu's threshold (two classes), `skimage.filters.threshold_otsu`.
    Otsu,
    /// `classes - 1` thresholds, `skimage.filters.threshold_multiotsu`.
    MultiOtsu,
    /// The given `value`.
    Fixed,
}

/// Parameters of `segment.threshold`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThresholdParams {
    /// `otsu` (default), `multi-otsu` or `fixed`.
    pub method: Method,
    /// Classes for `multi-otsu` (default 3, scikit-image's).
    pub classes: usize,
    /// The threshold for `fixed`, in image units.
    pub value: Option<f64>,
    /// Several thresholds for `fixed`, increasing: classes as multi-Otsu's
    /// (instead of `value`).
    pub thresholds: Vec<f64>,
    /// Bins of the histogram of a float image (default 256, scikit-image's);
    /// integer images always get one bin per value.
    pub nbins: usize,
}

impl Default for ThresholdParams {
    fn default() -> Self {
        ThresholdParams { method: Method::Otsu, classes: 3, value: None, thresholds: Vec::new(), nbins: 256 }
    }
}

impl Params for ThresholdParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "method",
            "otsu: skimage threshold_otsu; multi-otsu: threshold_multiotsu (classes); fixed: value or thresholds",
        ),
        Param::new("classes", "classes for multi-otsu").min(2.0),
        Param::new("value", "the threshold for fixed, image units: foreground is value > t"),
        Param::new("thresholds", "several increasing thresholds for fixed: classes numpy.digitize(value, thresholds)"),
        Param::new("nbins", "histogram bins of a float image (integer images: one bin per value)").min(1.0),
    ];
}

impl ThresholdParams {
    /// Checks the parameters against each other.
    pub fn validate(&self) -> Result<(), SegmentError> {
        match self.method {
            Method::MultiOtsu if self.classes < 2 => Err(param("classes", "must be at least 2", self.classes)),
            Method::Fixed => match (self.value, self.thresholds.as_slice()) {
                (Some(v), []) if v.is_finite() => Ok(()),
                (Some(v), []) => Err(param("value", "must be finite", v)),
                (None, []) => Err(param("value", "is required by `method = \"fixed\"`", "nothing")),
                (Some(_), _) => Err(param("thresholds", "must be left out when `value` is given", "both")),
                (None, t) if t.iter().all(|v| v.is_finite()) && t.windows(2).all(|w| w[0] < w[1]) => Ok(()),
                (None, t) => Err(param("thresholds", "must be finite and increasing", format!("{t:?}"))),
            },
            _ if self.nbins == 0 => Err(param("nbins", "must be at least 1", self.nbins)),
            _ => Ok(()),
        }
    }
}

/// The range of a float image, the first pass of its histogram.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ValueRange {
    /// `(min, max)` so far; `None` before any voxel.
    pub min_max: Option<(f64, f64)>,
}

impl ValueRange {
    /// Adds a chunk's voxels; NaN is an error naming the voxel.
    pub fn add<T: Sample>(&mut self, image: &[T], offset: usize) -> Result<(), SegmentError> {
        let mut mm = self.min_max;
        for (i, v) in image.iter().enumerate() {
            let v = v.to_f64();
            if v.is_nan() {
                return Err(SegmentError::NotANumber { index: offset + i });
            }
            mm = Some(match mm {
                None => (v, v),
                Some((lo, hi)) => (lo.min(v), hi.max(v)),
            });
        }
        self.min_max = mm;
        Ok(())
    }

    /// Merges another chunk's range.
    pub fn merge(&mut self, other: &ValueRange) {
        self.min_max = match (self.min_max, other.min_max) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (a, b) => a.or(b),
        };
    }
}

/// An image histogram as scikit-image builds it for thresholding.
#[derive(Debug, Clone, PartialEq)]
pub enum Histogram {
    /// Integer image: `counts[i]` voxels of value `lo + i`.
    Integer {
        /// Value of the first bin.
        lo: i64,
        /// One count per integer value.
        counts: Vec<u64>,
    },
    /// Float image: counts in the bins of `binning`.
    Float {
        /// numpy's equal-width bins over the image range.
        binning: Binning,
        /// Whether centres are computed in f32 (f32 images).
        f32_centres: bool,
        /// The image's `(min, max)`.
        range: (f64, f64),
        /// One count per bin.
        counts: Vec<u64>,
    },
}

impl Histogram {
    /// An empty histogram for an integer image.
    pub fn integer() -> Histogram {
        Histogram::Integer { lo: 0, counts: Vec::new() }
    }

    /// An empty histogram of `nbins` bins over a float image's `range`.
    pub fn float<T: Sample>(range: &ValueRange, nbins: usize) -> Result<Histogram, SegmentError> {
        let (min, max) = range.min_max.ok_or_else(|| param("image", "must hold at least one voxel", "none"))?;
        // numpy widens a zero-width range by 0.5 on both sides.
        let (lo, hi) = if min == max { (min - 0.5, max + 0.5) } else { (min, max) };
        let bad_bins = |e: String| param("nbins", "must give bins of positive width", e);
        let binning = if T::F32 {
            // numpy's linspace computes f32 edges in f32: step = (hi - lo) / n,
            // edge = i * step + lo, the last edge exactly hi.
            let (lo32, hi32) = (lo as f32, hi as f32);
            let step = (hi32 - lo32) / nbins as f32;
            let mut edges: Vec<f64> = (0..=nbins).map(|i| (i as f32 * step + lo32) as f64).collect();
            edges[nbins] = hi32 as f64;
            Binning::from_edges(edges).map_err(bad_bins)?
        } else {
            Binning::new(nbins, lo, hi).map_err(|e| bad_bins(e.to_string()))?
        };
        Ok(Histogram::Float { counts: vec![0; nbins], binning, f32_centres: T::F32, range: (min, max) })
    }

    /// The histogram of a whole image (for float images both passes).
    pub fn of<T: Sample>(image: &[T], nbins: usize) -> Result<Histogram, SegmentError> {
        let mut h = if T::INTEGER {
            Histogram::integer()
        } else {
            let mut range = ValueRange::default();
            range.add(image, 0)?;
            Histogram::float::<T>(&range, nbins)?
        };
        h.add(image)?;
        Ok(h)
    }

    /// Adds a chunk's voxels.
    pub fn add<T: Sample>(&mut self, image: &[T]) -> Result<(), SegmentError> {
        match self {
            Histogram::Integer { lo, counts } => {
                let Some((a, b)) = int_range(image) else { return Ok(()) };
                check_span(*lo, counts.len(), a, b)?;
                widen(lo, counts, a, b);
                let base = *lo;
                for v in image {
                    counts[(v.to_i64() - base) as usize] += 1;
                }
                Ok(())
            }
            Histogram::Float { binning, counts, .. } => {
                for (i, v) in image.iter().enumerate() {
                    let x = v.to_f64();
                    match binning.bin_of(x) {
                        Some(b) => counts[b] += 1,
                        None if x.is_nan() => return Err(SegmentError::NotANumber { index: i }),
                        None => {
                            return Err(param("image", "must lie in the range of the first pass", x));
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// Adds another chunk's histogram (same kind; float bins must agree).
    pub fn merge(&mut self, other: &Histogram) -> Result<(), SegmentError> {
        match (self, other) {
            (Histogram::Integer { lo, counts }, Histogram::Integer { lo: olo, counts: oc }) => {
                if !oc.is_empty() {
                    check_span(*lo, counts.len(), *olo, *olo + oc.len() as i64 - 1)?;
                    widen(lo, counts, *olo, *olo + oc.len() as i64 - 1);
                    let at = (*olo - *lo) as usize;
                    for (c, o) in counts[at..].iter_mut().zip(oc) {
                        *c += o;
                    }
                }
                Ok(())
            }
            (Histogram::Float { binning, counts, .. }, Histogram::Float { binning: ob, counts: oc, .. })
                if binning == ob =>
            {
                for (c, o) in counts.iter_mut().zip(oc) {
                    *c += o;
                }
                Ok(())
            }
            _ => Err(param("histogram", "must merge with one of the same kind and bins", "another")),
        }
    }

    /// Counts and bin centres, trimmed to the occupied range as scikit-image
    /// does (`source_range = "image"`).
    fn trimmed(&self) -> (Vec<u64>, Vec<f64>) {
        match self {
            Histogram::Integer { lo, counts } => {
                let first = counts.iter().position(|&c| c > 0).unwrap_or(0);
                let last = counts.iter().rposition(|&c| c > 0).map_or(0, |i| i + 1);
                let centres = (first..last).map(|i| (*lo + i as i64) as f64).collect();
                (counts[first..last].to_vec(), centres)
            }
            Histogram::Float { binning, counts, f32_centres, .. } => {
                let e = binning.edges();
                let centres = if *f32_centres {
                    e.windows(2).map(|w| ((w[0] as f32 + w[1] as f32) / 2.0) as f64).collect()
                } else {
                    binning.centres()
                };
                (counts.clone(), centres)
            }
        }
    }

    fn f32_arith(&self) -> bool {
        matches!(self, Histogram::Float { f32_centres: true, .. })
    }
}

fn int_range<T: Sample>(image: &[T]) -> Option<(i64, i64)> {
    let mut it = image.iter().map(|v| v.to_i64());
    let first = it.next()?;
    Some(it.fold((first, first), |(a, b), v| (a.min(v), b.max(v))))
}

/// One bin per integer value is kept up to this span (64 Mi bins, 512 MiB).
const MAX_SPAN: i64 = 1 << 26;

/// Refuses an integer histogram that would span more than [`MAX_SPAN`] values.
fn check_span(lo: i64, len: usize, a: i64, b: i64) -> Result<(), SegmentError> {
    let (lo, hi) = if len == 0 { (a, b) } else { (lo.min(a), (lo + len as i64 - 1).max(b)) };
    if hi - lo >= MAX_SPAN {
        return Err(param("image", "must span fewer than 2^26 integer values for a histogram", hi - lo + 1));
    }
    Ok(())
}

/// Grows an integer histogram to cover `[a, b]`.
fn widen(lo: &mut i64, counts: &mut Vec<u64>, a: i64, b: i64) {
    if counts.is_empty() {
        *lo = a;
        counts.resize((b - a + 1) as usize, 0);
        return;
    }
    if a < *lo {
        let grow = (*lo - a) as usize;
        counts.splice(0..0, std::iter::repeat_n(0, grow));
        *lo = a;
    }
    let need = (b - *lo + 1) as usize;
    if need > counts.len() {
        counts.resize(need, 0);
    }
}

/// Otsu's threshold of a histogram, as `skimage.filters.threshold_otsu`.
///
/// # Returns
/// The bin centre maximising the between-class variance (an integer for an
/// integer image); the single value when the image holds only one.
pub fn otsu(hist: &Histogram) -> Result<f64, SegmentError> {
    let (counts, centres) = hist.trimmed();
    if counts.is_empty() {
        return Err(param("image", "must hold at least one voxel", "none"));
    }
    // A constant image: scikit-image returns its value.
    match hist {
        Histogram::Integer { .. } if counts.len() == 1 => return Ok(centres[0]),
        Histogram::Float { range: (lo, hi), .. } if lo == hi => return Ok(*lo),
        _ => {}
    }
    let n = counts.len();
    let c32: Vec<f32> = counts.iter().map(|&c| c as f32).collect();
    let mut w1 = vec![0f32; n];
    let mut w2 = vec![0f32; n];
    let mut acc = 0f32;
    for i in 0..n {
        acc += c32[i];
        w1[i] = acc;
    }
    acc = 0.0;
    for i in (0..n).rev() {
        acc += c32[i];
        w2[i] = acc;
    }
    let mut best = (f64::NEG_INFINITY, 0usize);
    if hist.f32_arith() {
        // f32 image: numpy keeps every array in f32.
        let m: Vec<f32> = c32.iter().zip(&centres).map(|(c, x)| c * *x as f32).collect();
        let (mut m1, mut m2) = (vec![0f32; n], vec![0f32; n]);
        let mut s = 0f32;
        for i in 0..n {
            s += m[i];
            m1[i] = s / w1[i];
        }
        s = 0.0;
        for i in (0..n).rev() {
            s += m[i];
            m2[i] = s / w2[i];
        }
        for i in 0..n - 1 {
            let d = m1[i] - m2[i + 1];
            let v = w1[i] * w2[i + 1] * (d * d);
            if (v as f64) > best.0 {
                best = (v as f64, i);
            }
        }
    } else {
        let m: Vec<f64> = c32.iter().zip(&centres).map(|(c, x)| *c as f64 * x).collect();
        let (mut m1, mut m2) = (vec![0f64; n], vec![0f64; n]);
        let mut s = 0f64;
        for i in 0..n {
            s += m[i];
            m1[i] = s / w1[i] as f64;
        }
        s = 0.0;
        for i in (0..n).rev() {
            s += m[i];
            m2[i] = s / w2[i] as f64;
        }
        for i in 0..n - 1 {
            let d = m1[i] - m2[i + 1];
            let v = (w1[i] * w2[i + 1]) as f64 * (d * d);
            if v > best.0 {
                best = (v, i);
            }
        }
    }
    Ok(centres[best.1])
}

/// `classes - 1` multi-Otsu thresholds of a histogram, as
/// `skimage.filters.threshold_multiotsu` (exhaustive search over a lookup
/// table of between-class variances, Liao et al. 2001, in f32).
///
/// # Errors
/// [`SegmentError::TooFewValues`] when fewer occupied bins than classes.
pub fn multi_otsu(hist: &Histogram, classes: usize) -> Result<Vec<f64>, SegmentError> {
    if classes < 2 {
        return Err(param("classes", "must be at least 2", classes));
    }
    let (counts, centres) = hist.trimmed();
    let total: u64 = counts.iter().sum();
    let prob: Vec<f32> = counts.iter().map(|&c| (c as f64 / total as f64) as f32).collect();
    let occupied: Vec<usize> = (0..prob.len()).filter(|&i| prob[i] != 0.0).collect();
    if occupied.len() < classes {
        return Err(SegmentError::TooFewValues { need: classes, classes, got: occupied.len() });
    }
    let idx: Vec<usize> = if occupied.len() == classes {
        occupied[..classes - 1].to_vec()
    } else {
        multi_otsu_indices(&prob, classes - 1)
    };
    Ok(idx.into_iter().map(|i| centres[i]).collect())
}

/// Above this many bins the n²/2 lookup table is not built.
const LUT_MAX_BINS: usize = 4096;

/// The threshold indices maximising the between-class variance.
fn multi_otsu_indices(prob: &[f32], count: usize) -> Vec<usize> {
    let n = prob.len();
    // Upper-triangular LUT H[i, j] = S(i..=j)² / P(i..=j), scikit-image's
    // layout and arithmetic (including its first-moment start S[0] = p[0]).
    let mut p0 = vec![0f32; n];
    let mut s0 = vec![0f32; n];
    let table = if n <= LUT_MAX_BINS { n * (n + 1) / 2 } else { n };
    let mut h = vec![0f32; table];
    p0[0] = prob[0];
    s0[0] = prob[0];
    for i in 1..n {
        p0[i] = p0[i - 1] + prob[i];
        s0[i] = s0[i - 1] + i as f32 * prob[i];
        if p0[i] > 0.0 {
            h[i] = s0[i] * s0[i] / p0[i];
        }
    }
    let mut current = vec![0usize; count];
    let mut best = vec![0usize; count];
    let mut sigma_max = 0f32;
    if n <= LUT_MAX_BINS {
        let mut idx = n;
        for i in 1..n {
            for j in i..n {
                let pij = p0[j] - p0[i - 1];
                if pij > 0.0 {
                    let sij = s0[j] - s0[i - 1];
                    h[idx] = sij * sij / pij;
                }
                idx += 1;
            }
        }
        let at = |i: usize, j: usize| h[(i * (2 * n - i + 1)) / 2 + j - i];
        search(&at, n, count, 0, 0, &mut current, &mut best, &mut sigma_max);
    } else {
        // The same values computed on demand (scikit-image's fallback when
        // the table does not fit in memory), so the result is the same.
        let at = |i: usize, j: usize| {
            if i == 0 {
                h[j]
            } else {
                let pij = p0[j] - p0[i - 1];
                if pij > 0.0 {
                    let sij = s0[j] - s0[i - 1];
                    sij * sij / pij
                } else {
                    0.0
                }
            }
        };
        search(&at, n, count, 0, 0, &mut current, &mut best, &mut sigma_max);
    }
    best
}

/// scikit-image's recursive enumeration, in its order, keeping the first maximum.
#[allow(clippy::too_many_arguments)]
fn search(
    at: &impl Fn(usize, usize) -> f32,
    n: usize,
    count: usize,
    hist_idx: usize,
    t: usize,
    current: &mut [usize],
    best: &mut [usize],
    sigma_max: &mut f32,
) {
    if t < count {
        for i in hist_idx..n - count + t {
            current[t] = i;
            search(at, n, count, i + 1, t + 1, current, best, sigma_max);
        }
        return;
    }
    let mut sigma = at(0, current[0]) + at(current[count - 1] + 1, n - 1);
    for k in 0..count - 1 {
        sigma += at(current[k] + 1, current[k + 1]);
    }
    if sigma > *sigma_max {
        *sigma_max = sigma;
        best.copy_from_slice(current);
    }
}

/// The thresholds `params` asks for, from the image's histogram.
pub fn thresholds(hist: &Histogram, params: &ThresholdParams) -> Result<Vec<f64>, SegmentError> {
    params.validate()?;
    match params.method {
        Method::Otsu => Ok(vec![otsu(hist)?]),
        Method::MultiOtsu => multi_otsu(hist, params.classes),
        Method::Fixed => Ok(fixed(params)),
    }
}

/// The thresholds of `method = "fixed"` (validated parameters).
fn fixed(params: &ThresholdParams) -> Vec<f64> {
    match params.value {
        Some(v) => vec![v],
        None => params.thresholds.clone(),
    }
}

/// Why Otsu needs the whole volume, for the error a chunk gets.
const OTSU_WHOLE: &str = "Otsu's threshold is a statistic of the whole volume; for a chunked volume measure it with `segment.otsu` and apply it with `method = \"fixed\"`, `value = \"${otsu.threshold}\"`";

/// The `threshold` operator (see the module docs).
#[derive(Debug)]
pub struct Threshold {
    params: ThresholdParams,
    last: Vec<f64>,
}

impl Threshold {
    /// Checks the parameters and builds the operator.
    pub fn new(params: ThresholdParams, _ctx: &Context) -> Result<Threshold, PluginError> {
        params.validate()?;
        Ok(Threshold { params, last: Vec::new() })
    }
}

impl Operator for Threshold {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let c = VolumeChunk::of(input)?;
        let ts = match self.params.method {
            Method::Fixed => fixed(&self.params),
            _ => {
                c.require_whole(OTSU_WHOLE)?;
                let p = &self.params;
                with_elements!(c, |s| thresholds(&Histogram::of(s, p.nbins)?, p)?)
            }
        };
        let mut mask = vec![0u8; c.view.len()];
        with_elements!(c, |s| apply(s, &ts, &mut mask));
        out.emit(chunk::output(input, &c, c.name, mask)?.with_meta("thresholds", ts.clone()));
        self.last = ts;
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        if let Some(&t) = self.last.first() {
            out.result("threshold", t);
        }
        out.result("thresholds", self.last.clone());
        Ok(())
    }
}

/// Applies thresholds: one threshold gives the mask `value > t`; several
/// give classes `numpy.digitize(value, t)` (0 ..= t.len()).
pub fn apply<T: Sample>(image: &[T], thresholds: &[f64], out: &mut [u8]) {
    assert_eq!(image.len(), out.len(), "image and output differ in length");
    if let [t] = thresholds {
        for (o, v) in out.iter_mut().zip(image) {
            *o = (v.to_f64() > *t) as u8;
        }
    } else {
        for (o, v) in out.iter_mut().zip(image) {
            let v = v.to_f64();
            *o = thresholds.iter().take_while(|&&t| t <= v).count() as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_values_split_between_them() {
        let img = [10u8, 10, 10, 200, 200];
        let t = otsu(&Histogram::of(&img, 256).unwrap()).unwrap();
        assert!((10.0..200.0).contains(&t), "{t}");
        let mut out = [0u8; 5];
        apply(&img, &[t], &mut out);
        assert_eq!(out, [0, 0, 0, 1, 1]);
    }

    #[test]
    fn merged_chunk_histograms_equal_the_whole() {
        let img: Vec<u16> = (0..1000u32).map(|i| ((i * 7919) % 1500) as u16 + 20).collect();
        let whole = Histogram::of(&img, 256).unwrap();
        let mut merged = Histogram::integer();
        for part in img.chunks(137).rev() {
            let mut h = Histogram::integer();
            h.add(part).unwrap();
            merged.merge(&h).unwrap();
        }
        assert_eq!(whole.trimmed(), merged.trimmed());
    }

    #[test]
    fn too_wide_an_integer_range_is_refused() {
        let e = Histogram::of(&[0i32, 1 << 27], 256).unwrap_err().to_string();
        assert_eq!(e, "`image` must span fewer than 2^26 integer values for a histogram, got 134217729");
    }

    #[test]
    fn bad_parameters_are_named() {
        let p = ThresholdParams { method: Method::Fixed, ..Default::default() };
        assert_eq!(p.validate().unwrap_err().to_string(), "`value` is required by `method = \"fixed\"`, got nothing");
        let p = ThresholdParams { method: Method::MultiOtsu, classes: 1, ..Default::default() };
        assert_eq!(p.validate().unwrap_err().to_string(), "`classes` must be at least 2, got 1");
        let h = Histogram::of(&[1u8, 1, 2], 256).unwrap();
        let e = multi_otsu(&h, 3).unwrap_err().to_string();
        assert_eq!(e, "`threshold` needs at least 3 distinct values for 3 classes, the image has 2");
        let e: Result<ThresholdParams, _> = serde_json::from_str(r#"{"method": "otsu", "bins": 3}"#);
        assert!(e.unwrap_err().to_string().starts_with("unknown field `bins`"));
    }
}
