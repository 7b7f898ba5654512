//! The reslice between two sections: the node on an edge where the access
//! pattern changes. It stores every chunk the upstream section sends (cut
//! along the dataset's first axis, `angle`), and once that stream has ended
//! reads the stack back along its second axis (`row`), the first two axes
//! swapped, in chunks for the downstream section, with the halo its first
//! stage asks for.
//!
//! The store is memory while the schedule found room for it in the budget
//! (reserved when the job starts, released when the last chunk has been
//! read), else a file in the spill folder ([`chunk_store`](super::chunk_store)).
//! Upstream chunks give back their permits as soon as they are stored;
//! downstream chunks take permits like input chunks, weighed by the
//! downstream section's memory factor.
//!
//! Metadata: the first frame's metadata goes with every resliced chunk,
//! except per-chunk angle lists (`theta_deg`, `theta_rad`), which are
//! joined into the whole scan's list, as every sinogram holds every angle.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use plexus_plugin_api::{ChunkKey, DType, Frame};
use serde_json::{json, Map, Value};

use super::chunk_store::{ChunkStore, FileStore, MemoryStore, StoreShape};
use super::pool::BufferPool;
use super::progress::Progress;
use super::schedule::auto_chunk;
use crate::budget::{MemoryBudget, Permit};
use crate::bus::{Envelope, Inlet, Outlet};
use crate::events::{ControlBus, EventKind};

/// Everything a reslice node needs.
pub struct Reslice {
    /// Pipeline name, for events.
    pub pipeline: String,
    /// The producing stage's id (`input` for the pipeline input).
    pub from: String,
    /// The consuming stage's id.
    pub to: String,
    /// Upstream frames.
    pub input: Inlet,
    /// The downstream stage.
    pub outlet: Outlet,
    /// Neighbour slices the downstream stage asks for.
    pub halo: usize,
    /// The upstream is a source operator: reslice only if its frames are
    /// cut along `angle`, else pass them through (with the halo).
    pub adaptive: bool,
    /// Slices per downstream chunk; chosen from the budget when `None`.
    pub chunk: Option<usize>,
    /// The least slices per chosen chunk: the largest halo of a window
    /// downstream, which then waits for one chunk, not several.
    pub min_chunk: usize,
    /// Memory factor of the downstream section.
    pub memory_factor: f64,
    /// Worker threads, for the chunk size.
    pub threads: usize,
    /// The budget and, when the store is in memory, its reservation.
    pub budget: Arc<MemoryBudget>,
    /// Bytes of the budget the schedule leaves for chunks.
    pub chunk_budget: usize,
    /// The reservation of an in-memory store; `None`: spill to `spill`.
    pub reserved: Option<Permit>,
    /// The schedule could not size the store (no input file): keep it in
    /// memory if it takes at most half the budget.
    pub size_at_runtime: bool,
    /// Where a spilled store goes.
    pub spill: PathBuf,
    /// Chunk buffers.
    pub pool: Arc<BufferPool>,
    /// The job's progress (downstream chunks add to its totals).
    pub progress: Arc<Progress>,
    /// Set to stop sending.
    pub stop: Arc<AtomicBool>,
    /// Control events.
    pub bus: ControlBus,
    /// A frame already taken from `input`.
    pub pending: Option<Envelope>,
}

/// What the first upstream frame says the stack is.
struct Layout {
    name: String,
    dtype: DType,
    /// Upstream array shape with the first axis replaced by the extent.
    shape: Vec<usize>,
    axes: String,
    dataset: String,
    meta: Map<String, Value>,
}

