//! `value_counts`: the exact frequency of every value of an integer image,
//! per channel, accumulated over a stream — `numpy.unique(a, return_counts=True)`
//! — and its `top_k` most frequent values.
//!
//! # Method
//!
//! u8, u16 and i16 input is counted in a dense table of one counter per
//! representable value ([`crate::kernels::count_u8`], [`crate::kernels::count_u16`]).
//! u32 and i32 input is sorted per chunk and run-length encoded, and the runs
//! are merged into an ordered map. Counts are exact `u64`; chunks are
//! independent, so the result does not depend on how the dataset was cut.
//! Float input is refused: equality of floats is rarely what is meant — use
//! `histogram`.
//!
//! # Parameters
//!
//! - `top_k` (int ≥ 0, default 10): how many of the most frequent values to
//!   list. Ties are broken by the **smaller value first**, so the list is
//!   fully determined.
//! - `array` (default `""`: the frame's first array).
//!
//! # Output
//!
//! Input frames are forwarded unchanged (`out.forward()`). At `finish`:
//! `values` (ascending, as `numpy.unique`), `counts` (aligned with `values`),
//! `top_k` (a list of `{"value", "count"}`, most frequent first) and
//! `distinct` (number of distinct values). With a channel axis each is a list
//! with one entry per channel. A stream that ended before any frame publishes
//! empty lists and `distinct = 0`.

use std::collections::BTreeMap;

use plexus_plugin_api::{ArrayView, Context, DType, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::kernels;
use plexus_plugin_api::channel_count;

/// Exact value → count tables, one per channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Tables {
    /// Dense tables of `size` counters per channel for 8/16-bit types,
    /// indexed by the value's bit pattern.
    Dense {
        /// 256 or 65536.
        size: usize,
        /// Whether bit patterns are read as signed (i16).
        signed: bool,
        /// `counts[c * size + pattern]`.
        counts: Vec<u64>,
    },
    /// Ordered maps for 32-bit types.
    Sparse(Vec<BTreeMap<i64, u64>>),
}

impl Tables {
    fn new(dtype: DType, channels: usize) -> Result<Tables, PluginError> {
        Ok(match dtype {
            DType::U8 => Tables::Dense { size: 256, signed: false, counts: vec![0; 256 * channels] },
            DType::U16 => Tables::Dense { size: 65536, signed: false, counts: vec![0; 65536 * channels] },
            DType::I16 => Tables::Dense { size: 65536, signed: true, counts: vec![0; 65536 * channels] },
            DType::U32 | DType::I32 => Tables::Sparse(vec![BTreeMap::new(); channels]),
            DType::F32 | DType::F64 => {
                return Err(PluginError::bad_input(
                    "",
                    "integer elements (`value_counts` counts values; use `histogram` for floats)",
                    format!("`{dtype}`"),
                ))
            }
        })
    }

    fn channels(&self) -> usize {
        match self {
            Tables::Dense { size, counts, .. } => counts.len() / size,
            Tables::Sparse(maps) => maps.len(),
        }
    }

    /// Adds the values of one array.
    fn add(&mut self, a: &ArrayView<'_>, channels: usize, threads: usize) -> Result<(), PluginError> {
        match self {
            Tables::Dense { counts, .. } => {
                let add = match a.dtype() {
                    DType::U8 => kernels::count_u8(a.as_slice::<u8>()?, channels, threads),
                    DType::U16 => kernels::count_u16(a.as_slice::<u16>()?, channels, threads),
                    DType::I16 => kernels::count_u16(bytemuck_cast_i16(a.as_slice::<i16>()?), channels, threads),
                    other => unreachable!("dense tables hold 8/16-bit types, not {other}"),
                };
                for (t, v) in counts.iter_mut().zip(add) {
                    *t += v;
                }
            }
            Tables::Sparse(maps) => {
                let values: Vec<i64> = match a.dtype() {
                    DType::U32 => a.as_slice::<u32>()?.iter().map(|&v| v as i64).collect(),
                    DType::I32 => a.as_slice::<i32>()?.iter().map(|&v| v as i64).collect(),
                    other => unreachable!("sparse tables hold 32-bit types, not {other}"),
                };
                for (c, map) in maps.iter_mut().enumerate() {
                    let mut ch: Vec<i64> = values.iter().skip(c).step_by(channels).copied().collect();
                    for (v, n) in sorted_runs(&mut ch) {
                        *map.entry(v).or_insert(0) += n;
                    }
                }
            }
        }
        Ok(())
    }

