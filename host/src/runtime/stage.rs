//! One stage at run time: receive frames, call the operator, send what it
//! emits downstream in stream order, record errors, and switch plugin
//! versions between two frames when the registry has a new one.
//!
//! # Hot reload
//!
//! Before each frame the stage compares the registry's generation with the
//! one it last saw. On a change it builds an instance of the new current
//! version, hands over state (`snapshot` on the old, `restore` on the new),
//! and keeps the old instance on probation: the new one must succeed on its
//! first frame, or the registry reverts to the old version, the same frame
//! is processed by the old instance, and a `plugin.reload_failed` event says
//! why. Frames are thus processed exactly once and in order.
//!
//! # Calls that do not return
//!
//! Native calls run under a deadline ([`deadline`](super::deadline)): the
//! stage's `timeout_s`, else the manifest's, else `--call-timeout`. A call
//! past it is abandoned, the stage fails with a `timeout` stage error naming
//! stage, plugin and frame, and the rest of its input is drained unprocessed
//! so the stages around it finish and the outputs are written. The same
//! happens to every call still running when the job abandons its calls at
//! the end of a signal's grace (a `abandoned` stage error).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plexus_plugin_api::{ChunkKey, Frame, Output, PluginError};
use plexus_registry::{Kind, OperatorInstance, Registry};
use serde_json::{Map, Value};

use super::cpu::CpuPool;
use super::deadline::{Abandon, AbandonedCall, CallFailure, DeadlineInstance};
use super::halo::{self, Halo};
use super::parked::{Parked, Pop};
use super::results::ResultsBoard;
use super::stats::StageStats;
use crate::budget::{MemoryBudget, Permit};
use crate::bus::{queue, Envelope, Inlet, Outlet, Recv};
use crate::error::StageError;
use crate::events::kinds::HOST_KINDS;
use crate::events::{ControlBus, EventKind};
use crate::pipeline::plan::StagePlan;

/// Everything a stage thread needs.
pub struct StageContext {
    /// Pipeline name, for events.
    pub pipeline: String,
    /// Dataset id of the run.
    pub dataset: String,
    /// The stage.
    pub stage: StagePlan,
    /// Its index in the plan.
    pub index: usize,
    /// Where plugins come from.
    pub registry: Arc<Registry>,
    /// Control events.
    pub bus: ControlBus,
    /// Side outputs.
    pub results: Arc<ResultsBoard>,
    /// Counters.
    pub stats: Arc<StageStats>,
    /// Downstream.
    pub outlet: Outlet,
    /// Threads the operator may use.
    pub threads: usize,
    /// The job's threads: a call holds `threads` of them while it runs.
    pub cpu: Arc<CpuPool>,
    /// Set on SIGINT/SIGTERM: sources stop producing, the rest drain.
    pub stop: Arc<AtomicBool>,
    /// The job's budget, which a source operator's frames take permits from.
    pub budget: Arc<MemoryBudget>,
    /// Memory factor of the stage's section, for those permits.
    pub memory_factor: f64,
    /// Longest one native call may take; `None`: no deadline.
    pub timeout: Option<Duration>,
    /// The job's switch to abandon running calls (end of a signal's grace).
    pub abandon: Arc<Abandon>,
    /// Where frames parked while waiting for a `${stage.key}` result go
    /// when the budget needs their room.
    pub spill: std::path::PathBuf,
}

/// An operator instance plus what hot reload needs.
struct Runner {
    inst: DeadlineInstance,
    probation: Option<DeadlineInstance>,
    seen_generation: u64,
    params: Map<String, Value>,
}

impl StageContext {
    /// `stage.started`, with the instance count of a parallel stage and the
    /// sandbox grants when the pipeline gave any.
    fn started(&self, instances: Option<u64>) -> EventKind {
        let g = &self.stage.grants;
        let grants = (g.clock || !g.read.is_empty()).then(|| {
            let read: Vec<String> = g.read.iter().map(|r| r.guest.clone()).collect();
            serde_json::json!({ "clock": g.clock, "read": read })
        });
        EventKind::StageStarted {
            pipeline: self.pipeline.clone(),
            stage: self.stage.id.clone(),
            uses: format!("{}.{}", self.stage.plugin, self.stage.operator),
            instances,
            threads: Some(self.threads as u64),
            grants,
        }
    }

