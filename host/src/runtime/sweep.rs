//! Sweeps: the pipeline run once per value of one stage parameter —
//! `--sweep recon.center=1020:1030:2` or a `[[sweep]]` section — the way
//! tomography users tune a rotation centre on a few slices.
//!
//! The values ([`Sweep`]) run as jobs sharing their input (up to [`GROUP`]
//! values per read, one budget), each with its parameter set and its
//! outputs renamed `<stem>_<param>-<value>.<ext>`; with `output =
//! "stacked"` the per-value results of each `[[output]]` are then stacked
//! along a new first axis `sweep` into the output's own path, with the
//! values in its sidecar.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use plexus_plugin_api::Array;
use plexus_registry::Registry;
use serde_json::{json, Value};

use super::{Job, RunOptions, RunReport};
use crate::error::{HostError, OutputError};
use crate::events::ControlBus;
use crate::pipeline::spec::SweepOutput;
use crate::pipeline::sweep::{label, value_path, Sweep};
use crate::pipeline::{compile, PipelineSpec};

/// Values run on one read of the input (one shared job).
pub const GROUP: usize = 8;

/// What a sweep did: each value's report, and the stacked outputs.
pub struct SweepReport {
    /// The sweep.
    pub sweep: Sweep,
    /// Per value, in order, its run.
    pub runs: Vec<(Value, RunReport)>,
    /// Per `[[output]]` when stacked: the file, and why it failed.
    pub stacked: Vec<(PathBuf, Option<Arc<OutputError>>)>,
}

impl SweepReport {
    /// Errors of every run and stacked output.
    pub fn errors(&self) -> u64 {
        self.runs.iter().map(|(_, r)| r.errors()).sum::<u64>()
            + self.stacked.iter().filter(|s| s.1.is_some()).count() as u64
    }
}

/// Runs `spec` (read from `file`) once per value of `sweep`.
pub fn run(
    spec: &PipelineSpec,
    file: &Path,
    sweep: &Sweep,
    registry: &Arc<Registry>,
    bus: &ControlBus,
    options: &RunOptions,
) -> Result<SweepReport, HostError> {
    let stacked = sweep.output == SweepOutput::Stacked;
    let scratch = std::env::temp_dir().join(format!("plexus-sweep-{}", std::process::id()));
    let mut plans = Vec::new();
    let mut per_value_plots: Option<Vec<bool>> = None;
    for (i, v) in sweep.values.iter().enumerate() {
        let mut s = spec.clone();
        let ids: Vec<String> = s.stages.iter().map(|st| format!("`{}`", st.id)).collect();
        let stage = s.stages.iter_mut().find(|st| st.id == sweep.stage).ok_or_else(|| HostError::Argument {
            flag: "--sweep",
            value: format!("{}.{}", sweep.stage, sweep.param),
            expected: format!("no stage `{}` (stages: {})", sweep.stage, ids.join(", ")),
        })?;
        stage.params.insert(sweep.param.clone(), v.clone());
        s.pipeline.name = format!("{}[{}={}]", spec.pipeline.name, sweep.param, label(v));
        // A plot of a stage the value changes is drawn per value, beside
        // the outputs; one of a stage upstream of it (a centre finder's
        // metric beside a swept reconstruction) is the same for every
        // value, so the first value draws it once, at its own path.
        if per_value_plots.is_none() {
            per_value_plots = Some(downstream_plots(&compile(&s, file, registry)?, &sweep.stage));
        }
        let varies = per_value_plots.as_deref().unwrap_or_default();
        s.plots = spec
            .plots
            .iter()
            .zip(varies)
            .filter(|(_, &per_value)| i == 0 || per_value)
            .map(|(p, &per_value)| {
                let mut p = p.clone();
                if per_value {
                    p.path = value_path(&p.path, &sweep.param, v);
                }
                p
            })
            .collect();
        for o in &mut s.outputs {
            o.path = if stacked {
                let name = o.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                scratch.join(format!("{i}-{name}"))
            } else {
                value_path(&o.path, &sweep.param, v)
            };
        }
        plans.push(compile(&s, file, registry)?);
    }
    let mut runs = Vec::new();
    let values: Vec<Value> = sweep.values.clone();
    let mut values_iter = values.into_iter();
    while !plans.is_empty() {
        let group: Vec<_> = plans.drain(..plans.len().min(GROUP)).collect();
        let job = Job::start_shared(group, registry.clone(), bus.clone(), options.clone())?;
        for report in job.wait_all() {
            runs.push((values_iter.next().unwrap_or(Value::Null), report));
        }
    }
    let stacked = if stacked { stack_outputs(spec, file, sweep, &runs) } else { Vec::new() };
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(SweepReport { sweep: sweep.clone(), runs, stacked })
}

