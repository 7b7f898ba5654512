//! The daemon behind `plexus serve`. It watches the plugin folders (hot reload), a
//! pipelines folder (a changed pipeline is re-checked and, if broken, the
//! previous version stays) and an input folder; every dataset that lands in
//! the input folder is run through every pipeline, and the outputs are
//! written to `<output>/<dataset>/<pipeline>/`, `<pipeline>` being the
//! pipeline file's name without `.toml` (unique in its folder, so two
//! pipelines that share a `[pipeline] name` never share a folder). Every
//! output and plot path is checked to lie inside `<output>` once symlinks
//! are resolved.
//!
//! Each dataset runs on a thread of its own, at most `datasets` at once, so
//! a dataset stuck in a plugin call holds one of those places until the
//! call's deadline fails its stage, while the others go on.
//!
//! [`serve`] returns when its stop flag is set (the CLI sets it on SIGTERM
//! or SIGINT), after the datasets in flight have finished or, at the end of
//! the grace, been given up: calls still running are abandoned shortly
//! before it ends, and a dataset that has not finished gets no done marker,
//! so it runs again (resuming where it can) after a restart.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use plexus_registry::Registry;

use crate::error::HostError;
use crate::error::OutputError;
use crate::events::{ControlBus, EventKind};
use crate::host::Host;
use crate::pipeline::compile::plain_name;
use crate::pipeline::output_paths::resolve;
use crate::pipeline::spec::InputSpec;
use crate::pipeline::{compile, PipelineSpec, Plan};
use crate::runtime::deadline::Abandon;
use crate::runtime::{Job, Resume, RunOptions};

/// What the daemon serves, and how it runs pipelines.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Folder of pipeline files (`*.toml`), watched.
    pub pipelines: PathBuf,
    /// Folder where datasets arrive.
    pub input: PathBuf,
    /// Folder where results are written.
    pub output: PathBuf,
    /// How often to look for new datasets and changed pipelines.
    pub poll: Duration,
    /// Threads and memory shared by the pipelines of a dataset.
    pub threads: usize,
    /// Memory budget shared by the pipelines of a dataset.
    pub memory: usize,
    /// Datasets run at once, each with `threads` and `memory`.
    pub datasets: usize,
    /// The places for runs, `datasets` of them, shared with the HTTP jobs
    /// of `plexus serve --http`.
    pub slots: Arc<crate::slots::Slots>,
    /// Deadline of one native call (`--call-timeout`).
    pub call_timeout: Option<Duration>,
    /// How long datasets in flight may take after the stop (`--grace`).
    pub grace: Duration,
    /// When within the grace calls still running are abandoned.
    pub abandon_after: Duration,
}

#[derive(Clone)]
struct LoadedPipeline {
    modified: Option<SystemTime>,
    spec: PipelineSpec,
    /// Its output folder's name: the file's stem.
    key: String,
}

