//! How a plan runs on a given input within a budget: the chunk size, what
//! each chunk weighs against the budget, how many chunks can be in flight,
//! and the estimated peak memory. `plexus check` prints it; the job runs
//! by it.
//!
//! # The memory model
//!
//! A chunk of `c` slices of `s` bytes costs about `c · s · F` while it is in
//! the graph, where `F = 1 + Σ memory` over the stages of its section (the
//! chunk itself plus each operator's working memory and output, as its
//! manifest declares them, plus one copy for each stage with a halo). Each chunk takes a permit of that weight from
//! the budget before it is read, so chunks in flight never weigh more than
//! the budget; the chunk size is chosen so that `max(threads, 2)` chunks
//! fit. Peak RSS is then the budget plus a fixed overhead
//! ([`FIXED_OVERHEAD`]): the binary, the mapped plugins, thread stacks and
//! the allocator's slack, whatever the input size. What the budget cannot
//! hold is said: a dataset read whole (a format without slab reads), a
//! single slice heavier than the budget (it runs alone), an output gathered
//! in memory (an HDF5 scan).
//!
//! # Sections
//!
//! Where the access pattern changes ([`sections`](crate::pipeline::sections))
//! the stack goes through a chunk store. The store stays in memory when it
//! takes at most half the budget (it is reserved when the job starts, and
//! the chunks of every section share the rest); beyond that it spills to a
//! file in the spill folder, and only the chunks being read or written cost
//! memory. The store's size is estimated from the input (its elements at
//! four bytes or more: reconstruction sections are float); the reslice
//! checks the real size when the first frame arrives and spills if the
//! reservation is short.

use std::path::PathBuf;

use plexus_io::SourceInfo;

use crate::pipeline::plan::OutputFormat;
use crate::pipeline::sections::{self, Boundary, Cut};
use crate::pipeline::Plan;

/// What a run needs beyond its budget whatever the input: the `plexus`
/// binary and its libraries, the mapped plugins, one stack per stage
/// thread and the allocator's slack. Measured as the peak RSS of a run on a
/// 64 × 64 input (`tests/e2e/memory.rs` asserts runs stay within the budget
/// plus this).
pub const FIXED_OVERHEAD: usize = 48 << 20;

/// Most slices in one chunk chosen by the scheduler.
const MAX_AUTO_CHUNK: usize = 64;

/// The input as the schedule sees it.
#[derive(Debug, Clone)]
pub struct InputLayout {
    /// Shape, dtype, axes.
    pub info: SourceInfo,
    /// Whether the reader reads slabs (false: it holds the whole dataset).
    pub streams: bool,
    /// Slices per chunk along axis 0 (the whole extent for a single image).
    pub chunk: usize,
    /// Number of chunks.
    pub chunks: usize,
    /// Whether the dataset is one image, sent whole.
    pub single: bool,
}

/// One edge of a plan that reslices or pads.
#[derive(Debug, Clone)]
pub struct BoundaryPlan {
    /// The edge and what happens on it.
    pub boundary: Boundary,
    /// Estimated bytes of the stack a reslice stores (0 for a halo window).
    pub store_bytes: usize,
    /// Whether the store is kept in memory (else it spills to disk).
    pub in_memory: bool,
    /// Memory factor of the section the edge feeds.
    pub memory_factor: f64,
    /// The producing stage's id, `input` for the pipeline input.
    pub from_id: String,
    /// The consuming stage's id.
    pub to_id: String,
    /// The largest halo of a window in the section the edge feeds: a
    /// reslice's chunks are at least this many slices.
    pub section_halo: usize,
}

/// The sections of one plan.
#[derive(Debug, Clone)]
pub struct PlanLayout {
    /// Section number of each stage.
    pub section_of: Vec<usize>,
    /// Edges that reslice or pad.
    pub boundaries: Vec<BoundaryPlan>,
    /// Per section, the largest halo of a halo window in it (0: none); a
    /// chunk size chosen for the section is at least this, so a window
    /// waits for one chunk after the one it pads, not several.
    pub window_halo: Vec<usize>,
}

