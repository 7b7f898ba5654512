//! Running a compiled pipeline: one thread per stage joined by bounded
//! edges, the input cut into chunks within a memory budget, outputs written
//! by sink threads, and a report at the end.
//!
//! Topology follows Vector's: sources (the input file or a source operator)
//! → transforms (stages) → sinks (outputs). Each stage calls its operator
//! sequentially, in stream order, and hands the operator a thread budget for
//! data parallelism inside a chunk; different stages, and the input reader,
//! run concurrently, so chunks pipeline through the graph.

pub mod input;
mod plots;
mod results;
pub mod sink;
mod stage;
mod stats;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plexus_registry::{Pattern, Registry};
use serde_json::{json, Map, Value};

use crate::bus::{edge, Envelope, MemoryBudget, Outlet};
use crate::events::{ControlBus, Event};
use crate::pipeline::Plan;
use results::ResultsBoard;
use sink::Written;
use stage::StageContext;
use stats::StageStats;

/// How to run.
#[derive(Clone)]
pub struct RunOptions {
    /// Worker threads the stages share.
    pub threads: usize,
    /// Bytes of input chunks allowed in flight.
    pub memory: usize,
    /// Frames each edge holds before its producer waits.
    pub edge_capacity: usize,
    /// Set to stop sources and the input reader; in-flight frames finish.
    pub stop: Arc<AtomicBool>,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Dataset id; the input file's stem when absent.
    pub dataset: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            memory: 2 << 30,
            edge_capacity: 4,
            stop: Arc::new(AtomicBool::new(false)),
            progress: false,
            dataset: None,
        }
    }
}

/// What one stage did.
#[derive(Debug, Clone)]
pub struct StageReport {
    /// Stage id.
    pub id: String,
    /// `plugin.operator`.
    pub uses: String,
    /// Frames received.
    pub frames_in: u64,
    /// Frames sent.
    pub frames_out: u64,
    /// Operator calls.
    pub calls: u64,
    /// Failed frames and stage errors.
    pub errors: u64,
    /// Time inside the operator.
    pub busy: Duration,
    /// Plugin versions used, in order: (version, sha256).
    pub versions: Vec<(String, String)>,
    /// Parameters used.
    pub params: Map<String, Value>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Pipeline name.
    pub pipeline: String,
    /// Dataset id.
    pub dataset: String,
    /// Wall-clock time.
    pub wall: Duration,
    /// Input chunks (or batch images) sent.
    pub chunks: u64,
    /// Images of a batch folder that could not be read.
    pub input_errors: u64,
    /// Per stage.
    pub stages: Vec<StageReport>,
    /// Per output: what was written and its sidecar.
    pub outputs: Vec<(Written, Option<PathBuf>)>,
    /// Every stage's side outputs.
    pub results: Map<String, Value>,
    /// Plots: path, and the reason when one could not be drawn.
    pub plots: Vec<(PathBuf, Option<String>)>,
}

impl RunReport {
    /// Failed frames, stage errors and failed outputs.
    pub fn errors(&self) -> u64 {
        self.input_errors
            + self.stages.iter().map(|s| s.errors).sum::<u64>()
            + self.outputs.iter().filter(|o| o.0.error.is_some()).count() as u64
            + self.plots.iter().filter(|p| p.1.is_some()).count() as u64
    }
}

/// A run that could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The input file could not be read.
    #[error("input: {0}")]
    Input(String),
    /// A thread could not be started.
    #[error("cannot start a thread: {0}")]
    Spawn(String),
}

