//! `/v1/jobs`: a job is a pipeline (a name from the pipelines folder, or
//! inline TOML) run on a dataset with `set` overrides. It is checked as
//! `plexus check` does before it is queued (`422` with the same lines when
//! it does not check), queued in a bounded queue (`429` with `Retry-After`
//! when full), and run by one runner thread through [`Job`], each with the
//! whole `--threads` and `--memory`.
//!
//! Every job's outputs are written under `$PLEXUS_HOME/jobs/<id>/` with
//! `Resume::IfPossible`: after `kill -9` and a restart, the jobs the store
//! says were queued or running are queued again in their order, and each
//! picks up its outputs' checkpoints ([`crate::runtime`]'s journals), so
//! only unfinished chunks are computed again. A job stopped by SIGTERM is
//! left queued the same way. `DELETE` cancels: the job stops reading, its
//! memory is freed when its frames in flight are done, its partial outputs
//! are removed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crossbeam_channel::{Receiver, Sender};
use serde_json::{json, Value};

use super::errors::ApiError;
use super::store::{JobRow, JobState};
use super::AppState;
use crate::error::HostError;
use crate::pipeline::compile::plain_name;
use crate::pipeline::spec::InputSpec;
use crate::pipeline::{compile, PipelineSpec, Plan};
use crate::runtime::deadline::Abandon;
use crate::runtime::{Job, Resume, RunOptions, RunReport};

/// The body of `POST /v1/jobs`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    /// A pipeline file's name (without `.toml`) in the pipelines folder.
    pub pipeline: Option<String>,
    /// Or the pipeline itself.
    pub toml: Option<String>,
    /// The dataset's id.
    pub dataset: String,
    /// `stage.param=value` overrides.
    #[serde(default)]
    pub set: Vec<String>,
}

/// The queue and the jobs in flight.
pub struct Runner {
    tx: Sender<String>,
    queued: AtomicUsize,
    capacity: usize,
    /// The stop flag of each job queued or running, to cancel it.
    stops: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// Cancelled by a client (not stopped by a signal).
    cancelled: Mutex<Vec<String>>,
}

impl Runner {
    /// A runner with room for `capacity` queued jobs, and the queue's end.
    pub fn new(capacity: usize) -> (Runner, Receiver<String>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let runner = Runner {
            tx,
            queued: AtomicUsize::new(0),
            capacity: capacity.max(1),
            stops: Mutex::default(),
            cancelled: Mutex::default(),
        };
        (runner, rx)
    }

    /// Jobs waiting.
    pub fn depth(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    fn push(&self, id: &str) {
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.stops.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_string(), Arc::default());
        let _ = self.tx.send(id.to_string());
    }

    fn stop_of(&self, id: &str) -> Option<Arc<AtomicBool>> {
        self.stops.lock().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }

    fn was_cancelled(&self, id: &str) -> bool {
        self.cancelled.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|c| c == id)
    }
}

/// Queues again the jobs a previous process left queued or running.
pub fn requeue_unfinished(st: &AppState) -> Result<(), HostError> {
    let jobs = st.store.jobs().map_err(|e| HostError::Config(e.to_string()))?;
    for j in jobs.iter().filter(|j| !j.state.is_final()) {
        st.store.set_state(&j.id, JobState::Queued).map_err(|e| HostError::Config(e.to_string()))?;
        tracing::info!("job `{}` was {} when the service stopped: queued again", j.id, j.state.name());
        st.runner.push(&j.id);
    }
    Ok(())
}

/// The folder of a job's outputs.
fn job_dir(st: &AppState, id: &str) -> PathBuf {
    st.config.home.join("jobs").join(id)
}