    /// Builds the first instance; errors end the stage before any frame.
    fn start(&self, params: Map<String, Value>) -> Result<Runner, StageError> {
        let seen_generation = self.registry.generation();
        let plugin = self.registry.current(&self.stage.plugin)?;
        let inst = plugin.instantiate_granted(&self.stage.operator, &params, self.threads, &self.stage.grants)?;
        let inst = self.guard(inst)?;
        self.stats.record_version(&plugin.version().to_string(), &plugin.sha256);
        *self.stats.params.lock().unwrap_or_else(|e| e.into_inner()) = params.clone();
        Ok(Runner { inst, probation: None, seen_generation, params })
    }

    /// Puts a native instance under the stage's deadline (wasm instances
    /// have the sandbox's own, `deadline_ms`).
    fn guard(&self, inst: OperatorInstance) -> Result<DeadlineInstance, StageError> {
        let timeout = self.timeout.filter(|_| inst.plugin().manifest.plugin.kind == Kind::Native);
        DeadlineInstance::new(inst, timeout, self.abandon.clone(), &format!("plexus-call-{}", self.stage.id))
            .map_err(|e| StageError::CallThread(Arc::new(e)))
    }

    /// The stage error of a call that gave no output for want of time, and
    /// the record of an abandoned one.
    fn unfinished(&self, failure: &CallFailure, seq: Option<u64>, running: Duration) -> Option<StageError> {
        let uses = format!("{}.{}", self.stage.plugin, self.stage.operator);
        match failure {
            CallFailure::Plugin(_) => None,
            CallFailure::Timeout(after) => {
                Some(StageError::Timeout { stage: self.stage.id.clone(), uses, seq, after: *after })
            }
            CallFailure::Abandoned => {
                self.abandon.record(AbandonedCall {
                    pipeline: self.pipeline.clone(),
                    stage: self.stage.id.clone(),
                    uses: uses.clone(),
                    seq,
                    running_s: running.as_secs_f64(),
                });
                Some(StageError::Abandoned { stage: self.stage.id.clone(), uses, seq })
            }
        }
    }

    /// Switches to the registry's current version if it changed.
    fn maybe_switch(&self, r: &mut Runner) {
        let generation = self.registry.generation();
        if generation == r.seen_generation {
            return;
        }
        r.seen_generation = generation;
        let Ok(current) = self.registry.current(&self.stage.plugin) else { return };
        if Arc::ptr_eq(&current, r.inst.plugin()) {
            return;
        }
        let fresh = current
            .instantiate_granted(&self.stage.operator, &r.params, self.threads, &self.stage.grants)
            .map_err(StageError::from)
            .and_then(|i| self.guard(i));
        let mut fresh = match fresh {
            Ok(i) => i,
            Err(e) => {
                self.registry.report_first_call_failure(&current, &e.to_string());
                return;
            }
        };
        match r.inst.snapshot() {
            Ok(Some(state)) => {
                if let Err(e) = fresh.restore(state) {
                    self.registry.report_first_call_failure(&current, &format!("restore failed: {e}"));
                    return;
                }
            }
            Ok(None) => {}
            Err(CallFailure::Plugin(e)) => {
                tracing::warn!(stage = %self.stage.id, "snapshot failed, switching without state: {e}");
            }
            // The old instance is gone: the stage stops at this frame.
            Err(_) => return,
        }
        r.probation = Some(std::mem::replace(&mut r.inst, fresh));
    }

    /// Calls `process`, falling back to the previous version if a new one
    /// fails its first frame.
    fn call(&self, r: &mut Runner, frame: &Arc<Frame>, seq: u64) -> Result<Output, CallFailure> {
        self.maybe_switch(r);
        // Held until the call (and any retry on the old version) returns.
        let _cpu = self.cpu.acquire(self.threads);
        let started = Instant::now();
        let mut result = r.inst.process(frame, seq);
        if let Some(old) = r.probation.take() {
            match &result {
                Err(CallFailure::Plugin(e)) => {
                    self.registry.report_first_call_failure(r.inst.plugin(), &e.to_string());
                    r.inst = old;
                    result = r.inst.process(frame, seq);
                }
                // The new version is stuck: the stage stops with it.
                Err(_) => {}
                Ok(_) => {
                    let (from, to) = (old.plugin(), r.inst.plugin());
                    self.stats.record_version(&to.version().to_string(), &to.sha256);
                    self.bus.emit(EventKind::StageSwitched {
                        pipeline: self.pipeline.clone(),
                        stage: self.stage.id.clone(),
                        plugin: to.name().to_string(),
                        from: from.version().to_string(),
                        to: to.version().to_string(),
                        seq,
                    });
                }
            }
        }
        self.stats.record_call(started.elapsed());
        result
    }

