//! Running a compiled pipeline as a [`Job`]: one thread per stage joined by
//! bounded edges, the input read chunk by chunk within a memory budget,
//! outputs written by sink threads, and a report at the end.
//!
//! Topology follows Vector's: sources (the input file or a source operator)
//! → transforms (stages) → sinks (outputs). Each stage calls its operator
//! sequentially, in stream order, and hands the operator a thread budget for
//! data parallelism inside a chunk; different stages, and the input reader,
//! run concurrently, so chunks pipeline through the graph.
//!
//! One concern per module: [`graph`] (edges from the plan), [`sources`]
//! (input files, batches, image sets), [`stage`] (calling operators, hot
//! reload), [`sink`] and [`scan_sink`] (outputs), [`report`] (report,
//! provenance, plots), [`sidecar`], [`job`] (the handle that ties them).

pub mod chunk_store;
mod cpu;
pub mod deadline;
mod graph;
mod halo;
pub mod job;
mod journal;
mod parked;
mod plots;
pub mod pool;
mod preview;
pub mod progress;
pub mod report;
mod reslice;
mod results;
mod resume;
mod scan_sink;
pub mod schedule;
pub mod sidecar;
pub mod sink;
pub mod sources;
mod stage;
mod stats;
pub mod sweep;
mod written;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use plexus_registry::Registry;

pub use job::Job;
pub use progress::{Progress, ProgressSnapshot};
pub use report::{RunReport, StageReport};

use crate::error::HostError;
use crate::events::ControlBus;
use crate::pipeline::Plan;

/// How to run.
#[derive(Clone)]
pub struct RunOptions {
    /// Worker threads the stages share.
    pub threads: usize,
    /// Bytes of chunks allowed in flight.
    pub memory: usize,
    /// Frames each edge holds before its producer waits.
    pub edge_capacity: usize,
    /// Set to stop sources and the input reader; in-flight frames finish.
    pub stop: Arc<AtomicBool>,
    /// Dataset id; the input file's stem when absent.
    pub dataset: Option<String>,
    /// Where reslices that do not fit the budget spill.
    pub spill: std::path::PathBuf,
    /// Whether to pick up the partial outputs of a killed run.
    pub resume: Resume,
    /// Longest one native operator call may take where neither the stage
    /// nor the manifest says (`--call-timeout`); `None`: no deadline.
    pub call_timeout: Option<std::time::Duration>,
    /// Set at the end of a signal's grace: calls still running are
    /// abandoned, and listed here.
    pub abandon: Arc<deadline::Abandon>,
}

/// The default of `--call-timeout`: long enough for any one chunk of real
/// work, short enough that a stuck plugin does not hold a run forever.
pub const DEFAULT_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Whether a run picks up the partial outputs of an earlier, killed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resume {
    /// Start over: partial outputs of earlier runs are removed.
    #[default]
    Never,
    /// Resume when the pipeline can, else start over (`plexus serve`).
    IfPossible,
    /// Resume, or fail saying why the pipeline cannot (`--resume`).
    Required,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            memory: 2 << 30,
            edge_capacity: 4,
            stop: Arc::new(AtomicBool::new(false)),
            dataset: None,
            spill: crate::paths::home().join("spill"),
            resume: Resume::Never,
            call_timeout: Some(DEFAULT_CALL_TIMEOUT),
            abandon: Arc::default(),
        }
    }
}

/// Runs `plan` to completion (or until `options.stop`): [`Job::start`] and
/// [`Job::wait`].
pub fn run(
    plan: &Plan,
    registry: &Arc<Registry>,
    bus: &ControlBus,
    options: &RunOptions,
) -> Result<RunReport, HostError> {
    Job::start(plan.clone(), registry.clone(), bus.clone(), options.clone())?.wait()
}