/// The plan of a job: its pipeline with the overrides, reading the
/// dataset, writing under the job's folder; every problem as `plexus
/// check` words it.
fn plan_of(st: &AppState, job: &JobRow) -> Result<Plan, ApiError> {
    let file = match &job.pipeline {
        Some(name) => st.config.pipelines.join(format!("{name}.toml")),
        None => PathBuf::from("inline.toml"),
    };
    let invalid = |message: String| ApiError::Invalid { message, problems: vec![] };
    let mut spec = PipelineSpec::parse(&file, &job.toml).map_err(|e| invalid(e.to_string()))?;
    for s in &job.set {
        spec.apply_override(s).map_err(|expected| invalid(format!("`set` `{s}`: {expected}")))?;
    }
    let dataset = st.store.dataset(&job.dataset)?.ok_or_else(|| invalid(format!("no dataset `{}`", job.dataset)))?;
    let (chunk, select, preview) =
        spec.input.as_ref().map(|i| (i.chunk, i.select.clone(), i.preview.clone())).unwrap_or_default();
    spec.input = Some(InputSpec { path: dataset.path.clone(), chunk, select, preview });
    let dir = job_dir(st, &job.id);
    let inside =
        |p: &Path, fallback: &str| dir.join(p.file_name().map(PathBuf::from).unwrap_or_else(|| fallback.into()));
    for o in &mut spec.outputs {
        o.path = inside(&o.path, "out.npy");
    }
    for p in &mut spec.plots {
        p.path = inside(&p.path, "plot.png");
    }
    compile(&spec, &file, &st.registry).map_err(|e| ApiError::Invalid {
        message: e.to_string(),
        problems: e.errors.iter().map(|p| p.to_string()).collect(),
    })
}

/// `POST /v1/jobs`.
pub async fn create(
    State(st): State<Arc<AppState>>,
    body: Result<Json<Submit>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(submit) = body.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let toml = match (&submit.pipeline, &submit.toml) {
        (Some(name), None) => {
            if !plain_name(name) || name.starts_with('.') {
                return Err(ApiError::BadRequest(format!("`{name}` is not a pipeline name")));
            }
            let file = st.config.pipelines.join(format!("{name}.toml"));
            std::fs::read_to_string(&file).map_err(|_| ApiError::Invalid {
                message: format!("no pipeline `{name}` in the pipelines folder"),
                problems: vec![],
            })?
        }
        (None, Some(toml)) => toml.clone(),
        _ => {
            return Err(ApiError::BadRequest(
                "a job names a `pipeline` from the pipelines folder or gives its `toml`, one of the two".into(),
            ))
        }
    };
    enqueue(&st, NewJob { pipeline: submit.pipeline, toml, dataset: submit.dataset, set: submit.set }).await
}

/// A job as a route makes it, before it is checked and queued.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The pipeline file's name, when it came from the pipelines folder.
    pub pipeline: Option<String>,
    /// The pipeline's TOML, kept with the job (a restart runs this text).
    pub toml: String,
    /// The dataset's id.
    pub dataset: String,
    /// `stage.param=value` overrides.
    pub set: Vec<String>,
}

/// The one way into the queue, for `POST /v1/jobs` and the routes that
/// make their pipeline themselves (`POST /v1/datasets/{id}/pca`): `404` for
/// an unknown dataset, `429` when the queue is full, `422` with `plexus
/// check`'s lines when the pipeline does not check; else the job is stored,
/// queued, and answered `202`.
pub async fn enqueue(st: &Arc<AppState>, new: NewJob) -> Result<(StatusCode, Json<Value>), ApiError> {
    super::datasets::find(st, &new.dataset)?;
    if st.runner.depth() >= st.runner.capacity {
        return Err(ApiError::Busy {
            message: format!("the job queue is full ({} jobs wait, `--queue`): try again later", st.runner.capacity),
            retry_after_s: super::limits::RETRY_AFTER_S,
        });
    }
    let job = JobRow {
        id: super::new_id(),
        pipeline: new.pipeline,
        toml: new.toml,
        dataset: new.dataset,
        set: new.set,
        state: JobState::Queued,
        progress: [0; 4],
        results: Value::Null,
        outputs: json!([]),
        error: None,
        created: super::now(),
    };
    let checked = {
        let (st, job) = (st.clone(), job.clone());
        tokio::task::spawn_blocking(move || plan_of(&st, &job).map(drop)).await.map_err(ApiError::internal)?
    };
    checked?;
    st.store.insert_job(&job)?;
    st.runner.push(&job.id);
    Ok((StatusCode::ACCEPTED, Json(json!({ "id": job.id, "state": "queued", "url": format!("/v1/jobs/{}", job.id) }))))
}

