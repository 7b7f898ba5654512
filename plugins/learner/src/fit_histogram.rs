//! `fit_histogram`: the intensity histogram of an image set, and the spread
//! of the per-image histograms, saved as a model.
//!
//! # Semantics
//!
//! - Bins follow `numpy.histogram(x, bins, range)` (see [`crate::binning`]);
//!   channels are pooled. The set's `counts` are those of `numpy.histogram`
//!   over the concatenation of every frame: exact integers, the same however
//!   the stream is chunked.
//! - Images are cut as [`crate::images`] says (a stack: one per index of
//!   axis 0; a 2-D image: its row bands). For each image with a value in
//!   range, its normalised histogram `counts_img / sum(counts_img)`; `mean`
//!   and `std` are, per bin, `numpy.mean(H, axis=0)` and
//!   `numpy.std(H, axis=0)` (ddof = 0) of those rows, accumulated with
//!   Welford's update in image order.
//! - `p = counts / sum(counts)`: a probability mass over the bins (not
//!   numpy's `density`, which divides further by the bin width).
//!
//! # Parameters
//!
//! `bins` (default 256), `range` (`[lo, hi]`; `[]`: the integer type's range
//! `[min, max + 1]`, required for float input), `model` (path written at
//! finish; `""`: none), `array`.
//!
//! # Stream
//!
//! Forwards every frame. At finish publishes `counts`, `edges`, `p`, `mean`,
//! `std`, `images`, `empty_images`, `total`, `outside`, `nan` and `model`
//! (the path written, or null) and writes the model
//! ([`crate::histmodel`]). A stream with no value in range publishes its
//! (zero) counts but writes no model: that is an error when `model` is set.

use plexus_plugin_api::{Context, DType, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::binning::{check_range, dtype_range, Binning, Counts};
use crate::distance::normalise;
use crate::histmodel::{HistogramModel, FORMAT, VERSION};
use crate::images::{pick, ImageCounter, StreamCounts};
use crate::modelfile::write_model;

/// Per-bin mean and sum of squared deviations of per-image normalised
/// histograms (Welford).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Images added.
    pub n: u64,
    /// Images with no value in range, not added.
    pub empty: u64,
    /// Running mean per bin.
    pub mean: Vec<f64>,
    /// Running sum of squared deviations per bin.
    pub m2: Vec<f64>,
}

impl Spread {
    /// Adds one image's counts.
    pub fn add(&mut self, c: &Counts) {
        if c.total() == 0 {
            self.empty += 1;
            return;
        }
        let p = normalise(&c.bins);
        if self.mean.len() != p.len() {
            self.mean = vec![0.0; p.len()];
            self.m2 = vec![0.0; p.len()];
        }
        self.n += 1;
        let n = self.n as f64;
        for ((m, s), x) in self.mean.iter_mut().zip(&mut self.m2).zip(&p) {
            let d = x - *m;
            *m += d / n;
            *s += d * (x - *m);
        }
    }

    /// Mean and population std per bin (zeros when no image was added).
    pub fn mean_std(&self, bins: usize) -> (Vec<f64>, Vec<f64>) {
        if self.n == 0 {
            return (vec![0.0; bins], vec![0.0; bins]);
        }
        (self.mean.clone(), self.m2.iter().map(|s| (s / self.n as f64).sqrt()).collect())
    }
}

/// The `fit_histogram` operator (see the module docs).
pub struct FitHistogram {
    bins: usize,
    range: Option<(f64, f64)>,
    model: String,
    array: String,
    counter: Option<ImageCounter>,
    spread: Spread,
}

/// Most bins a model may have.
pub const MAX_BINS: u64 = 1 << 24;

/// The doc of every `array` parameter of this plugin.
pub const ARRAY_DOC: &str = "input array name; empty: the frame's first array";

/// Parameters of `fit_histogram`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitHistogramParams {
    /// Number of equal-width bins.
    pub bins: u64,
    /// `[lo, hi]`; empty: the integer type's range `[min, max + 1]`.
    pub range: Vec<f64>,
    /// Path the JSON model is written to at finish; empty: results only.
    pub model: String,
    /// Input array name; empty: the frame's first array.
    pub array: String,
}

impl Default for FitHistogramParams {
    fn default() -> Self {
        FitHistogramParams { bins: 256, range: Vec::new(), model: String::new(), array: String::new() }
    }
}

impl Params for FitHistogramParams {
    const TABLE: &'static [Param] = &[
        Param::new("bins", "number of equal-width bins").min(1.0).max(MAX_BINS as f64),
        Param::new("range", "[lo, hi]; [] = the integer type's range [min, max + 1]; required for float input"),
        Param::new("model", "path the JSON model is written to at finish; empty: results only"),
        Param::new("array", ARRAY_DOC),
    ];
}

