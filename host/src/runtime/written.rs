//! What a sink wrote to one output file (the plain sink's and the dxchange
//! scan sink's alike), for the report and the sidecar.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::OutputError;

/// What a sink wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The file.
    pub path: PathBuf,
    /// Frames written.
    pub frames: u64,
    /// Shape of the written array.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: String,
    /// Set when writing failed.
    pub error: Option<Arc<OutputError>>,
    /// Slices `(offset, length)` of a chunked output whose frames failed
    /// upstream, written as zeros so every other slice keeps its index.
    pub missing: Vec<(u64, u64)>,
}

impl Written {
    /// Nothing written yet to `path`.
    pub fn new(path: &Path) -> Written {
        Written {
            path: path.to_path_buf(),
            frames: 0,
            shape: Vec::new(),
            dtype: String::new(),
            error: None,
            missing: Vec::new(),
        }
    }

    /// Records the first error writing failed with (later ones follow
    /// from it).
    pub fn fail(&mut self, e: OutputError) {
        if self.error.is_none() {
            tracing::error!(path = %self.path.display(), "output failed: {e}");
            self.error = Some(Arc::new(e));
        }
    }
}
