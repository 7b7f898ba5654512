//! A run as a job: [`Job::start`] opens the input and starts the graph on
//! its own thread; the caller watches [`Job::progress`] (chunks and bytes
//! done of total), may [`Job::cancel`], and takes the [`RunReport`] from
//! [`Job::wait`]. `plexus run`, `plexus serve` (and the HTTP API to come)
//! drive this handle.
//!
//! Inside, a run is: the graph from the plan ([`graph`](super::graph)),
//! the sources ([`sources`](super::sources)), the stages
//! ([`stage`](super::stage)), the sinks ([`sink`](super::sink)), and the
//! report with provenance ([`report`](super::report)).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use plexus_registry::{Pattern, Registry};

use super::graph::Graph;
use super::report::{self, Finished, RunReport};
use super::results::ResultsBoard;
use super::sink::{self, Written};
use super::sources::{Feed, Source};
use super::stage::StageContext;
use super::stats::StageStats;
use super::{plots, RunOptions};
use crate::budget::MemoryBudget;
use crate::error::HostError;
use crate::events::{ControlBus, EventKind};
use crate::pipeline::Plan;

/// How far a job has got: chunks (and their bytes) fully processed through
/// the graph, of the total the source will send (0 when unknown, as for a
/// source operator's stream).
#[derive(Debug, Default)]
pub struct Progress {
    chunks_done: AtomicU64,
    chunks_total: AtomicU64,
    bytes_done: AtomicU64,
    bytes_total: AtomicU64,
}

/// A reading of [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ProgressSnapshot {
    /// Chunks every consumer is done with.
    pub chunks_done: u64,
    /// Chunks the source will send; 0 when unknown.
    pub chunks_total: u64,
    /// Bytes of the chunks done.
    pub bytes_done: u64,
    /// Bytes the source will send; 0 when unknown.
    pub bytes_total: u64,
}

impl Progress {
    /// Counts one chunk of `bytes` done (its permit was released).
    pub fn chunk_done(&self, bytes: u64) {
        self.chunks_done.fetch_add(1, Ordering::Relaxed);
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    }

    fn set_totals(&self, chunks: u64, bytes: u64) {
        self.chunks_total.store(chunks, Ordering::Relaxed);
        self.bytes_total.store(bytes, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            chunks_done: self.chunks_done.load(Ordering::Relaxed),
            chunks_total: self.chunks_total.load(Ordering::Relaxed),
            bytes_done: self.bytes_done.load(Ordering::Relaxed),
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
        }
    }
}

/// A running pipeline.
pub struct Job {
    pipeline: String,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<RunReport, HostError>>>,
}

impl Job {
    /// Opens the plan's input and starts the run on its own thread. Fails
    /// at once when the input cannot be opened or a thread cannot start.
    pub fn start(plan: Plan, registry: Arc<Registry>, bus: ControlBus, options: RunOptions) -> Result<Job, HostError> {
        let source = Source::open(&plan, options.memory, options.threads)?;
        let progress = Arc::new(Progress::default());
        let (chunks, bytes) = source.totals();
        progress.set_totals(chunks, bytes);
        let stop = options.stop.clone();
        let p = progress.clone();
        let pipeline = plan.name.clone();
        let name = format!("plexus-job-{pipeline}");
        let thread = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || execute(&plan, &registry, &bus, &options, source, &p))
            .map_err(|e| HostError::system("start the thread", name, e))?;
        Ok(Job { pipeline, progress, stop, thread: Some(thread) })
    }

    /// The pipeline's name.
    pub fn pipeline(&self) -> &str {
        &self.pipeline
    }

    /// Chunks and bytes done of total.
    pub fn progress(&self) -> ProgressSnapshot {
        self.progress.snapshot()
    }

    /// Stops reading input; frames in flight finish and outputs are written.
    pub fn cancel(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the run has ended (its report is ready).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits for the end of the run and returns its report.
    pub fn wait(mut self) -> Result<RunReport, HostError> {
        let thread = self.thread.take().expect("a job is waited for once");
        match thread.join() {
            Ok(r) => r,
            // The run's own code does not panic; a panic here is a bug, and
            // the process must not go on as if the outputs were written.
            Err(p) => std::panic::resume_unwind(p),
        }
    }
}