/// Checks `range` (`[lo, hi]` or empty) against `bins`.
pub fn bins_and_range(bins: u64, range: &[f64]) -> Result<(usize, Option<(f64, f64)>), PluginError> {
    let range = match range {
        [] => None,
        &[lo, hi] => {
            check_range(lo, hi)?;
            Binning::new(bins as usize, lo, hi)?;
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
    Ok((bins as usize, range))
}

impl FitHistogram {
    /// Builds the operator from `bins`, `range`, `model` and `array`.
    pub fn new(p: FitHistogramParams, _ctx: &Context) -> Result<FitHistogram, PluginError> {
        let (bins, range) = bins_and_range(p.bins, &p.range)?;
        Ok(FitHistogram { bins, range, model: p.model, array: p.array, counter: None, spread: Spread::default() })
    }

    fn binning_for(&self, dtype: DType) -> Result<(Binning, (f64, f64)), PluginError> {
        let (lo, hi) = match (self.range, dtype_range(dtype)) {
            (Some(r), _) | (None, Some(r)) => r,
            (None, None) => {
                return Err(PluginError::bad_parameter(
                    "range",
                    format!(
                        "[lo, hi] for `{dtype}` input (the data's min and max are not known until the stream \
                         ends, and a second pass over a stream is impossible)"
                    ),
                    "[]",
                ))
            }
        };
        Ok((Binning::for_dtype(self.bins, lo, hi, dtype)?, (lo, hi)))
    }

    fn model_of(&self, c: &ImageCounter) -> HistogramModel {
        let (_, (lo, hi)) = self.binning_for(c.dtype()).expect("built on the first frame");
        let set = &c.state.set;
        let (mean, std) = self.spread.mean_std(self.bins);
        HistogramModel {
            format: FORMAT.into(),
            version: VERSION,
            dtype: c.dtype().name().into(),
            bins: self.bins,
            range: [lo, hi],
            edges: c.binning().edges().to_vec(),
            counts: set.bins.clone(),
            total: set.total(),
            outside: set.outside,
            nan: set.nan,
            p: normalise(&set.bins),
            images: self.spread.n,
            empty_images: self.spread.empty,
            mean,
            std,
        }
    }
}

impl Operator for FitHistogram {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let a = pick(input, &self.array)?;
        if self.counter.is_none() {
            let (b, _) = self.binning_for(a.dtype())?;
            self.counter = Some(ImageCounter::new(b, a.dtype()));
        }
        let counter = self.counter.as_mut().expect("set above");
        for img in counter.process(&a, input.dataset(), input.key())? {
            self.spread.add(&img);
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let Some(counter) = self.counter.as_mut() else {
            // No frame: zero counts when the bins are known, empty lists otherwise.
            let (counts, edges) = match self.range {
                Some((lo, hi)) => (json!(vec![0u64; self.bins]), json!(Binning::new(self.bins, lo, hi)?.edges())),
                None => (json!([]), json!([])),
            };
            for (k, v) in [("counts", counts.clone()), ("edges", edges), ("p", counts.clone())] {
                out.result(k, v);
            }
            for k in ["images", "empty_images", "total", "outside", "nan"] {
                out.result(k, 0);
            }
            out.result("mean", counts.clone());
            out.result("std", counts);
            out.result("model", Value::Null);
            return if self.model.is_empty() {
                Ok(())
            } else {
                Err(PluginError::failed(format!(
                    "`fit_histogram`: the stream held no frame; not writing an empty model to `{}`",
                    self.model
                )))
            };
        };
        if let Some(img) = counter.close() {
            self.spread.add(&img);
        }
        let counter = self.counter.as_ref().expect("checked above");
        let m = self.model_of(counter);
        let written = if self.model.is_empty() { Value::Null } else { Value::from(self.model.clone()) };
        let Value::Object(fields) = m.to_json() else { unreachable!("a struct serialises to an object") };
        for (k, v) in fields {
            if matches!(k.as_str(), "format" | "version" | "dtype" | "bins" | "range") {
                continue;
            }
            out.result(k, v);
        }
        out.result("model", written);
        if !self.model.is_empty() {
            if m.total == 0 {
                return Err(PluginError::failed(format!(
                    "`fit_histogram`: no value fell in the range [{}, {}]; not writing an empty model to `{}`",
                    m.range[0], m.range[1], self.model
                )));
            }
            write_model(&self.model, &m.to_json())?;
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        let snap = json!({
            "operator": "fit_histogram",
            "version": 1,
            "bins": self.bins,
            "range": self.range.map(|(lo, hi)| [lo, hi]),
            "counts": self.counter.as_ref().map(|c| &c.state),
            "spread": self.spread,
        });
        Ok(Some(snap.to_string().into_bytes()))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), PluginError> {
        let bad = |m: String| PluginError::failed(format!("cannot restore `fit_histogram`: {m}"));
        let snap: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("snapshot is not JSON: {e}")))?;
        if snap["operator"] != "fit_histogram" || snap["version"] != 1 {
            return Err(bad("not a version 1 fit_histogram snapshot".into()));
        }
        let range = json!(self.range.map(|(lo, hi)| [lo, hi]));
        if snap["bins"] != json!(self.bins) || snap["range"] != range {
            return Err(bad(format!(
                "snapshot was taken with bins = {} and range = {}, this instance has bins = {} and range = {range}",
                snap["bins"], snap["range"], self.bins
            )));
        }
        let spread: Spread = serde_json::from_value(snap["spread"].clone()).map_err(|e| bad(e.to_string()))?;
        let counts: Option<StreamCounts> =
            serde_json::from_value(snap["counts"].clone()).map_err(|e| bad(e.to_string()))?;
        self.counter = match counts {
            None => None,
            Some(s) => {
                let dtype = DType::parse(&s.dtype).ok_or_else(|| bad(format!("unknown dtype `{}`", s.dtype)))?;
                let (b, _) = self.binning_for(dtype)?;
                Some(ImageCounter::with_state(b, s).map_err(bad)?)
            }
        };
        self.spread = spread;
        Ok(())
    }
}
