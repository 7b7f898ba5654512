//! `find_center`: the rotation axis from one sinogram of the stream, by
//! Vo's Fourier method, 0°/180° correlation or a reconstruct-and-score
//! sweep ([`crate::find_center`]), published as a result for later stages:
//! `center_col = "${center.center_col}"` in an `fbp`, `gridrec`, `sirt`,
//! `cgls` or `sart` stage reading a `find_center` stage with id `center`.
//!
//! # Input, output and results
//!
//! Sinogram frames `[rows, angles, cols]`, forwarded unchanged (no copy),
//! so a reconstruction stage can read this one. `row` is a row of the
//! dataset (the chunk key's offset counts rows); left out, the middle one,
//! `extent / 2` (for an unbounded stream, the middle of the first frame).
//! When the frame holding that row arrives the operator publishes:
//!
//! - `center_col`: the axis as a detector column (pixel centres at
//!   integers, `docs/CONVENTIONS.md`), sub-pixel;
//! - `row`: the row it was found on; `method`;
//! - `candidates` and `metric` (`vo` and `sweep`): the columns scored and
//!   their score (lower is better for `vo` and `entropy`, higher for
//!   `sharpness`), for a plot of the metric against the centre.
//!
//! A stream that ends without that row fails at `finish`, naming `row`.
//! Stages referencing `center_col` wait only until the row's frame has
//! passed, not for the end of the stream.
//!
//! The name `center_col` (rather than `center`) is the parameter it feeds
//! and the convention's name everywhere: `generator.projections`
//! publishes its true axis as `center_col` too.

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::find_center::{find_center, FindCenterParams, Method, MethodParams};
use crate::op::frames::{angles_deg, Layout, Stack};
use crate::SinoShape;

impl Params for FindCenterParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "method",
            "vo: Vo et al. 2014 as algotom's find_center_vo; correlation: the 0 and 180 degree projections; sweep: reconstruct each candidate and score it",
        ),
        Param::new("row", "the dataset row (sinogram) to use; unset: the middle one"),
        Param::new("start", "first candidate column (vo, sweep); unset: the detector middle - cols/16"),
        Param::new("stop", "last candidate column (vo, sweep); unset: the detector middle + cols/16"),
        Param::new("step", "candidate spacing in columns (vo: 0.25, its fine search; sweep: 0.5)").min(0.0),
        Param::new("radius", "half-width of the fine search in columns (vo; default 4)").min(0.0),
        Param::new("ratio", "object width as a fraction of the detector width (vo; default 0.5)").min(0.0).max(1.0),
        Param::new("downsample", "coarse search on a downsampled sinogram (vo; default true)"),
        Param::new("metric", "score of a candidate slice: entropy (minimised) or sharpness (maximised) (sweep; default entropy)"),
        Param::new("filter", "FBP filter of the candidate slices (sweep; default shepp-logan)"),
    ];
}

/// What was found, kept for `snapshot`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Found {
    center_col: f64,
    row: u64,
    candidates: Vec<f64>,
    metric: Vec<f64>,
}

/// The `find_center` operator.
pub struct FindCenter {
    method: MethodParams,
    name: Method,
    row: Option<u64>,
    threads: usize,
    /// The row to use, fixed by the first frame.
    target: Option<u64>,
    found: Option<Found>,
    /// Rows seen, for the error when the target never came.
    seen: u64,
}

impl FindCenter {
    /// Builds the operator; a parameter the method does not take is refused.
    pub fn new(params: FindCenterParams, ctx: &Context) -> Result<FindCenter, PluginError> {
        let method = params.method_params()?;
        Ok(FindCenter {
            // The kernel sees one sinogram: the row is chosen here.
            method: method.with_row(None),
            name: params.method,
            row: params.row.map(|r| r as u64),
            threads: ctx.threads(),
            target: None,
            found: None,
            seen: 0,
        })
    }

    fn publish(&self, found: &Found, out: &mut Emitter) {
        out.result("center_col", found.center_col);
        out.result("row", found.row);
        out.result("method", serde_json::to_value(self.name).unwrap_or_default());
        if !found.candidates.is_empty() {
            out.result("candidates", json!(found.candidates));
            out.result("metric", json!(found.metric));
        }
    }
}

impl Operator for FindCenter {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        if self.found.is_some() {
            return Ok(());
        }
        let stack = Stack::first(input, Layout::Sinograms)?;
        let [rows, angles, cols] = stack.dims;
        let key = input.key();
        self.seen += rows as u64;
        let target = *self.target.get_or_insert_with(|| {
            self.row.unwrap_or(if key.extent > 0 { key.extent / 2 } else { key.offset + rows as u64 / 2 })
        });
        if !(key.offset..key.offset + rows as u64).contains(&target) {
            return Ok(());
        }
        let local = (target - key.offset) as usize;
        let one = &stack.data[local * angles * cols..(local + 1) * angles * cols];
        let theta = angles_deg(input, angles)?;
        let est = find_center(one, SinoShape::slice(angles, cols), &theta, &self.method, self.threads)?;
        let found = Found { center_col: est.center_col, row: target, candidates: est.candidates, metric: est.metric };
        self.publish(&found, out);
        self.found = Some(found);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        match (&self.found, self.target) {
            (Some(found), _) => {
                self.publish(found, out);
                Ok(())
            }
            (None, Some(target)) => Err(PluginError::bad_parameter(
                "row",
                format!("a row of the stream, which held {} rows", self.seen),
                target.to_string(),
            )),
            // No frame at all: nothing to find it in.
            (None, None) => Err(PluginError::bad_input("", "at least one sinogram frame", "an empty stream")),
        }
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        let state = json!({ "operator": "find_center", "target": self.target, "found": self.found, "seen": self.seen });
        Ok(Some(state.to_string().into_bytes()))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        let bad = |why: String| PluginError::failed(format!("`find_center`: cannot restore snapshot: {why}"));
        let v: serde_json::Value = serde_json::from_slice(state).map_err(|e| bad(e.to_string()))?;
        if v["operator"] != "find_center" {
            return Err(bad(format!("it belongs to operator {}", v["operator"])));
        }
        self.target = v["target"].as_u64();
        self.seen = v["seen"].as_u64().unwrap_or(0);
        self.found = serde_json::from_value(v["found"].clone()).map_err(|e| bad(e.to_string()))?;
        Ok(())
    }
}