    /// `(value, count)` pairs of channel `c` with a non-zero count, ascending.
    pub fn pairs(&self, c: usize) -> Vec<(i64, u64)> {
        match self {
            Tables::Dense { size, signed, counts } => {
                let row = &counts[c * size..(c + 1) * size];
                let mut out: Vec<(i64, u64)> = row
                    .iter()
                    .enumerate()
                    .filter(|(_, &n)| n > 0)
                    .map(|(p, &n)| (if *signed { p as u16 as i16 as i64 } else { p as i64 }, n))
                    .collect();
                if *signed {
                    out.sort_unstable();
                }
                out
            }
            Tables::Sparse(maps) => maps[c].iter().map(|(&v, &n)| (v, n)).collect(),
        }
    }
}

/// Sorts `values` and returns `(value, run length)` for each distinct value,
/// ascending.
pub fn sorted_runs(values: &mut [i64]) -> Vec<(i64, u64)> {
    values.sort_unstable();
    let mut out: Vec<(i64, u64)> = Vec::new();
    for &v in values.iter() {
        match out.last_mut() {
            Some((last, n)) if *last == v => *n += 1,
            _ => out.push((v, 1)),
        }
    }
    out
}

/// The `k` most frequent `(value, count)` pairs: by count descending, ties by
/// smaller value first.
pub fn top_k(pairs: &[(i64, u64)], k: usize) -> Vec<(i64, u64)> {
    let mut v = pairs.to_vec();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(k);
    v
}

fn bytemuck_cast_i16(v: &[i16]) -> &[u16] {
    // SAFETY: same size and alignment, every bit pattern valid for both.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u16>(), v.len()) }
}

/// The `value_counts` operator (see the module docs).
pub struct ValueCounts {
    top_k: usize,
    array: String,
    threads: usize,
    state: Option<(DType, Tables)>,
}

/// Parameters of `value_counts`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValueCountsParams {
    /// How many most frequent values to list.
    pub top_k: u64,
    /// Input array name; empty: the frame's first array.
    pub array: String,
}

impl Default for ValueCountsParams {
    fn default() -> Self {
        ValueCountsParams { top_k: 10, array: String::new() }
    }
}

impl Params for ValueCountsParams {
    const TABLE: &'static [Param] = &[
        Param::new("top_k", "how many most frequent values to list; ties: smaller value first"),
        Param::new("array", "input array name; empty: the frame's first array"),
    ];
}

impl ValueCounts {
    /// Builds the operator from `top_k` and `array`.
    pub fn new(p: ValueCountsParams, ctx: &Context) -> Result<ValueCounts, PluginError> {
        Ok(ValueCounts {
            top_k: usize::try_from(p.top_k).unwrap_or(usize::MAX),
            array: p.array,
            threads: ctx.threads(),
            state: None,
        })
    }
}