    /// Sends what one call emitted, in order, and publishes its side outputs.
    ///
    /// Frames derived from an input chunk share its permit; a source
    /// operator's frames take a permit of their own (waiting while the
    /// budget is full), so a source cannot run ahead of the budget. Outputs
    /// of a padded input (a halo) are trimmed back to its chunk.
    fn deliver(&self, out: Output, input: Option<&Envelope>, out_seq: &mut u64) {
        self.results.publish(self.index, out.results());
        for ev in out.events() {
            self.bus.emit(self.plugin_event(ev));
        }
        let mut out = out;
        let emitted = out.take_frames();
        let permit: Option<Arc<Permit>> = match input {
            Some(e) => e.permit.clone(),
            None if self.stage.spec.pattern == plexus_registry::Pattern::Source && !emitted.is_empty() => {
                let bytes: usize = emitted.iter().flat_map(|f| f.arrays()).map(|(_, a)| a.as_bytes().len()).sum();
                Some(self.budget.acquire((bytes as f64 * self.memory_factor).ceil() as usize))
            }
            None => None,
        };
        let halo = input.and_then(|e| Halo::of(&e.frame).map(|h| (h, e.frame.key())));
        let mut frames: Vec<Arc<Frame>> = Vec::new();
        if out.forwards_input() {
            if let Some(env) = input {
                frames.push(match halo {
                    Some((h, key)) => Arc::new(halo::trim(&env.frame, h, key)),
                    None => env.frame.clone(),
                });
            }
        }
        frames.extend(emitted.into_iter().map(|f| match halo {
            Some((h, key)) => Arc::new(halo::trim(&f, h, key)),
            None => Arc::new(f),
        }));
        for frame in frames {
            let env = Envelope { seq: *out_seq, frame, permit: permit.clone() };
            *out_seq += 1;
            self.stats.frames_out.fetch_add(1, Ordering::Relaxed);
            if self.outlet.send(env).is_err() {
                tracing::debug!(stage = %self.stage.id, "every consumer has gone");
            }
        }
    }

    /// An event the operator published: its own kind and fields, with the
    /// stage that published it. A kind that names a host event is prefixed
    /// with the plugin's name, so a plugin cannot speak for the host.
    fn plugin_event(&self, ev: &Value) -> EventKind {
        let mut fields = ev.as_object().cloned().unwrap_or_default();
        let kind = match fields.remove("kind") {
            Some(Value::String(k)) => k,
            _ => "event".to_string(),
        };
        let kind = if HOST_KINDS.contains(&kind.as_str()) { format!("{}.{kind}", self.stage.plugin) } else { kind };
        for k in ["pipeline", "stage", "plugin", "time"] {
            fields.remove(k);
        }
        EventKind::Plugin {
            kind,
            pipeline: self.pipeline.clone(),
            stage: self.stage.id.clone(),
            plugin: self.stage.plugin.clone(),
            fields,
        }
    }

    fn frame_error(&self, seq: u64, key: ChunkKey, plugin_version: String, e: &PluginError) {
        self.stats.errors.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(stage = %self.stage.id, seq, "frame failed: {e}");
        self.bus.emit(EventKind::FrameError {
            pipeline: self.pipeline.clone(),
            stage: self.stage.id.clone(),
            plugin: self.stage.plugin.clone(),
            version: plugin_version,
            seq,
            offset: key.offset,
            length: key.length,
            error: e.to_string(),
        });
    }

    fn stage_error(&self, e: &StageError) {
        self.stats.errors.fetch_add(1, Ordering::Relaxed);
        tracing::error!(stage = %self.stage.id, "{e}");
        self.bus.emit(EventKind::StageError {
            pipeline: self.pipeline.clone(),
            stage: self.stage.id.clone(),
            code: e.code().map(str::to_string),
            error: e.to_string(),
        });
    }

    fn finish(&self, r: &mut Runner, out_seq: &mut u64) {
        if r.inst.is_poisoned() {
            return;
        }
        let cpu = self.cpu.acquire(self.threads);
        let started = Instant::now();
        let finished = r.inst.finish();
        drop(cpu);
        match finished {
            Ok(out) => {
                self.stats.record_call(started.elapsed());
                self.deliver(out, None, out_seq);
            }
            Err(CallFailure::Plugin(e)) => self.stage_error(&StageError::Finish(e)),
            Err(f) => {
                if let Some(e) = self.unfinished(&f, None, started.elapsed()) {
                    self.stage_error(&e);
                }
            }
        }
    }

