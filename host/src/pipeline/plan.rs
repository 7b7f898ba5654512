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
    pub select: Option<Selection>,
    /// The subset along each axis, when previewing.
    pub preview: Option<super::preview::Preview>,
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
    /// The stage's `timeout_s`, else the manifest's; `None`: the host's
    /// default applies.
    pub timeout: Option<std::time::Duration>,
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
    /// Its id.
    pub stage_id: String,
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
    /// How it is written.
    pub format: OutputFormat,
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

/// How an output is written, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// `.npy`: streamed chunk by chunk.
    Npy,
    /// `.tif`/`.tiff`: one page per slice, streamed.
    Tiff,
    /// `.png`: one image.
    Png,
    /// `.h5`/`.hdf5`: a dxchange scan, gathered and written at the end.
    Scan,
    /// `.zarr`: a Zarr v3 store (OME-Zarr for volumes), chunk by chunk in
    /// any order, each chunk written atomically.
    Zarr,
}

impl OutputFormat {
    /// The format of `path`, or `None` when the extension names none.
    pub fn of(path: &std::path::Path) -> Option<OutputFormat> {
        match plexus_io::Format::from_path(path).ok()? {
            plexus_io::Format::Npy => Some(OutputFormat::Npy),
            plexus_io::Format::Tiff => Some(OutputFormat::Tiff),
            plexus_io::Format::Png => Some(OutputFormat::Png),
            plexus_io::Format::Hdf5 => Some(OutputFormat::Scan),
            plexus_io::Format::Zarr => Some(OutputFormat::Zarr),
        }
    }
}

/// Which images of an HDF5 image set a pipeline reads: `all`, `odd`,
/// `even`, `first:N` or `rest:N` (the split at N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Every image.
    All,
    /// Odd indices.
    Odd,
    /// Even indices.
    Even,
    /// The first N.
    First(usize),
    /// All but the first N.
    Rest(usize),
}

impl Selection {
    /// Parses the `[input] select` value; the error says what is expected.
    pub fn parse(s: &str) -> Result<Selection, String> {
        let n = |v: &str| v.trim().parse::<usize>().map_err(|_| format!("expected a count after `:`, got `{s}`"));
        match s.trim() {
            "all" => Ok(Selection::All),
            "odd" => Ok(Selection::Odd),
            "even" => Ok(Selection::Even),
            other => match other.split_once(':') {
                Some(("first", v)) => Ok(Selection::First(n(v)?)),
                Some(("rest", v)) => Ok(Selection::Rest(n(v)?)),
                _ => Err(format!("expected all, odd, even, first:N or rest:N, got `{s}`")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections() {
        assert_eq!(Selection::parse("first:3"), Ok(Selection::First(3)));
        assert_eq!(Selection::parse("rest:10"), Ok(Selection::Rest(10)));
        assert_eq!(Selection::parse("odd"), Ok(Selection::Odd));
        assert_eq!(Selection::parse("half").unwrap_err(), "expected all, odd, even, first:N or rest:N, got `half`");
        assert_eq!(Selection::parse("first:x").unwrap_err(), "expected a count after `:`, got `first:x`");
    }

    #[test]
    fn output_formats() {
        use std::path::Path;
        assert_eq!(OutputFormat::of(Path::new("a.NPY")), Some(OutputFormat::Npy));
        assert_eq!(OutputFormat::of(Path::new("scan.h5")), Some(OutputFormat::Scan));
        assert_eq!(OutputFormat::of(Path::new("a.jpeg")), None);
    }
}
