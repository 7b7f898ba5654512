//! Every kind of control event the host emits, in one enum.
//!
//! An event is a JSON object on one line of `events.jsonl`: `time` (RFC
//! 3339, milliseconds), `kind` (dotted, `plugin.loaded`), and the kind's
//! fields at the top level. This is the format plexus has written since
//! the first event log, so old logs stay readable: a line is read into its
//! typed variant, fields this version added are optional, and a line of a
//! kind this version does not know (a plugin's own event, a newer host's
//! event) is kept whole as [`EventKind::Plugin`] or [`EventKind::Other`].

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One control event: when, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it happened.
    pub time: SystemTime,
    /// What happened.
    pub kind: EventKind,
}

/// What happened. Serialized with its dotted kind as the `kind` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
#[non_exhaustive]
pub enum EventKind {
    // ----- plugins (from the registry) -----
    /// A plugin passed verification and was mapped.
    #[serde(rename = "plugin.loaded")]
    PluginLoaded {
        /// Plugin name.
        plugin: String,
        /// Its version.
        version: String,
        /// sha256 of its artifact.
        sha256: String,
        /// The folder it came from.
        folder: String,
    },
    /// A new version replaced the serving one.
    #[serde(rename = "plugin.reloaded")]
    PluginReloaded {
        /// Plugin name.
        plugin: String,
        /// Old version.
        from: String,
        /// New version.
        to: String,
        /// sha256 of the new artifact.
        sha256: String,
    },
    /// A new version failed to load or failed its first call; the old one
    /// stays.
    #[serde(rename = "plugin.reload_failed")]
    PluginReloadFailed {
        /// Plugin name.
        plugin: String,
        /// The version that failed.
        version: String,
        /// Machine-readable reason (`first_call_failed`, `sha256_mismatch`…).
        reason: String,
        /// What went wrong.
        message: String,
    },
    /// An artifact was refused.
    #[serde(rename = "plugin.rejected")]
    PluginRejected {
        /// Its manifest.
        manifest: String,
        /// Machine-readable reason.
        reason: String,
        /// What went wrong.
        message: String,
    },
    /// A plugin's folder went away.
    #[serde(rename = "plugin.removed")]
    PluginRemoved {
        /// Plugin name.
        plugin: String,
    },
    /// A wasm guest wrote to stdout or stderr.
    #[serde(rename = "plugin.output")]
    PluginOutput {
        /// Plugin name.
        plugin: String,
        /// Its version.
        version: String,
        /// `stdout` or `stderr`.
        stream: String,
        /// The text, one line.
        text: String,
    },