impl Reslice {
    /// Runs to the end of both streams; a problem ends the reslice with a
    /// `stage.error` on the consuming stage (upstream is drained, so it is
    /// never blocked).
    pub fn run(mut self) {
        let started = Instant::now();
        if self.adaptive {
            let Some(first) = self.input.recv() else { return };
            let angle_first =
                first.frame.arrays().first().is_some_and(|(_, a)| a.axes().split_whitespace().next() == Some("angle"));
            if !angle_first {
                let frames = std::iter::once(first).chain(self.input.iter());
                if self.halo > 0 {
                    super::halo::window(frames, &self.outlet, self.halo);
                } else {
                    for env in frames {
                        if self.outlet.send(env).is_err() {
                            break;
                        }
                    }
                }
                return;
            }
            self.pending = Some(first);
        }
        match self.fill() {
            Ok(Some((layout, mut store, theta))) => {
                let kind = store.kind();
                let bytes = store.shape().bytes() as u64;
                if let Err(e) = self.emit(&layout, store.as_mut(), theta) {
                    self.fail(format!("reading the {kind} store back failed: {e}"));
                }
                self.bus.emit(EventKind::SectionResliced {
                    pipeline: self.pipeline.clone(),
                    from: self.from.clone(),
                    to: self.to.clone(),
                    store: kind.to_string(),
                    bytes,
                    wall_ms: started.elapsed().as_secs_f64() * 1e3,
                });
            }
            Ok(None) => {}
            Err(e) => {
                self.fail(e);
                self.input.drain();
            }
        }
    }

    fn fail(&self, error: String) {
        tracing::error!(stage = %self.to, "reslice from `{}`: {error}", self.from);
        self.bus.emit(EventKind::StageError {
            pipeline: self.pipeline.clone(),
            stage: self.to.clone(),
            code: None,
            error: format!("reslice from `{}`: {error}", self.from),
        });
    }

    /// Stores the upstream stream; `None` when it sent nothing.
    #[allow(clippy::type_complexity)]
    fn fill(&mut self) -> Result<Option<(Layout, Box<dyn ChunkStore>, Option<(String, Vec<Value>)>)>, String> {
        let Some(first) = self.pending.take().or_else(|| self.input.recv()) else { return Ok(None) };
        let (name, a) = first.frame.arrays().first().cloned().ok_or("the first frame holds no array")?;
        let key = first.frame.key();
        if a.shape().len() < 2 || a.shape()[0] as u64 != key.length {
            return Err(format!(
                "array `{name}` has shape {:?} for a chunk of {} slice(s): reslicing needs arrays that hold their chunk along their first axis",
                a.shape(),
                key.length
            ));
        }
        if key.extent == 0 {
            return Err(
                "the frames do not say how many slices the stack has (extent 0): a stream cannot be resliced".into()
            );
        }
        let mut shape = a.shape().to_vec();
        shape[0] = key.extent as usize;
        let cell = shape[2..].iter().product::<usize>() * a.dtype().size();
        let store_shape = StoreShape { n0: shape[0], n1: shape[1], cell };
        // Memory when the schedule reserved enough; for a source operator's
        // stream (nothing else holds the budget yet) when it fits half of it.
        if self.size_at_runtime && self.reserved.is_none() && store_shape.bytes() <= self.budget.limit() / 2 {
            self.reserved = Some(self.budget.reserve(store_shape.bytes()));
        }
        let mut store: Box<dyn ChunkStore> = match &self.reserved {
            Some(r) if r.bytes() >= store_shape.bytes() => Box::new(MemoryStore::new(store_shape)),
            _ => {
                self.reserved = None;
                let store = FileStore::create(&self.spill, &format!("reslice-{}", self.to), store_shape)
                    .map_err(|e| format!("cannot create the spill file in `{}`: {e}", self.spill.display()))?;
                Box::new(store)
            }
        };
        let layout = Layout {
            name: name.clone(),
            dtype: a.dtype(),
            shape: shape.clone(),
            axes: a.axes().to_string(),
            dataset: first.frame.dataset().to_string(),
            meta: first.frame.meta().clone(),
        };
        let mut theta: Option<(String, Vec<Value>)> = None;
        let mut stored = 0u64;
        let mut next = Some(first);
        while let Some(env) = next.take().or_else(|| self.input.recv()) {
            let k = env.frame.key();
            let a = env.frame.array(&name).map_err(|e| format!("frame {}: {e}", env.seq))?;
            if a.dtype() != layout.dtype || a.shape()[1..] != shape[1..] || a.shape()[0] as u64 != k.length {
                return Err(format!(
                    "frame {} holds `{name}` as {} {:?} after frames of {} {:?}",
                    env.seq,
                    a.dtype(),
                    a.shape(),
                    layout.dtype,
                    &shape[1..]
                ));
            }
            store.write(k.offset as usize, a.as_bytes()).map_err(|e| format!("frame {}: {e}", env.seq))?;
            stored += k.length;
            for unit in ["theta_deg", "theta_rad"] {
                if let Some(Value::Array(list)) = env.frame.meta().get(unit) {
                    let t = theta.get_or_insert_with(|| (unit.to_string(), vec![Value::Null; shape[0]]));
                    for (i, v) in list.iter().enumerate() {
                        if let Some(slot) = t.1.get_mut(k.offset as usize + i) {
                            *slot = v.clone();
                        }
                    }
                }
            }
            // `env` drops here: its share of the budget comes back.
        }
        if stored != shape[0] as u64 {
            return Err(format!("the upstream sent {stored} of {} slices", shape[0]));
        }
        Ok(Some((layout, store, theta)))
    }

