//! A run as a job: [`Job::start`] opens the input and starts the graph on
//! its own thread; the caller watches [`Job::progress`] (chunks and bytes
//! done of total), may [`Job::cancel`], and takes the [`RunReport`] from
//! [`Job::wait`]. `plexus run`, `plexus serve` (and the HTTP API to come)
//! drive this handle.
//!
//! [`Job::start_shared`] runs several plans on one input as one job: the
//! input is read once, each chunk goes to every plan's first stages, and
//! one memory budget holds them all (`plexus serve` runs the pipelines of a
//! dataset this way).
//!
//! Inside, a run is: the schedule ([`schedule`](super::schedule)), the
//! graph from each plan ([`graph`](super::graph)), the source
//! ([`sources`](super::sources)) with its buffer pool, the stages
//! ([`stage`](super::stage)), the sinks ([`sink`](super::sink)), and the
//! reports with provenance ([`report`](super::report)).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use plexus_registry::{Pattern, Registry};

use super::cpu::{self, CpuPool};
use super::graph::{Graph, Node};
use super::journal::{self, Journal};
use super::pool::BufferPool;
use super::progress::{Progress, ProgressSnapshot};
use super::report::{self, Finished, RunReport};
use super::reslice::Reslice;
use super::results::ResultsBoard;
use super::resume::{self, Resumption};
use super::schedule::Schedule;
use super::schedule::{BoundaryPlan, PlanLayout};
use super::sink::{self, SinkStart};
use super::sources::{Fed, Feed, Source};
use super::stage::StageContext;
use super::stats::StageStats;
use super::written::Written;
use super::Resume;
use super::{plots, RunOptions};
use crate::budget::MemoryBudget;
use crate::bus::Outlet;
use crate::error::HostError;
use crate::events::{ControlBus, EventKind};
use crate::pipeline::plan::OutputFormat;
use crate::pipeline::Plan;
use plexus_io::ChunkWriter;
use serde_json::Value;

/// A running job of one or more plans sharing one input.
pub struct Job {
    name: String,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<RunReport>>>,
}

impl Job {
    /// Opens the plan's input and starts the run on its own thread. Fails
    /// at once when the input cannot be opened or a thread cannot start.
    pub fn start(plan: Plan, registry: Arc<Registry>, bus: ControlBus, options: RunOptions) -> Result<Job, HostError> {
        Job::start_shared(vec![plan], registry, bus, options)
    }

    /// Runs `plans`, which read the same input, as one job: one read of
    /// each chunk for all of them, one budget. The first plan's `[input]`
    /// (path, chunk, selection) is the one read.
    pub fn start_shared(
        plans: Vec<Plan>,
        registry: Arc<Registry>,
        bus: ControlBus,
        options: RunOptions,
    ) -> Result<Job, HostError> {
        let input = plans.first().and_then(|p| p.input.clone());
        let source = Source::open(input.as_ref())?;
        let refs: Vec<&Plan> = plans.iter().collect();
        // A resumed run keeps the chunk length its outputs were started with.
        let journaled = (options.resume != Resume::Never)
            .then(|| plans.iter().flat_map(|p| &p.outputs).find_map(|o| Journal::read(&o.path)))
            .flatten()
            .and_then(|j| j.identity["chunk"].as_u64().map(|c| c as usize));
        let schedule = Schedule::new(
            &refs,
            source.info(),
            input.as_ref().and_then(|i| i.chunk).or(journaled),
            options.memory,
            options.threads,
            options.spill.clone(),
        );
        let identities: Vec<Option<Value>> = plans
            .iter()
            .map(|p| schedule.input.as_ref().filter(|i| !i.single).map(|i| journal::identity(p, i.chunk)))
            .collect();
        let resumption = match options.resume {
            Resume::Never => Resumption::none(&refs),
            Resume::IfPossible => resume::prepare(&refs, &schedule, &identities, false)?,
            Resume::Required => resume::prepare(&refs, &schedule, &identities, true)?,
        };
        let progress = Arc::new(Progress::default());
        let (chunks, bytes) = source.totals(&schedule);
        progress.set_totals(chunks, bytes);
        if let Some(i) = &schedule.input {
            for &k in &resumption.skip {
                let slices = i.chunk.min(i.info.len().saturating_sub(k * i.chunk));
                progress.chunk_done((slices * i.info.slice_bytes()) as u64);
            }
        }
        if options.resume != Resume::Never && resumption.writers.iter().flatten().any(Option::is_some) {
            bus.emit(EventKind::JobResumed {
                pipeline: plans.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join("+"),
                done: resumption.skip.len() as u64,
                total: chunks,
            });
        }
        let stop = options.stop.clone();
        let p = progress.clone();
        let name = plans.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join("+");
        let thread_name = format!("plexus-job-{name}");
        let thread = std::thread::Builder::new()
            .name(thread_name.clone())
            .spawn(move || {
                let start = Start { source, schedule, identities, resumption };
                execute(&plans, &registry, &bus, &options, start, &p)
            })
            .map_err(|e| HostError::system("start the thread", thread_name, e))?;
        Ok(Job { name, progress, stop, thread: Some(thread) })
    }

