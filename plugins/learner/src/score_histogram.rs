//! `score_histogram`: how far the incoming images are from a saved histogram
//! model, by symmetric chi-square, KL divergence and Wasserstein-1 (see
//! [`crate::distance`] for the exact definitions).
//!
//! # Semantics
//!
//! The model at `model` is loaded when the operator is built (errors name the
//! file, see [`crate::modelfile`]). Incoming data is binned with exactly the
//! model's `edges` (so an f32 stream scored against a u8 model uses the
//! model's f64 edges), channels pooled, images cut as [`crate::images`] says.
//! `p` is the scored histogram, `q` the model's set histogram.
//!
//! - `per = "set"`: at finish, `chi2`, `kl`, `wasserstein` of the whole
//!   stream's histogram (numbers).
//! - `per = "image"`: each completed image publishes an event
//!   `histogram_score` with `image` (its index from 0), `chi2`, `kl`,
//!   `wasserstein` and `total`; at finish the same as lists, one entry per
//!   image. An image with no value in range scores `null`.
//!
//! Both also publish `images`, `total`, `outside` and `nan` of the stream.
//! KL is `D(p ‖ q)` after adding `epsilon` (default 1e-10) to every bin of
//! both normalised histograms and renormalising; an infinite value (possible
//! only with `epsilon = 0`) is published as `null`. Forwards every frame.

use plexus_plugin_api::{Context, DType, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::binning::Binning;
use crate::distance::{chi_square, kl_divergence, normalise, wasserstein};
use crate::histmodel::HistogramModel;
use crate::images::{pick, ImageCounter, StreamCounts};

/// The three distances of one histogram from the model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Symmetric chi-square.
    pub chi2: Option<f64>,
    /// KL divergence D(p ‖ model).
    pub kl: Option<f64>,
    /// Wasserstein-1, intensity units.
    pub wasserstein: Option<f64>,
    /// In-range values scored.
    pub total: u64,
}

/// The `score_histogram` operator (see the module docs).
pub struct ScoreHistogram {
    model: HistogramModel,
    binning: Binning,
    centres: Vec<f64>,
    per_image: bool,
    epsilon: f64,
    array: String,
    counter: Option<ImageCounter>,
    scores: Vec<Score>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Parameters of `score_histogram`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreHistogramParams {
    /// Path of a model written by `fit_histogram`.
    pub model: String,
    /// Score the whole stream once, or every image.
    #[serde(default)]
    pub per: Per,
    /// Added to every bin of both normalised histograms before KL.
    #[serde(default = "default_epsilon")]
    pub epsilon: f64,
    /// Input array name; empty: the frame's first array.
    #[serde(default)]
    pub array: String,
}

fn default_epsilon() -> f64 {
    1e-10
}

impl Params for ScoreHistogramParams {
    const TABLE: &'static [Param] = &[
        Param::new("model", "path of a model written by fit_histogram"),
        Param::new("per", "score the whole stream once, or every image"),
        Param::new("epsilon", "added to every bin of both normalised histograms before KL (then renormalised)")
            .min(0.0),
        Param::new("array", crate::fit_histogram::ARRAY_DOC),
    ];
}

/// What one score covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Per {
    /// The whole stream, scored at finish.
    #[default]
    Set,
    /// Every image.
    Image,
}

impl ScoreHistogram {
    /// Builds the operator from `model`, `per`, `epsilon` and `array`.
    pub fn new(p: ScoreHistogramParams, _ctx: &Context) -> Result<ScoreHistogram, PluginError> {
        let per_image = p.per == Per::Image;
        let epsilon = p.epsilon;
        if !epsilon.is_finite() {
            return Err(PluginError::bad_parameter("epsilon", "a finite number >= 0", epsilon.to_string()));
        }
        let model = HistogramModel::load(&p.model)?;
        let binning = model.binning();
        Ok(ScoreHistogram {
            centres: binning.centres(),
            binning,
            model,
            per_image,
            epsilon,
            array: p.array,
            counter: None,
            scores: Vec::new(),
        })
    }

