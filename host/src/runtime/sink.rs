//! Writing a stage's frames to an output file, in stream order (its JSON
//! sidecar is [`sidecar`](super::sidecar)'s). An `.h5`/`.hdf5` output
//! is a dxchange tomography scan, written by [`scan_sink`](super::scan_sink).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use plexus_io::{ChunkWriter, DatasetSpec, WriteOptions, WriteStart};
use plexus_plugin_api::Array;
use serde_json::{Map, Value};

use super::journal::Journal;
use super::written::Written;
use crate::bus::{Envelope, Inlet};
use crate::error::OutputError;
use crate::pipeline::plan::{OutputFormat, OutputPlan};

/// What a sink gets beyond its frames.
#[derive(Default)]
pub struct SinkStart {
    /// A writer re-opened by `--resume`, with its finished chunks.
    pub resumed: Option<Box<dyn ChunkWriter>>,
    /// The run's identity, journaled beside a chunk-by-chunk output so that
    /// `--resume` knows it; `None`: no journal.
    pub identity: Option<Value>,
    /// Set when the run was cancelled: an unfinished chunked output keeps
    /// its partial file and journal for `--resume`.
    pub stop: Option<Arc<AtomicBool>>,
    /// Whether chunks of a dataset are written into the full shape, chunk
    /// by chunk: for `.zarr` (which needs the shape) and for pipelines that
    /// can resume. Otherwise frames are stacked as they come.
    pub chunked: bool,
}

/// Receives frames of one stage and writes the output's array (or each
/// frame's first) to its path.
///
/// When `start.chunked`, chunks of a dataset whose extent is known (a file
/// cut into chunks, a reslice) are written chunk by chunk into the output's
/// full shape ([`plexus_io::create_writer`]): resumable, with a journal
/// beside it ([`journal`](super::journal)); a stale partial output of an
/// earlier run is removed first; chunks whose frames failed upstream are
/// written as zeros and listed (`missing`), so every slice keeps its index.
/// Otherwise a stream of one frame is written as that array, and more
/// frames are stacked along axis 0 as they come (2-D frames become pages).
/// An HDF5 path is written as a dxchange scan.
pub fn write_frames(rx: Inlet, output: &OutputPlan, start: SinkStart) -> Written {
    let (path, array) = (output.path.as_path(), output.array.as_deref());
    if output.format == OutputFormat::Scan {
        return super::scan_sink::write_scan(rx, path, array);
    }
    let mut written = Written::new(path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            written.fail(OutputError::CreateDir { dir: dir.to_path_buf(), source: e });
            rx.drain();
            return written;
        }
    }
    if let Some(writer) = start.resumed {
        return write_chunks(rx, None, writer, &start.stop, written, array);
    }
    let Some(first) = rx.recv() else {
        written.error = Some(Arc::new(OutputError::Empty));
        return written;
    };
    let a = match pick(&first, array) {
        Ok(a) => a,
        Err(e) => {
            written.fail(e);
            rx.drain();
            return written;
        }
    };
    let key = first.frame.key();
    let chunked = start.chunked
        && key.extent > key.length
        && key.length > 0
        && key.offset.is_multiple_of(key.length)
        && a.shape().first() == Some(&(key.length as usize))
        && matches!(output.format, OutputFormat::Npy | OutputFormat::Tiff | OutputFormat::Zarr);
    if !chunked {
        return write_stream(rx, first, a, path, written, array);
    }
    let mut shape = a.shape().to_vec();
    shape[0] = key.extent as usize;
    let spec = DatasetSpec {
        shape,
        dtype: a.dtype(),
        axes: a.axes().to_string(),
        chunk: key.length as usize,
        meta: Map::new(),
    };
    let writer = match plexus_io::create_writer(path, spec.clone(), &WriteOptions::default()) {
        Ok(w) => w,
        Err(e) => {
            written.fail(e.into());
            rx.drain();
            return written;
        }
    };
    if let WriteStart::Discarded { partial, why } = writer.start() {
        tracing::info!("removed the partial output `{}` of an earlier run: {why}", partial.display());
    }
    if let Some(identity) = start.identity {
        if let Err(e) = (Journal { identity, spec }).write(path) {
            written.fail(OutputError::Journal { path: super::journal::path_of(path), source: e });
        }
    }
    write_chunks(rx, Some(first), writer, &start.stop, written, array)
}

/// The array an output writes from a frame.
fn pick(env: &Envelope, array: Option<&str>) -> Result<Array, OutputError> {
    let a = match array {
        Some(name) => env.frame.array(name).cloned(),
        None => env.frame.first().cloned(),
    };
    a.map_err(|e| OutputError::Frame { seq: env.seq, source: e })
}

