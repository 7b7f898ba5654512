//! Sources: what feeds the stages that read the pipeline's input. A file is
//! opened once as a [`ChunkReader`](plexus_io::ChunkReader) and read chunk
//! by chunk along axis 0, straight into a buffer from the pool that becomes
//! the frame's array (no copy between reader and first stage); a folder is
//! a batch of images and an HDF5 image set a selection of images, one frame
//! each. Each chunk takes its permit from the memory budget before it is
//! read; the permit's release gives the buffer back to the pool and marks
//! the chunk done in the job's progress.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use plexus_io::ChunkReader;
use plexus_plugin_api::{Array, ChunkKey, Frame};
use serde_json::{Map, Value};

use super::pool::BufferPool;
use super::preview::PreviewReader;
use super::progress::Progress;
use super::schedule::{is_single_image, Schedule};
use crate::budget::MemoryBudget;
use crate::bus::{Envelope, Outlet};
use crate::error::{HostError, InputError};
use crate::events::{ControlBus, EventKind};
use crate::pipeline::plan::{InputPlan, Selection};

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

/// One image of a batch or set: its name, and the image with metadata or
/// why it could not be read.
pub type Item = (String, Result<(Array, Map<String, Value>), String>);

/// What feeds the input readers.
pub enum Source {
    /// A file read chunk by chunk along axis 0, as the schedule says.
    Chunked(Box<dyn ChunkReader>),
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
    /// Opens a plan's input: a folder as a batch, an image set by its
    /// selection, any other file for chunked reading.
    pub fn open(input: Option<&InputPlan>) -> Result<Source, HostError> {
        let Some(input) = input else { return Ok(Source::None) };
        let path = &input.path;
        let chunked = input.select.is_none() && !path.is_dir();
        if input.preview.is_some() && !chunked {
            return Err(HostError::input(
                path,
                InputError::Preview("applies to a file read in chunks, not to a folder or an image set".into()),
            ));
        }
        if let Some(selection) = input.select {
            return image_set(path, selection).map(Source::Images);
        }
        if path.is_dir() {
            return plexus_io::Batch::open(path).map(Source::Batch).map_err(|e| HostError::input(path, e));
        }
        let reader = plexus_io::open(path).map_err(|e| HostError::input(path, e))?;
        match &input.preview {
            Some(p) => PreviewReader::new(reader, p)
                .map(|r| Source::Chunked(Box::new(r)))
                .map_err(|e| HostError::input(path, InputError::Preview(e))),
            None => Ok(Source::Chunked(reader)),
        }
    }

    /// What a chunked file holds, and whether it streams.
    pub fn info(&self) -> Option<(plexus_io::SourceInfo, bool)> {
        match self {
            Source::Chunked(r) => Some((r.info().clone(), r.streams())),
            _ => None,
        }
    }

    /// Chunks (or images) and bytes the source will send under `schedule`.
    pub fn totals(&self, schedule: &Schedule) -> (u64, u64) {
        match (self, &schedule.input) {
            (Source::Chunked(r), Some(i)) => (i.chunks as u64, r.info().total_bytes()),
            (Source::Batch(b), _) => (b.len() as u64, 0),
            (Source::Images(items), _) => (items.len() as u64, 0),
            _ => (0, 0),
        }
    }

