//! Cutting the input file into chunks along axis 0 and feeding them to the
//! stages that read the input, within the memory budget.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use plexus_plugin_api::{Array, ChunkKey, Frame};

use crate::bus::{Envelope, MemoryBudget, Outlet};

/// How an input array is cut: 2-D images (and `y x band`) are one frame;
/// stacks are cut along axis 0 into chunks of `chunk` slices.
pub fn chunk_plan(shape: &[usize], axes: &str, chunk: usize) -> Vec<(usize, usize)> {
    let is_single_image = shape.len() <= 2 || (shape.len() == 3 && axes.ends_with("band"));
    if is_single_image || shape.is_empty() {
        return vec![(0, shape.first().copied().unwrap_or(1))];
    }
    let n = shape[0];
    let chunk = chunk.max(1);
    (0..n).step_by(chunk).map(|start| (start, chunk.min(n - start))).collect()
}

/// Slices per chunk when the pipeline does not fix it: as many as fit the
/// budget given the stages' memory factors, shared by the worker threads,
/// at most 64.
pub fn auto_chunk(slice_bytes: usize, budget: usize, memory_factor: f64, threads: usize) -> usize {
    let per_chunk = budget as f64 / memory_factor.max(1.0) / threads.max(1) as f64;
    ((per_chunk / slice_bytes.max(1) as f64) as usize).clamp(1, 64)
}

/// Rows `start..start + len` of axis 0, copied into their own array.
pub fn slice_axis0(a: &Array, start: usize, len: usize) -> Array {
    let shape = a.shape();
    if shape.len() <= 1 && start == 0 && len == shape.first().copied().unwrap_or(1) {
        return a.clone();
    }
    let row: usize = shape[1..].iter().product::<usize>() * a.dtype().size();
    let bytes = &a.as_bytes()[start * row..(start + len) * row];
    let mut new_shape = shape.to_vec();
    new_shape[0] = len;
    let out = Array::from_bytes(a.dtype(), new_shape, bytes).expect("slice of a consistent array");
    out.with_axes(a.axes()).expect("same rank")
}

/// Sends the chunks of `array` as frames of `dataset`. Returns how many were
/// sent; stops early when `stop` is set.
pub fn feed(
    array: &Array,
    name: &str,
    dataset: &str,
    chunk: usize,
    budget: &Arc<MemoryBudget>,
    outlet: &Outlet,
    stop: &AtomicBool,
) -> u64 {
    let plan = chunk_plan(array.shape(), array.axes(), chunk);
    let single = plan.len() == 1 && (array.shape().len() <= 2 || array.axes().ends_with("band"));
    let extent = if single { 1 } else { array.shape()[0] as u64 };
    let mut sent = 0;
    for (seq, (start, len)) in plan.into_iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let part = if single { array.clone() } else { slice_axis0(array, start, len) };
        let permit = budget.acquire(part.as_bytes().len());
        let key = if single {
            ChunkKey::whole(1)
        } else {
            ChunkKey { axis: 0, offset: start as u64, length: len as u64, extent }
        };
        let frame = Frame::new(dataset, key).with_array(name, part);
        if outlet.send(Envelope { seq: seq as u64, frame: Arc::new(frame), permit: Some(permit) }).is_err() {
            break;
        }
        sent += 1;
    }
    sent
}

/// One image of a batch or set: its name, and the image with metadata or
/// why it could not be read.
pub type Item = (String, Result<(Array, serde_json::Map<String, serde_json::Value>), String>);