/// Per plot of `plan`, whether its stage is `swept` or reads it, through
/// inputs or `${…}` references, directly or not.
fn downstream_plots(plan: &crate::pipeline::Plan, swept: &str) -> Vec<bool> {
    let n = plan.stages.len();
    let mut down: Vec<bool> = plan.stages.iter().map(|s| s.id == swept).collect();
    // At most n rounds of propagation reach every stage downstream.
    for _ in 0..n {
        let next: Vec<bool> = plan
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| down[i] || s.inputs.iter().chain(s.refs.iter().map(|r| &r.stage)).any(|&u| down[u]))
            .collect();
        if next == down {
            break;
        }
        down = next;
    }
    plan.plots.iter().map(|p| down[p.from]).collect()
}

/// Stacks each output's per-value files along a new first axis `sweep`
/// into the output's own path, and writes its sidecar.
fn stack_outputs(
    spec: &PipelineSpec,
    file: &Path,
    sweep: &Sweep,
    runs: &[(Value, RunReport)],
) -> Vec<(PathBuf, Option<Arc<OutputError>>)> {
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    spec.outputs
        .iter()
        .enumerate()
        .map(|(n, o)| {
            let path = base.join(&o.path);
            let parts: Vec<PathBuf> = runs.iter().map(|(_, r)| r.outputs[n].0.path.clone()).collect();
            let result = stack_one(&path, &parts).and_then(|shape| {
                let doc = json!({
                    "output": { "path": path, "shape": shape, "axis 0": "sweep" },
                    "sweep": { "stage": sweep.stage, "param": sweep.param, "values": sweep.values },
                    "runs": runs.iter().map(|(v, r)| json!({ "value": v, "results": r.results })).collect::<Vec<_>>(),
                });
                super::sidecar::write_document(&super::sidecar::path_of(&path), &doc)
            });
            (path, result.err().map(Arc::new))
        })
        .collect()
}

/// Writes the arrays of `parts` (one per value, same shape) stacked along a
/// new first axis; returns the stacked shape.
fn stack_one(path: &Path, parts: &[PathBuf]) -> Result<Vec<usize>, OutputError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| OutputError::CreateDir { dir: dir.to_path_buf(), source: e })?;
    }
    let format = plexus_io::Format::from_path(path)?;
    let mut writer = plexus_io::StackWriter::open(path, format)?;
    let mut shape: Vec<usize> = Vec::new();
    for part in parts {
        let a = plexus_io::read(part)?;
        let mut s = vec![1];
        s.extend_from_slice(a.shape());
        let axes = format!("sweep {}", a.axes());
        let one: Array =
            a.reshape(s.clone()).and_then(|r| r.with_axes(&axes)).map_err(|e| OutputError::Refused(e.to_string()))?;
        if !shape.is_empty() && shape[1..] != s[1..] {
            return Err(OutputError::Refused(format!(
                "the value's output `{}` has shape {:?}, the first's {:?}",
                part.display(),
                &s[1..],
                &shape[1..]
            )));
        }
        writer.append(&one)?;
        if shape.is_empty() {
            shape = s;
        } else {
            shape[0] += 1;
        }
    }
    writer.finish()?;
    Ok(shape)
}
