//! How a plan runs on a given input within a budget: the chunk size, what
//! each chunk weighs against the budget, how many chunks can be in flight,
//! and the estimated peak memory. `plexus check` prints it; the job runs
//! by it.
//!
//! # The memory model
//!
//! A chunk of `c` slices of `s` bytes costs about `c · s · F` while it is in
//! the graph, where `F = 1 + Σ memory` over the stages reading it (the input
//! chunk itself plus each operator's working memory and output, as its
//! manifest declares them). Each chunk takes a permit of that weight from
//! the budget before it is read, so chunks in flight never weigh more than
//! the budget; the chunk size is chosen so that `max(threads, 2)` chunks
//! fit. Peak RSS is then the budget plus a fixed overhead
//! ([`FIXED_OVERHEAD`]): the binary, the mapped plugins, thread stacks and
//! the allocator's slack, whatever the input size. What the budget cannot
//! hold is said: a dataset read whole (a format without slab reads), a
//! single slice heavier than the budget (it runs alone), an output gathered
//! in memory (an HDF5 scan).

use plexus_io::SourceInfo;

use crate::pipeline::plan::OutputFormat;
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

/// How a plan (or the plans sharing one read in `plexus serve`) runs.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The input, when the plan reads a file.
    pub input: Option<InputLayout>,
    /// `1 + Σ memory` of the stages.
    pub memory_factor: f64,
    /// The budget.
    pub budget: usize,
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
    ) -> Schedule {
        let memory_factor = 1.0 + plans.iter().map(|p| p.memory_factor() - 1.0).sum::<f64>();
        let input = input.map(|(info, streams)| {
            let single = super::sources::is_single_image(&info.shape, &info.axes);
            let chunk = if single {
                info.len()
            } else {
                fixed_chunk.unwrap_or_else(|| auto_chunk(info.slice_bytes(), budget, memory_factor, threads))
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
        Schedule { input, memory_factor, budget, threads, gathered_outputs }
    }

    /// What a chunk of `slices` weighs against the budget.
    pub fn weight(&self, slices: usize) -> usize {
        let slice = self.input.as_ref().map(|i| i.info.slice_bytes()).unwrap_or(0);
        (slices as f64 * slice as f64 * self.memory_factor).ceil() as usize
    }

    /// Chunks the budget admits at once (at least one).
    pub fn in_flight(&self) -> usize {
        match &self.input {
            Some(i) => (self.budget / self.weight(i.chunk).max(1)).clamp(1, i.chunks.max(1)),
            None => 1,
        }
    }

    /// Estimated peak memory beyond [`FIXED_OVERHEAD`]: the chunks in
    /// flight, a dataset read whole, outputs gathered in memory.
    pub fn estimated_peak(&self) -> usize {
        let Some(i) = &self.input else { return 0 };
        let chunks = self.in_flight() * self.weight(i.chunk);
        let whole = if i.streams { 0 } else { i.info.total_bytes() as usize };
        chunks + whole + self.gathered_outputs
    }

    /// Whether the estimate fits the budget.
    pub fn fits(&self) -> bool {
        self.estimated_peak() <= self.budget
    }

    /// The lines `plexus check` prints.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(i) = &self.input else {
            out.push(format!(
                "memory: budget {}; the first stage is a source: frames are admitted one permit at a time",
                mib(self.budget)
            ));
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
            }
            if self.gathered_outputs > 0 {
                why.push(format!("HDF5 outputs gather {} in memory", mib(self.gathered_outputs)));
            }
            out.push(format!("warning: the estimate exceeds the budget: {}", why.join("; ")));
        }
        out.push("spill: nothing goes to disk".to_string());
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
        let s = Schedule::new(&[&plan], Some((info(vec![512, 1024, 1024]), true)), None, 64 << 20, 2);
        let i = s.input.as_ref().unwrap();
        assert_eq!((i.chunk, i.chunks), (16, 32));
        assert_eq!(s.weight(16), 32 << 20);
        assert_eq!(s.in_flight(), 2);
        assert!(s.fits());
        assert_eq!(s.estimated_peak(), 64 << 20);
        // Read whole: the estimate says so.
        let whole = Schedule::new(&[&plan], Some((info(vec![512, 1024, 1024]), false)), None, 64 << 20, 2);
        assert!(!whole.fits());
        assert!(whole.describe().iter().any(|l| l.contains("the input is read whole")), "{:?}", whole.describe());
    }
}
