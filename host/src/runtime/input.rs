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

/// Sends each image of a folder as one frame (in natural file order), so a
/// batch runs like a stream of `extent = images` frames. A file that cannot
/// be read is reported on the control bus and counted; the others go on.
/// Returns (frames sent, unreadable files).
pub fn feed_batch(
    batch: &plexus_io::Batch,
    dataset: &str,
    budget: &Arc<MemoryBudget>,
    outlet: &Outlet,
    bus: &crate::events::ControlBus,
    stop: &AtomicBool,
) -> (u64, u64) {
    let extent = batch.len() as u64;
    let (mut sent, mut failed) = (0u64, 0u64);
    for (i, (path, image)) in batch.iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let image = match image {
            Ok(a) => a,
            Err(e) => {
                failed += 1;
                tracing::warn!("skipping an image of the batch: {e}");
                bus.emit(
                    crate::events::Event::new("input.error")
                        .with("dataset", dataset.to_string())
                        .with("file", path.display().to_string())
                        .with("error", e.to_string()),
                );
                continue;
            }
        };
        let permit = budget.acquire(image.as_bytes().len());
        let key = ChunkKey { axis: 0, offset: i as u64, length: 1, extent };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let frame = Frame::new(dataset, key).with_array("image", image).with_meta("file", name);
        if outlet.send(Envelope { seq: sent, frame: Arc::new(frame), permit: Some(permit) }).is_err() {
            break;
        }
        sent += 1;
    }
    (sent, failed)
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
    fn auto_chunk_respects_budget() {
        assert_eq!(auto_chunk(1 << 20, 64 << 20, 4.0, 2), 8);
        assert_eq!(auto_chunk(1 << 30, 1 << 20, 4.0, 2), 1);
    }
}