/// The JSON of a job.
pub fn to_json(j: &JobRow) -> Value {
    json!({
        "id": j.id,
        "pipeline": j.pipeline,
        "dataset": j.dataset,
        "set": j.set,
        "state": j.state.name(),
        "progress": {
            "chunks_done": j.progress[0],
            "chunks_total": j.progress[1],
            "bytes_done": j.progress[2],
            "bytes_total": j.progress[3],
        },
        "results": j.results,
        "outputs": j.outputs,
        "error": j.error,
        "created": j.created,
        "links": { "events": format!("/v1/jobs/{}/events", j.id) },
    })
}

/// `GET /v1/jobs`.
pub async fn list(State(st): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let jobs: Vec<Value> = st.store.jobs()?.iter().map(to_json).collect();
    Ok(Json(json!({ "jobs": jobs })))
}

/// The job `id`, or a `404` naming it.
pub fn find(st: &AppState, id: &str) -> Result<JobRow, ApiError> {
    st.store.job(id)?.ok_or_else(|| ApiError::NotFound(format!("no job `{id}`")))
}

/// `GET /v1/jobs/{id}`.
pub async fn get(State(st): State<Arc<AppState>>, UrlPath(id): UrlPath<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(to_json(&find(&st, &id)?)))
}

/// `DELETE /v1/jobs/{id}`: cancels a queued or running job (a finished
/// one stays as it is).
pub async fn cancel(State(st): State<Arc<AppState>>, UrlPath(id): UrlPath<String>) -> Result<Json<Value>, ApiError> {
    let job = find(&st, &id)?;
    if !job.state.is_final() {
        st.runner.cancelled.lock().unwrap_or_else(|e| e.into_inner()).push(id.clone());
        if let Some(stop) = st.runner.stop_of(&id) {
            stop.store(true, Ordering::Relaxed);
        }
        if job.state == JobState::Queued {
            st.store.finish_job(&id, JobState::Cancelled, &Value::Null, &json!([]), None)?;
        }
    }
    Ok(Json(to_json(&find(&st, &id)?)))
}

