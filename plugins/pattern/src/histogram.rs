//! `histogram`: counts of equal-width bins per channel, accumulated over a
//! stream and published at its end.
//!
//! # Semantics (those of `numpy.histogram(a, bins=n, range=(lo, hi))`)
//!
//! - Edges are `numpy.linspace(lo, hi, n + 1)`: `edge[i] = i * ((hi - lo) / n) + lo`
//!   in f64, `edge[n] = hi`. For f32 input numpy computes in f32 (the element
//!   type wins over Python-float range bounds, NEP 50), so the edges are those
//!   f64 values rounded to f32, and comparisons are made against them.
//! - Bin `i` holds `edge[i] <= x < edge[i + 1]`; the last bin is closed,
//!   `edge[n-1] <= x <= edge[n]`. Values outside `[lo, hi]` are dropped (and
//!   counted in the `outside` result), NaN is dropped (counted in `nan`).
//! - A value's bin is found from the edges themselves (an estimate
//!   `(x - lo) / (hi - lo) * n`, then moved until the edge comparisons hold),
//!   so the result is exactly the one the published edges imply.
//!
//! # Parameters
//!
//! - `bins` (int ≥ 1, default 256).
//! - `range` (`[lo, hi]`, `lo < hi`, both finite). Default `[]`: for integer
//!   input the element type's full range as `[min, max + 1]` (u8 `[0, 256]`,
//!   u16 `[0, 65536]`, i16 `[-32768, 32768]`…), so that with `bins` equal to
//!   the number of values each bin holds exactly one value. Float input needs
//!   an explicit range: the data's min and max are not known until the stream
//!   has ended, and a second pass over a stream is impossible.
//! - `array` (default `""`: the frame's first array).
//!
//! # Stream
//!
//! The operator forwards every input frame unchanged (`out.forward()`) and
//! adds each frame's counts to its state; chunks are independent, so the
//! result does not depend on how the dataset was cut. At `finish` it publishes
//! `counts` (a list of `bins` integers, or one such list per channel when the
//! last axis is a channel axis), `edges` (`bins + 1` numbers), `outside` and
//! `nan` (totals over all channels). A stream that ended before any frame
//! publishes zero counts when `range` was given, empty lists otherwise.
//!
//! # Speed
//!
//! u8, u16 and i16 input is counted by value ([`crate::kernels`]) and folded
//! into bins through a value → bin table built once with the exact rule
//! above; other types bin each element. Both run on `ctx.threads()` row
//! bands.

