//! A loaded ONNX model: one ONNX Runtime session with the stage's thread
//! budget, run on f32 tensors borrowed from the caller.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::TensorRef;

use crate::error::OnnxError;
use crate::runtime;

/// A model with one f32 input and one f32 output (the first of each).
pub struct Model {
    session: Session,
    path: PathBuf,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Model {
    /// Loads `path` with `threads` intra-op threads (the stage's budget; at
    /// least 1) and one inter-op thread (sequential execution), after
    /// loading ONNX Runtime if this is the first model of the process.
    pub fn load(path: &Path, threads: usize) -> Result<Model, OnnxError> {
        let env = runtime::environment()?;
        let err = |reason: String| OnnxError::Model { path: path.to_path_buf(), reason };
        if !path.is_file() {
            return Err(err("no such file".into()));
        }
        let session = Session::builder(env)
            .map_err(|e| err(e.to_string()))?
            .with_intra_threads(threads.max(1))
            .map_err(|e| err(e.to_string()))?
            .with_inter_threads(1)
            .map_err(|e| err(e.to_string()))?
            .commit_from_file(path)
            .map_err(|e| err(e.to_string()))?;
        if session.inputs().is_empty() || session.outputs().is_empty() {
            return Err(err("the graph has no input or no output".into()));
        }
        Ok(Model { session, path: path.to_path_buf() })
    }

    /// Loads a model held in memory (a model shipped inside a plugin),
    /// called `name` in messages, as [`Model::load`] does a file.
    pub fn from_bytes(bytes: &[u8], name: &str, threads: usize) -> Result<Model, OnnxError> {
        let env = runtime::environment()?;
        let path = PathBuf::from(name);
        let err = |reason: String| OnnxError::Model { path: path.clone(), reason };
        let session = Session::builder(env)
            .map_err(|e| err(e.to_string()))?
            .with_intra_threads(threads.max(1))
            .map_err(|e| err(e.to_string()))?
            .with_inter_threads(1)
            .map_err(|e| err(e.to_string()))?
            .commit_from_memory(bytes)
            .map_err(|e| err(e.to_string()))?;
        if session.inputs().is_empty() || session.outputs().is_empty() {
            return Err(err("the graph has no input or no output".into()));
        }
        Ok(Model { session, path })
    }

    /// The model file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs the model on `input` of `shape` (NCHW or NCDHW) and copies its
    /// first output into `out` (resized); returns the output's shape.
    pub fn run(&mut self, input: &[f32], shape: &[usize], out: &mut Vec<f32>) -> Result<Vec<usize>, OnnxError> {
        let run_err = |reason: String| OnnxError::Run { path: self.path.clone(), shape: shape.to_vec(), reason };
        let tensor = TensorRef::from_array_view((shape.to_vec(), input)).map_err(|e| run_err(e.to_string()))?;
        let outputs = self.session.run(ort::inputs![tensor]).map_err(|e| run_err(e.to_string()))?;
        let (got, data) = outputs[0].try_extract_tensor::<f32>().map_err(|e| run_err(e.to_string()))?;
        let got: Vec<usize> = got.iter().map(|&d| d as usize).collect();
        out.clear();
        out.extend_from_slice(data);
        Ok(got)
    }
}