    /// Records what a failed call means: a frame error, or (the call gave
    /// no answer in time) a stage error that stops the stage. Returns
    /// whether the stage goes on.
    fn failed(&self, seq: u64, key: ChunkKey, version: String, f: CallFailure, running: Duration) -> bool {
        match f {
            CallFailure::Plugin(e) => {
                self.frame_error(seq, key, version, &e);
                true
            }
            f => {
                if let Some(e) = self.unfinished(&f, Some(seq), running) {
                    self.stage_error(&e);
                }
                false
            }
        }
    }

    /// Fills `${stage.key}` parameters once the referenced results exist,
    /// parking incoming frames meanwhile so the upstream never stalls (on
    /// disk once another chunk waits for room in the budget).
    fn resolve(&self, inputs: &[Inlet], parked: &mut Parked) -> Result<Map<String, Value>, StageError> {
        let mut params = self.stage.params.clone();
        let mut open = true;
        'refs: for r in &self.stage.refs {
            loop {
                match self.results.get(r.stage, &r.key) {
                    Ok(Some(v)) => {
                        params.insert(r.param.clone(), v);
                        continue 'refs;
                    }
                    Err(()) => {
                        return Err(StageError::Unpublished {
                            param: r.param.clone(),
                            stage: r.stage_id.clone(),
                            key: r.key.clone(),
                        })
                    }
                    Ok(None) => {}
                }
                if open && inputs.len() == 1 {
                    match inputs[0].recv_timeout(Duration::from_millis(20)) {
                        Recv::Frame(env) => parked.push(env),
                        Recv::Timeout => {}
                        Recv::Closed => open = false,
                    }
                    self.make_room(parked)?;
                } else {
                    self.results.wait(Duration::from_millis(50));
                }
            }
        }
        if !self.stage.refs.is_empty() {
            let op = &self.stage.spec;
            for r in &self.stage.refs {
                if let Some(spec) = op.params.get(&r.param) {
                    plexus_registry::manifest::check_value(spec, &params[&r.param]).map_err(|message| {
                        StageError::BadReference {
                            param: r.param.clone(),
                            key: r.key.clone(),
                            message: message.to_string(),
                        }
                    })?;
                }
            }
        }
        Ok(params)
    }

    /// Parks to disk what can go when another chunk waits for room.
    fn make_room(&self, parked: &mut Parked) -> Result<(), StageError> {
        if !parked.is_empty() && self.budget.contended() {
            parked.spill().map_err(|e| StageError::Park { dir: self.spill.clone(), error: Arc::new(e) })?;
        }
        Ok(())
    }

    /// The next parked frame, once the budget has room for it; while it has
    /// none, frames arriving on the input are parked behind it, so the
    /// chunks that hold the room can move on. `None` once nothing is parked.
    fn unpark(&self, inputs: &[Inlet], parked: &mut Parked) -> Result<Option<Envelope>, StageError> {
        let failed = |e| StageError::Park { dir: self.spill.clone(), error: Arc::new(e) };
        loop {
            match parked.pop(Duration::from_millis(20)).map_err(failed)? {
                Pop::Frame(env) => return Ok(Some(env)),
                Pop::Empty => {
                    if parked.spilled() > 0 {
                        self.bus.emit(EventKind::StageParked {
                            pipeline: self.pipeline.clone(),
                            stage: self.stage.id.clone(),
                            frames: parked.spilled(),
                        });
                    }
                    return Ok(None);
                }
                Pop::Wait => {
                    // This stage is the one waiting for room now: what it
                    // takes from its input goes to disk whatever the others do.
                    if inputs.len() == 1 {
                        if let Recv::Frame(env) = inputs[0].recv_timeout(Duration::ZERO) {
                            parked.push(env);
                        }
                    }
                    parked.spill().map_err(failed)?;
                }
            }
        }
    }

    /// Runs a stage that reads upstream edges, to the end of its input.
    /// Ends a transform that cannot go on: the error is reported, its
    /// inputs are drained so producers are not blocked forever, and its
    /// results are closed.
    fn give_up(&self, e: &StageError, inputs: &[Inlet]) {
        self.stage_error(e);
        for rx in inputs {
            rx.drain();
        }
        self.results.finish(self.index);
    }

    pub fn run_transform(self, inputs: Vec<Inlet>) {
        self.bus.emit(self.started(None));
        let mut parked = Parked::new(&self.spill, &self.stage.id);
        let runner = self.resolve(&inputs, &mut parked).and_then(|p| self.start(p));
        let mut runner = match runner {
            Ok(r) => r,
            Err(e) => return self.give_up(&e, &inputs),
        };
        let mut seq = 0u64;
        let mut out_seq = 0u64;
        // Once a call was abandoned, the rest of the input is drained
        // unprocessed so that upstream stages are never blocked.
        let mut going = true;
        let mut handle = |env: Envelope, runner: &mut Runner| {
            if !going {
                return;
            }
            self.stats.frames_in.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            match self.call(runner, &env.frame, seq) {
                Ok(out) => self.deliver(out, Some(&env), &mut out_seq),
                Err(f) => {
                    let version = runner.inst.plugin().version().to_string();
                    going = self.failed(seq, env.frame.key(), version, f, started.elapsed());
                }
            }
            seq += 1;
        };
        loop {
            match self.unpark(&inputs, &mut parked) {
                Ok(Some(env)) => handle(env, &mut runner),
                Ok(None) => break,
                // Frames were lost: nothing more this stage sends is whole.
                Err(e) => return self.give_up(&e, &inputs),
            }
        }
        if inputs.len() == 1 {
            for env in inputs[0].iter() {
                handle(env, &mut runner);
            }
        } else {
            while let Some(env) = zip(&inputs, &self.pipeline, &self.stage.id, &self.bus) {
                handle(env, &mut runner);
            }
        }
        self.finish(&mut runner, &mut out_seq);
        self.done();
    }

    /// Runs a stateless (`parallel = true`) operator as `workers` instances
    /// that take frames from the same edge, and sends their outputs
    /// downstream in input order. Each instance switches versions on its own
    /// at its next frame boundary, so frames in flight finish on the version
    /// they started on.
    pub fn run_parallel(self, input: Inlet, workers: usize) {
        self.bus.emit(self.started(Some(workers as u64)));
        let mut runners = Vec::with_capacity(workers);
        for _ in 0..workers {
            match self.start(self.stage.params.clone()) {
                Ok(r) => runners.push(r),
                Err(e) => {
                    self.stage_error(&e);
                    input.drain();
                    self.results.finish(self.index);
                    return;
                }
            }
        }
        enum Done {
            Frame(Envelope, Result<Output, CallFailure>, String, Duration),
            Finish(Result<Output, CallFailure>, Duration),
        }
        let (tx, rx) = queue::<Done>(None);
        // Set when a call was abandoned: every instance then drains the
        // input unprocessed, and none is finished.
        let halted = AtomicBool::new(false);
        std::thread::scope(|scope| {
            for mut runner in runners {
                let (input, tx, ctx, halted) = (input.clone(), tx.clone(), &self, &halted);
                scope.spawn(move || {
                    for env in input.iter() {
                        if halted.load(Ordering::Relaxed) {
                            continue;
                        }
                        ctx.stats.frames_in.fetch_add(1, Ordering::Relaxed);
                        let started = Instant::now();
                        let result = ctx.call(&mut runner, &env.frame, env.seq);
                        if matches!(result, Err(CallFailure::Timeout(_) | CallFailure::Abandoned)) {
                            halted.store(true, Ordering::Relaxed);
                        }
                        let version = runner.inst.plugin().version().to_string();
                        if tx.send(Done::Frame(env, result, version, started.elapsed())).is_err() {
                            return;
                        }
                    }
                    if halted.load(Ordering::Relaxed) {
                        return;
                    }
                    let cpu = ctx.cpu.acquire(ctx.threads);
                    let started = Instant::now();
                    let result = runner.inst.finish();
                    ctx.stats.record_call(started.elapsed());
                    drop(cpu);
                    let _ = tx.send(Done::Finish(result, started.elapsed()));
                });
            }
            drop(tx);
            // Reorder by input sequence: edges number frames 0, 1, 2, …
            let mut pending = std::collections::BTreeMap::new();
            let mut next = 0u64;
            let mut out_seq = 0u64;
            let mut finishes = Vec::new();
            // After the first abandoned call nothing more is delivered: the
            // stage has failed, and frames after it would leave a gap.
            let mut going = true;
            let mut deliver = |env: Envelope,
                               result: Result<Output, CallFailure>,
                               version: String,
                               running: Duration,
                               out_seq: &mut u64| {
                match result {
                    Ok(out) if going => self.deliver(out, Some(&env), out_seq),
                    Ok(_) => {}
                    Err(CallFailure::Plugin(e)) if !going => drop(e),
                    Err(f) => going = self.failed(env.seq, env.frame.key(), version, f, running),
                }
            };
            for done in rx.iter() {
                match done {
                    Done::Frame(env, result, version, running) => {
                        pending.insert(env.seq, (env, result, version, running));
                        while let Some((env, result, version, running)) = pending.remove(&next) {
                            deliver(env, result, version, running, &mut out_seq);
                            next += 1;
                        }
                    }
                    Done::Finish(result, running) => finishes.push((result, running)),
                }
            }
            // Reached with gaps in the numbering: frames skipped after a
            // call was abandoned (edges themselves make none).
            for (_, (env, result, version, running)) in std::mem::take(&mut pending) {
                deliver(env, result, version, running, &mut out_seq);
            }
            for (result, running) in finishes {
                match result {
                    Ok(out) => self.deliver(out, None, &mut out_seq),
                    Err(CallFailure::Plugin(e)) => self.stage_error(&StageError::Finish(e)),
                    Err(f) => {
                        if let Some(e) = self.unfinished(&f, None, running) {
                            self.stage_error(&e);
                        }
                    }
                }
            }
        });
        self.done();
    }

    /// Runs a source operator until it ends its stream or the run is stopped.
    pub fn run_source(self) {
        self.bus.emit(self.started(None));
        let mut runner =
            match self.resolve(&[], &mut Parked::new(&self.spill, &self.stage.id)).and_then(|p| self.start(p)) {
                Ok(r) => r,
                Err(e) => {
                    self.stage_error(&e);
                    self.results.finish(self.index);
                    return;
                }
            };
        let mut out_seq = 0u64;
        let mut failures_in_a_row = 0;
        for seq in 0u64.. {
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let tick = Arc::new(Frame::new(self.dataset.clone(), ChunkKey::stream(seq)));
            let started = Instant::now();
            match self.call(&mut runner, &tick, seq) {
                Ok(out) => {
                    failures_in_a_row = 0;
                    let end = out.is_end_of_stream();
                    self.deliver(out, None, &mut out_seq);
                    if end {
                        break;
                    }
                }
                Err(f) => {
                    let version = runner.inst.plugin().version().to_string();
                    if !self.failed(seq, tick.key(), version, f, started.elapsed()) {
                        break;
                    }
                    failures_in_a_row += 1;
                    if failures_in_a_row >= 3 {
                        self.stage_error(&StageError::SourceFailing(failures_in_a_row));
                        break;
                    }
                }
            }
        }
        self.finish(&mut runner, &mut out_seq);
        self.done();
    }

    fn done(&self) {
        self.results.finish(self.index);
        let s = &self.stats;
        self.bus.emit(EventKind::StageFinished {
            pipeline: self.pipeline.clone(),
            stage: self.stage.id.clone(),
            frames_in: StageStats::get(&s.frames_in),
            frames_out: StageStats::get(&s.frames_out),
            calls: StageStats::get(&s.calls),
            errors: StageStats::get(&s.errors),
            busy_ms: StageStats::get(&s.busy_ns) as f64 / 1e6,
        });
    }
}