use plexus_plugin_api::{Context, DType, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::kernels;
use plexus_plugin_api::channel_count;

use plexus_kernels::binning::check_range;
pub use plexus_kernels::binning::{dtype_range, Binning};

/// Folds per-value counts (`values` consecutive tables of `table` entries,
/// one per channel) into bins through `lut` (`lut[v] = bin`, `u32::MAX` for a
/// value outside the range). Returns per-channel bin counts and the number of
/// dropped elements.
pub fn fold_value_counts(value_counts: &[u64], table: usize, lut: &[u32], bins: usize) -> (Vec<u64>, u64) {
    let channels = value_counts.len() / table;
    let mut out = vec![0u64; channels * bins];
    let mut dropped = 0;
    for c in 0..channels {
        let vc = &value_counts[c * table..(c + 1) * table];
        let hist = &mut out[c * bins..(c + 1) * bins];
        for (&n, &b) in vc.iter().zip(lut) {
            if b == u32::MAX {
                dropped += n;
            } else {
                hist[b as usize] += n;
            }
        }
    }
    (out, dropped)
}

/// The value → bin table for every u8 value.
pub fn lut_u8(binning: &Binning) -> Vec<u32> {
    (0..256u32).map(|v| binning.bin_of(v as f64).map_or(u32::MAX, |b| b as u32)).collect()
}

/// The value → bin table for every 16-bit pattern, read as u16 or i16.
pub fn lut_16(binning: &Binning, signed: bool) -> Vec<u32> {
    (0..65536u32)
        .map(|p| {
            let v = if signed { p as u16 as i16 as f64 } else { p as f64 };
            binning.bin_of(v).map_or(u32::MAX, |b| b as u32)
        })
        .collect()
}

/// Histogram of u8 data: per-channel counts (`[c * bins + b]`) and the
/// number of values outside the range.
pub fn histogram_u8(data: &[u8], channels: usize, binning: &Binning, threads: usize) -> (Vec<u64>, u64) {
    fold_value_counts(&kernels::count_u8(data, channels, threads), 256, &lut_u8(binning), binning.bins())
}

/// Histogram of u16 data, as [`histogram_u8`].
pub fn histogram_u16(data: &[u16], channels: usize, binning: &Binning, threads: usize) -> (Vec<u64>, u64) {
    fold_value_counts(&kernels::count_u16(data, channels, threads), 65536, &lut_16(binning, false), binning.bins())
}

/// Histogram of u16 data counted straight into bins through the lookup
/// table (`lut` from [`lut_16`]), instead of by value and folded. Kept for
/// the benchmark that compares the two strategies.
pub fn histogram_u16_via_lut(
    data: &[u16],
    channels: usize,
    lut: &[u32],
    bins: usize,
    threads: usize,
) -> (Vec<u64>, u64) {
    let lut = &lut[..65536];
    let counts = kernels::count_slots(data, channels, bins + 1, threads, |v| (lut[v as usize] as usize).min(bins));
    let (hist, tails) = split_tails(counts, channels.max(1), bins, 1);
    (hist, tails[0])
}

/// Histogram of any element type convertible to f64, binning each element.
/// Returns per-channel counts, the number outside the range and the number
/// of NaN.
pub fn histogram_generic<T: Copy + Sync>(
    data: &[T],
    channels: usize,
    binning: &Binning,
    threads: usize,
    to_f64: impl Fn(T) -> f64 + Sync,
) -> (Vec<u64>, u64, u64) {
    let bins = binning.bins();
    // Slot `bins` collects out-of-range values, slot `bins + 1` NaN.
    let counts = kernels::count_slots(data, channels, bins + 2, threads, |v| {
        let x = to_f64(v);
        match binning.bin_of(x) {
            Some(b) => b,
            None if x.is_nan() => bins + 1,
            None => bins,
        }
    });
    let (hist, tails) = split_tails(counts, channels.max(1), bins, 2);
    (hist, tails[0], tails[1])
}

/// Splits per-channel rows of `bins + extra` slots into the bin counts and
/// the extra slots summed over channels.
fn split_tails(counts: Vec<u64>, channels: usize, bins: usize, extra: usize) -> (Vec<u64>, Vec<u64>) {
    let mut hist = Vec::with_capacity(channels * bins);
    let mut tails = vec![0; extra];
    for row in counts.chunks(bins + extra).take(channels) {
        hist.extend_from_slice(&row[..bins]);
        for (t, v) in tails.iter_mut().zip(&row[bins..]) {
            *t += v;
        }
    }
    (hist, tails)
}

/// What the stream has accumulated so far.
#[derive(Debug, Clone, PartialEq)]
struct State {
    dtype: DType,
    channels: usize,
    binning: Binning,
    /// Value → bin tables for u8/u16/i16 input, built on the first frame.
    lut: Option<Vec<u32>>,
    counts: Vec<u64>,
    outside: u64,
    nan: u64,
}

/// The `histogram` operator (see the module docs).
pub struct Histogram {
    bins: usize,
    range: Option<(f64, f64)>,
    array: String,
    threads: usize,
    state: Option<State>,
}

/// Most bins a histogram may have.
pub const MAX_BINS: u64 = 1 << 28;

/// Parameters of `histogram`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistogramParams {
    /// Number of equal-width bins.
    pub bins: u64,
    /// `[lo, hi]`; empty: the integer type's range `[min, max + 1]`.
    pub range: Vec<f64>,
    /// Input array name; empty: the frame's first array.
    pub array: String,
}

impl Default for HistogramParams {
    fn default() -> Self {
        HistogramParams { bins: 256, range: Vec::new(), array: String::new() }
    }
}

impl Params for HistogramParams {
    const TABLE: &'static [Param] = &[
        Param::new("bins", "number of equal-width bins").min(1.0).max(MAX_BINS as f64),
        Param::new("range", "[lo, hi]; [] = the integer type's range [min, max + 1]; required for float input"),
        Param::new("array", "input array name; empty: the frame's first array"),
    ];
}

impl Histogram {
    /// Builds the operator from `bins`, `range` and `array`.
    pub fn new(p: HistogramParams, ctx: &Context) -> Result<Histogram, PluginError> {
        let bins = p.bins;
        let range = match p.range.as_slice() {
            [] => None,
            &[lo, hi] => {
                check_range(lo, hi)?;
                Some((lo, hi))
            }
            other => {
                return Err(PluginError::bad_parameter(
                    "range",
                    "[lo, hi] (two numbers) or []",
                    format!("{} numbers", other.len()),
                ))
            }
        };
        // Checks that the bins have positive widths now rather than at the first frame.
        if let Some((lo, hi)) = range {
            Binning::new(bins as usize, lo, hi)?;
        }
        Ok(Histogram { bins: bins as usize, range, array: p.array, threads: ctx.threads(), state: None })
    }