    // ----- runs -----
    /// A run started.
    #[serde(rename = "pipeline.started")]
    PipelineStarted {
        /// Pipeline name.
        pipeline: String,
        /// The pipeline file.
        file: String,
        /// Dataset id.
        dataset: String,
    },
    /// A run ended.
    #[serde(rename = "pipeline.finished")]
    PipelineFinished {
        /// Pipeline name.
        pipeline: String,
        /// Dataset id.
        dataset: String,
        /// Wall-clock time.
        wall_ms: f64,
        /// Failed frames, stages, outputs and plots.
        errors: u64,
    },
    /// A stage built its operator and is taking frames.
    #[serde(rename = "stage.started")]
    StageStarted {
        /// Pipeline name.
        pipeline: String,
        /// Stage id.
        stage: String,
        /// `plugin.operator`.
        #[serde(rename = "use")]
        uses: String,
        /// Instances, when the stage runs several (`parallel = true`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instances: Option<u64>,
        /// Threads each instance may use (added in data plane v2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threads: Option<u64>,
        /// Sandbox grants, when the pipeline gave any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grants: Option<Value>,
    },
    /// A stage is done.
    #[serde(rename = "stage.finished")]
    StageFinished {
        /// Pipeline name.
        pipeline: String,
        /// Stage id.
        stage: String,
        /// Frames received.
        frames_in: u64,
        /// Frames sent.
        frames_out: u64,
        /// Operator calls.
        calls: u64,
        /// Failed frames and stage errors.
        errors: u64,
        /// Time inside the operator.
        busy_ms: f64,
    },
    /// A stage moved to a new plugin version between two frames.
    #[serde(rename = "stage.switched")]
    StageSwitched {
        /// Pipeline name.
        pipeline: String,
        /// Stage id.
        stage: String,
        /// Plugin name.
        plugin: String,
        /// Old version.
        from: String,
        /// New version.
        to: String,
        /// The first frame processed by the new version.
        seq: u64,
    },
    /// A stage failed as a whole.
    #[serde(rename = "stage.error")]
    StageError {
        /// Pipeline name.
        pipeline: String,
        /// Stage id.
        stage: String,
        /// The kind of error where it has one (`timeout`, `abandoned`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// What went wrong.
        error: String,
    },
    /// Something about a stage worth knowing that is not an error.
    #[serde(rename = "stage.warning")]
    StageWarning {
        /// Pipeline name (absent in logs before data plane v2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pipeline: Option<String>,
        /// Stage id.
        stage: String,
        /// What happened.
        message: String,
    },
    /// One frame failed in one stage; the stream goes on.
    #[serde(rename = "frame.error")]
    FrameError {
        /// Pipeline name.
        pipeline: String,
        /// Stage id.
        stage: String,
        /// Plugin name.
        plugin: String,
        /// The plugin version that failed.
        version: String,
        /// Position in the stage's input stream.
        seq: u64,
        /// Chunk offset along the chunk axis.
        offset: u64,
        /// Chunk length.
        length: u64,
        /// What went wrong.
        error: String,
    },
    /// An input file (or an image of a batch) could not be read.
    #[serde(rename = "input.error")]
    InputError {
        /// Dataset id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dataset: Option<String>,
        /// The file or image.
        file: String,
        /// What went wrong.
        error: String,
    },
    /// A stage's side outputs at the end of a run.
    #[serde(rename = "result")]
    Result {
        /// Pipeline name.
        pipeline: String,
        /// Stage id.
        stage: String,
        /// Its results.
        results: Value,
    },
    /// An output was written.
    #[serde(rename = "output.written")]
    OutputWritten {
        /// Pipeline name.
        pipeline: String,
        /// The file.
        path: String,
        /// Frames written.
        frames: u64,
    },
    /// An output could not be written.
    #[serde(rename = "output.failed")]
    OutputFailed {
        /// Pipeline name.
        pipeline: String,
        /// The file.
        path: String,
        /// Frames received.
        frames: u64,
        /// What went wrong.
        error: String,
    },
    /// A plot was drawn.
    #[serde(rename = "plot.written")]
    PlotWritten {
        /// Pipeline name.
        pipeline: String,
        /// The stage plotted.
        stage: String,
        /// The PNG.
        path: String,
    },
    /// A plot could not be drawn.
    #[serde(rename = "plot.failed")]
    PlotFailed {
        /// Pipeline name.
        pipeline: String,
        /// The stage plotted.
        stage: String,
        /// The PNG.
        path: String,
        /// What is missing.
        error: String,
    },
    /// Intermediate data between two sections went through the chunk store.
    #[serde(rename = "section.resliced")]
    SectionResliced {
        /// Pipeline name.
        pipeline: String,
        /// The stage whose output was resliced.
        from: String,
        /// The stage (or stages) reading it.
        to: String,
        /// `memory` or `disk`.
        store: String,
        /// Bytes resliced.
        bytes: u64,
        /// Time from the first chunk stored to the last read.
        wall_ms: f64,
    },
    /// A stage that waited for a `${stage.key}` result parked frames on
    /// disk so the budget they held could serve the chunks still needed.
    #[serde(rename = "stage.parked")]
    StageParked {
        /// Pipeline name.
        pipeline: String,
        /// The waiting stage.
        stage: String,
        /// Frames that went to disk and came back.
        frames: u64,
    },
    /// A resumed run skipped the chunks a killed run had finished.
    #[serde(rename = "job.resumed")]
    JobResumed {
        /// Pipeline name.
        pipeline: String,
        /// Chunks already done.
        done: u64,
        /// Chunks of the input.
        total: u64,
    },
    /// A live subscriber fell behind and missed events.
    #[serde(rename = "events.dropped")]
    EventsDropped {
        /// The subscriber.
        subscriber: String,
        /// Events it missed since the last report.
        dropped: u64,
    },

