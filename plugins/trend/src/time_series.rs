//! `trend.time_series`: min, max, mean and standard deviation of each
//! slice (or each frame) of a stream, as a time series.
//!
//! # Parameters
//!
//! - `over` (`"slice"` | `"frame"`, default `"slice"`): `slice` gives one
//!   entry per index along the chunk axis (axis 0), so a stream of 2-D
//!   images (frames `[1, y, x]`) gives one entry per image and a chunked
//!   volume one per `z` slice, whatever the chunking; `frame` gives one
//!   entry per input frame, indexed by its chunk offset.
//! - `ddof` (int ≥ 0, default 0) and `nan_policy` (`"propagate"` | `"omit"`
//!   | `"raise"`, default `"propagate"`): as for `running_stats`.
//!
//! # Input and output
//!
//! Reads the first array of every frame; per channel when its last axis is
//! labelled `band`, `c` or `channel` (`docs/CONVENTIONS.md`). With
//! `over = "slice"` the array's axis 0 must be the chunk axis, of extent
//! equal to the chunk key's `length`. Every frame is forwarded unchanged.
//!
//! For each entry it publishes an event `trend.frame` with fields `index`,
//! `count`, `nan_count`, `min`, `max`, `mean`, `std`, `var` (numbers for
//! one channel, lists indexed by channel otherwise). At `finish` it
//! publishes results `index` (list of entry indices in arrival order) and
//! one list per field, indexed like `index`. NaN results are JSON `null`.
//!
//! # Method
//!
//! Each entry is reduced on its own with [`crate::moments`] (two-pass
//! blocks merged pairwise), so a slice's statistics are bit-identical
//! whatever the chunking.

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::moments::{self, Moments, NanPolicy, Summary, DDOF_DOC, NAN_POLICY_DOC};
use crate::running_stats::{check_channels, check_nan};

/// Parameters of `time_series`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeSeriesParams {
    /// What one entry of the series covers.
    pub over: Over,
    /// Delta degrees of freedom: `std = √(M2 / (n − ddof))`.
    pub ddof: u64,
    /// What a NaN in the data does to the statistics.
    pub nan_policy: NanPolicy,
}

impl Params for TimeSeriesParams {
    const TABLE: &'static [Param] = &[
        Param::new("over", "slice: one entry per index along the chunk axis; frame: one entry per input frame"),
        Param::new("ddof", DDOF_DOC),
        Param::new("nan_policy", NAN_POLICY_DOC),
    ];
}

/// What one entry of the series covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Over {
    /// One entry per index along the chunk axis.
    #[default]
    Slice,
    /// One entry per input frame.
    Frame,
}

/// Per-slice or per-frame statistics of a stream.
#[derive(Debug)]
pub struct TimeSeries {
    over: Over,
    ddof: u64,
    nan_policy: NanPolicy,
    channels: Option<usize>,
    entries: Vec<(u64, Vec<Moments>)>,
}

impl TimeSeries {
    /// Builds the operator from `over`, `ddof` and `nan_policy`.
    pub fn new(p: TimeSeriesParams, _ctx: &Context) -> Result<TimeSeries, PluginError> {
        Ok(TimeSeries { over: p.over, ddof: p.ddof, nan_policy: p.nan_policy, channels: None, entries: Vec::new() })
    }

    fn summaries(&self, m: &[Moments]) -> Vec<Summary> {
        m.iter().map(|m| Summary::of(m, self.ddof, self.nan_policy)).collect()
    }
}

impl Operator for TimeSeries {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let Ok((name, view)) = input.first() else { return Ok(()) };
        let key = input.key();
        let shape = view.shape();
        let channels = if self.over == Over::Slice && shape.len() < 2 { 1 } else { moments::channels(&view) };
        let ranges: Vec<(u64, std::ops::Range<usize>)> = match self.over {
            Over::Frame => vec![(key.offset, 0..view.len())],
            Over::Slice => {
                let slices = shape.first().copied().unwrap_or(1);
                if slices as u64 != key.length {
                    return Err(PluginError::bad_input(
                        name,
                        format!(
                            "{} slice(s) along axis 0, as its chunk key covers (use `over = \"frame\"` for frames without a chunk axis)",
                            key.length
                        ),
                        format!("{slices}"),
                    ));
                }
                let per = view.len().checked_div(slices).unwrap_or(0);
                (0..slices).map(|i| (key.offset + i as u64, i * per..(i + 1) * per)).collect()
            }
        };
        if !view.is_empty() {
            check_channels(&mut self.channels, name, channels)?;
        }
        let mut new = Vec::with_capacity(ranges.len());
        for (index, range) in ranges {
            let m = moments::per_channel(&view, channels, range, None);
            check_nan(self.nan_policy, name, &m)?;
            new.push((index, m));
        }
        for (index, m) in &new {
            let summaries = self.summaries(m);
            let mut fields = Map::new();
            fields.insert("index".into(), (*index).into());
            for field in moments::FIELDS {
                fields.insert(field.into(), moments::field_over_channels(&summaries, field));
            }
            out.event("trend.frame", fields);
        }
        self.entries.extend(new);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let summaries: Vec<Vec<Summary>> = self.entries.iter().map(|(_, m)| self.summaries(m)).collect();
        out.result("index", self.entries.iter().map(|(i, _)| *i).collect::<Vec<_>>());
        for field in moments::FIELDS {
            let series: Vec<Value> = summaries.iter().map(|s| moments::field_over_channels(s, field)).collect();
            out.result(field, series);
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        let entries: Vec<Value> =
            self.entries.iter().map(|(i, m)| json!([i, m.iter().map(Moments::to_json).collect::<Vec<_>>()])).collect();
        let state = json!({ "operator": "time_series", "channels": self.channels, "entries": entries });
        Ok(Some(state.to_string().into_bytes()))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        let bad = |why: &str| PluginError::failed(format!("`time_series`: cannot restore snapshot: {why}"));
        let v: Value = serde_json::from_slice(state).map_err(|e| bad(&e.to_string()))?;
        if v["operator"] != "time_series" {
            return Err(bad(&format!("it belongs to operator {}", v["operator"])));
        }
        let channels = match &v["channels"] {
            Value::Null => None,
            c => Some(c.as_u64().ok_or_else(|| bad("`channels` is not an integer"))? as usize),
        };
        let mut entries = Vec::new();
        for e in v["entries"].as_array().ok_or_else(|| bad("`entries` is not a list"))? {
            let index = e[0].as_u64().ok_or_else(|| bad("malformed entry index"))?;
            let m = e[1]
                .as_array()
                .ok_or_else(|| bad("malformed entry"))?
                .iter()
                .map(|m| Moments::from_json(m).ok_or_else(|| bad("malformed moments")))
                .collect::<Result<Vec<_>, _>>()?;
            entries.push((index, m));
        }
        self.channels = channels;
        self.entries = entries;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_refuses_unknown_values_naming_the_choices() {
        assert_eq!(
            plexus_plugin_api::params::decode::<TimeSeriesParams>(r#"{"over": "frame"}"#).unwrap().over,
            Over::Frame
        );
        assert_eq!(
            plexus_plugin_api::params::decode::<TimeSeriesParams>(r#"{"over": "row"}"#).unwrap_err().to_string(),
            "parameter `over`: expected one of slice, frame, got `row`"
        );
    }
}