/// Runs `plan` to completion (or until `options.stop`).
pub fn run(
    plan: &Plan,
    registry: &Arc<Registry>,
    bus: &ControlBus,
    options: &RunOptions,
) -> Result<RunReport, RunError> {
    let started = Instant::now();
    // A folder is a batch of images, one frame each; a file is one array,
    // cut into chunks along axis 0.
    let batch = match &plan.input {
        Some(i) if i.path.is_dir() => {
            Some(plexus_io::Batch::open(&i.path).map_err(|e| RunError::Input(e.to_string()))?)
        }
        _ => None,
    };
    let images: Option<(usize, Vec<input::Item>)> = match &plan.input {
        Some(i) if i.select.is_some() => Some(image_set(&i.path, i.select.unwrap_or(input::Selection::All))?),
        _ => None,
    };
    let input = match &plan.input {
        Some(i) if batch.is_none() && images.is_none() => {
            Some(plexus_io::read(&i.path).map_err(|e| RunError::Input(e.to_string()))?)
        }
        _ => None,
    };
    let dataset = options.dataset.clone().unwrap_or_else(|| match &plan.input {
        Some(i) => i.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| plan.name.clone()),
        None => plan.name.clone(),
    });
    bus.emit(
        Event::new("pipeline.started")
            .with("pipeline", plan.name.clone())
            .with("file", plan.file.display().to_string())
            .with("dataset", dataset.clone()),
    );

    // Edges: one per (producer, consumer) pair.
    let n = plan.stages.len();
    let mut stage_inputs: Vec<Vec<crossbeam_channel::Receiver<Envelope>>> = (0..n).map(|_| Vec::new()).collect();
    let mut stage_outlets: Vec<Vec<crossbeam_channel::Sender<Envelope>>> = (0..n).map(|_| Vec::new()).collect();
    let mut input_outlet = Vec::new();
    for (j, s) in plan.stages.iter().enumerate() {
        if s.inputs.is_empty() && s.spec.pattern != Pattern::Source {
            let (tx, rx) = edge(options.edge_capacity);
            input_outlet.push(tx);
            stage_inputs[j].push(rx);
        }
        for &up in &s.inputs {
            let (tx, rx) = edge(options.edge_capacity);
            stage_outlets[up].push(tx);
            stage_inputs[j].push(rx);
        }
    }
    let mut sink_inputs = Vec::new();
    for o in &plan.outputs {
        let (tx, rx) = edge(options.edge_capacity);
        stage_outlets[o.from].push(tx);
        sink_inputs.push(rx);
    }

    // Spectrum plots need the stage's frames, not only its results.
    let mut plot_inputs = Vec::new();
    for p in &plan.plots {
        if p.spec.kind == crate::pipeline::spec::PlotKind::Spectrum {
            let (tx, rx) = edge(options.edge_capacity);
            stage_outlets[p.from].push(tx);
            plot_inputs.push(Some(rx));
        } else {
            plot_inputs.push(None);
        }
    }
    let mut plot_frames = Vec::new();
    for rx in plot_inputs {
        plot_frames.push(match rx {
            Some(rx) => Some(
                std::thread::Builder::new()
                    .name("plexus-plot".into())
                    .spawn(move || plots::last_array(rx))
                    .map_err(|e| RunError::Spawn(e.to_string()))?,
            ),
            None => None,
        });
    }

    let results = Arc::new(ResultsBoard::new(n));
    let stats: Vec<Arc<StageStats>> = (0..n).map(|_| Arc::new(StageStats::default())).collect();
    let threads_per_stage = options.threads.max(1);
    let registry = registry.clone();

    let mut sinks = Vec::new();
    for (o, rx) in plan.outputs.iter().zip(sink_inputs) {
        let path = o.path.clone();
        let array = o.array.clone();
        let h = std::thread::Builder::new()
            .name(format!("plexus-sink-{}", path.display()))
            .spawn(move || sink::write_frames(rx, &path, array.as_deref()))
            .map_err(|e| RunError::Spawn(e.to_string()))?;
        sinks.push(h);
    }

    let mut workers = Vec::new();
    for (j, (s, (inputs, outlets))) in plan.stages.iter().zip(stage_inputs.into_iter().zip(stage_outlets)).enumerate() {
        let ctx = StageContext {
            pipeline: plan.name.clone(),
            dataset: dataset.clone(),
            stage: s.clone(),
            index: j,
            registry: registry.clone(),
            bus: bus.clone(),
            results: results.clone(),
            stats: stats[j].clone(),
            outlet: Outlet::new(outlets),
            threads: threads_per_stage,
            stop: options.stop.clone(),
        };
        let source = s.spec.pattern == Pattern::Source;
        // Stateless operators run as several instances when there are cores
        // to spare; each then gets one thread.
        let instances = if s.spec.parallel && inputs.len() == 1 && s.refs.is_empty() && !source {
            options.threads.max(1)
        } else {
            1
        };
        let mut ctx = ctx;
        if instances > 1 {
            ctx.threads = 1;
        }
        let h = std::thread::Builder::new()
            .name(format!("plexus-stage-{}", s.id))
            .spawn(move || {
                if source {
                    ctx.run_source()
                } else if instances > 1 {
                    let input = inputs.into_iter().next().expect("one input");
                    ctx.run_parallel(input, instances)
                } else {
                    ctx.run_transform(inputs)
                }
            })
            .map_err(|e| RunError::Spawn(e.to_string()))?;
        workers.push(h);
    }

    let total_chunks = input
        .as_ref()
        .map(|a| {
            let chunk = chunk_size(plan, a, options);
            input::chunk_plan(a.shape(), a.axes(), chunk).len() as u64
        })
        .or(batch.as_ref().map(|b| b.len() as u64))
        .or(images.as_ref().map(|(n, _)| *n as u64));
    let progress = options.progress.then(|| progress_bar(plan, &stats, total_chunks));

    let mut chunks = 0;
    let mut input_errors = 0;
    let budget = MemoryBudget::new(options.memory);
    if let Some(a) = &input {
        let chunk = chunk_size(plan, a, options);
        chunks = input::feed(a, "image", &dataset, chunk, &budget, &Outlet::new(input_outlet), &options.stop);
    } else if let Some(b) = &batch {
        (chunks, input_errors) = input::feed_images(
            input::batch_items(b),
            b.len(),
            &dataset,
            &budget,
            &Outlet::new(input_outlet),
            bus,
            &options.stop,
        );
    } else if let Some((n, items)) = images {
        (chunks, input_errors) =
            input::feed_images(items.into_iter(), n, &dataset, &budget, &Outlet::new(input_outlet), bus, &options.stop);
    } else {
        drop(input_outlet);
    }

    for w in workers {
        let _ = w.join();
    }
    let written: Vec<Written> = sinks.into_iter().map(|h| h.join().unwrap_or_default()).collect();
    if let Some((bar, stop_ticker)) = progress {
        stop_ticker.store(true, Ordering::Relaxed);
        bar.finish_and_clear();
    }

    let stage_reports: Vec<StageReport> = plan
        .stages
        .iter()
        .zip(&stats)
        .map(|(s, st)| StageReport {
            id: s.id.clone(),
            uses: format!("{}.{}", s.plugin, s.operator),
            frames_in: StageStats::get(&st.frames_in),
            frames_out: StageStats::get(&st.frames_out),
            calls: StageStats::get(&st.calls),
            errors: StageStats::get(&st.errors),
            busy: Duration::from_nanos(StageStats::get(&st.busy_ns)),
            versions: st.versions.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            params: st.params.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        })
        .collect();
    let all_results: Map<String, Value> = plan
        .stages
        .iter()
        .zip(results.all())
        .filter(|(_, r)| !r.is_empty())
        .map(|(s, r)| (s.id.clone(), Value::Object(r)))
        .collect();
    let provenance = provenance(plan, &dataset, &stage_reports);
    for (s, r) in plan.stages.iter().zip(results.all()) {
        if !r.is_empty() {
            bus.emit(
                Event::new("result")
                    .with("pipeline", plan.name.clone())
                    .with("stage", s.id.clone())
                    .with("results", Value::Object(r)),
            );
        }
    }
    let mut outputs = Vec::new();
    for w in written {
        let sidecar = if w.error.is_none() {
            match sink::write_sidecar(&w, &provenance, &Value::Object(all_results.clone())) {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::error!("cannot write the sidecar of `{}`: {e}", w.path.display());
                    None
                }
            }
        } else {
            None
        };
        let mut e = Event::new(if w.error.is_some() { "output.failed" } else { "output.written" })
            .with("pipeline", plan.name.clone())
            .with("path", w.path.display().to_string())
            .with("frames", w.frames);
        if let Some(err) = &w.error {
            e = e.with("error", err.clone());
        }
        bus.emit(e);
        outputs.push((w, sidecar));
    }
    let board = results.all();
    let mut drawn = Vec::new();
    for (p, frames) in plan.plots.iter().zip(plot_frames) {
        let last = frames.and_then(|h| h.join().ok().flatten());
        let stage = &plan.stages[p.from].id;
        let result = plots::draw(p, stage, &board[p.from], last.as_deref());
        let e = match &result {
            Ok(path) => Event::new("plot.written").with("path", path.display().to_string()),
            Err(err) => {
                Event::new("plot.failed").with("path", p.spec.path.display().to_string()).with("error", err.clone())
            }
        };
        bus.emit(e.with("pipeline", plan.name.clone()).with("stage", stage.clone()));
        drawn.push((p.spec.path.clone(), result.err()));
    }
    let report = RunReport {
        pipeline: plan.name.clone(),
        dataset,
        wall: started.elapsed(),
        chunks,
        input_errors,
        stages: stage_reports,
        outputs,
        plots: drawn,
        results: all_results,
    };
    bus.emit(
        Event::new("pipeline.finished")
            .with("pipeline", plan.name.clone())
            .with("dataset", report.dataset.clone())
            .with("wall_ms", report.wall.as_secs_f64() * 1e3)
            .with("errors", report.errors()),
    );
    Ok(report)
}