    fn new_state(&self, dtype: DType, channels: usize) -> Result<State, PluginError> {
        let (lo, hi) = match (self.range, dtype_range(dtype)) {
            (Some(r), _) | (None, Some(r)) => r,
            (None, None) => {
                return Err(PluginError::bad_parameter(
                    "range",
                    format!(
                        "[lo, hi] for `{dtype}` input (a histogram over a stream cannot first scan the data for \
                         its min and max, as that would take a second pass over the stream)"
                    ),
                    "[]",
                ))
            }
        };
        let binning = Binning::for_dtype(self.bins, lo, hi, dtype)?;
        let lut = match dtype {
            DType::U8 => Some(lut_u8(&binning)),
            DType::U16 => Some(lut_16(&binning, false)),
            DType::I16 => Some(lut_16(&binning, true)),
            _ => None,
        };
        Ok(State { dtype, channels, counts: vec![0; channels * self.bins], binning, lut, outside: 0, nan: 0 })
    }

    fn publish(&self, out: &mut Emitter) {
        let (counts, edges, outside, nan) = match &self.state {
            Some(s) => {
                let per_channel: Vec<Value> = s.counts.chunks(self.bins).map(|c| Value::from(c.to_vec())).collect();
                let counts = if s.channels == 1 { per_channel[0].clone() } else { Value::from(per_channel) };
                (counts, edges_json(s.binning.edges()), s.outside, s.nan)
            }
            None => match self.range {
                Some((lo, hi)) => {
                    let b = Binning::new(self.bins, lo, hi).expect("checked in new");
                    (Value::from(vec![0u64; self.bins]), edges_json(b.edges()), 0, 0)
                }
                None => (json!([]), json!([]), 0, 0),
            },
        };
        out.result("counts", counts);
        out.result("edges", edges);
        out.result("outside", outside);
        out.result("nan", nan);
    }
}

fn edges_json(edges: &[f64]) -> Value {
    Value::from(edges.to_vec())
}

/// Name of the input array: `array` if set, else the frame's first.
fn pick<'a>(input: &FrameView<'a>, array: &str) -> Result<plexus_plugin_api::ArrayView<'a>, PluginError> {
    if array.is_empty() {
        Ok(input.first()?.1)
    } else {
        input.array(array)
    }
}

impl Operator for Histogram {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let a = pick(input, &self.array)?;
        let channels = channel_count(a.shape(), a.axes());
        if self.state.is_none() {
            self.state = Some(self.new_state(a.dtype(), channels)?);
        }
        let threads = self.threads;
        let s = self.state.as_mut().expect("set above");
        if a.dtype() != s.dtype {
            return Err(PluginError::bad_input(
                "",
                format!("elements of `{}`, as earlier frames had", s.dtype),
                format!("`{}`", a.dtype()),
            ));
        }
        if channels != s.channels {
            return Err(PluginError::bad_input(
                "",
                format!("{} channel(s), as earlier frames had", s.channels),
                format!("{channels}"),
            ));
        }
        let b = &s.binning;
        let (counts, outside, nan) = match a.dtype() {
            DType::U8 => {
                let vc = kernels::count_u8(a.as_slice::<u8>()?, channels, threads);
                let (h, o) = fold_value_counts(&vc, 256, s.lut.as_deref().expect("u8 table"), b.bins());
                (h, o, 0)
            }
            DType::U16 => {
                let vc = kernels::count_u16(a.as_slice::<u16>()?, channels, threads);
                let (h, o) = fold_value_counts(&vc, 65536, s.lut.as_deref().expect("u16 table"), b.bins());
                (h, o, 0)
            }
            DType::I16 => {
                let bits: &[u16] = bytemuck_i16(a.as_slice::<i16>()?);
                let vc = kernels::count_u16(bits, channels, threads);
                let (h, o) = fold_value_counts(&vc, 65536, s.lut.as_deref().expect("i16 table"), b.bins());
                (h, o, 0)
            }
            DType::U32 => histogram_generic(a.as_slice::<u32>()?, channels, b, threads, |v| v as f64),
            DType::I32 => histogram_generic(a.as_slice::<i32>()?, channels, b, threads, |v| v as f64),
            DType::F32 => histogram_generic(a.as_slice::<f32>()?, channels, b, threads, |v| v as f64),
            DType::F64 => histogram_generic(a.as_slice::<f64>()?, channels, b, threads, |v| v),
        };
        for (t, c) in s.counts.iter_mut().zip(&counts) {
            *t += c;
        }
        s.outside += outside;
        s.nan += nan;
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        self.publish(out);
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        let state = self.state.as_ref().map(|s| {
            json!({
                "dtype": s.dtype.name(),
                "channels": s.channels,
                "counts": s.counts,
                "outside": s.outside,
                "nan": s.nan,
            })
        });
        let range = self.range.map(|(lo, hi)| vec![lo, hi]);
        let snap = json!({ "operator": "histogram", "version": 1, "bins": self.bins, "range": range, "state": state });
        Ok(Some(snap.to_string().into_bytes()))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), PluginError> {
        let bad = |m: &str| PluginError::failed(format!("cannot restore `histogram`: {m}"));
        let snap: Value = serde_json::from_slice(bytes).map_err(|e| bad(&format!("snapshot is not JSON: {e}")))?;
        if snap["operator"] != "histogram" || snap["version"] != 1 {
            return Err(bad("snapshot is not a version 1 histogram snapshot"));
        }
        let range = self.range.map(|(lo, hi)| vec![lo, hi]);
        if snap["bins"] != json!(self.bins) || snap["range"] != json!(range) {
            return Err(bad(&format!(
                "snapshot was taken with bins = {} and range = {}, this instance has bins = {} and range = {}",
                snap["bins"],
                snap["range"],
                self.bins,
                json!(range)
            )));
        }
        let s = &snap["state"];
        if s.is_null() {
            self.state = None;
            return Ok(());
        }
        let dtype = s["dtype"].as_str().and_then(DType::parse).ok_or_else(|| bad("missing or unknown `dtype`"))?;
        let channels = s["channels"].as_u64().filter(|&c| c >= 1).ok_or_else(|| bad("missing `channels`"))? as usize;
        let counts: Vec<u64> = serde_json::from_value(s["counts"].clone()).map_err(|_| bad("malformed `counts`"))?;
        let mut state = self.new_state(dtype, channels)?;
        if counts.len() != state.counts.len() {
            return Err(bad("`counts` has the wrong length"));
        }
        state.counts = counts;
        state.outside = s["outside"].as_u64().ok_or_else(|| bad("missing `outside`"))?;
        state.nan = s["nan"].as_u64().ok_or_else(|| bad("missing `nan`"))?;
        self.state = Some(state);
        Ok(())
    }
}

