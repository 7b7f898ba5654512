//! `pca_project`: projects every sample of each frame onto the components of
//! a saved PCA model: `y_j = Σ_i (x_i - mean_i) · components[j][i]`, sklearn's
//! `PCA.transform` without whitening (sklearn computes `x·Cᵀ - mean·Cᵀ`;
//! centring first avoids that cancellation, the two agree to ~1e-13
//! relative).
//!
//! Samples and variables as [`crate::pca`] says. The emitted frame (same
//! dataset, key and metadata) holds one f64 array named `output`, of the
//! input's shape with the last axis replaced by `k` components and labelled
//! `component` (`y x band` → `y x component`). `k = 0` takes every component
//! the model holds. Stateless: each frame is projected on its own.

use plexus_plugin_api::{Array, Context, Emitter, Frame, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::images::pick;
use crate::pca::{read_rows, variables, PcaModel};

/// The `pca_project` operator (see the module docs).
pub struct PcaProject {
    path: String,
    model: PcaModel,
    k: usize,
    output: String,
    array: String,
}

/// Parameters of `pca_project`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PcaProjectParams {
    /// Path of a model written by `pca`.
    pub model: String,
    /// Components to project on; 0: all the model holds.
    #[serde(default)]
    pub k: usize,
    /// Name of the emitted f64 array.
    #[serde(default = "default_output")]
    pub output: String,
    /// Input array name; empty: the frame's first array.
    #[serde(default)]
    pub array: String,
}

fn default_output() -> String {
    "projection".to_string()
}

impl Params for PcaProjectParams {
    const TABLE: &'static [Param] = &[
        Param::new("model", "path of a model written by pca"),
        Param::new("k", "components to project on; 0: all the model holds"),
        Param::new("output", "name of the emitted f64 array (axes: input's, last one `component`)"),
        Param::new("array", crate::fit_histogram::ARRAY_DOC),
    ];
}

impl PcaProject {
    /// Builds the operator from `model`, `k`, `output` and `array`.
    pub fn new(p: PcaProjectParams, _ctx: &Context) -> Result<PcaProject, PluginError> {
        let path = p.model;
        let model = PcaModel::load(&path)?;
        let k = match p.k {
            0 => model.k,
            k if k <= model.k => k,
            k => {
                return Err(PluginError::bad_parameter(
                    "k",
                    format!("at most the {} components the model `{path}` holds", model.k),
                    k.to_string(),
                ))
            }
        };
        let output = p.output;
        if output.is_empty() {
            return Err(PluginError::bad_parameter("output", "a non-empty array name", "\"\""));
        }
        Ok(PcaProject { path, model, k, output, array: p.array })
    }
}

impl Operator for PcaProject {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let a = pick(input, &self.array)?;
        let d = variables(&a, "pca_project")?;
        if d != self.model.n_features {
            return Err(PluginError::bad_input(
                "",
                format!("{} variables, as the model `{}` was fitted on", self.model.n_features, self.path),
                format!("{d}"),
            ));
        }
        let n = a.len().checked_div(d).unwrap_or(0);
        let k = self.k;
        let comps = &self.model.components[..k];
        let mean = &self.model.mean;
        let mut result = vec![0.0f64; n * k];
        let mut rows = Vec::new();
        let mut centred = vec![0.0; d];
        for start in (0..n).step_by(4096) {
            let end = (start + 4096).min(n);
            read_rows(&a, d, start, end, &mut rows);
            for (r, row) in rows.chunks_exact(d).enumerate() {
                for ((c, x), m) in centred.iter_mut().zip(row).zip(mean) {
                    *c = x - m;
                }
                let o = &mut result[(start + r) * k..(start + r + 1) * k];
                for (y, comp) in o.iter_mut().zip(comps) {
                    *y = centred.iter().zip(comp).map(|(c, w)| c * w).sum();
                }
            }
        }
        let mut shape = a.shape().to_vec();
        let last = shape.len() - 1;
        shape[last] = k;
        let mut labels: Vec<&str> = a.axes().split_whitespace().collect();
        labels[last] = "component";
        let array = Array::from_vec(shape, result)?.with_axes(&labels.join(" "))?;
        let mut frame = Frame::like(input).with_array(self.output.clone(), array);
        for (key, v) in input.meta()? {
            frame = frame.with_meta(key.clone(), v.clone());
        }
        out.emit(frame);
        Ok(())
    }
}