impl BoundaryPlan {
    /// A halo window: the edge pads without reslicing.
    fn is_window(&self) -> bool {
        self.boundary.transform.halo > 0 && self.boundary.transform.reslice.is_none()
    }
}

impl PlanLayout {
    /// Chunks the windows on the longest path of `plan` hold at once
    /// besides the one being worked on: a window holds the chunks after the
    /// one it pads until they cover its halo, `ceil(halo / chunk)` of them,
    /// and windows in series add up. `chunk_of(section)` is the section's
    /// chunk size.
    fn window_chunks(&self, plan: &Plan, chunk_of: impl Fn(usize) -> usize) -> usize {
        let cost = |from: Option<usize>, to: usize| {
            self.boundaries
                .iter()
                .filter(|b| b.is_window() && b.boundary.from == from && b.boundary.to == to)
                .map(|b| b.boundary.transform.halo.div_ceil(chunk_of(self.section_of[to]).max(1)))
                .max()
                .unwrap_or(0)
        };
        let n = plan.stages.len();
        let mut depth = vec![0usize; n];
        // Relaxation over the DAG: n passes reach every path's end.
        for _ in 0..n {
            for (j, stage) in plan.stages.iter().enumerate() {
                let mut d = cost(None, j);
                for &u in &stage.inputs {
                    d = d.max(depth[u] + cost(Some(u), j));
                }
                depth[j] = d;
            }
        }
        depth.into_iter().max().unwrap_or(0)
    }
}

/// How a plan (or the plans sharing one read in `plexus serve`) runs.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The input, when the plan reads a file.
    pub input: Option<InputLayout>,
    /// Memory factor of the input's chunks: `1 + Σ memory` over the stages
    /// of every plan's first section.
    pub memory_factor: f64,
    /// Per plan, its sections.
    pub plans: Vec<PlanLayout>,
    /// Bytes reserved for in-memory stores.
    pub reserved: usize,
    /// Where spilled stores go.
    pub spill: PathBuf,
    /// The budget.
    pub budget: usize,
    /// See [`Schedule::min_chunks`].
    min_chunks: usize,
    /// Worker threads.
    pub threads: usize,
    /// Bytes the outputs gather in memory until the end (HDF5 scans).
    pub gathered_outputs: usize,
}

