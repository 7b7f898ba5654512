//! Frames a stage holds while it waits for a `${stage.key}` result.
//!
//! A stage whose parameter is another stage's reduction (a threshold from
//! the stream's minimum and maximum) cannot start before that stage has
//! seen the whole stream, and it must keep reading its input meanwhile so
//! the stream can finish. The frames it takes are parked here, in order:
//! in memory while no other chunk is waiting for room in the budget, and in
//! a file in the spill folder as soon as one is, with their permits
//! [parked](crate::budget::Permit::park) so the budget they held comes back
//! to the chunks the reduction still needs. Without this, a budget smaller
//! than the stream deadlocked: the parked frames held every permit, the
//! source waited for one, and the reduction never finished.
//!
//! When the result exists the frames come back in order; a frame on disk
//! is read back only once its permit fits the budget again
//! ([`Parked::pop`]), and the stage keeps parking what arrives on its
//! input while it waits for that.
//!
//! The file is unlinked as soon as it is created, so nothing is left in
//! the spill folder however the process ends.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use plexus_plugin_api::{Array, ChunkKey, DType, Frame};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::budget::Permit;
use crate::bus::Envelope;

/// Parked frames of one stage, oldest first.
pub struct Parked {
    slots: VecDeque<Slot>,
    dir: PathBuf,
    stage: String,
    file: Option<File>,
    /// End of the data written to `file`.
    end: u64,
    /// Frames written to disk so far.
    spilled: u64,
}

enum Slot {
    Memory(Envelope),
    Disk { seq: u64, at: u64, len: u64, permit: Option<Arc<Permit>> },
}

/// What [`Parked::pop`] gives.
pub enum Pop {
    /// The oldest frame, in memory again.
    Frame(Envelope),
    /// The oldest frame is on disk and its bytes do not fit the budget yet.
    Wait,
    /// Nothing is parked.
    Empty,
}

/// A frame on disk: this header (JSON, length-prefixed), then the bytes of
/// each array in order.
#[derive(Serialize, Deserialize)]
struct Header {
    dataset: String,
    key: ChunkKey,
    meta: Map<String, Value>,
    arrays: Vec<ArrayHeader>,
}

#[derive(Serialize, Deserialize)]
struct ArrayHeader {
    name: String,
    dtype: DType,
    shape: Vec<usize>,
    axes: String,
}

impl Parked {
    /// Nothing parked yet; a file for `stage` is made in `dir` when the
    /// first frame has to go to disk.
    pub fn new(dir: &Path, stage: &str) -> Parked {
        Parked {
            slots: VecDeque::new(),
            dir: dir.to_path_buf(),
            stage: stage.to_string(),
            file: None,
            end: 0,
            spilled: 0,
        }
    }

    /// Parks `env` in memory, after the frames parked before it.
    pub fn push(&mut self, env: Envelope) {
        self.slots.push_back(Slot::Memory(env));
    }

    /// Whether nothing is parked.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Frames written to disk so far.
    pub fn spilled(&self) -> u64 {
        self.spilled
    }

    /// Moves to disk every frame in memory whose chunk permit only this
    /// stage still holds (a permit another branch holds too would not come
    /// back to the budget), parking the permit.
    pub fn spill(&mut self) -> io::Result<()> {
        for i in 0..self.slots.len() {
            let frame = match &self.slots[i] {
                Slot::Memory(Envelope { permit: Some(p), frame, .. }) if Arc::strong_count(p) == 1 => frame.clone(),
                _ => continue,
            };
            let (at, len) = self.write(&frame)?;
            let placeholder = Slot::Disk { seq: 0, at, len, permit: None };
            if let Slot::Memory(Envelope { seq, permit: Some(permit), .. }) =
                std::mem::replace(&mut self.slots[i], placeholder)
            {
                permit.park();
                self.slots[i] = Slot::Disk { seq, at, len, permit: Some(permit) };
                self.spilled += 1;
            }
            // The frame's arrays leave memory with the last clone of `frame`.
        }
        Ok(())
    }

    /// The oldest parked frame, waiting up to `timeout` for the budget to
    /// take a frame on disk back.
    pub fn pop(&mut self, timeout: Duration) -> io::Result<Pop> {
        match self.slots.front() {
            None => return Ok(Pop::Empty),
            Some(Slot::Memory(_)) => {}
            Some(Slot::Disk { permit, .. }) => {
                if permit.as_ref().is_some_and(|p| !p.unpark(timeout)) {
                    return Ok(Pop::Wait);
                }
            }
        }
        Ok(match self.slots.pop_front().expect("checked above") {
            Slot::Memory(env) => Pop::Frame(env),
            Slot::Disk { seq, at, len, permit } => {
                let frame = self.read(at, len)?;
                Pop::Frame(Envelope { seq, frame: Arc::new(frame), permit })
            }
        })
    }

