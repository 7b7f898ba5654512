//! What the three detectors share: the output mode, capped event reporting
//! with its snapshot, per-channel views of the input, and robust statistics.
//!
//! # Output (`output` parameter, the same for every detector)
//!
//! - `"mask"` (default): one frame per input frame, same dataset and key and
//!   metadata, holding only `mask`: u8, the input's shape and axis labels,
//!   1 = anomaly. The input is *not* forwarded: the mask is what flows on.
//! - `"with_input"`: one frame holding copies of the input's arrays plus
//!   `mask` (costs one copy of the frame).
//! - `"events"`: the input is forwarded unchanged (`out.forward()`, no copy)
//!   and findings are reported only as events.
//! - `"corrected"` (`local` only): copies of the input's arrays with each
//!   anomalous element of the analysed array replaced by its local median,
//!   plus `mask`.
//!
//! Whatever the mode, each finding is published as an event
//! `out.event("anomaly", {location, value, score, ...})` until `max_events`
//! events have been published over the whole stream; the rest are counted.
//! At `finish` the results `anomalies` (all findings) and `events_dropped`
//! (findings beyond `max_events`) are published.
//!
//! `location` is the element's index in the dataset: its index in the array
//! (`[z, y, x]`, `[y, x]`, `[y, x, c]` with a channel axis), with the chunk's
//! `offset` added on the chunked axis when the array holds that axis (its
//! extent equals the chunk's `length`), or prepended when a frame of length 1
//! carries no such axis (a 2-D frame of a stream of images).

use plexus_plugin_api::{Array, ArrayView, ChunkKey, DType, Emitter, Frame, FrameView, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use plexus_plugin_api::channel_count;

/// What a detector emits per frame (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// A frame holding only `mask`.
    Mask,
    /// A frame holding the input's arrays and `mask`.
    WithInput,
    /// The input forwarded; events only.
    Events,
    /// The input with anomalies replaced by the local median, and `mask`.
    Corrected,
}

/// The `output` parameter of `zscore` and `robust`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Output {
    /// A frame holding only `mask`.
    #[default]
    Mask,
    /// A frame holding the input's arrays and `mask` (spelled as API 1
    /// published it).
    #[serde(rename = "with_input")]
    WithInput,
    /// The input forwarded; events only.
    Events,
}

/// The `output` parameter of `local`: [`Output`] or the corrected input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LocalOutput {
    /// A frame holding only `mask`.
    #[default]
    Mask,
    /// A frame holding the input's arrays and `mask`.
    #[serde(rename = "with_input")]
    WithInput,
    /// The input forwarded; events only.
    Events,
    /// The input with anomalies replaced by the local median, and `mask`.
    Corrected,
}

impl From<Output> for OutputMode {
    fn from(o: Output) -> OutputMode {
        match o {
            Output::Mask => OutputMode::Mask,
            Output::WithInput => OutputMode::WithInput,
            Output::Events => OutputMode::Events,
        }
    }
}

impl From<LocalOutput> for OutputMode {
    fn from(o: LocalOutput) -> OutputMode {
        match o {
            LocalOutput::Mask => OutputMode::Mask,
            LocalOutput::WithInput => OutputMode::WithInput,
            LocalOutput::Events => OutputMode::Events,
            LocalOutput::Corrected => OutputMode::Corrected,
        }
    }
}

/// The one-line docs the detectors' parameters share.
pub mod docs {
    /// `output` of `zscore` and `robust`.
    pub const OUTPUT: &str =
        "mask: a frame with `mask` only; with_input: input arrays and `mask`; events: input forwarded, events only";
    /// `max_events`.
    pub const MAX_EVENTS: &str = "most anomaly events over the stream; the rest are counted in `events_dropped`";
    /// `array`.
    pub const ARRAY: &str = "input array name; empty: the frame's first array";
}

/// One element found anomalous.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Row-major index into the array.
    pub index: usize,
    /// The element's value.
    pub value: f64,
    /// The detector's signed score.
    pub score: f64,
    /// Extra event fields (e.g. the local median).
    pub extra: Option<(&'static str, f64)>,
}

