//! Control events: one broadcast channel that feeds the event log (and,
//! later, the HTTP event stream and metrics), and the append-only JSON-lines
//! log itself.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::{Map, Value};

use crate::bus::{queue, QueueRx, QueueTx};

/// One control event: a kind (`plugin.loaded`, `frame.error`, …), when it
/// happened, and its fields.
#[derive(Debug, Clone)]
pub struct Event {
    /// When.
    pub time: SystemTime,
    /// Dotted kind.
    pub kind: String,
    /// Kind-specific fields.
    pub fields: Map<String, Value>,
}

impl Event {
    /// A new event happening now.
    pub fn new(kind: impl Into<String>) -> Event {
        Event { time: SystemTime::now(), kind: kind.into(), fields: Map::new() }
    }

    /// Adds a field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Event {
        self.fields.insert(key.to_string(), value.into());
        self
    }

    /// The JSON line written to the log.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("time".into(), humantime::format_rfc3339_millis(self.time).to_string().into());
        m.insert("kind".into(), self.kind.clone().into());
        for (k, v) in &self.fields {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }
}

/// The broadcast channel of control events. Cloning shares it.
#[derive(Clone, Default)]
pub struct ControlBus {
    subscribers: Arc<Mutex<Vec<QueueTx<Arc<Event>>>>>,
}

impl ControlBus {
    /// A bus with no subscribers.
    pub fn new() -> ControlBus {
        ControlBus::default()
    }

    /// Publishes to every subscriber; a subscriber that went away is dropped.
    pub fn emit(&self, event: Event) {
        let event = Arc::new(event);
        let mut subs = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subs.retain(|s| s.send(event.clone()).is_ok());
    }

    /// Receives every event published from now on.
    pub fn subscribe(&self) -> QueueRx<Arc<Event>> {
        let (tx, rx) = queue(None);
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner()).push(tx);
        rx
    }

    /// Disconnects every subscriber so their loops end once drained.
    pub fn close(&self) {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

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
        let rx = bus.subscribe();
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
    fn matches(&self, v: &Value) -> bool {
        if let Some(kind) = &self.kind {
            let k = v.get("kind").and_then(Value::as_str).unwrap_or("");
            if k != kind && !k.starts_with(&format!("{kind}.")) {
                return false;
            }
        }
        if let Some(since) = self.since {
            let t = v.get("time").and_then(Value::as_str).and_then(|t| humantime::parse_rfc3339(t).ok());
            if t.is_none_or(|t| t < since) {
                return false;
            }
        }
        true
    }
}

/// Reads the events of the log at `path` that match `query`. A line that is
/// not JSON (a torn last line after a crash) is skipped with a warning.
pub fn read_events(path: &Path, query: &EventQuery) -> std::io::Result<Vec<Value>> {
    let file = File::open(path)?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(&line) {
            Ok(v) if query.matches(&v) => out.push(v),
            Ok(_) => {}
            Err(e) => tracing::warn!("`{}` line {}: not an event: {e}", path.display(), i + 1),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_round_trip_and_filters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let bus = ControlBus::new();
        let log = EventLog::start(&bus, &path).unwrap();
        bus.emit(Event::new("plugin.loaded").with("name", "trend"));
        bus.emit(Event::new("frame.error").with("seq", 3));
        bus.emit(Event::new("plugins").with("x", 1));
        bus.close();
        log.join();
        let all = read_events(&path, &EventQuery::default()).unwrap();
        assert_eq!(all.len(), 3);
        let plugin = read_events(&path, &EventQuery { kind: Some("plugin".into()), since: None }).unwrap();
        assert_eq!(plugin.len(), 1);
        assert_eq!(plugin[0]["name"], "trend");
        let future = SystemTime::now() + std::time::Duration::from_secs(60);
        assert!(read_events(&path, &EventQuery { kind: None, since: Some(future) }).unwrap().is_empty());
    }
}