/// Writes chunk frames into `writer`, which knows the full shape; finishes
/// the output when every chunk is there. A cancelled run leaves the partial
/// output and its journal for `--resume`.
fn write_chunks(
    rx: Inlet,
    first: Option<Envelope>,
    mut writer: Box<dyn ChunkWriter>,
    stop: &Option<Arc<AtomicBool>>,
    mut written: Written,
    array: Option<&str>,
) -> Written {
    let spec = writer.spec().clone();
    written.shape = spec.shape.clone();
    written.dtype = spec.dtype.to_string();
    let mut frames = first.into_iter().chain(rx.iter());
    for env in frames.by_ref() {
        let a = match pick(&env, array) {
            Ok(a) => a,
            Err(e) => {
                written.fail(e);
                break;
            }
        };
        let start = env.frame.key().offset as usize;
        // A resumed output that has this chunk keeps its copy.
        if writer.is_written(start / spec.chunk.max(1)) {
            written.frames += 1;
            continue;
        }
        if let Err(e) = writer.write(start, &a) {
            written.fail(e.into());
            break;
        }
        written.frames += 1;
    }
    frames.for_each(drop); // keep draining so upstream is never blocked
    let missing: Vec<usize> = (0..spec.chunks()).filter(|&i| !writer.is_written(i)).collect();
    let cancelled = stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed));
    if written.error.is_some() || (!missing.is_empty() && cancelled) {
        if !missing.is_empty() && written.error.is_none() {
            written.fail(OutputError::Incomplete { missing: missing.len(), chunks: spec.chunks() });
        }
        // The partial output and the journal stay for `--resume`.
        return written;
    }
    // The stream ended without these (their frames failed upstream, and
    // were reported as such): zeros keep every other slice at its index.
    for i in missing {
        let slices = spec.chunk_slices(i);
        let zeros = vec![0u8; slices.len() * spec.slice_bytes()];
        if let Err(e) = writer.write_bytes(i, &zeros) {
            written.fail(e.into());
            return written;
        }
        written.missing.push((slices.start as u64, slices.len() as u64));
    }
    match writer.finish() {
        Ok(_) => Journal::remove(&written.path),
        Err(e) => written.fail(e.into()),
    }
    written
}

/// Writes a stream whose extent is not known: one frame as it is, more
/// stacked along axis 0.
fn write_stream(
    rx: Inlet,
    first: Envelope,
    a: Array,
    path: &Path,
    mut written: Written,
    array: Option<&str>,
) -> Written {
    // A frame that may be the whole output (a whole image, a stream's first
    // frame) is held back, as a single frame is written as it is; its
    // envelope, and so its permit, goes, since the next frame may need that
    // share of the budget to arrive at all. A chunk of a larger dataset is
    // stacked at once.
    let key = first.frame.key();
    let mut pending: Option<(Array, u64)> = Some((a, key.length));
    written.frames = 1;
    drop(first);
    let mut writer: Option<plexus_io::StackWriter> = None;
    let mut stacked_shape: Vec<usize> = Vec::new();
    let mut stacked_dtype = String::new();
    if key.extent > key.length {
        let (a, length) = pending.take().expect("just set");
        match plexus_io::Format::from_path(path).and_then(|f| plexus_io::StackWriter::open(path, f)) {
            Ok(mut w) => {
                stacked_dtype = a.dtype().to_string();
                if let Err(e) = append(&mut w, &as_chunk(a, length), &mut stacked_shape) {
                    written.fail(e);
                }
                writer = Some(w);
            }
            Err(e) => written.fail(e.into()),
        }
    }
    for env in rx.iter() {
        if written.error.is_some() {
            continue; // keep draining so upstream is never blocked
        }
        let a = match pick(&env, array) {
            Ok(a) => a,
            Err(e) => {
                written.fail(e);
                continue;
            }
        };
        written.frames += 1;
        let length = env.frame.key().length;
        if let Some(w) = writer.as_mut() {
            if let Err(e) = append(w, &as_chunk(a, length), &mut stacked_shape) {
                written.fail(e);
            }
            continue;
        }
        let (first, first_length) = pending.take().expect("held until a writer opens");
        match plexus_io::Format::from_path(path).and_then(|f| plexus_io::StackWriter::open(path, f)) {
            Ok(mut w) => {
                stacked_dtype = first.dtype().to_string();
                let (first, second) = (as_chunk(first, first_length), as_chunk(a, length));
                if let Err(e) =
                    append(&mut w, &first, &mut stacked_shape).and_then(|_| append(&mut w, &second, &mut stacked_shape))
                {
                    written.fail(e);
                }
                writer = Some(w);
            }
            Err(e) => written.fail(e.into()),
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
            written.dtype = stacked_dtype;
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