/// Reinterprets i16 elements as their u16 bit patterns (no copy).
fn bytemuck_i16(v: &[i16]) -> &[u16] {
    // SAFETY: i16 and u16 have the same size, alignment and no invalid bit
    // patterns.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u16>(), v.len()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_follow_linspace_and_last_bin_is_closed() {
        let b = Binning::new(4, 0.0, 1.0).unwrap();
        assert_eq!(b.edges(), &[0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(b.bin_of(0.0), Some(0));
        assert_eq!(b.bin_of(0.25), Some(1));
        assert_eq!(b.bin_of(0.9999), Some(3));
        assert_eq!(b.bin_of(1.0), Some(3));
        assert_eq!(b.bin_of(1.0000001), None);
        assert_eq!(b.bin_of(-0.0), Some(0));
        assert_eq!(b.bin_of(-1e-300), None);
        assert_eq!(b.bin_of(f64::NAN), None);
        assert_eq!(b.bin_of(f64::INFINITY), None);
    }

    #[test]
    fn bin_agrees_with_edges_at_awkward_ranges() {
        // 0.1 steps are not exact in binary; the bin must follow the edges.
        let b = Binning::new(7, 0.1, 0.8).unwrap();
        for &e in b.edges() {
            let i = b.bin_of(e).unwrap();
            assert!(b.edges()[i] <= e && (e < b.edges()[i + 1] || i == 6), "edge {e} went to bin {i}");
        }
    }

    #[test]
    fn bad_ranges_are_named() {
        assert_eq!(
            Binning::new(4, 1.0, 1.0).unwrap_err().to_string(),
            "parameter `range`: expected lo < hi, got [1, 1]"
        );
        assert_eq!(
            Binning::new(4, 0.0, f64::INFINITY).unwrap_err().to_string(),
            "parameter `range`: expected finite bounds, got [0, inf]"
        );
        assert!(Binning::new_f32(1000, 1.0, 1.00001)
            .unwrap_err()
            .to_string()
            .starts_with("parameter `bins`: expected few enough bins"));
    }

    #[test]
    fn lookup_and_direct_binning_agree() {
        let data: Vec<u16> = (0..1_000_000u32).map(|i| (i.wrapping_mul(40503) >> 3) as u16).collect();
        let b = Binning::new(100, 1000.0, 60000.5).unwrap();
        let (h1, o1) = histogram_u16(&data, 1, &b, 2);
        let (h2, o2) = histogram_u16_via_lut(&data, 1, &lut_16(&b, false), 100, 2);
        let (h3, o3, nan) = histogram_generic(&data, 1, &b, 1, |v| v as f64);
        assert_eq!((&h1, o1), (&h2, o2));
        assert_eq!((&h1, o1, 0), (&h3, o3, nan));
    }
}