impl Operator for ValueCounts {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let a = if self.array.is_empty() { input.first()?.1 } else { input.array(&self.array)? };
        let channels = channel_count(a.shape(), a.axes());
        if self.state.is_none() {
            self.state = Some((a.dtype(), Tables::new(a.dtype(), channels)?));
        }
        let (dtype, tables) = self.state.as_mut().expect("set above");
        if a.dtype() != *dtype {
            return Err(PluginError::bad_input(
                "",
                format!("elements of `{dtype}`, as earlier frames had"),
                format!("`{}`", a.dtype()),
            ));
        }
        if channels != tables.channels() {
            return Err(PluginError::bad_input(
                "",
                format!("{} channel(s), as earlier frames had", tables.channels()),
                format!("{channels}"),
            ));
        }
        tables.add(&a, channels, self.threads)
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let Some((_, tables)) = &self.state else {
            out.result("values", json!([]));
            out.result("counts", json!([]));
            out.result("top_k", json!([]));
            out.result("distinct", 0);
            return Ok(());
        };
        let mut values = Vec::new();
        let mut counts = Vec::new();
        let mut tops = Vec::new();
        let mut distinct = Vec::new();
        for c in 0..tables.channels() {
            let pairs = tables.pairs(c);
            values.push(Value::from(pairs.iter().map(|p| p.0).collect::<Vec<_>>()));
            counts.push(Value::from(pairs.iter().map(|p| p.1).collect::<Vec<_>>()));
            let top: Vec<Value> =
                top_k(&pairs, self.top_k).into_iter().map(|(v, n)| json!({ "value": v, "count": n })).collect();
            tops.push(Value::from(top));
            distinct.push(Value::from(pairs.len()));
        }
        let one = |mut v: Vec<Value>| if v.len() == 1 { v.remove(0) } else { Value::from(v) };
        out.result("values", one(values));
        out.result("counts", one(counts));
        out.result("top_k", one(tops));
        out.result("distinct", one(distinct));
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        let state = self.state.as_ref().map(|(dtype, t)| {
            let tables: Vec<Value> = (0..t.channels()).map(|c| json!(t.pairs(c))).collect();
            json!({ "dtype": dtype.name(), "tables": tables })
        });
        let snap = json!({ "operator": "value_counts", "version": 1, "state": state });
        Ok(Some(snap.to_string().into_bytes()))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), PluginError> {
        let bad = |m: &str| PluginError::failed(format!("cannot restore `value_counts`: {m}"));
        let snap: Value = serde_json::from_slice(bytes).map_err(|e| bad(&format!("snapshot is not JSON: {e}")))?;
        if snap["operator"] != "value_counts" || snap["version"] != 1 {
            return Err(bad("snapshot is not a version 1 value_counts snapshot"));
        }
        let s = &snap["state"];
        if s.is_null() {
            self.state = None;
            return Ok(());
        }
        let dtype = s["dtype"].as_str().and_then(DType::parse).ok_or_else(|| bad("missing or unknown `dtype`"))?;
        let per_channel: Vec<Vec<(i64, u64)>> =
            serde_json::from_value(s["tables"].clone()).map_err(|_| bad("malformed `tables`"))?;
        if per_channel.is_empty() {
            return Err(bad("no channel tables"));
        }
        let mut tables = Tables::new(dtype, per_channel.len())?;
        for (c, pairs) in per_channel.into_iter().enumerate() {
            match &mut tables {
                Tables::Dense { size, counts, .. } => {
                    for (v, n) in pairs {
                        let pattern = (v as u64 as usize) & (*size - 1);
                        counts[c * *size + pattern] = n;
                    }
                }
                Tables::Sparse(maps) => maps[c] = pairs.into_iter().collect(),
            }
        }
        self.state = Some((dtype, tables));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_breaks_ties_by_smaller_value() {
        let pairs = [(-3, 5), (1, 7), (2, 5), (9, 7), (4, 1)];
        assert_eq!(top_k(&pairs, 3), vec![(1, 7), (9, 7), (-3, 5)]);
        assert_eq!(top_k(&pairs, 0), vec![]);
        assert_eq!(top_k(&pairs, 99).len(), 5);
    }

    #[test]
    fn runs_are_sorted() {
        assert_eq!(sorted_runs(&mut [3, -1, 3, 0, -1, 3]), vec![(-1, 2), (0, 1), (3, 3)]);
    }
}