    fn file(&mut self) -> io::Result<&File> {
        if self.file.is_none() {
            std::fs::create_dir_all(&self.dir)?;
            let path = self.dir.join(format!("parked-{}-{}.raw", self.stage, std::process::id()));
            let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path)?;
            // Unlinked at once: the open handle keeps the data.
            std::fs::remove_file(&path)?;
            self.file = Some(file);
        }
        Ok(self.file.as_ref().expect("opened above"))
    }

    fn write(&mut self, frame: &Frame) -> io::Result<(u64, u64)> {
        let header = Header {
            dataset: frame.dataset().to_string(),
            key: frame.key(),
            meta: frame.meta().clone(),
            arrays: frame
                .arrays()
                .iter()
                .map(|(name, a)| ArrayHeader {
                    name: name.clone(),
                    dtype: a.dtype(),
                    shape: a.shape().to_vec(),
                    axes: a.axes().to_string(),
                })
                .collect(),
        };
        let header = serde_json::to_vec(&header).map_err(io::Error::other)?;
        let at = self.end;
        let mut pos = at;
        let file = self.file()?;
        file.write_all_at(&(header.len() as u64).to_le_bytes(), pos)?;
        pos += 8;
        file.write_all_at(&header, pos)?;
        pos += header.len() as u64;
        for (_, a) in frame.arrays() {
            file.write_all_at(a.as_bytes(), pos)?;
            pos += a.as_bytes().len() as u64;
        }
        self.end = pos;
        Ok((at, pos - at))
    }

    fn read(&mut self, at: u64, len: u64) -> io::Result<Frame> {
        let file = self.file()?;
        let mut bytes = vec![0u8; len as usize];
        file.read_exact_at(&mut bytes, at)?;
        let bad =
            |what: String| io::Error::new(io::ErrorKind::InvalidData, format!("parked frame at byte {at}: {what}"));
        let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
        let header: Header =
            serde_json::from_slice(bytes.get(8..8 + n).ok_or_else(|| bad("header past its end".into()))?)
                .map_err(|e| bad(e.to_string()))?;
        let mut frame = Frame::new(header.dataset, header.key);
        *frame.meta_mut() = header.meta;
        let mut pos = 8 + n;
        for a in header.arrays {
            let size = a.shape.iter().product::<usize>() * a.dtype.size();
            let data = bytes.get(pos..pos + size).ok_or_else(|| bad(format!("array `{}` past its end", a.name)))?;
            let array = Array::from_bytes(a.dtype, a.shape, data)
                .and_then(|x| x.with_axes(&a.axes))
                .map_err(|e| bad(format!("array `{}`: {e}", a.name)))?;
            frame.insert(a.name, array);
            pos += size;
        }
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::MemoryBudget;

    fn envelope(seq: u64, budget: &Arc<MemoryBudget>, value: f32) -> Envelope {
        let key = ChunkKey { axis: 0, offset: seq * 2, length: 2, extent: 8 };
        let array = Array::from_vec(vec![2, 3], vec![value; 6]).unwrap().with_axes("z x").unwrap();
        let frame = Frame::new("ds", key).with_array("image", array).with_meta("theta_deg", vec![1.5, 2.5]);
        Envelope { seq, frame: Arc::new(frame), permit: Some(budget.acquire(24)) }
    }

    #[test]
    fn frames_come_back_in_order_and_whole_after_a_spill() {
        let dir = tempfile::tempdir().unwrap();
        let budget = MemoryBudget::new(1000);
        let mut parked = Parked::new(dir.path(), "otsu");
        parked.push(envelope(0, &budget, 1.0));
        parked.push(envelope(1, &budget, 2.0));
        let shared = envelope(2, &budget, 3.0);
        let sibling = shared.permit.clone();
        parked.push(shared);
        assert_eq!(budget.in_use(), 72);
        parked.spill().unwrap();
        assert_eq!(parked.spilled(), 2, "the frame whose permit another branch holds stays in memory");
        assert_eq!(budget.in_use(), 24);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the spill file is unlinked");
        parked.push(envelope(3, &budget, 4.0));
        for (seq, value) in [(0u64, 1.0f32), (1, 2.0), (2, 3.0), (3, 4.0)] {
            let Pop::Frame(env) = parked.pop(Duration::from_millis(10)).unwrap() else { panic!("frame {seq}") };
            assert_eq!(env.seq, seq);
            let frame = &env.frame;
            assert_eq!(frame.key(), ChunkKey { axis: 0, offset: seq * 2, length: 2, extent: 8 });
            assert_eq!(frame.meta()["theta_deg"], serde_json::json!([1.5, 2.5]));
            let a = frame.array("image").unwrap();
            assert_eq!((a.shape(), a.axes()), (&[2usize, 3][..], "z x"));
            assert_eq!(a.as_slice::<f32>().unwrap(), &[value; 6]);
        }
        assert!(matches!(parked.pop(Duration::ZERO).unwrap(), Pop::Empty));
        drop(sibling);
        assert_eq!(budget.in_use(), 0, "every permit came back once its frame was dropped");
    }

    #[test]
    fn a_frame_on_disk_waits_until_its_bytes_fit() {
        let dir = tempfile::tempdir().unwrap();
        let budget = MemoryBudget::new(30);
        let mut parked = Parked::new(dir.path(), "pores");
        parked.push(envelope(0, &budget, 1.0));
        parked.spill().unwrap();
        let other = budget.acquire(24);
        assert!(matches!(parked.pop(Duration::from_millis(10)).unwrap(), Pop::Wait));
        drop(other);
        let Pop::Frame(env) = parked.pop(Duration::from_millis(10)).unwrap() else { panic!("the room came back") };
        assert_eq!(budget.in_use(), 24);
        drop(env);
        assert_eq!(budget.in_use(), 0);
    }
}
