//! `pca`: principal component analysis of a band cube over a whole stream,
//! as `sklearn.decomposition.PCA(n_components=k)` fitted on the pixels.
//!
//! # Samples and variables
//!
//! When the last axis is a channel axis (labelled `band`, `c` or `channel`)
//! its extent is the number of variables and every other index (every pixel
//! of `y x band`, every voxel of `z y x band`) is one sample. An array of
//! rank 2 without such a label is `[samples, variables]`. Elements of any
//! type are read as f64; a NaN or infinity is an error.
//!
//! # Accumulation
//!
//! Per block of at most 4096 samples: the block mean and its centred scatter
//! matrix `Σ (x - m)(x - m)ᵀ`, computed in two passes; blocks and frames are
//! merged with Chan, Golub & LeVeque's pairwise update
//! `M = M_a + M_b + δ δᵀ n_a n_b / n`, `δ = m_b - m_a`. No raw sums of
//! squares are formed, so there is no cancellation when the mean is large
//! next to the spread. Chunking changes the result only by rounding (tests:
//! ≤ 1e-12 relative between 1, 3 and 7 chunks).
//!
//! # At finish
//!
//! `C = M / (n - 1)` is decomposed by Jacobi iteration
//! ([`crate::linalg`]); eigenvalues are sorted decreasing and negative ones
//! (rounding) clipped to 0, as sklearn's `covariance_eigh` solver does.
//! Published, for the first `k` components (`k = 0`: all):
//!
//! - `explained_variance` (λ, ddof = 1), `explained_variance_ratio`
//!   (λ / Σ of all λ), `singular_values` (`sqrt(λ (n - 1))`),
//!   `noise_variance` (mean of the discarded λ, 0 if none), as sklearn;
//! - `components`: `k` lists of `bands` loadings, unit vectors;
//! - `mean`, `n_samples`, `n_features`, `model` (the path written, or null).
//!
//! **Sign convention**: each component is flipped so that its entry of
//! largest absolute value is positive (first such entry on a tie), which is
//! sklearn's `svd_flip(u, Vt, u_based_decision=False)` used by `PCA` in
//! scikit-learn 1.5 and later (checked against 1.9.1). Earlier sklearn
//! versions decided signs from `U` instead and may differ by sign.
//!
//! The model file (format `plexus-learner/pca-model`, version 1) holds the
//! same fields; [`crate::pca_project`] reads it.

use plexus_plugin_api::{ArrayView, Context, DType, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::binning::has_channel_axis;
use crate::images::pick;
use crate::linalg::symmetric_eigen;
use crate::modelfile::{bad_model, read_model, write_model, FORMAT_VERSION};

/// The PCA model's format name.
pub const FORMAT: &str = "plexus-learner/pca-model";

/// Samples at most per block of the scatter accumulation.
const BLOCK: usize = 4096;

/// Mean and centred scatter of the samples seen so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scatter {
    /// Variables.
    pub d: usize,
    /// Samples.
    pub n: u64,
    /// Mean per variable.
    pub mean: Vec<f64>,
    /// `Σ (x - mean)(x - mean)ᵀ`, `d × d` row-major, symmetric.
    pub m2: Vec<f64>,
}

impl Scatter {
    /// No samples of `d` variables.
    pub fn new(d: usize) -> Scatter {
        Scatter { d, n: 0, mean: vec![0.0; d], m2: vec![0.0; d * d] }
    }

    /// The statistics of `rows` (samples × `d`, row-major), two-pass.
    pub fn of_block(rows: &[f64], d: usize) -> Scatter {
        let n = rows.len() / d;
        let mut s = Scatter::new(d);
        if n == 0 {
            return s;
        }
        for r in rows.chunks_exact(d) {
            for (m, x) in s.mean.iter_mut().zip(r) {
                *m += x;
            }
        }
        for m in &mut s.mean {
            *m /= n as f64;
        }
        let mut c = vec![0.0; d];
        for r in rows.chunks_exact(d) {
            for ((ci, x), m) in c.iter_mut().zip(r).zip(&s.mean) {
                *ci = x - m;
            }
            for i in 0..d {
                let ci = c[i];
                let row = &mut s.m2[i * d..(i + 1) * d];
                for j in i..d {
                    row[j] += ci * c[j];
                }
            }
        }
        for i in 0..d {
            for j in 0..i {
                s.m2[i * d + j] = s.m2[j * d + i];
            }
        }
        s.n = n as u64;
        s
    }

    /// Merges `other` into `self` (Chan, Golub & LeVeque).
    pub fn merge(&mut self, other: &Scatter) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = other.clone();
            return;
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let delta: Vec<f64> = other.mean.iter().zip(&self.mean).map(|(b, a)| b - a).collect();
        let f = na * nb / n;
        let d = self.d;
        for i in 0..d {
            for j in 0..d {
                self.m2[i * d + j] += other.m2[i * d + j] + delta[i] * delta[j] * f;
            }
        }
        for (m, dl) in self.mean.iter_mut().zip(&delta) {
            *m += dl * (nb / n);
        }
        self.n += other.n;
    }
}

