//! The histogram model `fit_histogram` writes and `score_histogram` reads.
//!
//! A JSON object (format `plexus-learner/histogram-model`, version 1):
//!
//! ```json
//! { "format": "plexus-learner/histogram-model", "version": 1,
//!   "dtype": "u8", "bins": 256, "range": [0, 256], "edges": [...257 numbers],
//!   "counts": [...], "total": 40960, "outside": 0, "nan": 0,
//!   "p": [...], "images": 10, "empty_images": 0, "mean": [...], "std": [...] }
//! ```
//!
//! `counts` is the histogram of the whole set (exact integers), `p` the same
//! normalised to sum 1, `mean`/`std` the per-bin mean and population standard
//! deviation (ddof = 0, as `numpy.std`) of the per-image normalised
//! histograms over the `images` images that had a value in range
//! (`empty_images` had none). Floats are written with round-trip precision.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::binning::Binning;
use crate::modelfile::{bad_model, read_model, FORMAT_VERSION};
use plexus_plugin_api::PluginError;

/// The model's format name.
pub const FORMAT: &str = "plexus-learner/histogram-model";

/// A saved histogram model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistogramModel {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`FORMAT_VERSION`].
    pub version: u64,
    /// Element type the model was fitted on.
    pub dtype: String,
    /// Number of bins.
    pub bins: usize,
    /// `[lo, hi]`.
    pub range: [f64; 2],
    /// The `bins + 1` edges; scoring bins new data with exactly these.
    pub edges: Vec<f64>,
    /// Counts of the whole set.
    pub counts: Vec<u64>,
    /// Sum of `counts`.
    pub total: u64,
    /// Values outside the range.
    pub outside: u64,
    /// NaN values.
    pub nan: u64,
    /// `counts / total`.
    pub p: Vec<f64>,
    /// Images with at least one value in range.
    pub images: u64,
    /// Images with none.
    pub empty_images: u64,
    /// Per-bin mean of the per-image normalised histograms.
    pub mean: Vec<f64>,
    /// Per-bin population std (ddof = 0) of the same.
    pub std: Vec<f64>,
}

impl HistogramModel {
    /// The model as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a model serialises")
    }

    /// Loads and checks the model at `path` (see [`crate::modelfile`] for the
    /// messages).
    pub fn load(path: &str) -> Result<HistogramModel, PluginError> {
        let v = read_model(path, FORMAT)?;
        let m: HistogramModel = serde_json::from_value(v).map_err(|e| bad_model(path, e))?;
        m.check().map_err(|e| bad_model(path, e))?;
        Ok(m)
    }

    fn check(&self) -> Result<(), String> {
        let n = self.bins;
        if n == 0 {
            return Err("`bins` is 0".into());
        }
        if self.edges.len() != n + 1 {
            return Err(format!("`edges` has {} entries, expected bins + 1 = {}", self.edges.len(), n + 1));
        }
        Binning::from_edges(self.edges.clone()).map_err(|e| format!("`edges`: {e}"))?;
        for (name, len) in
            [("counts", self.counts.len()), ("p", self.p.len()), ("mean", self.mean.len()), ("std", self.std.len())]
        {
            if len != n {
                return Err(format!("`{name}` has {len} entries, expected bins = {n}"));
            }
        }
        let sum: u64 = self.counts.iter().sum();
        if sum != self.total {
            return Err(format!("`counts` sum to {sum}, but `total` is {}", self.total));
        }
        if self.total == 0 {
            return Err("the model holds no counts (`total` is 0)".into());
        }
        Ok(())
    }

    /// The model's bins.
    pub fn binning(&self) -> Binning {
        Binning::from_edges(self.edges.clone()).expect("checked on load")
    }
}

/// The version written, re-exported for tests.
pub const VERSION: u64 = FORMAT_VERSION;