    /// The pipeline's name (`a+b` for plans sharing an input).
    pub fn pipeline(&self) -> &str {
        &self.name
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

    /// Waits for the end of the run and returns the report of its (first)
    /// plan.
    pub fn wait(self) -> Result<RunReport, HostError> {
        Ok(self.wait_all().into_iter().next().expect("a job runs at least one plan"))
    }

    /// Waits for the end of the run and returns every plan's report, in
    /// the order the plans were given.
    pub fn wait_all(mut self) -> Vec<RunReport> {
        let thread = self.thread.take().expect("a job is waited for once");
        match thread.join() {
            Ok(r) => r,
            // The run's own code does not panic; a panic here is a bug, and
            // the process must not go on as if the outputs were written.
            Err(p) => std::panic::resume_unwind(p),
        }
    }
}

/// Spawns a named thread, or says which one could not start. Once a run has
/// started, a thread that cannot start is a broken machine: the job ends
/// with the report of what ran, and the error is logged.
fn spawn<T: Send + 'static>(name: String, f: impl FnOnce() -> T + Send + 'static) -> Option<JoinHandle<T>> {
    match std::thread::Builder::new().name(name.clone()).spawn(f) {
        Ok(h) => Some(h),
        Err(e) => {
            tracing::error!("{}", HostError::system("start the thread", name, e));
            None
        }
    }
}

/// One plan's running parts.
struct Running<'a> {
    plan: &'a Plan,
    dataset: String,
    started: Instant,
    results: Arc<ResultsBoard>,
    stats: Vec<Arc<StageStats>>,
    workers: Vec<JoinHandle<()>>,
    sinks: Vec<Option<JoinHandle<Written>>>,
    plots: Vec<Option<JoinHandle<Option<Vec<f64>>>>>,
}

/// What a job starts from: its input, schedule and what it resumes.
struct Start {
    source: Source,
    schedule: Schedule,
    identities: Vec<Option<Value>>,
    resumption: Resumption,
}

/// What every plan of a job shares.
struct Shared<'a> {
    registry: &'a Arc<Registry>,
    bus: &'a ControlBus,
    options: &'a RunOptions,
    schedule: &'a Schedule,
    budget: &'a Arc<MemoryBudget>,
    pool: &'a Arc<BufferPool>,
    progress: &'a Arc<Progress>,
    cpu: Arc<CpuPool>,
    /// Chunks the first section will see (0 when unknown).
    chunks: usize,
}

/// Starts the node on one boundary edge: a reslice (with its store's
/// reservation when the schedule keeps it in memory) or a halo window.
fn start_node(plan: &Plan, node: Node, b: &BoundaryPlan, sh: &Shared<'_>) -> Option<JoinHandle<()>> {
    let t = node.boundary.transform;
    let name = format!("plexus-{}-{}", if t.may_reslice() { "reslice" } else { "halo" }, b.to_id);
    if !t.may_reslice() {
        return spawn(name, move || super::halo::window(node.input.iter(), &node.outlet, t.halo));
    }
    let reslice = Reslice {
        pipeline: plan.name.clone(),
        from: b.from_id.clone(),
        to: b.to_id.clone(),
        input: node.input,
        outlet: node.outlet,
        halo: t.halo,
        adaptive: t.reslice.is_none(),
        chunk: None,
        min_chunk: b.section_halo,
        memory_factor: b.memory_factor,
        threads: sh.options.threads,
        budget: sh.budget.clone(),
        chunk_budget: sh.schedule.chunk_budget(),
        reserved: b.in_memory.then(|| sh.budget.reserve(b.store_bytes)),
        size_at_runtime: b.store_bytes == 0,
        spill: sh.options.spill.clone(),
        pool: sh.pool.clone(),
        progress: sh.progress.clone(),
        stop: sh.options.stop.clone(),
        bus: sh.bus.clone(),
        pending: None,
    };
    spawn(name, move || reslice.run())
}

