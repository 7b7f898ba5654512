//! A compiled pipeline: stages resolved to plugin operators with validated
//! parameters, edges as stage indices. Built by [`compile`](super::compile),
//! run by the [`runtime`](crate::runtime).

use std::path::PathBuf;

use plexus_registry::OperatorSpec;
use serde_json::{Map, Value};

/// A runnable pipeline.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `[pipeline] name`.
    pub name: String,
    /// The pipeline file.
    pub file: PathBuf,
    /// The input file, if the pipeline reads one.
    pub input: Option<InputPlan>,
    /// Stages in file order.
    pub stages: Vec<StagePlan>,
    /// Outputs.
    pub outputs: Vec<OutputPlan>,
    /// Plots drawn after the run.
    pub plots: Vec<PlotPlan>,
}

/// One `[[plot]]`, its stage resolved and its path made absolute.
#[derive(Debug, Clone)]
pub struct PlotPlan {
    /// The stage plotted.
    pub from: usize,
    /// The spec as written, path resolved.
    pub spec: super::spec::PlotSpec,
}

/// The input file and how to cut it.
#[derive(Debug, Clone)]
pub struct InputPlan {
    /// Resolved path.
    pub path: PathBuf,
    /// Slices per chunk, if fixed by the file.
    pub chunk: Option<usize>,
    /// Which images of an HDF5 image set.
    pub select: Option<crate::runtime::input::Selection>,
}

/// One stage.
#[derive(Debug, Clone)]
pub struct StagePlan {
    /// Stage id.
    pub id: String,
    /// Plugin name.
    pub plugin: String,
    /// Operator name.
    pub operator: String,
    /// The operator's manifest entry.
    pub spec: OperatorSpec,
    /// Validated parameters with defaults; references still unresolved.
    pub params: Map<String, Value>,
    /// Parameters that take another stage's result.
    pub refs: Vec<Reference>,
    /// Upstream stage indices; empty: the pipeline input (or none, for a source).
    pub inputs: Vec<usize>,
    /// Sandbox capabilities granted (wasm plugins), folders resolved.
    pub grants: plexus_registry::Grants,
    /// Position in the file.
    pub index: usize,
}

/// `param = "${stage.key}"`.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The parameter to fill.
    pub param: String,
    /// The stage whose result is used.
    pub stage: usize,
    /// The result key.
    pub key: String,
}

/// One `[[output]]`.
#[derive(Debug, Clone)]
pub struct OutputPlan {
    /// The stage written.
    pub from: usize,
    /// Resolved path.
    pub path: PathBuf,
    /// Which array of each frame; the first when absent.
    pub array: Option<String>,
}

impl Plan {
    /// Indices of the stages that read stage `i`.
    pub fn consumers(&self, i: usize) -> Vec<usize> {
        self.stages.iter().enumerate().filter(|(_, s)| s.inputs.contains(&i)).map(|(j, _)| j).collect()
    }

    /// Indices of the stages that read the pipeline input.
    pub fn input_readers(&self) -> Vec<usize> {
        self.stages
            .iter()
            .enumerate()
            .filter(|(_, s)| s.inputs.is_empty() && s.spec.pattern != plexus_registry::Pattern::Source)
            .map(|(j, _)| j)
            .collect()
    }

    /// The sum of the memory factors of the stages, for the chunk estimate.
    pub fn memory_factor(&self) -> f64 {
        1.0 + self.stages.iter().map(|s| s.spec.memory).sum::<f64>()
    }
}