/// `GET /v1/jobs/{id}/outputs/{name}`: one output file, streamed.
pub async fn output(
    State(st): State<Arc<AppState>>,
    UrlPath((id, name)): UrlPath<(String, String)>,
) -> Result<Response, ApiError> {
    let job = find(&st, &id)?;
    let listed = job.outputs.as_array().is_some_and(|o| o.iter().any(|o| o["name"] == name.as_str()));
    if !listed || !plain_name(&name) {
        return Err(ApiError::NotFound(format!("job `{id}` has no output `{name}`")));
    }
    let path = job_dir(&st, &id).join(&name);
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| ApiError::NotFound(format!("job `{id}` has no output `{name}` (any more)")))?;
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let stream = futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 1 << 16];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream".to_string()), (header::CONTENT_LENGTH, len.to_string())],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The runner: takes queued jobs one by one until the stop flag is set.
pub fn run_queue(st: &Arc<AppState>, queue: Receiver<String>, abandon: &Arc<Abandon>) {
    while !st.stop.load(Ordering::Relaxed) {
        let Ok(id) = queue.recv_timeout(Duration::from_millis(100)) else { continue };
        // A place among `--datasets`, shared with the folder watching.
        let slot = loop {
            if let Some(slot) = st.config.slots.try_take() {
                break Some(slot);
            }
            if st.stop.load(Ordering::Relaxed) {
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        st.runner.queued.fetch_sub(1, Ordering::Relaxed);
        if slot.is_some() {
            run_one(st, &id, abandon);
        }
        drop(slot);
        st.runner.stops.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }
}

fn run_one(st: &Arc<AppState>, id: &str, abandon: &Arc<Abandon>) {
    let job = match st.store.job(id) {
        Ok(Some(j)) if j.state == JobState::Queued => j,
        Ok(_) => return,
        Err(e) => return tracing::error!("job `{id}`: {e}"),
    };
    let fail = |error: String| {
        tracing::warn!("job `{id}` failed: {error}");
        let _ = st.store.finish_job(id, JobState::Failed, &Value::Null, &json!([]), Some(&error));
    };
    let plan = match plan_of(st, &job) {
        Ok(p) => p,
        Err(e) => return fail(e.to_string()),
    };
    if let Err(e) = std::fs::create_dir_all(job_dir(st, id)) {
        return fail(format!("creating the job's folder: {e}"));
    }
    let stop = st.runner.stop_of(id).unwrap_or_default();
    let options = RunOptions {
        threads: st.config.threads,
        memory: st.config.memory,
        dataset: Some(id.to_string()),
        resume: Resume::IfPossible,
        call_timeout: st.config.call_timeout,
        abandon: abandon.clone(),
        stop: stop.clone(),
        ..RunOptions::default()
    };
    let _ = st.store.set_state(id, JobState::Running);
    let running = match Job::start(plan, st.registry.clone(), st.bus.clone(), options) {
        Ok(j) => j,
        Err(e) => return fail(e.chain().join(": ")),
    };
    while !running.is_finished() {
        if st.stop.load(Ordering::Relaxed) {
            stop.store(true, Ordering::Relaxed);
        }
        let p = running.progress();
        let _ = st.store.set_progress(id, [p.chunks_done, p.chunks_total, p.bytes_done, p.bytes_total]);
        std::thread::sleep(Duration::from_millis(100));
    }
    let report = match running.wait() {
        Ok(r) => r,
        Err(e) => return fail(e.chain().join(": ")),
    };
    let p = report.progress;
    let _ = st.store.set_progress(id, [p.chunks_done, p.chunks_total, p.bytes_done, p.bytes_total]);
    st.metrics.record(&report);
    if st.runner.was_cancelled(id) {
        let _ = std::fs::remove_dir_all(job_dir(st, id));
        let _ = st.store.finish_job(id, JobState::Cancelled, &results_of(&report), &json!([]), None);
    } else if stop.load(Ordering::Relaxed) {
        // Stopped by a signal: the partial outputs and journals stay, and
        // the next start resumes it.
        let _ = st.store.set_state(id, JobState::Queued);
    } else {
        let errors = report.errors();
        let state = if errors == 0 { JobState::Done } else { JobState::Failed };
        let error = (errors > 0).then(|| format!("{errors} error(s): see `results`"));
        let _ = st.store.finish_job(id, state, &results_of(&report), &outputs_of(id, &report), error.as_deref());
    }
}

/// A finished run's figures: chunks, wall time, errors, every stage's
/// counts, the results its stages published.
fn results_of(r: &RunReport) -> Value {
    let stages: Vec<Value> = r
        .stages
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "uses": s.uses,
                "frames_in": s.frames_in,
                "frames_out": s.frames_out,
                "calls": s.calls,
                "errors": s.errors,
                "busy_s": s.busy.as_secs_f64(),
                "versions": s.versions.iter().map(|(v, sha256)| json!({ "version": v, "sha256": sha256 })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "chunks": r.chunks,
        "wall_s": r.wall.as_secs_f64(),
        "errors": r.errors(),
        "input_errors": r.input_errors,
        "stages": stages,
        "results": Value::Object(r.results.clone()),
    })
}

/// A finished run's outputs, each with its download URL (a Zarr store, a
/// folder, has none).
fn outputs_of(id: &str, r: &RunReport) -> Value {
    let outputs: Vec<Value> = r
        .outputs
        .iter()
        .map(|(w, _)| {
            let name = w.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let file = w.path.is_file();
            json!({
                "name": name,
                "shape": w.shape,
                "dtype": w.dtype,
                "frames": w.frames,
                "error": w.error.as_ref().map(|e| e.to_string()),
                "url": file.then(|| format!("/v1/jobs/{id}/outputs/{name}")),
            })
        })
        .collect();
    Value::Array(outputs)
}
