//! Sources: what feeds the stages that read the pipeline's input. A file is
//! opened once as a [`ChunkReader`](plexus_io::ChunkReader) and read chunk
//! by chunk along axis 0; a folder is a batch of images and an HDF5 image
//! set a selection of images, one frame each. Each chunk takes its permit
//! from the memory budget before it is read, and the permit's release marks
//! the chunk done in the job's progress.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use plexus_io::ChunkReader;
use plexus_plugin_api::{Array, ChunkKey, Frame};
use serde_json::{Map, Value};

use super::job::Progress;
use crate::budget::MemoryBudget;
use crate::bus::{Envelope, Outlet};
use crate::error::HostError;
use crate::events::{ControlBus, EventKind};
use crate::pipeline::plan::Selection;
use crate::pipeline::Plan;

/// How an input array is cut: 2-D images (and `y x band`) are one frame;
/// stacks are cut along axis 0 into chunks of `chunk` slices.
pub fn chunk_plan(shape: &[usize], axes: &str, chunk: usize) -> Vec<(usize, usize)> {
    if is_single_image(shape, axes) {
        return vec![(0, shape.first().copied().unwrap_or(1))];
    }
    let n = shape[0];
    let chunk = chunk.max(1);
    (0..n).step_by(chunk).map(|start| (start, chunk.min(n - start))).collect()
}

/// Whether a dataset is one image, sent whole as one frame.
pub fn is_single_image(shape: &[usize], axes: &str) -> bool {
    shape.len() <= 2 || (shape.len() == 3 && axes.ends_with("band"))
}

/// Slices per chunk when the pipeline does not fix it: as many as fit the
/// budget given the stages' memory factors, shared by the worker threads,
/// at most 64.
pub fn auto_chunk(slice_bytes: usize, budget: usize, memory_factor: f64, threads: usize) -> usize {
    let per_chunk = budget as f64 / memory_factor.max(1.0) / threads.max(1) as f64;
    ((per_chunk / slice_bytes.max(1) as f64) as usize).clamp(1, 64)
}

/// One image of a batch or set: its name, and the image with metadata or
/// why it could not be read.
pub type Item = (String, Result<(Array, Map<String, Value>), String>);

/// What feeds the input readers.
pub enum Source {
    /// A file cut into chunks `(start, len)` along axis 0.
    Chunked {
        /// The open file.
        reader: Box<dyn ChunkReader>,
        /// The chunks, in order.
        chunks: Vec<(usize, usize)>,
    },
    /// A folder of images, one frame each.
    Batch(plexus_io::Batch),
    /// The selected images of an HDF5 image set.
    Images(Vec<Item>),
    /// No input file: the first stage is a source operator.
    None,
}

/// What feeding did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fed {
    /// Chunks (or images) sent.
    pub chunks: u64,
    /// Images that could not be read.
    pub input_errors: u64,
}

impl Source {
    /// Opens the plan's input: a folder as a batch, an image set by its
    /// selection, any other file for chunked reading.
    pub fn open(plan: &Plan, memory: usize, threads: usize) -> Result<Source, HostError> {
        let Some(input) = &plan.input else { return Ok(Source::None) };
        let path = &input.path;
        if let Some(selection) = input.select {
            return image_set(path, selection).map(Source::Images);
        }
        if path.is_dir() {
            return plexus_io::Batch::open(path).map(Source::Batch).map_err(|e| HostError::input(path, e));
        }
        let reader = plexus_io::open(path).map_err(|e| HostError::input(path, e))?;
        let info = reader.info();
        let chunk =
            input.chunk.unwrap_or_else(|| auto_chunk(info.slice_bytes(), memory, plan.memory_factor(), threads));
        let chunks = chunk_plan(&info.shape, &info.axes, chunk);
        Ok(Source::Chunked { reader, chunks })
    }

    /// Chunks (or images) and bytes the source will send, when known.
    pub fn totals(&self) -> (u64, u64) {
        match self {
            Source::Chunked { reader, chunks } => (chunks.len() as u64, reader.info().total_bytes()),
            Source::Batch(b) => (b.len() as u64, 0),
            Source::Images(items) => (items.len() as u64, 0),
            Source::None => (0, 0),
        }
    }

    /// Sends every chunk as a frame of `dataset` to `outlet`, each holding a
    /// permit of `budget` that marks it done in `progress` when released.
    /// Stops early when `stop` is set or every consumer has gone.
    pub fn feed(self, feed: &Feed<'_>) -> Fed {
        match self {
            Source::Chunked { reader, chunks } => feed_chunks(reader, &chunks, feed),
            Source::Batch(b) => feed_images(batch_items(&b), feed),
            Source::Images(items) => feed_images(items.into_iter(), feed),
            Source::None => Fed::default(),
        }
    }
}

/// Where and how a source sends its frames.
pub struct Feed<'a> {
    /// Dataset id of the frames.
    pub dataset: &'a str,
    /// The stages reading the input.
    pub outlet: Outlet,
    /// Memory budget each chunk takes a permit from.
    pub budget: &'a Arc<MemoryBudget>,
    /// Counts chunks done.
    pub progress: &'a Arc<Progress>,
    /// Control events (`input.error`).
    pub bus: &'a ControlBus,
    /// Set to stop reading.
    pub stop: &'a AtomicBool,
}

impl Feed<'_> {
    /// A permit for a chunk of `bytes`, counted done on release.
    fn permit(&self, bytes: usize) -> Arc<crate::budget::Permit> {
        let progress = self.progress.clone();
        Arc::new(self.budget.acquire_owned(bytes).on_release(move || progress.chunk_done(bytes as u64)))
    }
}

