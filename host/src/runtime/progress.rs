//! How far a job has got, counted where chunks finish: a chunk's permit
//! release (the last frame derived from it is dropped) adds it to the
//! done counters; sources and reslices add what they will send to the
//! totals.

use std::sync::atomic::{AtomicU64, Ordering};

/// How far a job has got: chunks (and their bytes) fully processed through
/// the graph, of the total the source will send (0 when unknown, as for a
/// source operator's stream).
#[derive(Debug, Default)]
pub struct Progress {
    chunks_done: AtomicU64,
    chunks_total: AtomicU64,
    bytes_done: AtomicU64,
    bytes_total: AtomicU64,
}

/// A reading of [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ProgressSnapshot {
    /// Chunks every consumer is done with.
    pub chunks_done: u64,
    /// Chunks the source will send; 0 when unknown.
    pub chunks_total: u64,
    /// Bytes of the chunks done.
    pub bytes_done: u64,
    /// Bytes the source will send; 0 when unknown.
    pub bytes_total: u64,
}

impl Progress {
    /// Counts one chunk of `bytes` done (its permit was released).
    pub fn chunk_done(&self, bytes: u64) {
        self.chunks_done.fetch_add(1, Ordering::Relaxed);
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(super) fn set_totals(&self, chunks: u64, bytes: u64) {
        self.chunks_total.store(chunks, Ordering::Relaxed);
        self.bytes_total.store(bytes, Ordering::Relaxed);
    }

    /// Adds chunks that a reslice will send to the totals.
    pub fn add_totals(&self, chunks: u64, bytes: u64) {
        self.chunks_total.fetch_add(chunks, Ordering::Relaxed);
        self.bytes_total.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            chunks_done: self.chunks_done.load(Ordering::Relaxed),
            chunks_total: self.chunks_total.load(Ordering::Relaxed),
            bytes_done: self.bytes_done.load(Ordering::Relaxed),
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
        }
    }
}