/// Starts one plan's stages, nodes, sinks and plot collectors; returns them
/// with the edges that feed its input readers.
#[allow(clippy::too_many_arguments)]
fn start_plan<'a>(
    plan: &'a Plan,
    layout: &PlanLayout,
    dataset: &str,
    sh: &Shared<'_>,
    resumed: Vec<Option<Box<dyn ChunkWriter>>>,
    identity: Option<Value>,
    threads_of: &[(usize, usize)],
) -> (Running<'a>, Vec<crate::bus::EdgeTx>) {
    let (registry, bus, options) = (sh.registry, sh.bus, sh.options);
    let started = Instant::now();
    bus.emit(EventKind::PipelineStarted {
        pipeline: plan.name.clone(),
        file: plan.file.display().to_string(),
        dataset: dataset.to_string(),
    });
    let boundaries: Vec<_> = layout.boundaries.iter().map(|b| b.boundary.clone()).collect();
    let mut graph = Graph::wire(plan, options.edge_capacity, &boundaries);
    let mut workers = Vec::new();
    for node in std::mem::take(&mut graph.nodes) {
        let b = layout.boundaries.iter().find(|b| b.boundary == node.boundary).expect("a node per boundary");
        workers.extend(start_node(plan, node, b, sh));
    }
    let n = plan.stages.len();
    let results = Arc::new(ResultsBoard::new(n));
    let stats: Vec<Arc<StageStats>> = (0..n).map(|_| Arc::new(StageStats::default())).collect();
    let plots = graph
        .plots
        .into_iter()
        .map(|rx| rx.and_then(|rx| spawn("plexus-plot".into(), move || plots::last_array(rx))))
        .collect();
    let resumable = resume::refusal(plan, layout, sh.schedule).is_none();
    let sinks = plan
        .outputs
        .iter()
        .zip(graph.sinks)
        .zip(resumed)
        .map(|((o, rx), resumed)| {
            let o = o.clone();
            let start = SinkStart {
                resumed,
                identity: identity.clone(),
                stop: Some(options.stop.clone()),
                chunked: o.format == OutputFormat::Zarr || resumable,
            };
            spawn(format!("plexus-sink-{}", o.path.display()), move || sink::write_frames(rx, &o, start))
        })
        .collect();
    for (j, (s, (inputs, outlet))) in
        plan.stages.iter().zip(graph.stage_inputs.into_iter().zip(graph.stage_outlets)).enumerate()
    {
        let source = s.spec.pattern == Pattern::Source;
        let (instances, threads) = threads_of[j];
        let ctx = StageContext {
            pipeline: plan.name.clone(),
            dataset: dataset.to_string(),
            stage: s.clone(),
            index: j,
            registry: registry.clone(),
            bus: bus.clone(),
            results: results.clone(),
            stats: stats[j].clone(),
            outlet,
            threads,
            cpu: sh.cpu.clone(),
            stop: options.stop.clone(),
            budget: sh.budget.clone(),
            memory_factor: layout_factor(layout, j, sh.schedule),
            timeout: s.timeout.or(options.call_timeout),
            abandon: options.abandon.clone(),
            spill: options.spill.clone(),
        };
        let worker = spawn(format!("plexus-stage-{}", s.id), move || {
            if source {
                ctx.run_source()
            } else if instances > 1 {
                let input = inputs.into_iter().next().expect("one input");
                ctx.run_parallel(input, instances)
            } else {
                ctx.run_transform(inputs)
            }
        });
        workers.extend(worker);
    }
    let running = Running { plan, dataset: dataset.to_string(), started, results, stats, workers, sinks, plots };
    (running, graph.input)
}

/// One plan's parts once every thread has ended.
struct Joined<'a> {
    plan: &'a Plan,
    dataset: String,
    started: Instant,
    results: Arc<ResultsBoard>,
    stats: Vec<Arc<StageStats>>,
    written: Vec<Written>,
    plot_frames: Vec<Option<Vec<f64>>>,
}

impl<'a> Running<'a> {
    /// Waits for the stages, sinks and plots.
    fn join(self) -> Joined<'a> {
        for w in self.workers {
            let _ = w.join();
        }
        let written = self
            .sinks
            .into_iter()
            .zip(&self.plan.outputs)
            .map(|(h, o)| h.and_then(|h| h.join().ok()).unwrap_or_else(|| Written::new(&o.path)))
            .collect();
        let plot_frames = self.plots.into_iter().map(|h| h.and_then(|h| h.join().ok().flatten())).collect();
        Joined {
            plan: self.plan,
            dataset: self.dataset,
            started: self.started,
            results: self.results,
            stats: self.stats,
            written,
            plot_frames,
        }
    }
}