    // ----- the daemon -----
    /// `plexus serve` started.
    #[serde(rename = "serve.started")]
    ServeStarted {
        /// Pipelines folder.
        pipelines: String,
        /// Input folder.
        input: String,
        /// Output folder.
        output: String,
    },
    /// `plexus serve` stopped.
    #[serde(rename = "serve.stopped")]
    ServeStopped {
        /// Why (`signal`, or the signal's name).
        reason: String,
        /// Calls still running at the end of the grace, abandoned.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        abandoned: Vec<Value>,
        /// Datasets still running when the daemon ended: no done marker,
        /// so they run again (resuming where they can) after a restart.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unfinished: Vec<String>,
    },
    /// `plexus run` ended on a signal: what was finished, and what was
    /// abandoned at the end of the grace.
    #[serde(rename = "stopped")]
    Stopped {
        /// Pipeline name.
        pipeline: String,
        /// The signal (`SIGTERM`, `SIGINT`).
        signal: String,
        /// The grace, in seconds.
        grace_s: f64,
        /// Chunks finished through the whole graph, of the total.
        chunks_done: u64,
        /// Chunks the input held (0 when unknown).
        chunks_total: u64,
        /// Calls still running at the end of the grace, abandoned: stage,
        /// `uses`, the frame (`seq`, none for `finish`), how long it ran.
        abandoned: Vec<Value>,
        /// Whether the outputs were closed before the process ended (else
        /// their partial files and journals stay, for `--resume`).
        outputs_closed: bool,
    },
    /// A pipeline file was checked and taken into service.
    #[serde(rename = "pipeline.loaded")]
    PipelineLoaded {
        /// The file.
        file: String,
        /// Pipeline name.
        pipeline: String,
    },
    /// A changed pipeline file replaced its previous version.
    #[serde(rename = "pipeline.reloaded")]
    PipelineReloaded {
        /// The file.
        file: String,
        /// Pipeline name.
        pipeline: String,
    },
    /// A changed pipeline file was refused.
    #[serde(rename = "pipeline.reload_failed")]
    PipelineReloadFailed {
        /// The file.
        file: String,
        /// Whether the previous version stays in service.
        kept_previous: bool,
        /// What is wrong.
        error: String,
    },
    /// A dataset arrived while no pipeline loads: it waits, and runs once a
    /// valid pipeline appears.
    #[serde(rename = "dataset.pending")]
    DatasetPending {
        /// Dataset id.
        dataset: String,
        /// The file.
        path: String,
    },
    /// A dataset arrived and its pipelines started.
    #[serde(rename = "dataset.started")]
    DatasetStarted {
        /// Dataset id.
        dataset: String,
        /// The file.
        path: String,
    },
    /// Every pipeline of a dataset ended.
    #[serde(rename = "dataset.finished")]
    DatasetFinished {
        /// Dataset id.
        dataset: String,
        /// Per pipeline, `{errors}` or `{failed}`.
        pipelines: Value,
        /// Bytes of the dataset read (once for the pipelines sharing a read).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bytes_read: Option<u64>,
    },

    // ----- open-ended -----
    /// An event a plugin published (`out.event(kind, fields)`: an anomaly,
    /// a measurement), with the stage that published it.
    #[serde(skip)]
    Plugin {
        /// The plugin's own kind (`anomaly`).
        kind: String,
        /// Pipeline name.
        pipeline: String,
        /// Stage id.
        stage: String,
        /// Plugin name.
        plugin: String,
        /// The plugin's fields.
        fields: Map<String, Value>,
    },
    /// A line of a kind this version does not know, kept whole.
    #[serde(skip)]
    Other {
        /// Its kind.
        kind: String,
        /// Its fields.
        fields: Map<String, Value>,
    },
}

impl Event {
    /// An event happening now.
    pub fn now(kind: EventKind) -> Event {
        Event { time: SystemTime::now(), kind }
    }

    /// The dotted kind (`plugin.loaded`, or a plugin's own).
    pub fn kind_name(&self) -> String {
        match &self.kind {
            EventKind::Plugin { kind, .. } | EventKind::Other { kind, .. } => kind.clone(),
            k => serde_json::to_value(k)
                .ok()
                .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_default(),
        }
    }

    /// The JSON object written as one line of the log.
    pub fn to_json(&self) -> Value {
        let mut m = match &self.kind {
            EventKind::Plugin { kind, pipeline, stage, plugin, fields } => {
                let mut m = fields.clone();
                m.insert("kind".into(), kind.clone().into());
                m.insert("pipeline".into(), pipeline.clone().into());
                m.insert("stage".into(), stage.clone().into());
                m.insert("plugin".into(), plugin.clone().into());
                m
            }
            EventKind::Other { kind, fields } => {
                let mut m = fields.clone();
                m.insert("kind".into(), kind.clone().into());
                m
            }
            k => match serde_json::to_value(k) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            },
        };
        m.insert("time".into(), humantime::format_rfc3339_millis(self.time).to_string().into());
        Value::Object(m)
    }

    /// Reads one line's object back: its typed variant when this version
    /// knows the kind, else [`EventKind::Plugin`] (it names a pipeline,
    /// stage and plugin) or [`EventKind::Other`]. `None` when it is not an
    /// event (no `kind`, or no RFC 3339 `time`).
    pub fn from_json(v: &Value) -> Option<Event> {
        let m = v.as_object()?;
        let time = humantime::parse_rfc3339_weak(m.get("time")?.as_str()?).ok()?;
        let kind_name = m.get("kind")?.as_str()?.to_string();
        let mut fields = m.clone();
        fields.remove("time");
        if let Ok(kind) = serde_json::from_value::<EventKind>(Value::Object(fields.clone())) {
            return Some(Event { time, kind });
        }
        fields.remove("kind");
        let text = |f: &mut Map<String, Value>, k: &str| match f.get(k) {
            Some(Value::String(_)) => f.remove(k).and_then(|v| v.as_str().map(str::to_string)),
            _ => None,
        };
        let mut rest = fields.clone();
        let kind = match (text(&mut rest, "pipeline"), text(&mut rest, "stage"), text(&mut rest, "plugin")) {
            (Some(pipeline), Some(stage), Some(plugin)) if !is_host_kind(&kind_name) => {
                EventKind::Plugin { kind: kind_name, pipeline, stage, plugin, fields: rest }
            }
            _ => EventKind::Other { kind: kind_name, fields },
        };
        Some(Event { time, kind })
    }
}

