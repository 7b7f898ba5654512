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
//!
//! A permit can be [parked](Permit::park): its bytes come back to the
//! budget while the chunk's frames wait on disk (a stage waiting for a
//! `${stage.key}` result parks what it buffers), and are taken again by
//! [`Permit::unpark`] before the frames return to memory. The budget counts
//! who waits for bytes ([`MemoryBudget::contended`]), so a stage parks only
//! when another chunk needs the room.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

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
    /// Threads waiting for bytes (acquiring or unparking).
    waiting: usize,
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
        if !self.fits(&s, bytes) {
            s.waiting += 1;
            while !self.fits(&s, bytes) {
                s = self.freed.wait(s).unwrap_or_else(|e| e.into_inner());
            }
            s.waiting -= 1;
        }
        s.used += bytes;
        s.chunks += 1;
        s.peak = s.peak.max(s.used);
        self.permit(bytes, true)
    }

    fn fits(&self, s: &State, bytes: usize) -> bool {
        s.chunks < self.min_chunks || s.used + bytes <= self.limit
    }

    fn permit(self: &Arc<Self>, bytes: usize, chunk: bool) -> Permit {
        Permit { budget: self.clone(), bytes, chunk, parked: AtomicBool::new(false), release: Vec::new() }
    }

    /// Whether some thread is waiting for bytes now.
    pub fn contended(&self) -> bool {
        self.lock().waiting > 0
    }

    /// Takes `bytes` if they fit now, without waiting.
    pub fn try_acquire(self: &Arc<Self>, bytes: usize) -> Option<Permit> {
        let mut s = self.lock();
        if !self.fits(&s, bytes) {
            return None;
        }
        s.used += bytes;
        s.chunks += 1;
        s.peak = s.peak.max(s.used);
        Some(self.permit(bytes, true))
    }

    /// Holds `bytes` for something that is not a chunk (an in-memory
    /// reslice store), at once: the schedule decided it fits.
    pub fn reserve(self: &Arc<Self>, bytes: usize) -> Permit {
        let mut s = self.lock();
        s.used += bytes;
        s.peak = s.peak.max(s.used);
        self.permit(bytes, false)
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
    /// The bytes are back in the budget while the chunk waits on disk.
    parked: AtomicBool,
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

    /// Gives the bytes back to the budget while the chunk's data is out of
    /// memory; the permit itself (and its release hooks) stays alive.
    pub fn park(&self) {
        if self.parked.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut s = self.budget.lock();
        s.used = s.used.saturating_sub(self.bytes);
        if self.chunk {
            s.chunks = s.chunks.saturating_sub(1);
        }
        self.budget.freed.notify_all();
    }

    /// Takes the bytes of a parked permit again, waiting up to `timeout`
    /// for them to fit (counted as a waiter meanwhile); `false` when they
    /// did not. A permit that is not parked holds its bytes already.
    pub fn unpark(&self, timeout: Duration) -> bool {
        if !self.parked.load(Ordering::Acquire) {
            return true;
        }
        let budget = &self.budget;
        let deadline = Instant::now() + timeout;
        let mut s = budget.lock();
        if !budget.fits(&s, self.bytes) {
            s.waiting += 1;
            while !budget.fits(&s, self.bytes) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    s.waiting -= 1;
                    return false;
                }
                s = budget.freed.wait_timeout(s, left).unwrap_or_else(|e| e.into_inner()).0;
            }
            s.waiting -= 1;
        }
        s.used += self.bytes;
        if self.chunk {
            s.chunks += 1;
        }
        s.peak = s.peak.max(s.used);
        self.parked.store(false, Ordering::Release);
        true
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        for f in self.release.drain(..) {
            f();
        }
        if *self.parked.get_mut() {
            return;
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

    #[test]
    fn a_parked_permit_frees_its_bytes_until_unparked() {
        let budget = MemoryBudget::new(100);
        let parked = budget.acquire(80);
        assert!(!budget.contended());
        // Another chunk waits for room, and says so.
        let b2 = budget.clone();
        let waiter = std::thread::spawn(move || b2.acquire(50));
        while !budget.contended() {
            std::thread::yield_now();
        }
        parked.park();
        let other = waiter.join().unwrap();
        assert_eq!(budget.in_use(), 50);
        // Back into memory only when the bytes fit again.
        assert!(!parked.unpark(Duration::from_millis(10)), "80 + 50 > 100 with another chunk in flight");
        assert!(!budget.contended(), "a timed-out unpark stops counting as a waiter");
        drop(other);
        assert!(parked.unpark(Duration::from_millis(10)));
        assert_eq!(budget.in_use(), 80);
        drop(parked);
        assert_eq!(budget.in_use(), 0);
        // A parked permit dropped without unparking returns nothing twice.
        let p = budget.acquire(30);
        let q = budget.acquire(40);
        p.park();
        drop(p);
        assert_eq!(budget.in_use(), 40);
        drop(q);
        assert_eq!(budget.in_use(), 0);
    }
}