impl Schedule {
    /// The schedule of `plans` reading `input` (one read for all) within
    /// `budget` bytes and `threads` threads; `fixed_chunk` is `[input]
    /// chunk` when the pipeline sets it.
    pub fn new(
        plans: &[&Plan],
        input: Option<(SourceInfo, bool)>,
        fixed_chunk: Option<usize>,
        budget: usize,
        threads: usize,
        spill: PathBuf,
    ) -> Schedule {
        let cut = input.as_ref().and_then(|(info, _)| Cut::of_axes(&info.axes));
        // A reslice's stack, estimated from the input at four bytes or more
        // an element.
        let stack = input
            .as_ref()
            .map(|(info, _)| {
                let n: usize = info.shape.iter().product();
                n * info.dtype.size().max(4)
            })
            .unwrap_or(0);
        let mut reserved = 0;
        let mut first_factor = 1.0;
        let layouts: Vec<PlanLayout> = plans
            .iter()
            .map(|plan| {
                let section_of = sections::sections(plan, cut);
                let factor = |k: usize| {
                    1.0 + plan
                        .stages
                        .iter()
                        .zip(&section_of)
                        .filter(|(_, &sec)| sec == k)
                        .map(|(s, _)| s.spec.memory + if s.spec.halo > 0 { 1.0 } else { 0.0 })
                        .sum::<f64>()
                };
                first_factor += factor(0) - 1.0;
                let boundaries = sections::boundaries(plan, cut)
                    .into_iter()
                    .map(|b| {
                        let store_bytes = if b.transform.reslice.is_some() { stack } else { 0 };
                        let in_memory = store_bytes > 0 && reserved + store_bytes <= budget / 2;
                        if in_memory {
                            reserved += store_bytes;
                        }
                        BoundaryPlan {
                            memory_factor: factor(section_of[b.to]),
                            from_id: b.from.map(|u| plan.stages[u].id.clone()).unwrap_or_else(|| "input".into()),
                            to_id: plan.stages[b.to].id.clone(),
                            boundary: b,
                            store_bytes,
                            in_memory,
                            section_halo: 0,
                        }
                    })
                    .collect::<Vec<BoundaryPlan>>();
                let mut boundaries = boundaries;
                let sections = section_of.iter().max().map_or(1, |m| m + 1);
                let mut window_halo = vec![0; sections];
                for b in boundaries.iter().filter(|b| b.is_window()) {
                    let k = section_of[b.boundary.to];
                    window_halo[k] = window_halo[k].max(b.boundary.transform.halo);
                }
                for b in &mut boundaries {
                    b.section_halo = window_halo[section_of[b.boundary.to]];
                }
                PlanLayout { section_of, boundaries, window_halo }
            })
            .collect();
        let memory_factor = first_factor;
        let chunk_budget = budget - reserved;
        let input = input.map(|(info, streams)| {
            let single = is_single_image(&info.shape, &info.axes);
            let halo = layouts.iter().map(|l| l.window_halo[0]).max().unwrap_or(0);
            let chunk = if single {
                info.len()
            } else {
                fixed_chunk.unwrap_or_else(|| {
                    auto_chunk(info.slice_bytes(), chunk_budget, memory_factor, threads).max(halo).min(info.len())
                })
            };
            let chunks = if single { 1 } else { info.len().div_ceil(chunk.max(1)) };
            InputLayout { info, streams, chunk, chunks, single }
        });
        let gathered_outputs = match &input {
            Some(i) => {
                let scans = plans.iter().flat_map(|p| &p.outputs).filter(|o| o.format == OutputFormat::Scan).count();
                scans * i.info.total_bytes() as usize
            }
            None => 0,
        };
        // Section 0 runs at the input's chunk; a source operator's chunk is
        // its own and a reslice's at least its section's halo: one chunk
        // ahead per window.
        let input_chunk = input.as_ref().map_or(usize::MAX, |i| i.chunk);
        let window_chunks = plans
            .iter()
            .zip(&layouts)
            .map(|(plan, l)| l.window_chunks(plan, |k| if k == 0 { input_chunk } else { usize::MAX }))
            .max()
            .unwrap_or(0);
        Schedule {
            input,
            memory_factor,
            plans: layouts,
            reserved,
            spill,
            budget,
            threads,
            gathered_outputs,
            min_chunks: 1 + window_chunks,
        }
    }

    /// Chunks the budget must admit at once whatever they weigh: the one
    /// being worked on plus those the halo windows on the longest path wait
    /// for ([`PlanLayout`]'s `window_chunks`). Fewer deadlock: a window
    /// would wait for a chunk the budget never admits.
    pub fn min_chunks(&self) -> usize {
        self.min_chunks
    }

    /// Bytes of the budget left for chunks once in-memory stores are
    /// reserved.
    pub fn chunk_budget(&self) -> usize {
        self.budget - self.reserved
    }

    /// What a chunk of `slices` weighs against the budget.
    pub fn weight(&self, slices: usize) -> usize {
        let slice = self.input.as_ref().map(|i| i.info.slice_bytes()).unwrap_or(0);
        (slices as f64 * slice as f64 * self.memory_factor).ceil() as usize
    }

    /// Chunks the budget admits at once (at least one).
    pub fn in_flight(&self) -> usize {
        match &self.input {
            Some(i) => (self.chunk_budget() / self.weight(i.chunk).max(1)).clamp(1, i.chunks.max(1)),
            None => 1,
        }
    }

