//! The error type of the ONNX path: the runtime library, the model file,
//! inference, parameters and shapes, each carrying what the host needs to
//! name the problem.

use std::path::PathBuf;

use plexus_plugin_api::PluginError;
use thiserror::Error;

/// What can go wrong loading ONNX Runtime, a model, or running it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OnnxError {
    /// No library at the path searched.
    #[error(
        "onnx runtime library not found at `{}`: run `scripts/ensure-onnxruntime.sh` (or set `PLEXUS_ORT_LIB` to a libonnxruntime.so.1.31.x)",
        path.display()
    )]
    RuntimeMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The library is there but does not load (not a shared object, wrong
    /// version, missing symbols).
    #[error("cannot load onnx runtime from `{}`: {reason}", path.display())]
    RuntimeLoad {
        /// The library.
        path: PathBuf,
        /// The loader's or ort's message.
        reason: String,
    },
    /// The model file cannot be read or is not a model this path runs.
    #[error("model `{}`: {reason}", path.display())]
    Model {
        /// The model file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// ONNX Runtime failed during inference.
    #[error("model `{}`: inference on a {shape:?} tensor failed: {reason}", path.display())]
    Run {
        /// The model file.
        path: PathBuf,
        /// The input tensor's shape.
        shape: Vec<usize>,
        /// ort's message.
        reason: String,
    },
    /// The model answered with a tensor of an unexpected shape.
    #[error("model `{}`: output shape {got:?} for input {input:?}, expected {expected}", path.display())]
    OutputShape {
        /// The model file.
        path: PathBuf,
        /// The input tensor's shape.
        input: Vec<usize>,
        /// The output tensor's shape.
        got: Vec<usize>,
        /// What was expected.
        expected: &'static str,
    },
    /// A parameter outside its domain.
    #[error("parameter `{name}`: expected {expected}, got {got}")]
    Param {
        /// The parameter's name as a pipeline spells it.
        name: &'static str,
        /// What was expected.
        expected: &'static str,
        /// The offending value, formatted.
        got: String,
    },
    /// A slice does not hold the shape's voxel count.
    #[error("`{which}` holds {got} values, but shape {shape:?} (z, y, x) needs {want}")]
    Length {
        /// `input` or `output`.
        which: &'static str,
        /// The shape given.
        shape: [usize; 3],
        /// Values in the slice.
        got: usize,
        /// Values the shape needs.
        want: usize,
    },
}

impl OnnxError {
    /// A [`OnnxError::Param`] for `name` with the bad value `got`.
    pub fn param(name: &'static str, expected: &'static str, got: impl std::fmt::Debug) -> Self {
        OnnxError::Param { name, expected, got: format!("{got:?}") }
    }
}

/// Checks that `input` and `output` hold `shape`'s voxel count.
pub fn check_len(shape: [usize; 3], input: usize, output: usize) -> Result<(), OnnxError> {
    let want = shape.iter().product::<usize>();
    for (which, got) in [("input", input), ("output", output)] {
        if got != want {
            return Err(OnnxError::Length { which, shape, got, want });
        }
    }
    Ok(())
}

/// How an operator reports an ONNX failure: parameters as the typed
/// variant; a missing or broken runtime, model or inference as failures of
/// their own kind (`onnx_runtime`, `onnx_model`, `onnx_inference`), so
/// events and programs can tell them apart.
impl From<OnnxError> for PluginError {
    fn from(e: OnnxError) -> PluginError {
        match e {
            OnnxError::Param { name, expected, got } => PluginError::bad_parameter(name, expected, got),
            e @ (OnnxError::RuntimeMissing { .. } | OnnxError::RuntimeLoad { .. }) => {
                PluginError::failure("onnx_runtime", e.to_string())
            }
            e @ (OnnxError::Model { .. } | OnnxError::OutputShape { .. }) => {
                PluginError::failure("onnx_model", e.to_string())
            }
            e @ OnnxError::Run { .. } => PluginError::failure("onnx_inference", e.to_string()),
            e @ OnnxError::Length { .. } => PluginError::failed(e.to_string()),
        }
    }
}
