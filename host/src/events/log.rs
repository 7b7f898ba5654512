//! The append-only JSON-lines event log: one line per event, flushed per
//! line so a crash loses nothing already written, and read back as typed
//! events whatever version of plexus wrote it.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use super::{ControlBus, Event};

/// Writes every event of a bus to an append-only JSON-lines file, one line
/// per event, flushed per line so a crash loses nothing already reported.
pub struct EventLog {
    thread: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
}

impl EventLog {
    /// Starts appending the events of `bus` to `path`.
    pub fn start(bus: &ControlBus, path: &Path) -> std::io::Result<EventLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new().create(true).append(true).open(path)?;
        let rx = bus.subscribe_lossless("event-log");
        let thread = std::thread::Builder::new().name("plexus-event-log".into()).spawn(move || {
            for event in rx {
                let mut line = event.to_json().to_string();
                line.push('\n');
                if let Err(e) = file.write_all(line.as_bytes()) {
                    tracing::error!("cannot append to the event log: {e}");
                }
            }
            let _ = file.sync_data();
        })?;
        Ok(EventLog { thread: Some(thread), path: path.to_path_buf() })
    }

    /// Where the log is written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits until every event published before `bus.close()` is written.
    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A filter for reading the log back.
#[derive(Debug, Default, Clone)]
pub struct EventQuery {
    /// Only events at or after this time.
    pub since: Option<SystemTime>,
    /// Only events whose kind equals this or starts with it and a dot.
    pub kind: Option<String>,
}

impl EventQuery {
    fn matches(&self, e: &Event) -> bool {
        if let Some(kind) = &self.kind {
            let k = e.kind_name();
            if &k != kind && !k.starts_with(&format!("{kind}.")) {
                return false;
            }
        }
        self.since.is_none_or(|since| e.time >= since)
    }
}

/// Reads the events of the log at `path` that match `query`. A line that is
/// not an event (a torn last line after a crash) is skipped with a warning.
pub fn read_events(path: &Path, query: &EventQuery) -> std::io::Result<Vec<Event>> {
    let file = File::open(path)?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(&line).ok().and_then(|v| Event::from_json(&v)) {
            Some(e) if query.matches(&e) => out.push(e),
            Some(_) => {}
            None => tracing::warn!("`{}` line {}: not an event", path.display(), i + 1),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::events::EventKind;

    #[test]
    fn log_round_trip_and_filters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let bus = ControlBus::new();
        let log = EventLog::start(&bus, &path).unwrap();
        bus.emit(EventKind::PluginRemoved { plugin: "trend".into() });
        bus.emit(EventKind::ServeStopped { reason: "signal".into(), abandoned: Vec::new(), unfinished: Vec::new() });
        bus.emit(EventKind::Other { kind: "plugins".into(), fields: serde_json::Map::new() });
        bus.close();
        log.join();
        let all = read_events(&path, &EventQuery::default()).unwrap();
        assert_eq!(all.len(), 3);
        let plugin = read_events(&path, &EventQuery { kind: Some("plugin".into()), since: None }).unwrap();
        assert_eq!(plugin.len(), 1, "`plugin` matches `plugin.removed`, not `plugins`");
        assert_eq!(plugin[0].kind, EventKind::PluginRemoved { plugin: "trend".into() });
        let future = SystemTime::now() + std::time::Duration::from_secs(60);
        assert!(read_events(&path, &EventQuery { kind: None, since: Some(future) }).unwrap().is_empty());
    }

    /// A log written by plexus before typed events (main at c23deac,
    /// `tests/fixtures/events/make_v1_log.sh`) reads back into typed events.
    #[test]
    fn a_log_written_before_typed_events_reads_back_typed() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/events/v1.jsonl");
        let text = std::fs::read_to_string(&path).unwrap();
        let events = read_events(&path, &EventQuery::default()).unwrap();
        assert_eq!(events.len(), text.lines().count(), "every line is an event");
        for (e, line) in events.iter().zip(text.lines()) {
            let original: Value = serde_json::from_str(line).unwrap();
            assert_eq!(e.kind_name(), original["kind"].as_str().unwrap());
            match &e.kind {
                EventKind::Other { kind, .. } => panic!("`{kind}` was not read as a typed event: {line}"),
                EventKind::Plugin { kind, .. } => assert_eq!(kind, "anomaly", "{line}"),
                _ => {}
            }
            assert_eq!(e.to_json(), original, "written back the same");
        }
        let kinds: std::collections::BTreeSet<String> = events.iter().map(Event::kind_name).collect();
        assert_eq!(kinds.len(), 28, "{kinds:?}");
        let frame_error = events.iter().find_map(|e| match &e.kind {
            EventKind::FrameError { stage, seq, error, .. } => Some((stage.clone(), *seq, error.clone())),
            _ => None,
        });
        assert_eq!(frame_error, Some(("flaky".to_string(), 0, "operator panicked: frame 0 is cursed".to_string())));
    }
}
