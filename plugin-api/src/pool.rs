//! A small, bounded free list of large array buffers, so that a steady
//! stream of same-shaped frames reuses memory instead of faulting in fresh
//! pages for every output.
//!
//! Why: a fresh 64 MiB allocation is an `mmap` whose 16,384 pages each
//! fault on first write and are unmapped again when the frame drops — on
//! this project's machine that costs more than a 5×5 convolution of the
//! same image (`BENCHMARKS.md`). Output arrays made with [`ArrayBuf`],
//! [`Array::zeros`](crate::Array::zeros), [`Array::from_fn`](crate::Array::from_fn)
//! or [`Array::from_bytes`](crate::Array::from_bytes) take their memory from
//! here, and give it back when the last reference to them drops — on the
//! host's side too: the host releases a native plugin's output through the
//! plugin's own release function, which returns the buffer to the
//! plugin's pool.
//!
//! Bounded, so that it never holds memory for nothing:
//!
//! - only buffers of at least [`MIN_POOLED_BYTES`] are kept (small ones are
//!   cheap to allocate);
//! - at most [`max_idle_bytes`] sit idle (`PLEXUS_POOL_MIB`, default 256;
//!   0 turns the pool off); a buffer that would exceed it is freed;
//! - a buffer idle for more than [`MAX_IDLE`] is freed at the next pool
//!   operation;
//! - buffers are kept only while something [`retain`]s the pool — a live
//!   operator instance does; when the last one goes, every idle buffer is
//!   freed and buffers coming back are freed at once.
//!
//! Each copy of this crate (the host, each native plugin) has its own pool.
//! Native operator instances retain their plugin's pool, wasm instances the
//! host's (their outputs are copied out into host memory); a wasm guest's
//! own copy is never retained, so inside the sandbox nothing is pooled.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Buffers smaller than this are allocated and freed as usual.
pub const MIN_POOLED_BYTES: usize = 1 << 20;

/// How long an idle buffer is kept.
pub const MAX_IDLE: Duration = Duration::from_secs(2);

/// Alignment of pooled buffers: enough for every element type and for the
/// widest vector loads.
const ALIGN: usize = 64;

/// Rounding of pooled capacities, so that shapes differing by a little
/// share buffers.
const GRANULE: usize = 1 << 16;

/// The most bytes that may sit idle (`PLEXUS_POOL_MIB`, read once; default
/// 256 MiB).
pub fn max_idle_bytes() -> usize {
    static MAX: OnceLock<usize> = OnceLock::new();
    *MAX.get_or_init(|| {
        std::env::var("PLEXUS_POOL_MIB").ok().and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(256) << 20
    })
}

/// What the pool has done, for tests and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Bytes sitting idle now.
    pub idle_bytes: usize,
    /// Buffers sitting idle now.
    pub idle_buffers: usize,
    /// Large buffers allocated fresh so far.
    pub fresh: u64,
    /// Large buffers reused so far.
    pub reused: u64,
}

struct Idle {
    ptr: NonNull<u8>,
    cap: usize,
    since: Instant,
}

// SAFETY: an idle buffer is exclusively owned memory; nothing else points
// into it while it sits in the pool.
unsafe impl Send for Idle {}

#[derive(Default)]
struct Pool {
    idle: Vec<Idle>,
    idle_bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { idle: Vec::new(), idle_bytes: 0 });
static RETAINERS: AtomicUsize = AtomicUsize::new(0);
static FRESH: AtomicU64 = AtomicU64::new(0);
static REUSED: AtomicU64 = AtomicU64::new(0);

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

fn layout(cap: usize) -> Layout {
    Layout::from_size_align(cap, ALIGN).expect("pool capacities are rounded, non-zero sizes")
}

fn free(ptr: NonNull<u8>, cap: usize) {
    // SAFETY: `ptr` was allocated by `take` with `layout(cap)`, and is freed
    // once, by whoever owns it last.
    unsafe { dealloc(ptr.as_ptr(), layout(cap)) }
}