    /// Estimated peak memory beyond [`FIXED_OVERHEAD`]: the chunks in
    /// flight, in-memory stores, a dataset read whole, outputs gathered in
    /// memory.
    pub fn estimated_peak(&self) -> usize {
        let Some(i) = &self.input else { return 0 };
        let chunks = self.in_flight().max(self.min_chunks()) * self.weight(i.chunk);
        let whole = if i.streams { 0 } else { i.info.total_bytes() as usize };
        chunks + self.reserved + whole + self.gathered_outputs
    }

    /// Whether the estimate fits the budget.
    pub fn fits(&self) -> bool {
        self.estimated_peak() <= self.budget
    }

    /// The lines `plexus check` prints.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(i) = &self.input else {
            out.extend(self.section_lines());
            out.push(format!(
                "memory: budget {}; the first stage is a source: each frame it emits takes a permit of the budget",
                mib(self.budget)
            ));
            out.push(
                "spill: a reslice keeps its stack in memory when it takes at most half the budget, else on disk".into(),
            );
            return out;
        };
        let info = &i.info;
        out.push(format!(
            "input {} {:?} {} `{}` ({}): {}",
            info.path.display(),
            info.shape,
            info.dtype,
            info.axes,
            mib(info.total_bytes() as usize),
            if i.streams { "read chunk by chunk" } else { "read whole (this format has no slab reads)" }
        ));
        if i.single {
            out.push(format!("chunks: one image, sent whole ({})", mib(info.total_bytes() as usize)));
        } else {
            out.push(format!(
                "chunks: {} of {} slice(s) along `{}` ({} each)",
                i.chunks,
                i.chunk,
                info.axes.split_whitespace().next().unwrap_or("axis 0"),
                mib(i.chunk * info.slice_bytes())
            ));
        }
        for (k, line) in self.section_lines().into_iter().enumerate() {
            out.push(if k == 0 { line } else { format!("  {line}") });
        }
        out.push(format!(
            "memory: budget {}; a chunk weighs {} (memory factor {:.1}); {} chunk(s) in flight; estimated peak {} + fixed overhead {}",
            mib(self.budget),
            mib(self.weight(i.chunk)),
            self.memory_factor,
            self.in_flight(),
            mib(self.estimated_peak()),
            mib(FIXED_OVERHEAD)
        ));
        if !self.fits() {
            let mut why = Vec::new();
            if !i.streams {
                why.push("the input is read whole".to_string());
            }
            if self.weight(i.chunk) > self.budget {
                why.push(format!(
                    "one chunk weighs {}, more than the budget, and runs alone",
                    mib(self.weight(i.chunk))
                ));
            } else if self.min_chunks() * self.weight(i.chunk) > self.chunk_budget() {
                why.push(format!(
                    "a halo needs {} chunks of {} in flight at once",
                    self.min_chunks(),
                    mib(self.weight(i.chunk))
                ));
            }
            if self.gathered_outputs > 0 {
                why.push(format!("HDF5 outputs gather {} in memory", mib(self.gathered_outputs)));
            }
            out.push(format!("warning: the estimate exceeds the budget: {}", why.join("; ")));
        }
        let spilled: Vec<&BoundaryPlan> =
            self.plans.iter().flat_map(|p| &p.boundaries).filter(|b| b.store_bytes > 0 && !b.in_memory).collect();
        if spilled.is_empty() {
            out.push("spill: nothing goes to disk".to_string());
        } else {
            let total: usize = spilled.iter().map(|b| b.store_bytes).sum();
            out.push(format!(
                "spill: {} reslice(s) go to disk in `{}` (about {})",
                spilled.len(),
                self.spill.display(),
                mib(total)
            ));
        }
        out
    }

    /// `sections: …` and one line per boundary.
    fn section_lines(&self) -> Vec<String> {
        let count = self.plans.iter().map(|p| p.section_of.iter().max().map_or(1, |m| m + 1)).max().unwrap_or(1);
        let mut out = vec![format!("sections: {count}")];
        for p in &self.plans {
            for b in &p.boundaries {
                let t = b.boundary.transform;
                let mut what = Vec::new();
                if let Some(to) = t.adaptive {
                    what.push(format!(
                        "reslice to `{}` if the source's frames are cut along `angle`, through memory while it fits half the budget, else disk",
                        to.name()
                    ));
                }
                if let Some((from, to)) = t.reslice {
                    let store = if b.store_bytes == 0 {
                        "memory or disk, as it turns out".to_string()
                    } else {
                        format!("{} ({})", if b.in_memory { "memory" } else { "disk" }, mib(b.store_bytes))
                    };
                    what.push(format!("reslice `{}` → `{}` through {store}", from.name(), to.name()));
                }
                if t.halo > 0 {
                    what.push(format!("halo of {} slice(s)", t.halo));
                }
                out.push(format!(
                    "`{}` → `{}` (section {}): {}; memory factor {:.1}",
                    b.from_id,
                    b.to_id,
                    p.section_of[b.boundary.to] + 1,
                    what.join(", "),
                    b.memory_factor
                ));
            }
        }
        out
    }
}

