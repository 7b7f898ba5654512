//! The memory budget: a cap on the bytes that chunks in flight may cost, and
//! the [`Permit`] each chunk holds until the last frame derived from it is
//! dropped.
//!
//! A permit is taken by a source before it reads a chunk and weighs what the
//! chunk will cost on its way through the graph (its bytes times the plan's
//! memory factor), so the budget caps the working set, not just the input
//! copies. One chunk is always admitted when no other chunk is in flight, so
//! a chunk larger than the budget still runs, alone; `plexus check` says
//! when that happens. A [`reservation`](MemoryBudget::reserve) (an
//! in-memory reslice store) holds bytes without being a chunk, so it never
//! keeps a chunk from running alone. `plexus serve` shares one budget
//! between the pipelines of a dataset.

use std::sync::{Arc, Condvar, Mutex};

/// Caps the bytes of chunks in flight.
pub struct MemoryBudget {
    limit: usize,
    /// Chunks admitted whatever their weight (a halo window holds one chunk
    /// while it waits for the next).
    min_chunks: usize,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Default)]
struct State {
    used: usize,
    peak: usize,
    /// Chunk permits held (reservations are not chunks).
    chunks: usize,
}

/// What runs when a permit is released (returning a buffer to its pool,
/// counting a chunk done).
type Release = Box<dyn FnOnce() + Send + Sync>;

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Arc<MemoryBudget> {
        MemoryBudget::with_min_chunks(limit, 1)
    }

    /// A budget of `limit` bytes that admits `min_chunks` chunks at once
    /// even when they weigh more.
    pub fn with_min_chunks(limit: usize, min_chunks: usize) -> Arc<MemoryBudget> {
        let min_chunks = min_chunks.max(1);
        Arc::new(MemoryBudget { limit, min_chunks, state: Mutex::new(State::default()), freed: Condvar::new() })
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blocks until `bytes` fit, then holds them until the permit drops.
    pub fn acquire(self: &Arc<Self>, bytes: usize) -> Arc<Permit> {
        Arc::new(self.acquire_owned(bytes))
    }

    /// [`acquire`](Self::acquire), unshared, so a release hook can be added.
    pub fn acquire_owned(self: &Arc<Self>, bytes: usize) -> Permit {
        let mut s = self.lock();
        while s.chunks >= self.min_chunks && s.used + bytes > self.limit {
            s = self.freed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        s.used += bytes;
        s.chunks += 1;
        s.peak = s.peak.max(s.used);
        Permit { budget: self.clone(), bytes, chunk: true, release: Vec::new() }
    }

    /// Takes `bytes` if they fit now, without waiting.
    pub fn try_acquire(self: &Arc<Self>, bytes: usize) -> Option<Permit> {
        let mut s = self.lock();
        if s.chunks >= self.min_chunks && s.used + bytes > self.limit {
            return None;
        }
        s.used += bytes;
        s.chunks += 1;
        s.peak = s.peak.max(s.used);
        Some(Permit { budget: self.clone(), bytes, chunk: true, release: Vec::new() })
    }

    /// Holds `bytes` for something that is not a chunk (an in-memory
    /// reslice store), at once: the schedule decided it fits.
    pub fn reserve(self: &Arc<Self>, bytes: usize) -> Permit {
        let mut s = self.lock();
        s.used += bytes;
        s.peak = s.peak.max(s.used);
        Permit { budget: self.clone(), bytes, chunk: false, release: Vec::new() }
    }

    /// Bytes currently held.
    pub fn in_use(&self) -> usize {
        self.lock().used
    }

    /// The most bytes held at once so far.
    pub fn peak(&self) -> usize {
        self.lock().peak
    }
}

/// A share of a [`MemoryBudget`], returned on drop (after its release
/// hooks have run, so a pooled buffer is back in its pool before another
/// chunk is admitted).
pub struct Permit {
    budget: Arc<MemoryBudget>,
    bytes: usize,
    chunk: bool,
    release: Vec<Release>,
}

impl Permit {
    /// Runs `f` when the permit is released.
    pub fn on_release(mut self, f: impl FnOnce() + Send + Sync + 'static) -> Permit {
        self.release.push(Box::new(f));
        self
    }

    /// The bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        for f in self.release.drain(..) {
            f();
        }
        let mut s = self.budget.lock();
        s.used = s.used.saturating_sub(self.bytes);
        if self.chunk {
            s.chunks = s.chunks.saturating_sub(1);
        }
        self.budget.freed.notify_all();
    }
}

/// Makes the allocator give large freed blocks back to the system at once,
/// so that memory the budget no longer counts is no longer resident.
///
/// glibc's malloc serves blocks above a threshold with `mmap`, but raises
/// that threshold (up to 32 MiB) each time such a block is freed; blocks of
/// that size then come from the allocating thread's arena and stay resident
/// after `free`, one arena per thread. Chunk buffers are allocated on one
/// thread (a source, a reslice) and freed on others, so freed chunks piled
/// up beyond the budget: a 720 × 256 × 256 f32 reslice under `--memory
/// 48MiB` peaked at 116 MiB, 90 MiB with this (BENCHMARKS.md). A fixed
/// 2 MiB threshold maps every large block only while it is used; the
/// buffer pool keeps reused chunk buffers from paying fresh page faults.
pub fn return_large_frees_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a parameter of glibc's allocator; it is
    // called once at start, before any thread is spawned.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 2 << 20);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_blocks_until_released() {
        let budget = MemoryBudget::new(100);
        let p1 = budget.acquire(60);
        let b2 = budget.clone();
        let t = std::thread::spawn(move || {
            let _p2 = b2.acquire(60);
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(budget.in_use(), 60);
        assert!(budget.try_acquire(60).is_none());
        drop(p1);
        t.join().unwrap();
        assert_eq!(budget.in_use(), 0);
        assert_eq!(budget.peak(), 60);
        // A chunk larger than the budget still runs alone, even beside a
        // reservation.
        let store = budget.reserve(80);
        let big = budget.acquire(1000);
        assert_eq!(budget.in_use(), 1080);
        assert!(budget.try_acquire(1).is_none());
        drop(big);
        assert!(budget.try_acquire(20).is_some());
        drop(store);
    }

    #[test]
    fn release_hooks_run_before_the_bytes_return() {
        let budget = MemoryBudget::new(10);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, b) = (seen.clone(), budget.clone());
        let p = budget.acquire_owned(10).on_release(move || s.lock().unwrap().push(b.in_use()));
        drop(p);
        assert_eq!(*seen.lock().unwrap(), vec![10], "the hook ran while the bytes were still held");
        assert_eq!(budget.in_use(), 0);
    }
}