/// Sends each image as one frame of shape `[1, …image shape]` (axis `n`;
/// `ChunkKey` offset = position, extent = `count`), so a batch or image set
/// runs like a stack cut one image per chunk. An image that cannot
/// be read is reported on the control bus (`input.error`) and counted; the
/// others go on. Returns (frames sent, unreadable images).
pub fn feed_images(
    items: impl Iterator<Item = Item>,
    count: usize,
    dataset: &str,
    budget: &Arc<MemoryBudget>,
    outlet: &Outlet,
    bus: &crate::events::ControlBus,
    stop: &AtomicBool,
) -> (u64, u64) {
    let (mut sent, mut failed) = (0u64, 0u64);
    for (i, (name, item)) in items.enumerate() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let (image, meta) = match item {
            Ok(x) => x,
            Err(e) => {
                failed += 1;
                tracing::warn!("skipping image `{name}`: {e}");
                bus.emit(
                    crate::events::Event::new("input.error")
                        .with("dataset", dataset.to_string())
                        .with("file", name)
                        .with("error", e),
                );
                continue;
            }
        };
        // Frames carry their chunk axis (docs/CONVENTIONS.md): image `i` of
        // the set is a chunk of length 1 along a leading image axis `n`.
        let mut shape = vec![1];
        shape.extend_from_slice(image.shape());
        let axes = format!("n {}", image.axes());
        let image = match image.reshape(shape).and_then(|a| a.with_axes(&axes)) {
            Ok(a) => a,
            Err(e) => {
                failed += 1;
                bus.emit(crate::events::Event::new("input.error").with("file", name).with("error", e.to_string()));
                continue;
            }
        };
        let permit = budget.acquire(image.as_bytes().len());
        let key = ChunkKey { axis: 0, offset: i as u64, length: 1, extent: count as u64 };
        let mut frame = Frame::new(dataset, key).with_array("image", image).with_meta("file", name);
        for (k, v) in meta {
            frame.meta_mut().insert(k, v);
        }
        if outlet.send(Envelope { seq: sent, frame: Arc::new(frame), permit: Some(permit) }).is_err() {
            break;
        }
        sent += 1;
    }
    (sent, failed)
}

/// The images of a folder, in natural file order.
pub fn batch_items(batch: &plexus_io::Batch) -> impl Iterator<Item = Item> + '_ {
    batch.iter().map(|(path, r)| {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        (name, r.map(|a| (a, serde_json::Map::new())).map_err(|e| e.to_string()))
    })
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

/// The selected images of an HDF5 image set (datasets "0", "1", …), with
/// their attributes as frame metadata.
#[cfg(feature = "hdf5")]
pub fn image_set_items(set: &plexus_io::ImageSet, selection: Selection) -> (Vec<usize>, Vec<Item>) {
    let view = match selection {
        Selection::All => set.all(),
        Selection::Odd => set.odd_even().0,
        Selection::Even => set.odd_even().1,
        Selection::First(n) => set.split_at(n).0,
        Selection::Rest(n) => set.split_at(n).1,
    };
    let indices = view.indices().to_vec();
    let items = indices
        .iter()
        .map(|&i| {
            let r = set.get(i).map_err(|e| e.to_string()).map(|(a, mut attrs)| {
                attrs.insert("set_index".into(), i.into());
                (a, attrs)
            });
            (i.to_string(), r)
        })
        .collect();
    (indices, items)
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
    fn slices_rows() {
        let a = Array::from_fn(vec![4, 2], |i| i as u16).with_axes("z x").unwrap();
        let s = slice_axis0(&a, 1, 2);
        assert_eq!(s.shape(), &[2, 2]);
        assert_eq!(s.as_slice::<u16>().unwrap(), &[2, 3, 4, 5]);
        assert_eq!(s.axes(), "z x");
    }

    #[test]
    fn selections() {
        assert_eq!(Selection::parse("first:3"), Ok(Selection::First(3)));
        assert_eq!(Selection::parse("rest:10"), Ok(Selection::Rest(10)));
        assert_eq!(Selection::parse("odd"), Ok(Selection::Odd));
        assert_eq!(Selection::parse("half").unwrap_err(), "expected all, odd, even, first:N or rest:N, got `half`");
        assert_eq!(Selection::parse("first:x").unwrap_err(), "expected a count after `:`, got `first:x`");
    }

    #[test]
    fn auto_chunk_respects_budget() {
        assert_eq!(auto_chunk(1 << 20, 64 << 20, 4.0, 2), 8);
        assert_eq!(auto_chunk(1 << 30, 1 << 20, 4.0, 2), 1);
    }
}