    /// Reads the store back in downstream chunks and sends them.
    fn emit(
        &self,
        layout: &Layout,
        store: &mut dyn ChunkStore,
        theta: Option<(String, Vec<Value>)>,
    ) -> std::io::Result<()> {
        let StoreShape { n0, n1, cell } = store.shape();
        let slice = n0 * cell;
        let chunk = self
            .chunk
            .unwrap_or_else(|| {
                auto_chunk(slice, self.chunk_budget, self.memory_factor, self.threads).max(self.min_chunk)
            })
            .clamp(1, n1.max(1));
        let count = n1.div_ceil(chunk);
        self.progress.add_totals(count as u64, (n0 * n1 * cell) as u64);
        // The first two axes swapped.
        let mut axes: Vec<&str> = layout.axes.split_whitespace().collect();
        axes.swap(0, 1);
        let axes = axes.join(" ");
        let h = self.halo;
        for (seq, k0) in (0..n1).step_by(chunk).enumerate() {
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let k1 = (k0 + chunk).min(n1);
            let (p0, p1) = (k0.saturating_sub(h), (k1 + h).min(n1));
            let weight = ((p1 - p0) as f64 * slice as f64 * self.memory_factor).ceil() as usize;
            let permit = self.budget.acquire_owned(weight);
            let mut buffer = self.pool.take(layout.dtype, (p1 - p0) * slice / layout.dtype.size());
            store.read_swapped(p0, p1, buffer.bytes_mut())?;
            let mut shape = layout.shape.clone();
            shape.swap(0, 1);
            shape[0] = p1 - p0;
            let array = buffer.into_array(shape).and_then(|a| a.with_axes(&axes)).map_err(std::io::Error::other)?;
            let (progress, pool, back, bytes) =
                (self.progress.clone(), self.pool.clone(), array.clone(), ((k1 - k0) * slice) as u64);
            let permit = Arc::new(permit.on_release(move || {
                pool.give_back(back);
                progress.chunk_done(bytes);
            }));
            let key = ChunkKey { axis: 1, offset: p0 as u64, length: (p1 - p0) as u64, extent: n1 as u64 };
            let mut frame = Frame::new(layout.dataset.clone(), key).with_array(layout.name.clone(), array);
            for (k, v) in &layout.meta {
                if k != "theta_deg" && k != "theta_rad" && k != "halo" {
                    frame.meta_mut().insert(k.clone(), v.clone());
                }
            }
            if let Some((unit, list)) = &theta {
                frame.meta_mut().insert(unit.clone(), Value::Array(list.clone()));
            }
            if h > 0 {
                frame.meta_mut().insert("halo".into(), json!({ "before": k0 - p0, "after": p1 - k1 }));
            }
            if self.outlet.send(Envelope { seq: seq as u64, frame: Arc::new(frame), permit: Some(permit) }).is_err() {
                break;
            }
        }
        Ok(())
    }
}
