//! Writing a stage's frames to an output file, in stream order, and the JSON
//! sidecar with results and provenance beside it. An `.h5`/`.hdf5` output
//! is a dxchange tomography scan, written by [`scan_sink`](super::scan_sink).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use plexus_plugin_api::Array;
use serde_json::{json, Value};

use crate::bus::Inlet;
use crate::error::OutputError;
use crate::pipeline::plan::{OutputFormat, OutputPlan};

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
}

impl Written {
    /// Nothing written yet to `path`.
    pub fn new(path: &Path) -> Written {
        Written { path: path.to_path_buf(), frames: 0, shape: Vec::new(), dtype: String::new(), error: None }
    }
}

/// Receives frames of one stage and writes the output's array (or each
/// frame's first) to its path. A stream of one frame is written as that
/// array; more frames are stacked along axis 0 (2-D frames become pages).
/// An HDF5 path is written as a dxchange scan.
pub fn write_frames(rx: Inlet, output: &OutputPlan) -> Written {
    let (path, array) = (output.path.as_path(), output.array.as_deref());
    if output.format == OutputFormat::Scan {
        return super::scan_sink::write_scan(rx, path, array);
    }
    let mut written = Written::new(path);
    // The first frame's array is held back (a single frame is written as it
    // is); its envelope, and so its permit, goes, since the next frame may
    // need that share of the budget to arrive at all.
    let mut pending: Option<(Array, u64)> = None;
    let mut writer: Option<plexus_io::StackWriter> = None;
    let mut stacked_shape: Vec<usize> = Vec::new();
    let mut stacked_dtype = String::new();
    let fail = |w: &mut Written, e: OutputError| {
        if w.error.is_none() {
            tracing::error!(path = %path.display(), "output failed: {e}");
            w.error = Some(Arc::new(e));
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            fail(&mut written, OutputError::CreateDir { dir: dir.to_path_buf(), source: e });
        }
    }
    for env in rx.iter() {
        if written.error.is_some() {
            continue; // keep draining so upstream is never blocked
        }
        let a = match array {
            Some(name) => env.frame.array(name).cloned(),
            None => env.frame.first().cloned(),
        };
        let a = match a {
            Ok(a) => a,
            Err(e) => {
                fail(&mut written, OutputError::Frame { seq: env.seq, source: e });
                continue;
            }
        };
        written.frames += 1;
        let key = env.frame.key();
        // A chunk of a larger dataset is stacked at once; only a frame that
        // may be the whole output (a whole image, a stream's first frame)
        // waits to see whether another follows.
        if writer.is_none() && pending.is_none() && key.extent > key.length && key.length > 0 {
            match plexus_io::Format::from_path(path).and_then(|f| plexus_io::StackWriter::open(path, f)) {
                Ok(w) => {
                    stacked_dtype = a.dtype().to_string();
                    writer = Some(w);
                }
                Err(e) => {
                    fail(&mut written, e.into());
                    continue;
                }
            }
        }
        let Some((first, first_length)) = pending.take() else {
            match writer.as_mut() {
                None => pending = Some((a, key.length)),
                Some(w) => {
                    if let Err(e) = append(w, &as_chunk(a, env.frame.key().length), &mut stacked_shape) {
                        fail(&mut written, e);
                    }
                }
            }
            continue;
        };
        let opened = plexus_io::Format::from_path(path).and_then(|f| plexus_io::StackWriter::open(path, f));
        match opened {
            Ok(mut w) => {
                stacked_dtype = first.dtype().to_string();
                let first = as_chunk(first, first_length);
                let second = as_chunk(a, env.frame.key().length);
                if let Err(e) =
                    append(&mut w, &first, &mut stacked_shape).and_then(|_| append(&mut w, &second, &mut stacked_shape))
                {
                    fail(&mut written, e);
                }
                writer = Some(w);
            }
            Err(e) => fail(&mut written, e.into()),
        }
    }
    if written.error.is_some() {
        return written;
    }
    let result = match (pending, writer) {
        (Some((single, _)), None) => {
            written.shape = single.shape().to_vec();
            written.dtype = single.dtype().to_string();
            plexus_io::write(path, &single).map_err(OutputError::from)
        }
        (None, Some(w)) => {
            written.shape = std::mem::take(&mut stacked_shape);
            written.dtype = stacked_dtype.clone();
            w.finish().map(|_| ()).map_err(OutputError::from)
        }
        _ => Err(OutputError::Empty),
    };
    if let Err(e) = result {
        written.error = Some(Arc::new(e));
    }
    written
}

/// A frame's array as a chunk along axis 0: arrays normally include the
/// chunk axis (`shape[0] == key.length`); a whole image that does not (a 2-D
/// frame of a stream of images) gets a leading axis of 1.
fn as_chunk(a: Array, length: u64) -> Array {
    if a.shape().first().is_some_and(|&n| n as u64 == length) && a.shape().len() > 1 {
        return a;
    }
    let mut shape = vec![1];
    shape.extend_from_slice(a.shape());
    let axes = format!("t {}", a.axes());
    match a.reshape(shape) {
        Ok(r) => r.with_axes(&axes).unwrap_or_else(|e| {
            tracing::debug!("{e}");
            a
        }),
        Err(_) => a,
    }
}

/// Appends one chunk along axis 0 and keeps the stacked shape up to date.
fn append(w: &mut plexus_io::StackWriter, a: &Array, stacked: &mut Vec<usize>) -> Result<(), OutputError> {
    w.append(a)?;
    if stacked.is_empty() {
        *stacked = a.shape().to_vec();
    } else {
        stacked[0] += a.shape()[0];
    }
    Ok(())
}

/// Writes `<output>.json` beside an output: what was written, every stage's
/// results, and provenance (pipeline, plugins, versions, sha256, parameters).
pub fn write_sidecar(written: &Written, provenance: &Value, results: &Value) -> std::io::Result<PathBuf> {
    let mut name = written.path.as_os_str().to_owned();
    name.push(".json");
    let path = PathBuf::from(name);
    let doc = json!({
        "output": {
            "path": written.path,
            "frames": written.frames,
            "shape": written.shape,
            "dtype": written.dtype,
        },
        "results": results,
        "provenance": provenance,
    });
    let tmp = path.with_extension("json.partial");
    std::fs::write(&tmp, serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n")?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}