/// Takes one frame from each input and merges them: arrays are renamed
/// `<upstream>` (one array) or `<upstream>.<name>`. Ends when any input ends.
fn zip(inputs: &[Inlet], pipeline: &str, stage: &str, bus: &ControlBus) -> Option<Envelope> {
    let mut parts = Vec::with_capacity(inputs.len());
    for rx in inputs {
        match rx.recv() {
            Some(env) => parts.push(env),
            None => {
                if !parts.is_empty() {
                    bus.emit(EventKind::StageWarning {
                        pipeline: Some(pipeline.to_string()),
                        stage: stage.to_string(),
                        message: "inputs ended after different numbers of frames; the unmatched frames were dropped"
                            .into(),
                    });
                }
                for rx in inputs {
                    rx.drain();
                }
                return None;
            }
        }
    }
    let first = &parts[0];
    let mut merged = Frame::new(first.frame.dataset(), first.frame.key());
    for (i, env) in parts.iter().enumerate() {
        let label = format!("in{i}");
        let arrays = env.frame.arrays();
        for (name, a) in arrays {
            let n = if arrays.len() == 1 { label.clone() } else { format!("{label}.{name}") };
            merged.insert(n, a.clone());
        }
        for (k, v) in env.frame.meta() {
            merged.meta_mut().entry(k.clone()).or_insert(v.clone());
        }
    }
    Some(Envelope { seq: first.seq, frame: Arc::new(merged), permit: first.permit.clone() })
}