/// Slices per chunk when the pipeline does not fix it: as many as let
/// `max(threads, 2)` chunks of weight `slices · slice · factor` fit the
/// budget, between 1 and 64.
pub fn auto_chunk(slice_bytes: usize, budget: usize, memory_factor: f64, threads: usize) -> usize {
    let per_chunk = budget as f64 / memory_factor.max(1.0) / threads.max(2) as f64;
    ((per_chunk / slice_bytes.max(1) as f64) as usize).clamp(1, MAX_AUTO_CHUNK)
}

/// Whether a dataset is one image, sent whole as one frame.
pub fn is_single_image(shape: &[usize], axes: &str) -> bool {
    shape.len() <= 2 || (shape.len() == 3 && axes.ends_with("band"))
}

/// `12.5 MiB`.
pub fn mib(bytes: usize) -> String {
    let m = bytes as f64 / 1048576.0;
    if m >= 1024.0 {
        format!("{:.2} GiB", m / 1024.0)
    } else {
        format!("{m:.1} MiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_plugin_api::DType;

    fn info(shape: Vec<usize>) -> SourceInfo {
        SourceInfo {
            path: "stack.npy".into(),
            axes: plexus_plugin_api::default_axes(shape.len()),
            shape,
            dtype: DType::U16,
            meta: Default::default(),
        }
    }

    #[test]
    fn auto_chunk_respects_budget() {
        assert_eq!(auto_chunk(1 << 20, 64 << 20, 4.0, 2), 8);
        assert_eq!(auto_chunk(1 << 20, 64 << 20, 4.0, 1), 8, "at least two chunks in flight");
        assert_eq!(auto_chunk(1 << 30, 1 << 20, 4.0, 2), 1);
    }

    #[test]
    fn chunks_in_flight_weigh_at_most_the_budget() {
        let plan = Plan {
            name: "p".into(),
            file: "p.toml".into(),
            input: None,
            stages: Vec::new(),
            outputs: Vec::new(),
            plots: Vec::new(),
        };
        // 1 GiB of 1024 × 1024 u16 slices (2 MiB each) in 64 MiB.
        let s = Schedule::new(&[&plan], Some((info(vec![512, 1024, 1024]), true)), None, 64 << 20, 2, "spill".into());
        let i = s.input.as_ref().unwrap();
        assert_eq!((i.chunk, i.chunks), (16, 32));
        assert_eq!(s.weight(16), 32 << 20);
        assert_eq!(s.in_flight(), 2);
        assert!(s.fits());
        assert_eq!(s.estimated_peak(), 64 << 20);
        // Read whole: the estimate says so.
        let whole =
            Schedule::new(&[&plan], Some((info(vec![512, 1024, 1024]), false)), None, 64 << 20, 2, "spill".into());
        assert!(!whole.fits());
        assert!(whole.describe().iter().any(|l| l.contains("the input is read whole")), "{:?}", whole.describe());
    }
}