impl Pool {
    fn expire(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.idle.len() {
            if now.duration_since(self.idle[i].since) > MAX_IDLE {
                let b = self.idle.swap_remove(i);
                self.idle_bytes -= b.cap;
                free(b.ptr, b.cap);
            } else {
                i += 1;
            }
        }
    }

    fn clear(&mut self) {
        for b in self.idle.drain(..) {
            free(b.ptr, b.cap);
        }
        self.idle_bytes = 0;
    }
}

/// Keeps the pool's idle buffers while alive (operator instances hold one).
pub struct Retain(());

/// Starts retaining idle buffers until the returned guard (and every other
/// one) drops.
pub fn retain() -> Retain {
    RETAINERS.fetch_add(1, Ordering::AcqRel);
    Retain(())
}

impl Drop for Retain {
    fn drop(&mut self) {
        if RETAINERS.fetch_sub(1, Ordering::AcqRel) == 1 {
            pool().clear();
        }
    }
}

/// The pool's counters and what sits idle.
pub fn stats() -> PoolStats {
    let p = pool();
    PoolStats {
        idle_bytes: p.idle_bytes,
        idle_buffers: p.idle.len(),
        fresh: FRESH.load(Ordering::Relaxed),
        reused: REUSED.load(Ordering::Relaxed),
    }
}

/// A large, 64-byte-aligned buffer from the pool, returned to it on drop.
/// Its bytes are always initialised: zeros when fresh, the previous user's
/// data when reused.
pub(crate) struct PoolBuf {
    ptr: NonNull<u8>,
    len: usize,
    cap: usize,
}

// SAFETY: the buffer is exclusively owned memory.
unsafe impl Send for PoolBuf {}
// SAFETY: shared references only read it.
unsafe impl Sync for PoolBuf {}

impl PoolBuf {
    /// A buffer of `len` bytes (`len >= MIN_POOLED_BYTES`), reused when one
    /// fits, fresh (zeroed, so every byte is initialised) otherwise.
    pub(crate) fn take(len: usize) -> PoolBuf {
        debug_assert!(len >= MIN_POOLED_BYTES);
        let cap = len.div_ceil(GRANULE) * GRANULE;
        // Nothing sits idle while nothing retains the pool (and a wasm guest
        // never does, so it never reads a clock it may not be granted).
        if RETAINERS.load(Ordering::Acquire) > 0 {
            let mut p = pool();
            p.expire(Instant::now());
            // The smallest idle buffer that holds `len`, and wastes at most
            // an eighth.
            let best = p
                .idle
                .iter()
                .enumerate()
                .filter(|(_, b)| b.cap >= len && b.cap - len <= len / 8 + GRANULE)
                .min_by_key(|(_, b)| b.cap)
                .map(|(i, _)| i);
            if let Some(i) = best {
                let b = p.idle.swap_remove(i);
                p.idle_bytes -= b.cap;
                REUSED.fetch_add(1, Ordering::Relaxed);
                return PoolBuf { ptr: b.ptr, len, cap: b.cap };
            }
        }
        FRESH.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `layout(cap)` has a non-zero size.
        let raw = unsafe { alloc_zeroed(layout(cap)) };
        let ptr = NonNull::new(raw).unwrap_or_else(|| std::alloc::handle_alloc_error(layout(cap)));
        PoolBuf { ptr, len, cap }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` holds `cap >= len` initialised bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above, and `&mut self` is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for PoolBuf {
    fn drop(&mut self) {
        if RETAINERS.load(Ordering::Acquire) > 0 {
            let mut p = pool();
            let now = Instant::now();
            p.expire(now);
            if p.idle_bytes + self.cap <= max_idle_bytes() {
                p.idle_bytes += self.cap;
                p.idle.push(Idle { ptr: self.ptr, cap: self.cap, since: now });
                return;
            }
        }
        free(self.ptr, self.cap);
    }
}

// Tested in `tests/pool.rs`, a test binary of its own: the pool is
// process-wide, and the crate's unit tests retain it from other threads.