/// Event publishing capped over the whole stream, and its counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventLog {
    /// Most events published over the stream.
    pub max_events: u64,
    /// Events published so far.
    pub emitted: u64,
    /// Findings so far.
    pub found: u64,
}

impl EventLog {
    /// At most `max_events` events over the stream.
    pub fn new(max_events: u64) -> EventLog {
        EventLog { max_events, emitted: 0, found: 0 }
    }

    /// Publishes one event per finding while the cap allows, counting all.
    pub fn publish(&mut self, out: &mut Emitter, findings: &[Finding], shape: &[usize], key: ChunkKey) {
        self.found += findings.len() as u64;
        for f in findings {
            if self.emitted >= self.max_events {
                break;
            }
            self.emitted += 1;
            let mut fields = Map::new();
            fields.insert("location".into(), Value::from(location(f.index, shape, key)));
            fields.insert("value".into(), json_number(f.value));
            fields.insert("score".into(), json_number(f.score));
            if let Some((name, v)) = f.extra {
                fields.insert(name.into(), json_number(v));
            }
            out.event("anomaly", fields);
        }
    }

    /// The `anomalies` and `events_dropped` results.
    pub fn finish(&self, out: &mut Emitter) {
        out.result("anomalies", self.found);
        out.result("events_dropped", self.found - self.emitted);
    }

    /// Serialised counters.
    pub fn snapshot(&self, operator: &str) -> Vec<u8> {
        json!({ "operator": operator, "version": 1, "emitted": self.emitted, "found": self.found })
            .to_string()
            .into_bytes()
    }

    /// Takes over counters from [`EventLog::snapshot`].
    pub fn restore(&mut self, operator: &str, bytes: &[u8]) -> Result<(), PluginError> {
        let bad = |m: &str| PluginError::failed(format!("cannot restore `{operator}`: {m}"));
        let v: Value = serde_json::from_slice(bytes).map_err(|e| bad(&format!("snapshot is not JSON: {e}")))?;
        if v["operator"] != operator || v["version"] != 1 {
            return Err(bad(&format!("snapshot is not a version 1 `{operator}` snapshot")));
        }
        self.emitted = v["emitted"].as_u64().ok_or_else(|| bad("missing `emitted`"))?;
        self.found = v["found"].as_u64().ok_or_else(|| bad("missing `found`"))?;
        Ok(())
    }
}

/// A finite number as JSON, anything else as `null`.
fn json_number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// The dataset index of row-major element `index` of an array of `shape`
/// in a frame at `key` (see the module docs).
pub fn location(index: usize, shape: &[usize], key: ChunkKey) -> Vec<u64> {
    let mut loc = vec![0u64; shape.len()];
    let mut rest = index;
    for (d, &n) in shape.iter().enumerate().rev() {
        loc[d] = (rest % n.max(1)) as u64;
        rest /= n.max(1);
    }
    let axis = key.axis as usize;
    if axis < shape.len() && shape[axis] as u64 == key.length {
        loc[axis] += key.offset;
    } else if key.length == 1 && axis == 0 {
        loc.insert(0, key.offset);
    }
    loc
}

/// The input array an operator analyses and its name: `array` if named,
/// else the frame's first.
pub fn pick<'a>(input: &FrameView<'a>, array: &str) -> Result<(&'a str, ArrayView<'a>), PluginError> {
    if array.is_empty() {
        return input.first();
    }
    let a = input.array(array)?;
    let name = input.arrays().map(|(n, _)| n).find(|n| *n == array).unwrap_or_default();
    Ok((name, a))
}

/// The elements as f64 (exact for every element type).
pub fn values(a: &ArrayView<'_>) -> Vec<f64> {
    a.to_f64_vec()
}

/// Number of interleaved channels of `a`.
pub fn channels(a: &ArrayView<'_>) -> usize {
    channel_count(a.shape(), a.axes())
}

