//! The results board: side outputs each stage publishes (`out.result(...)`),
//! read by `${stage.key}` references and written to the result sidecar.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};

#[derive(Default)]
struct Board {
    results: Vec<Map<String, Value>>,
    finished: Vec<bool>,
}

/// Per-stage results, shared by every stage of a run.
pub struct ResultsBoard {
    board: Mutex<Board>,
    changed: Condvar,
}

impl ResultsBoard {
    /// A board for `n` stages.
    pub fn new(n: usize) -> ResultsBoard {
        ResultsBoard {
            board: Mutex::new(Board { results: vec![Map::new(); n], finished: vec![false; n] }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Merges results of stage `i` (later values win).
    pub fn publish(&self, i: usize, results: &Map<String, Value>) {
        if results.is_empty() {
            return;
        }
        let mut b = self.lock();
        for (k, v) in results {
            b.results[i].insert(k.clone(), v.clone());
        }
        self.changed.notify_all();
    }

    /// Stage `i` will publish nothing more.
    pub fn finish(&self, i: usize) {
        self.lock().finished[i] = true;
        self.changed.notify_all();
    }

    /// Result `key` of stage `i`: `Ok(Some)` when published, `Ok(None)` while
    /// it may still come, `Err` when the stage finished without it.
    pub fn get(&self, i: usize, key: &str) -> Result<Option<Value>, ()> {
        let b = self.lock();
        match b.results[i].get(key) {
            Some(v) => Ok(Some(v.clone())),
            None if b.finished[i] => Err(()),
            None => Ok(None),
        }
    }

    /// Waits up to `timeout` for any change.
    pub fn wait(&self, timeout: Duration) {
        let b = self.lock();
        let _ = self.changed.wait_timeout(b, timeout);
    }

    /// Every stage's results, in stage order.
    pub fn all(&self) -> Vec<Map<String, Value>> {
        self.lock().results.clone()
    }
}