    /// The distances of `counts` from the model.
    pub fn score(&self, counts: &[u64]) -> Score {
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return Score { chi2: None, kl: None, wasserstein: None, total };
        }
        let p = normalise(counts);
        let q = &self.model.p;
        Score {
            chi2: Some(chi_square(&p, q)),
            kl: finite(kl_divergence(&p, q, self.epsilon)),
            wasserstein: wasserstein(&self.centres, counts, &self.model.counts),
            total,
        }
    }

    fn record(&mut self, counts: &[u64], out: &mut Emitter) {
        let s = self.score(counts);
        let mut fields = Map::new();
        fields.insert("image".into(), json!(self.scores.len()));
        fields.insert("chi2".into(), json!(s.chi2));
        fields.insert("kl".into(), json!(s.kl));
        fields.insert("wasserstein".into(), json!(s.wasserstein));
        fields.insert("total".into(), json!(s.total));
        out.event("histogram_score", fields);
        self.scores.push(s);
    }
}

impl Operator for ScoreHistogram {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let a = pick(input, &self.array)?;
        if self.counter.is_none() {
            self.counter = Some(ImageCounter::new(self.binning.clone(), a.dtype()));
        }
        let done = self.counter.as_mut().expect("set above").process(&a, input.dataset(), input.key())?;
        if self.per_image {
            for img in done {
                self.record(&img.bins, out);
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        if let Some(img) = self.counter.as_mut().and_then(ImageCounter::close) {
            if self.per_image {
                self.record(&img.bins, out);
            }
        }
        let (set, images) = match &self.counter {
            Some(c) => (c.state.set.clone(), c.state.images),
            None => (crate::binning::Counts::zeros(self.binning.bins()), 0),
        };
        if self.per_image {
            out.result("chi2", self.scores.iter().map(|s| json!(s.chi2)).collect::<Vec<_>>());
            out.result("kl", self.scores.iter().map(|s| json!(s.kl)).collect::<Vec<_>>());
            out.result("wasserstein", self.scores.iter().map(|s| json!(s.wasserstein)).collect::<Vec<_>>());
        } else {
            let s = self.score(&set.bins);
            out.result("chi2", json!(s.chi2));
            out.result("kl", json!(s.kl));
            out.result("wasserstein", json!(s.wasserstein));
        }
        out.result("images", images);
        out.result("total", set.total());
        out.result("outside", set.outside);
        out.result("nan", set.nan);
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        let snap = json!({
            "operator": "score_histogram",
            "version": 1,
            "edges": self.binning.edges(),
            "counts": self.counter.as_ref().map(|c| &c.state),
            "scores": self.scores,
        });
        Ok(Some(snap.to_string().into_bytes()))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), PluginError> {
        let bad = |m: String| PluginError::failed(format!("cannot restore `score_histogram`: {m}"));
        let snap: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("snapshot is not JSON: {e}")))?;
        if snap["operator"] != "score_histogram" || snap["version"] != 1 {
            return Err(bad("not a version 1 score_histogram snapshot".into()));
        }
        if snap["edges"] != json!(self.binning.edges()) {
            return Err(bad("the snapshot was taken against a model with other bins".into()));
        }
        let counts: Option<StreamCounts> =
            serde_json::from_value(snap["counts"].clone()).map_err(|e| bad(e.to_string()))?;
        let scores: Vec<Score> = serde_json::from_value(snap["scores"].clone()).map_err(|e| bad(e.to_string()))?;
        self.counter = match counts {
            None => None,
            Some(s) => {
                DType::parse(&s.dtype).ok_or_else(|| bad(format!("unknown dtype `{}`", s.dtype)))?;
                Some(ImageCounter::with_state(self.binning.clone(), s).map_err(bad)?)
            }
        };
        self.scores = scores;
        Ok(())
    }
}