/// Spawns a named thread or says which one could not start.
fn spawn<T: Send + 'static>(name: String, f: impl FnOnce() -> T + Send + 'static) -> Result<JoinHandle<T>, HostError> {
    std::thread::Builder::new().name(name.clone()).spawn(f).map_err(|e| HostError::system("start the thread", name, e))
}

/// The run itself, on the job's thread.
fn execute(
    plan: &Plan,
    registry: &Arc<Registry>,
    bus: &ControlBus,
    options: &RunOptions,
    source: Source,
    progress: &Arc<Progress>,
) -> Result<RunReport, HostError> {
    let started = Instant::now();
    let dataset = options.dataset.clone().unwrap_or_else(|| match &plan.input {
        Some(i) => i.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| plan.name.clone()),
        None => plan.name.clone(),
    });
    bus.emit(EventKind::PipelineStarted {
        pipeline: plan.name.clone(),
        file: plan.file.display().to_string(),
        dataset: dataset.clone(),
    });
    let graph = Graph::wire(plan, options.edge_capacity);
    let n = plan.stages.len();
    let results = Arc::new(ResultsBoard::new(n));
    let stats: Vec<Arc<StageStats>> = (0..n).map(|_| Arc::new(StageStats::default())).collect();

    let plot_frames = graph
        .plots
        .into_iter()
        .map(|rx| rx.map(|rx| spawn("plexus-plot".into(), move || plots::last_array(rx))).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    let sinks = plan
        .outputs
        .iter()
        .zip(graph.sinks)
        .map(|(o, rx)| {
            let o = o.clone();
            spawn(format!("plexus-sink-{}", o.path.display()), move || sink::write_frames(rx, &o))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut workers = Vec::new();
    for (j, (s, (inputs, outlet))) in
        plan.stages.iter().zip(graph.stage_inputs.into_iter().zip(graph.stage_outlets)).enumerate()
    {
        let source = s.spec.pattern == Pattern::Source;
        // Stateless operators run as several instances when there are cores
        // to spare; each then gets one thread.
        let instances = if s.spec.parallel && inputs.len() == 1 && s.refs.is_empty() && !source {
            options.threads.max(1)
        } else {
            1
        };
        let ctx = StageContext {
            pipeline: plan.name.clone(),
            dataset: dataset.clone(),
            stage: s.clone(),
            index: j,
            registry: registry.clone(),
            bus: bus.clone(),
            results: results.clone(),
            stats: stats[j].clone(),
            outlet,
            threads: if instances > 1 { 1 } else { options.threads.max(1) },
            stop: options.stop.clone(),
        };
        workers.push(spawn(format!("plexus-stage-{}", s.id), move || {
            if source {
                ctx.run_source()
            } else if instances > 1 {
                let input = inputs.into_iter().next().expect("one input");
                ctx.run_parallel(input, instances)
            } else {
                ctx.run_transform(inputs)
            }
        })?);
    }

    let budget = MemoryBudget::new(options.memory);
    let fed = source.feed(&Feed {
        dataset: &dataset,
        outlet: graph.input,
        budget: &budget,
        progress,
        bus,
        stop: &options.stop,
    });

    for w in workers {
        let _ = w.join();
    }
    let written: Vec<Written> =
        sinks.into_iter().zip(&plan.outputs).map(|(h, o)| h.join().unwrap_or_else(|_| Written::new(&o.path))).collect();
    let plot_frames = plot_frames.into_iter().map(|h| h.and_then(|h| h.join().ok().flatten())).collect();
    let report = report::finish(
        Finished {
            plan,
            dataset,
            stats: &stats,
            results: &results,
            written,
            plot_frames,
            chunks: fed.chunks,
            input_errors: fed.input_errors,
            wall: started.elapsed(),
            progress: progress.snapshot(),
        },
        bus,
    );
    bus.emit(EventKind::PipelineFinished {
        pipeline: plan.name.clone(),
        dataset: report.dataset.clone(),
        wall_ms: report.wall.as_secs_f64() * 1e3,
        errors: report.errors(),
    });
    Ok(report)
}