/// Number of variables of `a` (see the module docs), or why it has none.
pub fn variables(a: &ArrayView<'_>, op: &str) -> Result<usize, PluginError> {
    let shape = a.shape();
    if has_channel_axis(a.axes()) && !shape.is_empty() {
        return Ok(shape[shape.len() - 1]);
    }
    if shape.len() == 2 {
        return Ok(shape[1]);
    }
    Err(PluginError::bad_input(
        "",
        format!(
            "variables for `{op}`: a last axis labelled `band`, `c` or `channel`, or a 2-D [samples, variables] array"
        ),
        format!("axes `{}`", a.axes()),
    ))
}

/// Samples `start..end` of `a` (`d` variables each) as f64, into `out`.
pub fn read_rows(a: &ArrayView<'_>, d: usize, start: usize, end: usize, out: &mut Vec<f64>) {
    fn conv<T: plexus_plugin_api::Element + Copy>(a: &ArrayView<'_>, s: usize, e: usize, out: &mut Vec<f64>) {
        let data = a.as_slice::<T>().expect("dtype matched; host arrays are aligned");
        out.extend(data[s..e].iter().map(|v| v.to_f64()));
    }
    out.clear();
    let (s, e) = (start * d, end * d);
    match a.dtype() {
        DType::U8 => out.extend(a.as_bytes()[s..e].iter().map(|&v| v as f64)),
        DType::U16 => conv::<u16>(a, s, e, out),
        DType::U32 => conv::<u32>(a, s, e, out),
        DType::I16 => conv::<i16>(a, s, e, out),
        DType::I32 => conv::<i32>(a, s, e, out),
        DType::F32 => conv::<f32>(a, s, e, out),
        DType::F64 => conv::<f64>(a, s, e, out),
    }
}

/// A fitted PCA model, as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PcaModel {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always 1.
    pub version: u64,
    /// Variables (bands).
    pub n_features: usize,
    /// Samples (pixels) fitted on.
    pub n_samples: u64,
    /// Components kept.
    pub k: usize,
    /// Mean per variable.
    pub mean: Vec<f64>,
    /// `k` unit vectors of `n_features` loadings.
    pub components: Vec<Vec<f64>>,
    /// λ per component (ddof = 1).
    pub explained_variance: Vec<f64>,
    /// λ / Σ all λ.
    pub explained_variance_ratio: Vec<f64>,
    /// `sqrt(λ (n - 1))`.
    pub singular_values: Vec<f64>,
    /// Mean of the discarded λ.
    pub noise_variance: f64,
    /// The sign convention, in words.
    pub sign_convention: String,
}

/// The sign convention written into every model.
pub const SIGN_CONVENTION: &str =
    "each component's entry of largest absolute value is positive (sklearn svd_flip, u_based_decision=False)";

impl PcaModel {
    /// Fits from accumulated statistics, keeping `k` components (0: all).
    pub fn fit(s: &Scatter, k: usize) -> Result<PcaModel, PluginError> {
        let d = s.d;
        if s.n < 2 {
            return Err(PluginError::bad_input("", "at least 2 samples over the stream (`pca`)", format!("{}", s.n)));
        }
        let k = if k == 0 { d } else { k };
        if k > d {
            return Err(PluginError::bad_parameter("k", format!("at most the input's {d} variables"), k.to_string()));
        }
        let dof = (s.n - 1) as f64;
        let cov: Vec<f64> = s.m2.iter().map(|v| v / dof).collect();
        let (mut vals, mut vecs) = symmetric_eigen(&cov, d).map_err(PluginError::failed)?;
        for v in &mut vals {
            if *v < 0.0 {
                *v = 0.0;
            }
        }
        for c in &mut vecs {
            let mut best = 0;
            for (i, x) in c.iter().enumerate() {
                if x.abs() > c[best].abs() {
                    best = i;
                }
            }
            if c[best] < 0.0 {
                for x in c.iter_mut() {
                    *x = -*x;
                }
            }
        }
        let total: f64 = vals.iter().sum();
        let rank = d.min(s.n as usize);
        let noise = if k < rank { vals[k..rank].iter().sum::<f64>() / (rank - k) as f64 } else { 0.0 };
        Ok(PcaModel {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            n_features: d,
            n_samples: s.n,
            k,
            mean: s.mean.clone(),
            components: vecs[..k].to_vec(),
            explained_variance: vals[..k].to_vec(),
            explained_variance_ratio: vals[..k].iter().map(|v| if total > 0.0 { v / total } else { 0.0 }).collect(),
            singular_values: vals[..k].iter().map(|v| (v * dof).sqrt()).collect(),
            noise_variance: noise,
            sign_convention: SIGN_CONVENTION.into(),
        })
    }