fn feed_chunks(mut reader: Box<dyn ChunkReader>, chunks: &[(usize, usize)], feed: &Feed<'_>) -> Fed {
    let info = reader.info().clone();
    let single = is_single_image(&info.shape, &info.axes);
    let extent = if single { 1 } else { info.len() as u64 };
    let mut fed = Fed::default();
    for (seq, &(start, len)) in chunks.iter().enumerate() {
        if feed.stop.load(Ordering::Relaxed) {
            break;
        }
        let permit = feed.permit(len * info.slice_bytes());
        let part = match reader.read(start, len) {
            Ok(a) => a,
            Err(e) => {
                fed.input_errors += 1;
                tracing::error!("{e}");
                feed.bus.emit(EventKind::InputError {
                    dataset: Some(feed.dataset.to_string()),
                    file: info.path.display().to_string(),
                    error: e.to_string(),
                });
                break;
            }
        };
        let key = if single {
            ChunkKey::whole(1)
        } else {
            ChunkKey { axis: 0, offset: start as u64, length: len as u64, extent }
        };
        let mut frame = Frame::new(feed.dataset, key).with_array("image", part);
        for (name, a) in reader.aux() {
            frame.insert(name.clone(), a.clone());
        }
        if feed.outlet.send(Envelope { seq: seq as u64, frame: Arc::new(frame), permit: Some(permit) }).is_err() {
            break;
        }
        fed.chunks += 1;
    }
    fed
}

/// Sends each image as one frame of shape `[1, …image shape]` (axis `n`;
/// `ChunkKey` offset = position, extent = count), so a batch or image set
/// runs like a stack cut one image per chunk. An image that cannot be read
/// is reported on the control bus (`input.error`) and counted; the others
/// go on.
fn feed_images(items: impl ExactSizeIterator<Item = Item>, feed: &Feed<'_>) -> Fed {
    let count = items.len();
    let mut fed = Fed::default();
    for (i, (name, item)) in items.enumerate() {
        if feed.stop.load(Ordering::Relaxed) {
            break;
        }
        let image = item.and_then(|(image, meta)| {
            // Frames carry their chunk axis (docs/CONVENTIONS.md): image `i`
            // of the set is a chunk of length 1 along a leading axis `n`.
            let mut shape = vec![1];
            shape.extend_from_slice(image.shape());
            let axes = format!("n {}", image.axes());
            image.reshape(shape).and_then(|a| a.with_axes(&axes)).map(|a| (a, meta)).map_err(|e| e.to_string())
        });
        let (image, meta) = match image {
            Ok(x) => x,
            Err(e) => {
                fed.input_errors += 1;
                feed.progress.chunk_done(0);
                tracing::warn!("skipping image `{name}`: {e}");
                feed.bus.emit(EventKind::InputError { dataset: Some(feed.dataset.to_string()), file: name, error: e });
                continue;
            }
        };
        let permit = feed.permit(image.as_bytes().len());
        let key = ChunkKey { axis: 0, offset: i as u64, length: 1, extent: count as u64 };
        let mut frame = Frame::new(feed.dataset, key).with_array("image", image).with_meta("file", name);
        for (k, v) in meta {
            frame.meta_mut().insert(k, v);
        }
        if feed.outlet.send(Envelope { seq: fed.chunks, frame: Arc::new(frame), permit: Some(permit) }).is_err() {
            break;
        }
        fed.chunks += 1;
    }
    fed
}

/// The images of a folder, in natural file order.
fn batch_items(batch: &plexus_io::Batch) -> std::vec::IntoIter<Item> {
    let items: Vec<Item> = batch
        .iter()
        .map(|(path, r)| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (name, r.map(|a| (a, Map::new())).map_err(|e| e.to_string()))
        })
        .collect();
    items.into_iter()
}

/// The selected images of the HDF5 image set at `path` (datasets "0", "1",
/// …), with their attributes as frame metadata.
#[cfg(feature = "hdf5")]
fn image_set(path: &std::path::Path, selection: Selection) -> Result<Vec<Item>, HostError> {
    let set = plexus_io::ImageSet::open(path).map_err(|e| HostError::input(path, e))?;
    let view = match selection {
        Selection::All => set.all(),
        Selection::Odd => set.odd_even().0,
        Selection::Even => set.odd_even().1,
        Selection::First(n) => set.split_at(n).0,
        Selection::Rest(n) => set.split_at(n).1,
    };
    Ok(view
        .indices()
        .iter()
        .map(|&i| {
            let r = set.get(i).map_err(|e| e.to_string()).map(|(a, mut attrs)| {
                attrs.insert("set_index".into(), i.into());
                (a, attrs)
            });
            (i.to_string(), r)
        })
        .collect())
}

#[cfg(not(feature = "hdf5"))]
fn image_set(path: &std::path::Path, _selection: Selection) -> Result<Vec<Item>, HostError> {
    Err(HostError::input(path, crate::error::InputError::NoHdf5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_chunks() {
        assert_eq!(chunk_plan(&[10, 4, 4], "z y x", 4), vec![(0, 4), (4, 4), (8, 2)]);
        assert_eq!(chunk_plan(&[256, 256], "y x", 4), vec![(0, 256)]);
        assert_eq!(chunk_plan(&[8, 8, 3], "y x band", 2), vec![(0, 8)]);
    }

    #[test]
    fn auto_chunk_respects_budget() {
        assert_eq!(auto_chunk(1 << 20, 64 << 20, 4.0, 2), 8);
        assert_eq!(auto_chunk(1 << 30, 1 << 20, 4.0, 2), 1);
    }
}
