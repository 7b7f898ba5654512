//! The end of a run: what each stage did, every stage's results, the
//! provenance record, a sidecar beside each output, the plots, and the
//! events that say so.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::plots;
use super::progress::ProgressSnapshot;
use super::results::ResultsBoard;
use super::sidecar;
use super::stats::StageStats;
use super::written::Written;
use crate::events::{ControlBus, EventKind};
use crate::pipeline::Plan;

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
    /// Chunks and bytes done of total when the run ended.
    pub progress: ProgressSnapshot,
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

/// What the run left for the report to gather.
pub struct Finished<'a> {
    /// The plan run.
    pub plan: &'a Plan,
    /// Dataset id.
    pub dataset: String,
    /// Counters per stage.
    pub stats: &'a [Arc<StageStats>],
    /// Side outputs.
    pub results: &'a ResultsBoard,
    /// Per output, what its sink wrote.
    pub written: Vec<Written>,
    /// Per plot, the last frame's first array when the plot draws one.
    pub plot_frames: Vec<Option<Vec<f64>>>,
    /// Chunks fed and unreadable images.
    pub chunks: u64,
    /// Images that could not be read.
    pub input_errors: u64,
    /// Wall-clock time so far.
    pub wall: Duration,
    /// Chunks and bytes done of total.
    pub progress: ProgressSnapshot,
}

/// Writes sidecars, draws plots, emits the closing events and returns the
/// report.
pub fn finish(f: Finished<'_>, bus: &ControlBus) -> RunReport {
    let plan = f.plan;
    let stages: Vec<StageReport> = plan
        .stages
        .iter()
        .zip(f.stats)
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
    let board = f.results.all();
    let results: Map<String, Value> = plan
        .stages
        .iter()
        .zip(&board)
        .filter(|(_, r)| !r.is_empty())
        .map(|(s, r)| (s.id.clone(), Value::Object(r.clone())))
        .collect();
    for (s, r) in plan.stages.iter().zip(&board) {
        if !r.is_empty() {
            bus.emit(EventKind::Result {
                pipeline: plan.name.clone(),
                stage: s.id.clone(),
                results: Value::Object(r.clone()),
            });
        }
    }
    let provenance = provenance(plan, &f.dataset, &stages);
    let outputs = f.written.into_iter().map(|w| sidecar(plan, w, &provenance, &results, bus)).collect();
    let plots = plan
        .plots
        .iter()
        .zip(f.plot_frames)
        .map(|(p, last)| {
            let stage = &plan.stages[p.from].id;
            let result = plots::draw(p, stage, &board[p.from], last.as_deref());
            let (pipeline, stage_id) = (plan.name.clone(), stage.clone());
            bus.emit(match &result {
                Ok(path) => EventKind::PlotWritten { pipeline, stage: stage_id, path: path.display().to_string() },
                Err(err) => EventKind::PlotFailed {
                    pipeline,
                    stage: stage_id,
                    path: p.spec.path.display().to_string(),
                    error: err.clone(),
                },
            });
            (p.spec.path.clone(), result.err())
        })
        .collect();
    RunReport {
        pipeline: plan.name.clone(),
        dataset: f.dataset,
        wall: f.wall,
        chunks: f.chunks,
        input_errors: f.input_errors,
        stages,
        outputs,
        plots,
        results,
        progress: f.progress,
    }
}

/// Writes the sidecar of a written output and says so on the bus; a
/// sidecar that fails fails its output.
fn sidecar(
    plan: &Plan,
    w: Written,
    provenance: &Value,
    results: &Map<String, Value>,
    bus: &ControlBus,
) -> (Written, Option<PathBuf>) {
    // A sidecar that cannot be written fails the output: its results and
    // provenance would be lost with a success reported.
    let mut w = w;
    let side = if w.error.is_none() {
        match sidecar::write(&w, provenance, &Value::Object(results.clone())) {
            Ok(p) => Some(p),
            Err(e) => {
                w.error = Some(Arc::new(e));
                None
            }
        }
    } else {
        None
    };
    let (pipeline, path, frames) = (plan.name.clone(), w.path.display().to_string(), w.frames);
    bus.emit(match &w.error {
        Some(err) => EventKind::OutputFailed { pipeline, path, frames, error: err.to_string() },
        None => EventKind::OutputWritten { pipeline, path, frames },
    });
    (w, side)
}

/// Pipeline, input, dataset, plexus version, and per stage the plugin
/// versions with their sha256 and the parameters used.
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