/// Emits the frame the output mode asks for. `mask` is one byte per element
/// of `a`; `corrected` replaces the analysed array in `Corrected` mode.
pub fn emit_output(
    out: &mut Emitter,
    mode: OutputMode,
    input: &FrameView<'_>,
    name: &str,
    a: &ArrayView<'_>,
    mask: Vec<u8>,
    corrected: Option<Array>,
) -> Result<(), PluginError> {
    let mask = Array::from_vec(a.shape().to_vec(), mask)?.with_axes(a.axes())?;
    match mode {
        OutputMode::Events => out.forward(),
        OutputMode::Mask => {
            let mut f = Frame::like(input);
            f.meta_mut().extend(input.meta()?.clone());
            out.emit(f.with_array("mask", mask));
        }
        OutputMode::WithInput | OutputMode::Corrected => {
            let mut f = input.to_frame()?;
            if let Some(c) = corrected {
                f.insert(name, c);
            }
            out.emit(f.with_array("mask", mask));
        }
    }
    Ok(())
}

/// Rebuilds an array of `a`'s type, shape and axes from f64 values that are
/// exactly representable in that type (e.g. medians of its elements).
pub fn array_like(a: &ArrayView<'_>, v: &[f64]) -> Result<Array, PluginError> {
    use plexus_plugin_api::Element;
    fn conv<T: Element>(v: &[f64]) -> Vec<T> {
        v.iter().map(|&x| T::from_f64(x)).collect()
    }
    let shape = a.shape().to_vec();
    let arr = match a.dtype() {
        DType::U8 => Array::from_vec(shape, conv::<u8>(v)),
        DType::U16 => Array::from_vec(shape, conv::<u16>(v)),
        DType::U32 => Array::from_vec(shape, conv::<u32>(v)),
        DType::I16 => Array::from_vec(shape, conv::<i16>(v)),
        DType::I32 => Array::from_vec(shape, conv::<i32>(v)),
        DType::F32 => Array::from_vec(shape, conv::<f32>(v)),
        DType::F64 => Array::from_vec(shape, v.to_vec()),
    }?;
    Ok(arr.with_axes(a.axes())?)
}

/// Values of channel `c` of interleaved data, NaN left out.
pub fn channel_values(v: &[f64], channels: usize, c: usize) -> Vec<f64> {
    v.iter().skip(c).step_by(channels).copied().filter(|x| !x.is_nan()).collect()
}

/// Mean and population standard deviation (ddof = 0, as `numpy.std`), two
/// passes in f64; `None` for no values.
pub fn mean_std(v: &[f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    Some((mean, var.sqrt()))
}

/// Median as `numpy.median`: the middle value, or the mean of the two
/// middle values for an even count. Reorders `v`; `None` for no values.
/// NaN must have been removed.
pub fn median(v: &mut [f64]) -> Option<f64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let (lower, hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = *hi;
    if n % 2 == 1 {
        return Some(hi);
    }
    let lo = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((lo + hi) / 2.0)
}

/// The mask (1 = anomaly) and findings of the elements whose score exceeds
/// `k` in absolute value; NaN scores never do.
pub fn threshold(values: &[f64], scores: &[f64], k: f64) -> (Vec<u8>, Vec<Finding>) {
    let mut mask = vec![0u8; values.len()];
    let mut findings = Vec::new();
    for (i, &s) in scores.iter().enumerate() {
        if s.abs() > k {
            mask[i] = 1;
            findings.push(Finding { index: i, value: values[i], score: s, extra: None });
        }
    }
    (mask, findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_carry_the_chunk_offset() {
        let key = ChunkKey { axis: 0, offset: 10, length: 2, extent: 20 };
        assert_eq!(location(7, &[2, 3, 2], key), vec![11, 0, 1]);
        assert_eq!(location(5, &[2, 3], ChunkKey::stream(4)), vec![4, 1, 2]);
        assert_eq!(location(5, &[2, 3], ChunkKey::whole(2)), vec![1, 2]);
    }

    #[test]
    fn median_matches_numpy_for_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn output_modes_keep_their_published_names() {
        let name = |v: &dyn erased::Named| v.name();
        assert_eq!(name(&Output::WithInput), "with_input");
        assert_eq!(name(&LocalOutput::Corrected), "corrected");
        assert_eq!(OutputMode::from(LocalOutput::Events), OutputMode::Events);
    }

    mod erased {
        pub trait Named {
            fn name(&self) -> String;
        }
        impl<T: serde::Serialize> Named for T {
            fn name(&self) -> String {
                serde_json::to_value(self).unwrap().as_str().unwrap().to_string()
            }
        }
    }
}
