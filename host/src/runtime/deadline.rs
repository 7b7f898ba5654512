//! Operator calls under a deadline, and the abandoning of calls that do not
//! return.
//!
//! A thread cannot be killed safely, so a call that does not return (a busy
//! loop, a sleep, a deadlock inside a plugin) is *abandoned*: each instance
//! lives on a call thread of its own, the stage thread hands it one call at
//! a time and waits at most the deadline. When the deadline passes (or the
//! job is told to [`Abandon`] its calls, at the end of a signal's grace),
//! the stage thread stops waiting and the instance is *poisoned*: it stays
//! with the stuck thread, is never called again, and is dropped only if the
//! call ever returns. The plugin's library stays mapped as long as that
//! thread holds the instance, so the stuck code never runs on unmapped
//! pages. What this costs (one thread hand-off per call, and a stuck thread
//! that keeps its CPU until the process exits) is measured and weighed
//! against a worker process in `docs/DESIGN-NOTES.md`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use plexus_plugin_api::{Frame, Output, PluginError};
use plexus_registry::{LoadedPlugin, OperatorInstance};

/// How often a waiting stage looks at the job's [`Abandon`] flag while a
/// call runs; only calls longer than this pay for it.
const ABANDON_POLL: Duration = Duration::from_millis(50);

/// Why a call gave no output.
#[derive(Debug, thiserror::Error)]
pub enum CallFailure {
    /// The operator returned an error (or panicked).
    #[error(transparent)]
    Plugin(PluginError),
    /// The call ran past its deadline and was abandoned.
    #[error("the call did not return within {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    /// The job abandoned its calls (a signal's grace ran out).
    #[error("the call was abandoned")]
    Abandoned,
}

impl From<PluginError> for CallFailure {
    fn from(e: PluginError) -> CallFailure {
        CallFailure::Plugin(e)
    }
}

/// A call that a job abandoned, for the `stopped` event.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AbandonedCall {
    /// Pipeline name.
    pub pipeline: String,
    /// Stage id.
    pub stage: String,
    /// `plugin.operator`.
    pub uses: String,
    /// The stage's input frame it was processing; `None`: `finish`.
    pub seq: Option<u64>,
    /// How long the call had run when it was abandoned, in seconds.
    pub running_s: f64,
}

/// A job's switch to abandon the calls still running, and the list of
/// those it abandoned.
#[derive(Debug, Default)]
pub struct Abandon {
    flag: AtomicBool,
    calls: Mutex<Vec<AbandonedCall>>,
}

impl Abandon {
    /// Abandons every call running now or started from now on.
    pub fn now(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether [`Abandon::now`] was called.
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// Records an abandoned call.
    pub fn record(&self, call: AbandonedCall) {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).push(call);
    }

    /// The calls abandoned so far.
    pub fn calls(&self) -> Vec<AbandonedCall> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

type Task = Box<dyn FnOnce() + Send>;

/// One operator instance, called under a deadline on its own thread (or
/// inline when no deadline applies).
pub struct DeadlineInstance {
    /// `None` while a call has it, and for good once a call was abandoned.
    inst: Option<OperatorInstance>,
    plugin: Arc<LoadedPlugin>,
    timeout: Option<Duration>,
    abandon: Arc<Abandon>,
    /// The call thread; `None` when calls run inline.
    tasks: Option<Sender<Task>>,
    poisoned: bool,
}

impl DeadlineInstance {
    /// Wraps `inst`: with a `timeout`, on a call thread named `name`; with
    /// none, calls run on the caller's thread and only [`Abandon`] at the
    /// process's end stops a stuck one.
    pub fn new(
        inst: OperatorInstance,
        timeout: Option<Duration>,
        abandon: Arc<Abandon>,
        name: &str,
    ) -> std::io::Result<DeadlineInstance> {
        let plugin = inst.plugin().clone();
        let tasks = match timeout {
            None => None,
            Some(_) => {
                let (tx, rx) = bounded::<Task>(1);
                std::thread::Builder::new().name(name.to_string()).spawn(move || {
                    for task in rx.iter() {
                        task();
                    }
                })?;
                Some(tx)
            }
        };
        Ok(DeadlineInstance { inst: Some(inst), plugin, timeout, abandon, tasks, poisoned: false })
    }

    /// The plugin version this instance runs (also once poisoned).
    pub fn plugin(&self) -> &Arc<LoadedPlugin> {
        &self.plugin
    }

    /// Whether a call was abandoned: the instance is gone.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// Processes `frame` as entry `seq` of the stream, within the deadline.
    pub fn process(&mut self, frame: &Arc<Frame>, seq: u64) -> Result<Output, CallFailure> {
        let frame = frame.clone();
        self.call(move |inst| inst.process(&frame, seq)).and_then(|r| r.map_err(CallFailure::Plugin))
    }

    /// Ends the stream, within the deadline.
    pub fn finish(&mut self) -> Result<Output, CallFailure> {
        self.call(|inst| inst.finish()).and_then(|r| r.map_err(CallFailure::Plugin))
    }

    /// The instance's state, if it offers one (hot reload).
    pub fn snapshot(&mut self) -> Result<Option<Vec<u8>>, CallFailure> {
        self.call(|inst| inst.snapshot()).and_then(|r| r.map_err(CallFailure::Plugin))
    }

    /// Takes over state from another instance's snapshot (hot reload).
    pub fn restore(&mut self, state: Vec<u8>) -> Result<(), CallFailure> {
        self.call(move |inst| inst.restore(&state)).and_then(|r| r.map_err(CallFailure::Plugin))
    }

    /// Runs `f` on the instance: inline, or on the call thread while this
    /// thread waits for the deadline, polling the job's abandon flag.
    fn call<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut OperatorInstance) -> T + Send + 'static,
    ) -> Result<T, CallFailure> {
        let Some(mut inst) = self.inst.take() else {
            // A poisoned instance is never called; the stage stops first.
            return Err(CallFailure::Abandoned);
        };
        let (Some(tasks), Some(timeout)) = (&self.tasks, self.timeout) else {
            let out = f(&mut inst);
            self.inst = Some(inst);
            return Ok(out);
        };
        let (reply_tx, reply_rx): (Sender<(OperatorInstance, T)>, Receiver<_>) = bounded(1);
        let task: Task = Box::new(move || {
            let out = f(&mut inst);
            // The stage may have given up on us: the instance then drops here.
            let _ = reply_tx.send((inst, out));
        });
        if tasks.send(task).is_err() {
            // The call thread has gone (it only ends when its sender drops).
            self.poison();
            return Err(CallFailure::Abandoned);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            if now >= deadline {
                self.poison();
                return Err(CallFailure::Timeout(timeout));
            }
            match reply_rx.recv_timeout((deadline - now).min(ABANDON_POLL)) {
                Ok((inst, out)) => {
                    self.inst = Some(inst);
                    return Ok(out);
                }
                Err(RecvTimeoutError::Timeout) if self.abandon.is_set() => {
                    self.poison();
                    return Err(CallFailure::Abandoned);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.poison();
                    return Err(CallFailure::Abandoned);
                }
            }
        }
    }

    /// Gives the instance up to the stuck thread for good: dropping the
    /// task sender lets that thread end (and drop the instance) if the call
    /// ever returns.
    fn poison(&mut self) {
        self.poisoned = true;
        self.tasks = None;
    }
}