/// The selected images of the HDF5 image set at `path`.
#[cfg(feature = "hdf5")]
fn image_set(path: &std::path::Path, selection: input::Selection) -> Result<(usize, Vec<input::Item>), RunError> {
    let set = plexus_io::ImageSet::open(path).map_err(|e| RunError::Input(e.to_string()))?;
    let (indices, items) = input::image_set_items(&set, selection);
    Ok((indices.len(), items))
}

#[cfg(not(feature = "hdf5"))]
fn image_set(path: &std::path::Path, _selection: input::Selection) -> Result<(usize, Vec<input::Item>), RunError> {
    Err(RunError::Input(format!(
        "`{}`: `select` reads HDF5 image sets, and this plexus was built without its `hdf5` feature",
        path.display()
    )))
}

fn chunk_size(plan: &Plan, a: &plexus_plugin_api::Array, options: &RunOptions) -> usize {
    plan.input.as_ref().and_then(|i| i.chunk).unwrap_or_else(|| {
        let slice_bytes = a.as_bytes().len() / a.shape().first().copied().unwrap_or(1).max(1);
        input::auto_chunk(slice_bytes, options.memory, plan.memory_factor(), options.threads)
    })
}

fn provenance(plan: &Plan, dataset: &str, stages: &[StageReport]) -> Value {
    json!({
        "pipeline": plan.name,
        "pipeline_file": plan.file,
        "input": plan.input.as_ref().map(|i| i.path.clone()),
        "dataset": dataset,
        "plexus_version": env!("CARGO_PKG_VERSION"),
        "created": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        "stages": stages.iter().map(|s| json!({
            "id": s.id,
            "use": s.uses,
            "plugin_versions": s.versions.iter().map(|(v, sha)| json!({"version": v, "sha256": sha})).collect::<Vec<_>>(),
            "params": s.params,
        })).collect::<Vec<_>>(),
    })
}

fn progress_bar(
    plan: &Plan,
    stats: &[Arc<StageStats>],
    total: Option<u64>,
) -> (indicatif::ProgressBar, Arc<AtomicBool>) {
    let terminal: Vec<Arc<StageStats>> =
        (0..plan.stages.len()).filter(|&i| plan.consumers(i).is_empty()).map(|i| stats[i].clone()).collect();
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t).with_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} chunks {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} frames {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        ),
    };
    bar.set_message(plan.name.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let (b, s) = (bar.clone(), stop.clone());
    std::thread::spawn(move || {
        while !s.load(Ordering::Relaxed) {
            let done = terminal.iter().map(|t| StageStats::get(&t.frames_in)).min().unwrap_or(0);
            b.set_position(done);
            b.tick();
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    (bar, stop)
}
