//! `GET /metrics`: Prometheus text format (version 0.0.4). Per stage and
//! per plugin version, summed over the service's finished jobs: frames in
//! and out, calls, errors, and the seconds the stage's operator was busy
//! (a stage's CPU time, as the run report counts it); jobs by state, the
//! queue's depth, the plugin versions mapped and the registry's generation
//! (bumped by every reload).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::errors::ApiError;
use super::store::JobState;
use super::AppState;
use crate::runtime::RunReport;

/// What one stage of one plugin version did.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    frames_in: u64,
    frames_out: u64,
    calls: u64,
    errors: u64,
    busy_s: f64,
}

/// Counters over the finished jobs, by (pipeline, stage, `plugin.operator`,
/// plugin versions).
#[derive(Default)]
pub struct Metrics {
    stages: Mutex<BTreeMap<[String; 4], Counts>>,
}

impl Metrics {
    /// Adds a finished run's stages.
    pub fn record(&self, r: &RunReport) {
        let mut stages = self.stages.lock().unwrap_or_else(|e| e.into_inner());
        for s in &r.stages {
            // Versions that served the stage (more than one when it was
            // hot-swapped mid-run).
            let versions: Vec<&str> = s.versions.iter().map(|(version, _sha256)| version.as_str()).collect();
            let c = stages.entry([r.pipeline.clone(), s.id.clone(), s.uses.clone(), versions.join(",")]).or_default();
            c.frames_in += s.frames_in;
            c.frames_out += s.frames_out;
            c.calls += s.calls;
            c.errors += s.errors;
            c.busy_s += s.busy.as_secs_f64();
        }
    }
}

/// A metric family: name, type, help, and its value from the counts.
type Family = (&'static str, &'static str, &'static str, fn(&Counts) -> f64);

/// A label value with `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The exposition text.
pub fn render(st: &AppState) -> Result<String, ApiError> {
    let mut out = String::new();
    let stages = st.metrics.stages.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let families: [Family; 5] = [
        ("plexus_stage_frames_in_total", "counter", "frames a stage received", |c| c.frames_in as f64),
        ("plexus_stage_frames_out_total", "counter", "frames a stage sent on", |c| c.frames_out as f64),
        ("plexus_stage_calls_total", "counter", "operator calls", |c| c.calls as f64),
        ("plexus_stage_errors_total", "counter", "operator calls that failed", |c| c.errors as f64),
        ("plexus_stage_busy_seconds_total", "counter", "seconds the operator was busy", |c| c.busy_s),
    ];
    for (name, kind, help, value) in families {
        let _ = writeln!(out, "# HELP {name} {help}, per stage and plugin version, over finished jobs");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for ([pipeline, stage, uses, versions], c) in &stages {
            let _ = writeln!(
                out,
                "{name}{{pipeline=\"{}\",stage=\"{}\",operator=\"{}\",plugin=\"{}\",version=\"{}\"}} {}",
                label(pipeline),
                label(stage),
                label(uses),
                label(uses.split_once('.').map(|(p, _)| p).unwrap_or(uses)),
                label(versions),
                value(c)
            );
        }
    }
    let counts: BTreeMap<&str, u64> = st.store.job_counts()?.into_iter().map(|(s, n)| (s.name(), n)).collect();
    let _ = writeln!(out, "# HELP plexus_jobs jobs in the store by state\n# TYPE plexus_jobs gauge");
    for s in JobState::ALL {
        let _ = writeln!(out, "plexus_jobs{{state=\"{}\"}} {}", s.name(), counts.get(s.name()).copied().unwrap_or(0));
    }
    let _ = writeln!(out, "# HELP plexus_queue_depth jobs waiting for the runner\n# TYPE plexus_queue_depth gauge");
    let _ = writeln!(out, "plexus_queue_depth {}", st.runner.depth());
    let _ = writeln!(out, "# HELP plexus_plugin_mapped plugin versions serving now\n# TYPE plexus_plugin_mapped gauge");
    for p in st.registry.plugins() {
        let _ = writeln!(
            out,
            "plexus_plugin_mapped{{plugin=\"{}\",version=\"{}\"}} 1",
            label(&p.manifest.plugin.name),
            p.manifest.plugin.version
        );
    }
    let _ = writeln!(
        out,
        "# HELP plexus_plugin_versions_mapped plugin versions mapped, old ones still in use included\n# TYPE plexus_plugin_versions_mapped gauge\nplexus_plugin_versions_mapped {}",
        st.registry.mapped_versions()
    );
    let _ = writeln!(
        out,
        "# HELP plexus_registry_generation changes of the serving plugin versions (loads and reloads)\n# TYPE plexus_registry_generation counter\nplexus_registry_generation {}",
        st.registry.generation()
    );
    Ok(out)
}

/// `GET /metrics`.
pub async fn get(State(st): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], render(&st)?))
}