/// Runs the daemon on `host` until `stop` is set (by a signal).
pub fn serve(args: &ServeConfig, host: &Host, stop: &AtomicBool) -> Result<(), HostError> {
    for dir in [&args.pipelines, &args.input, &args.output] {
        std::fs::create_dir_all(dir).map_err(|e| HostError::system("create", dir, e))?;
    }
    host.bus.emit(EventKind::ServeStarted {
        pipelines: args.pipelines.display().to_string(),
        input: args.input.display().to_string(),
        output: args.output.display().to_string(),
    });
    tracing::info!("serving: pipelines {}, input {}", args.pipelines.display(), args.input.display());

    let mut pipelines: BTreeMap<PathBuf, LoadedPipeline> = BTreeMap::new();
    let mut failed: HashMap<PathBuf, Option<SystemTime>> = HashMap::new();
    let mut sizes: HashMap<PathBuf, u64> = HashMap::new();
    let mut pending: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    let abandon = Arc::new(Abandon::default());
    let mut running: BTreeMap<PathBuf, JoinHandle<()>> = BTreeMap::new();
    while !stop.load(Ordering::Relaxed) {
        refresh_pipelines(&args.pipelines, &mut pipelines, &mut failed, host);
        running.retain(|_, t| !t.is_finished());
        for dataset in ready_datasets(&args.input, &mut sizes) {
            if stop.load(Ordering::Relaxed) || running.len() >= args.datasets.max(1) {
                break;
            }
            if running.contains_key(&dataset) {
                continue;
            }
            // An HTTP job may hold the place.
            let Some(slot) = args.slots.try_take() else { break };
            // Nothing to run it through: it waits (no done marker) and
            // runs once a valid pipeline loads; said once.
            if pipelines.is_empty() {
                if pending.insert(dataset.clone()) {
                    host.bus.emit(EventKind::DatasetPending {
                        dataset: dataset_key(&dataset),
                        path: dataset.display().to_string(),
                    });
                }
                continue;
            }
            pending.remove(&dataset);
            let services =
                Services { bus: host.bus.clone(), registry: host.registry.clone(), abandon: abandon.clone() };
            let (d, p, a) = (dataset.clone(), pipelines.clone(), args.clone());
            let name = format!("plexus-dataset-{}", dataset_key(&dataset));
            let run = move || {
                process_dataset(&d, &p, &a, &services);
                drop(slot);
            };
            match std::thread::Builder::new().name(name.clone()).spawn(run) {
                Ok(t) => {
                    running.insert(dataset, t);
                }
                Err(e) => tracing::error!("{}", HostError::system("start the thread", name, e)),
            }
        }
        std::thread::sleep(args.poll);
    }
    // Within the grace: the datasets in flight finish, or their calls are
    // abandoned and they wind down; one still running at its end is left.
    let stopping = Instant::now();
    while running.values().any(|t| !t.is_finished()) && stopping.elapsed() < args.grace {
        if stopping.elapsed() >= args.abandon_after && !abandon.is_set() {
            abandon.now();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let unfinished = running.iter().filter(|(_, t)| !t.is_finished()).map(|(d, _)| dataset_key(d)).collect();
    host.bus.emit(EventKind::ServeStopped {
        reason: "signal".into(),
        abandoned: abandon.calls().iter().filter_map(|c| serde_json::to_value(c).ok()).collect(),
        unfinished,
    });
    Ok(())
}

/// What a dataset's thread needs of the host.
struct Services {
    bus: ControlBus,
    registry: Arc<Registry>,
    abandon: Arc<Abandon>,
}

/// Re-reads changed pipeline files; a file that no longer parses or checks
/// keeps its previous version, and an event says why, once per change of
/// the file (`failed` holds the modification time of each file's last
/// failure).
fn refresh_pipelines(
    dir: &Path,
    loaded: &mut BTreeMap<PathBuf, LoadedPipeline>,
    failed: &mut HashMap<PathBuf, Option<SystemTime>>,
    host: &Host,
) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut present = Vec::new();
    for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        present.push(path.clone());
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        if loaded.get(&path).is_some_and(|l| l.modified == modified) || failed.get(&path) == Some(&modified) {
            continue;
        }
        let key = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let checked = PipelineSpec::load(&path).map_err(|e| e.to_string()).and_then(|spec| {
            if !plain_name(&key) {
                return Err(format!("the file name `{key}.toml` cannot name an output folder: rename the file"));
            }
            // Check against a stand-in input that exists; the real one is
            // each dataset.
            let mut probe = spec.clone();
            probe.input = Some(InputSpec {
                path: std::path::absolute(&path).unwrap_or(path.clone()),
                chunk: None,
                select: None,
                preview: None,
            });
            compile(&probe, &path, &host.registry).map(|_| spec).map_err(|e| e.to_string())
        });
        match checked {
            Ok(spec) => {
                let (file, pipeline) = (path.display().to_string(), spec.pipeline.name.clone());
                host.bus.emit(if loaded.contains_key(&path) {
                    EventKind::PipelineReloaded { file, pipeline }
                } else {
                    EventKind::PipelineLoaded { file, pipeline }
                });
                failed.remove(&path);
                loaded.insert(path, LoadedPipeline { modified, spec, key });
            }
            Err(e) => {
                let kept = loaded.contains_key(&path);
                tracing::warn!(
                    "pipeline `{}` rejected{}: {e}",
                    path.display(),
                    if kept { "; keeping the previous version" } else { "" }
                );
                host.bus.emit(EventKind::PipelineReloadFailed {
                    file: path.display().to_string(),
                    kept_previous: kept,
                    error: e,
                });
                // Not retried (nor reported) until it changes again.
                failed.insert(path, modified);
            }
        }
    }
    loaded.retain(|p, _| present.contains(p));
    failed.retain(|p, _| present.contains(p));
}

/// Datasets whose size held still since the last poll and that no pipeline
/// has finished yet.
fn ready_datasets(dir: &Path, sizes: &mut HashMap<PathBuf, u64>) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut ready = Vec::new();
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    for path in files {
        if plexus_io::Format::from_path(&path).is_err() {
            continue;
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let stable = sizes.insert(path.clone(), size) == Some(size);
        if stable && !done_marker(&path).exists() {
            ready.push(path);
        }
    }
    ready
}

fn done_marker(dataset: &Path) -> PathBuf {
    let mut name = dataset.file_name().unwrap_or_default().to_os_string();
    name.push(".done");
    dataset.with_file_name(format!(".{}", name.to_string_lossy()))
}