    /// The model as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a model serialises")
    }

    /// Loads and checks the model at `path`.
    pub fn load(path: &str) -> Result<PcaModel, PluginError> {
        let v = read_model(path, FORMAT)?;
        let m: PcaModel = serde_json::from_value(v).map_err(|e| bad_model(path, e))?;
        m.check().map_err(|e| bad_model(path, e))?;
        Ok(m)
    }

    fn check(&self) -> Result<(), String> {
        let (d, k) = (self.n_features, self.k);
        if d == 0 || k == 0 || k > d {
            return Err(format!("expected 1 <= k <= n_features, got k = {k}, n_features = {d}"));
        }
        if self.mean.len() != d {
            return Err(format!("`mean` has {} entries, expected n_features = {d}", self.mean.len()));
        }
        if self.components.len() != k || self.components.iter().any(|c| c.len() != d) {
            return Err(format!("`components` must be {k} lists of {d} numbers"));
        }
        for (name, len) in [
            ("explained_variance", self.explained_variance.len()),
            ("explained_variance_ratio", self.explained_variance_ratio.len()),
            ("singular_values", self.singular_values.len()),
        ] {
            if len != k {
                return Err(format!("`{name}` has {len} entries, expected k = {k}"));
            }
        }
        Ok(())
    }
}

/// The `pca` operator (see the module docs).
pub struct Pca {
    k: usize,
    model: String,
    array: String,
    scatter: Option<Scatter>,
}

/// Parameters of `pca`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PcaParams {
    /// Components kept; 0: as many as bands.
    pub k: usize,
    /// Path the JSON model is written to at finish; empty: results only.
    pub model: String,
    /// Input array name; empty: the frame's first array.
    pub array: String,
}

impl Params for PcaParams {
    const TABLE: &'static [Param] = &[
        Param::new("k", "components kept; 0: as many as bands"),
        Param::new("model", "path the JSON model is written to at finish; empty: results only"),
        Param::new("array", crate::fit_histogram::ARRAY_DOC),
    ];
}

impl Pca {
    /// Builds the operator from `k`, `model` and `array`.
    pub fn new(p: PcaParams, _ctx: &Context) -> Result<Pca, PluginError> {
        Ok(Pca { k: p.k, model: p.model, array: p.array, scatter: None })
    }
}

impl Operator for Pca {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let a = pick(input, &self.array)?;
        let d = variables(&a, "pca")?;
        if d == 0 {
            return Err(PluginError::bad_input("", "a non-empty variable axis", "0 variables"));
        }
        if self.k > d {
            return Err(PluginError::bad_parameter(
                "k",
                format!("at most the input's {d} variables"),
                self.k.to_string(),
            ));
        }
        let s = self.scatter.get_or_insert_with(|| Scatter::new(d));
        if s.d != d {
            return Err(PluginError::bad_input(
                "",
                format!("{} variables, as earlier frames had", s.d),
                format!("{d}"),
            ));
        }
        let n = a.len() / d;
        let mut rows = Vec::with_capacity(BLOCK.min(n) * d);
        for start in (0..n).step_by(BLOCK) {
            let end = (start + BLOCK).min(n);
            read_rows(&a, d, start, end, &mut rows);
            if let Some(i) = rows.iter().position(|v| !v.is_finite()) {
                return Err(PluginError::bad_input(
                    "",
                    "finite values (PCA of other data is undefined)",
                    format!("{} in sample {}", rows[i], start + i / d),
                ));
            }
            s.merge(&Scatter::of_block(&rows, d));
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let s =
            self.scatter.as_ref().ok_or_else(|| PluginError::bad_input("", "at least one frame (`pca`)", "none"))?;
        let m = PcaModel::fit(s, self.k)?;
        let Value::Object(fields) = m.to_json() else { unreachable!("a struct serialises to an object") };
        for (k, v) in fields {
            if !matches!(k.as_str(), "format" | "version" | "sign_convention") {
                out.result(k, v);
            }
        }
        if self.model.is_empty() {
            out.result("model", Value::Null);
        } else {
            write_model(&self.model, &m.to_json())?;
            out.result("model", self.model.clone());
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        let snap = json!({ "operator": "pca", "version": 1, "k": self.k, "scatter": self.scatter });
        Ok(Some(snap.to_string().into_bytes()))
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), PluginError> {
        let bad = |m: String| PluginError::failed(format!("cannot restore `pca`: {m}"));
        let snap: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("snapshot is not JSON: {e}")))?;
        if snap["operator"] != "pca" || snap["version"] != 1 {
            return Err(bad("not a version 1 pca snapshot".into()));
        }
        let s: Option<Scatter> = serde_json::from_value(snap["scatter"].clone()).map_err(|e| bad(e.to_string()))?;
        if let Some(s) = &s {
            if s.mean.len() != s.d || s.m2.len() != s.d * s.d {
                return Err(bad("malformed scatter".into()));
            }
        }
        self.scatter = s;
        Ok(())
    }
}