impl Joined<'_> {
    /// Writes sidecars and plots, emits the closing events, reports.
    fn report(self, fed: Fed, progress: &Progress, bus: &ControlBus) -> RunReport {
        let report = report::finish(
            Finished {
                plan: self.plan,
                dataset: self.dataset,
                stats: &self.stats,
                results: &self.results,
                written: self.written,
                plot_frames: self.plot_frames,
                chunks: fed.chunks,
                input_errors: fed.input_errors,
                wall: self.started.elapsed(),
                progress: progress.snapshot(),
            },
            bus,
        );
        bus.emit(EventKind::PipelineFinished {
            pipeline: self.plan.name.clone(),
            dataset: report.dataset.clone(),
            wall_ms: report.wall.as_secs_f64() * 1e3,
            errors: report.errors(),
        });
        report
    }
}

/// The memory factor of stage `j`'s section: the first section's is the
/// schedule's; a later one's is its boundary's.
fn layout_factor(layout: &PlanLayout, j: usize, schedule: &Schedule) -> f64 {
    let section = layout.section_of.get(j).copied().unwrap_or(0);
    layout
        .boundaries
        .iter()
        .find(|b| layout.section_of.get(b.boundary.to) == Some(&section) && section > 0)
        .map(|b| b.memory_factor)
        .unwrap_or(schedule.memory_factor)
}

/// Instances and threads of every stage of every plan: the first sections
/// of all plans read the same stream and share the threads; a later
/// section (after a reslice) shares them among its own stages.
fn assign_threads(plans: &[Plan], schedule: &Schedule, threads: usize, chunks: usize) -> Vec<Vec<(usize, usize)>> {
    let mut shapes = Vec::new();
    for (p, (plan, layout)) in plans.iter().zip(&schedule.plans).enumerate() {
        for (j, s) in plan.stages.iter().enumerate() {
            let source = s.spec.pattern == Pattern::Source;
            let inputs = if s.inputs.is_empty() { usize::from(!source) } else { s.inputs.len() };
            let section = match layout.section_of.get(j).copied().unwrap_or(0) {
                0 => 0,
                k => 1 + p * plans.iter().map(|p| p.stages.len()).max().unwrap_or(1) + k,
            };
            shapes.push(cpu::StageShape {
                stateless: s.spec.parallel && inputs == 1 && s.refs.is_empty() && !source,
                section,
            });
        }
    }
    let all = cpu::assign(threads, &shapes, |section| if section == 0 { chunks } else { 0 });
    let mut out = Vec::new();
    let mut it = all.into_iter();
    for plan in plans {
        out.push(it.by_ref().take(plan.stages.len()).collect());
    }
    out
}

/// The run itself, on the job's thread: every plan's graph, one source
/// feeding them all, then the reports in plan order.
fn execute(
    plans: &[Plan],
    registry: &Arc<Registry>,
    bus: &ControlBus,
    options: &RunOptions,
    start: Start,
    progress: &Arc<Progress>,
) -> Vec<RunReport> {
    let Start { source, schedule, identities, resumption } = start;
    let schedule = &schedule;
    let first = &plans[0];
    let dataset = options.dataset.clone().unwrap_or_else(|| match &first.input {
        Some(i) => i.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| first.name.clone()),
        None => first.name.clone(),
    });
    let budget = MemoryBudget::with_min_chunks(options.memory, schedule.min_chunks());
    let pool = Arc::new(BufferPool::new());
    let chunks = progress.snapshot().chunks_total as usize;
    let cpu = CpuPool::new(options.threads);
    let shared = Shared { registry, bus, options, schedule, budget: &budget, pool: &pool, progress, cpu, chunks };
    let assigned = assign_threads(plans, schedule, options.threads, shared.chunks);
    let mut running = Vec::new();
    let mut readers = Vec::new();
    let skip = resumption.skip;
    for ((((plan, layout), writers), identity), threads_of) in
        plans.iter().zip(&schedule.plans).zip(resumption.writers).zip(identities).zip(&assigned)
    {
        let (r, input) = start_plan(plan, layout, &dataset, &shared, writers, identity, threads_of);
        running.push(r);
        readers.extend(input);
    }
    let fed = source.feed(&Feed {
        dataset: &dataset,
        outlet: Outlet::new(readers),
        budget: &budget,
        schedule,
        pool: &pool,
        progress,
        bus,
        stop: &options.stop,
        skip: &skip,
    });
    // Every plan's threads end before any report, so the reports see the
    // whole job's progress.
    let joined: Vec<Joined<'_>> = running.into_iter().map(Running::join).collect();
    let reports = joined.into_iter().map(|j| j.report(fed, progress, bus)).collect();
    let pool = pool.stats();
    tracing::debug!(
        "chunk buffers: {} fresh, {} reused, {} not returned; budget peak {} of {} bytes",
        pool.fresh,
        pool.reused,
        pool.lost,
        budget.peak(),
        budget.limit()
    );
    reports
}