/// Runs every pipeline on one dataset as jobs: the pipelines that read the
/// input alike (same chunking and selection) share one job, so each chunk is
/// read once for all of them and one budget holds them; a pipeline that
/// fails to compile or whose outputs fail does not affect the others.
fn process_dataset(dataset: &Path, pipelines: &BTreeMap<PathBuf, LoadedPipeline>, args: &ServeConfig, host: &Services) {
    let stem = dataset_key(dataset);
    host.bus.emit(EventKind::DatasetStarted { dataset: stem.clone(), path: dataset.display().to_string() });
    let mut summary = serde_json::Map::new();
    // Plans that read alike, with the folder key of each.
    let mut groups: BTreeMap<String, Vec<(Plan, String)>> = BTreeMap::new();
    for (file, p) in pipelines {
        match plan_for(file, p, dataset, &stem, args, host) {
            Ok(plan) => {
                let key = plan.input.as_ref().map(|i| format!("{:?} {:?}", i.chunk, i.select)).unwrap_or_default();
                groups.entry(key).or_default().push((plan, p.key.clone()));
            }
            Err(e) => {
                summary.insert(p.key.clone(), serde_json::json!({ "failed": e.chain().join(": ") }));
            }
        }
    }
    let options = RunOptions {
        threads: args.threads,
        memory: args.memory,
        dataset: Some(stem.clone()),
        // After a restart, a dataset in flight picks up where it stopped.
        resume: Resume::IfPossible,
        call_timeout: args.call_timeout,
        abandon: host.abandon.clone(),
        ..RunOptions::default()
    };
    // Groups run one after the other, each within the whole budget.
    let mut bytes_read = 0;
    for group in groups.into_values() {
        let (plans, keys): (Vec<Plan>, Vec<String>) = group.into_iter().unzip();
        match Job::start_shared(plans, host.registry.clone(), host.bus.clone(), options.clone()) {
            Ok(job) => {
                let reports = job.wait_all();
                bytes_read += reports.first().map(|r| r.progress.bytes_done).unwrap_or(0);
                for (r, key) in reports.into_iter().zip(keys) {
                    summary.insert(key, serde_json::json!({ "errors": r.errors() }));
                }
            }
            Err(e) => {
                for key in keys {
                    summary.insert(key, serde_json::json!({ "failed": e.chain().join(": ") }));
                }
            }
        }
    }
    if host.abandon.is_set() {
        // Stopped part-way: no done marker, so it runs again after a restart.
        return;
    }
    let marker = done_marker(dataset);
    let _ = std::fs::write(&marker, serde_json::Value::Object(summary.clone()).to_string());
    host.bus.emit(EventKind::DatasetFinished {
        dataset: stem,
        pipelines: serde_json::Value::Object(summary),
        bytes_read: Some(bytes_read),
    });
}

/// A dataset's output folder name: its stem, or its whole file name where
/// the stem is no plain name (`..npy`).
fn dataset_key(dataset: &Path) -> String {
    let stem = dataset.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if plain_name(&stem) {
        stem
    } else {
        dataset.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "dataset".into())
    }
}

/// The plan of one pipeline on `dataset`, its outputs and plots under
/// `<output>/<dataset>/<pipeline>/`: each must still lie inside
/// `<output>` once symlinks are resolved (a link planted in the output
/// folder does not lead the writes out).
fn plan_for(
    file: &Path,
    pipeline: &LoadedPipeline,
    dataset: &Path,
    stem: &str,
    args: &ServeConfig,
    host: &Services,
) -> Result<Plan, HostError> {
    let mut spec = pipeline.spec.clone();
    let (chunk, select) = spec.input.as_ref().map(|i| (i.chunk, i.select.clone())).unwrap_or_default();
    let preview = spec.input.as_ref().and_then(|i| i.preview.clone());
    spec.input =
        Some(InputSpec { path: std::path::absolute(dataset).unwrap_or(dataset.to_path_buf()), chunk, select, preview });
    let out_dir = args.output.join(stem).join(&pipeline.key);
    let inside = |p: &Path, fallback: &str| {
        let name = p.file_name().map(PathBuf::from).unwrap_or_else(|| PathBuf::from(fallback));
        std::path::absolute(out_dir.join(name)).unwrap_or_default()
    };
    for o in &mut spec.outputs {
        o.path = inside(&o.path, "out.npy");
    }
    for p in &mut spec.plots {
        p.path = inside(&p.path, "plot.png");
    }
    let root = resolve(&args.output);
    for path in spec.outputs.iter().map(|o| &o.path).chain(spec.plots.iter().map(|p| &p.path)) {
        let real = resolve(path);
        if !real.starts_with(&root) {
            return Err(HostError::Output {
                path: path.clone(),
                source: std::sync::Arc::new(OutputError::Refused(format!(
                    "resolves to `{}`, outside the output folder `{}`: a symlink inside it leads out",
                    real.display(),
                    root.display()
                ))),
            });
        }
    }
    Ok(compile(&spec, file, &host.registry)?)
}