/// The kinds the host itself emits, for telling a plugin's event from a
/// malformed host event.
pub const HOST_KINDS: &[&str] = &[
    "plugin.loaded",
    "plugin.reloaded",
    "plugin.reload_failed",
    "plugin.rejected",
    "plugin.removed",
    "plugin.output",
    "pipeline.started",
    "pipeline.finished",
    "stage.started",
    "stage.finished",
    "stage.switched",
    "stage.error",
    "stage.warning",
    "frame.error",
    "input.error",
    "result",
    "output.written",
    "output.failed",
    "plot.written",
    "plot.failed",
    "section.resliced",
    "stage.parked",
    "job.resumed",
    "events.dropped",
    "serve.started",
    "serve.stopped",
    "stopped",
    "pipeline.loaded",
    "pipeline.reloaded",
    "pipeline.reload_failed",
    "dataset.pending",
    "dataset.started",
    "dataset.finished",
];

fn is_host_kind(kind: &str) -> bool {
    HOST_KINDS.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind the enum declares (its `rename`s, read from this file) is
    /// listed in `HOST_KINDS`, so a new kind cannot be mistaken for a
    /// plugin's event.
    #[test]
    fn host_kinds_lists_every_declared_kind() {
        let src = include_str!("kinds.rs");
        let declared: Vec<&str> = src
            .lines()
            // Variant attributes sit at one indent; field renames deeper.
            .filter_map(|l| l.strip_prefix("    #[serde(rename = \""))
            .filter_map(|l| l.split('"').next())
            .collect();
        assert!(declared.len() > 20, "{declared:?}");
        for kind in declared {
            assert!(HOST_KINDS.contains(&kind), "`{kind}` is missing from HOST_KINDS");
        }
    }

    fn round_trip(kind: EventKind) -> Event {
        let e = Event::now(kind);
        let line = e.to_json().to_string();
        let back = Event::from_json(&serde_json::from_str(&line).unwrap()).unwrap();
        // Times are written to the millisecond.
        assert_eq!(back.kind, e.kind, "{line}");
        back
    }

    #[test]
    fn typed_events_round_trip_through_a_line() {
        let e = round_trip(EventKind::StageStarted {
            pipeline: "p".into(),
            stage: "s".into(),
            uses: "geometry.convolve".into(),
            instances: Some(2),
            threads: None,
            grants: None,
        });
        assert_eq!(e.kind_name(), "stage.started");
        let line = e.to_json();
        assert_eq!(line["use"], "geometry.convolve");
        assert!(line.get("threads").is_none(), "absent options are not written");
        round_trip(EventKind::Result { pipeline: "p".into(), stage: "s".into(), results: serde_json::json!({"a": 1}) });
    }

    #[test]
    fn plugin_events_keep_their_kind_and_fields() {
        let mut fields = Map::new();
        fields.insert("score".into(), 4.5.into());
        let e = round_trip(EventKind::Plugin {
            kind: "anomaly".into(),
            pipeline: "p".into(),
            stage: "z".into(),
            plugin: "anomaly".into(),
            fields,
        });
        assert_eq!(e.kind_name(), "anomaly");
        assert_eq!(e.to_json()["score"], 4.5);
    }

    #[test]
    fn unknown_and_malformed_lines() {
        let v = serde_json::json!({"time": "2026-12-01T16:03:00.403Z", "kind": "future.thing", "x": 1});
        let e = Event::from_json(&v).unwrap();
        assert!(matches!(&e.kind, EventKind::Other { kind, fields } if kind == "future.thing" && fields["x"] == 1));
        assert_eq!(e.to_json(), v, "kept whole");
        // A host kind with a field of the wrong type stays readable, as Other.
        let v = serde_json::json!({"time": "2026-12-01T16:03:00.403Z", "kind": "frame.error", "seq": "x"});
        assert!(matches!(Event::from_json(&v).unwrap().kind, EventKind::Other { .. }));
        assert!(Event::from_json(&serde_json::json!({"kind": "x"})).is_none(), "no time");
        assert!(Event::from_json(&serde_json::json!([1, 2])).is_none());
    }
}