    /// Sends every chunk as a frame of `dataset` to `outlet`, each holding a
    /// permit of `budget` that marks it done in `progress` when released.
    /// Stops early when `stop` is set or every consumer has gone.
    pub fn feed(self, feed: &Feed<'_>) -> Fed {
        match self {
            Source::Chunked(reader) => feed_chunks(reader, feed),
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
    /// Chunk size and weights.
    pub schedule: &'a Schedule,
    /// Where chunk buffers come from and go back to.
    pub pool: &'a Arc<BufferPool>,
    /// Counts chunks done.
    pub progress: &'a Arc<Progress>,
    /// Control events (`input.error`).
    pub bus: &'a ControlBus,
    /// Set to stop reading.
    pub stop: &'a AtomicBool,
    /// Chunks (by index) a resumed run has finished already.
    pub skip: &'a std::collections::BTreeSet<usize>,
}

impl Feed<'_> {
    /// A permit for an image of `bytes` (weighed by the memory factor),
    /// counted done on release.
    fn permit(&self, bytes: usize) -> Arc<crate::budget::Permit> {
        let progress = self.progress.clone();
        let weight = (bytes as f64 * self.schedule.memory_factor).ceil() as usize;
        Arc::new(self.budget.acquire_owned(weight).on_release(move || progress.chunk_done(bytes as u64)))
    }
}

fn feed_chunks(mut reader: Box<dyn ChunkReader>, feed: &Feed<'_>) -> Fed {
    let info = reader.info().clone();
    let Some(layout) = &feed.schedule.input else { return Fed::default() };
    let single = layout.single;
    let extent = if single { 1 } else { info.len() as u64 };
    let slice_elems = info.slice_bytes() / info.dtype.size().max(1);
    let mut fed = Fed::default();
    for (seq, (start, len)) in chunk_plan(&info.shape, &info.axes, layout.chunk).into_iter().enumerate() {
        if feed.stop.load(Ordering::Relaxed) {
            break;
        }
        if feed.skip.contains(&seq) {
            continue;
        }
        // The permit first: the buffer is only taken once the chunk fits.
        let permit = feed.budget.acquire_owned(feed.schedule.weight(len));
        let mut buffer = feed.pool.take(info.dtype, len * slice_elems);
        let read = reader.read_into(start, len, buffer.bytes_mut()).map_err(InputError::from).and_then(|()| {
            let mut shape = info.shape.clone();
            if let Some(first) = shape.first_mut() {
                *first = len;
            }
            Ok(buffer.into_array(shape).and_then(|a| a.with_axes(&info.axes))?)
        });
        let part = match read {
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
        let (progress, pool, bytes) = (feed.progress.clone(), feed.pool.clone(), (len * info.slice_bytes()) as u64);
        let back = part.clone();
        let permit = Arc::new(permit.on_release(move || {
            pool.give_back(back);
            progress.chunk_done(bytes);
        }));
        let mut frame = Frame::new(feed.dataset, key).with_array("image", part);
        for (name, a) in reader.aux() {
            frame.insert(name.clone(), a.clone());
        }
        // Edges number frames 0, 1, 2, … whatever was skipped.
        if feed.outlet.send(Envelope { seq: fed.chunks, frame: Arc::new(frame), permit: Some(permit) }).is_err() {
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

/// The images of a folder, in natural file order; a link out of the folder
/// is reported, not followed ([`leaves`]). A batch is a stack of
/// images of one shape and element type: the kind most of its readable
/// images share (the first such image's on a tie) is the batch's, and an
/// image of another is reported and skipped like an unreadable one, so the
/// outputs hold the rest.
fn batch_items(batch: &plexus_io::Batch) -> std::vec::IntoIter<Item> {
    let folder = batch.dir().canonicalize().unwrap_or_else(|_| batch.dir().to_path_buf());
    let mut items: Vec<Item> = batch
        .paths()
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let read = match leaves(path, &folder) {
                Some(why) => Err(why),
                None => batch.read(i).map(|a| (a, Map::new())).map_err(|e| e.to_string()),
            };
            (name, read)
        })
        .collect();
    let kind = |a: &Array| (a.shape().to_vec(), a.dtype());
    let mut counts: Vec<((Vec<usize>, plexus_plugin_api::DType), usize)> = Vec::new();
    for (_, r) in &items {
        if let Ok((a, _)) = r {
            match counts.iter_mut().find(|(k, _)| *k == kind(a)) {
                Some((_, n)) => *n += 1,
                None => counts.push((kind(a), 1)),
            }
        }
    }
    // `max_by_key` keeps the last of equals: scan reversed for the first.
    let Some(((shape, dtype), n)) = counts.iter().rev().max_by_key(|(_, n)| *n).cloned() else {
        return items.into_iter();
    };
    let readable: usize = counts.iter().map(|(_, n)| n).sum();
    for (_, r) in &mut items {
        let odd = match r {
            Ok((a, _)) if kind(a) != (shape.clone(), dtype) => Some(kind(a)),
            _ => None,
        };
        if let Some((s, d)) = odd {
            *r = Err(format!(
                "shape {s:?} {d} differs from the batch's {shape:?} {dtype} ({n} of its {readable} readable images): a batch stacks images of one shape and type"
            ));
        }
    }
    items.into_iter()
}

/// Why a batch entry is not read when it is a symbolic link that leads out
/// of the batch folder (or nowhere): a batch holds the folder's own files,
/// and a link planted there must not make the host read, and report on, a
/// file elsewhere.
fn leaves(path: &std::path::Path, folder: &std::path::Path) -> Option<String> {
    let link = std::fs::symlink_metadata(path).ok()?.file_type().is_symlink();
    if !link {
        return None;
    }
    match path.canonicalize() {
        Ok(real) if real.starts_with(folder) => None,
        Ok(_) => Some("is a symbolic link that leads out of the batch folder: not followed".into()),
        Err(_) => Some("is a symbolic link that leads nowhere".into()),
    }
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
    Err(HostError::input(path, InputError::NoHdf5))
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
}
