//! Counters a stage updates as it runs, read by the progress bar and the
//! summary table.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Counters of one stage.
#[derive(Default)]
pub struct StageStats {
    /// Frames received.
    pub frames_in: AtomicU64,
    /// Frames sent downstream.
    pub frames_out: AtomicU64,
    /// Calls into the operator (process and finish).
    pub calls: AtomicU64,
    /// Frames that failed.
    pub errors: AtomicU64,
    /// Nanoseconds spent inside the operator.
    pub busy_ns: AtomicU64,
    /// Plugin versions used, in order: (version, sha256).
    pub versions: Mutex<Vec<(String, String)>>,
    /// Parameters actually used, references resolved.
    pub params: Mutex<serde_json::Map<String, serde_json::Value>>,
}

impl StageStats {
    /// Adds one call of `elapsed`.
    pub fn record_call(&self, elapsed: Duration) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.busy_ns.fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
    }

    /// Notes a plugin version taking over.
    pub fn record_version(&self, version: &str, sha256: &str) {
        let mut v = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        if v.last().is_none_or(|(_, s)| s != sha256) {
            v.push((version.to_string(), sha256.to_string()));
        }
    }

    /// Reads a counter.
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}
