//! The pool of input chunk buffers: a chunk is read straight into a buffer
//! taken from here, the buffer becomes the frame's array without a copy,
//! and it comes back when the chunk's permit is released (every frame
//! derived from the chunk is gone). A steady stream of same-sized chunks
//! therefore touches no fresh pages: on this machine a fresh 64 MiB buffer
//! costs ~35 ms of page faults, more than reading it from the page cache.
//!
//! A free buffer serves any request of its element type between half its
//! capacity and its capacity (the chunks of a dataset are all one size but
//! the last; the next section's chunks are about as large), so free plus
//! in-flight buffers never exceed the chunks the budget admits, plus one
//! tail; free buffers that fit no request are let go.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use plexus_plugin_api::{Array, ArrayError, DType, Element};

/// A typed buffer that can become an [`Array`] without a copy.
pub enum Buffer {
    /// `u8` elements.
    U8(Vec<u8>),
    /// `u16` elements.
    U16(Vec<u16>),
    /// `u32` elements.
    U32(Vec<u32>),
    /// `i16` elements.
    I16(Vec<i16>),
    /// `i32` elements.
    I32(Vec<i32>),
    /// `f32` elements.
    F32(Vec<f32>),
    /// `f64` elements.
    F64(Vec<f64>),
}

macro_rules! each {
    ($self:expr, $v:ident => $e:expr) => {
        match $self {
            Buffer::U8($v) => $e,
            Buffer::U16($v) => $e,
            Buffer::U32($v) => $e,
            Buffer::I16($v) => $e,
            Buffer::I32($v) => $e,
            Buffer::F32($v) => $e,
            Buffer::F64($v) => $e,
        }
    };
}

/// Buffers from this size on are backed by transparent huge pages where
/// the system offers them.
const HUGE_FROM: usize = 4 << 20;

/// Asks the kernel to back the 2 MiB-aligned part of a fresh buffer with
/// transparent huge pages, before anything touches it: a 64 MiB chunk then
/// faults in 32 times instead of 16,384 (BENCHMARKS.md, data plane).
fn advise_huge(bytes: &mut [u8]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = (bytes.as_ptr() as usize).next_multiple_of(HUGE);
        let end = (bytes.as_ptr() as usize + bytes.len()) / HUGE * HUGE;
        if end > start {
            // SAFETY: the range lies inside `bytes`, which this thread owns
            // exclusively; MADV_HUGEPAGE only changes how the kernel backs
            // those pages, never their contents or their validity.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = bytes;
}

impl Buffer {
    /// `n` zeroed elements of `dtype` (fresh pages; huge pages for large
    /// buffers where the system offers them).
    pub fn zeroed(dtype: DType, n: usize) -> Buffer {
        let mut b = Buffer::fresh(dtype, n);
        if n * dtype.size() >= HUGE_FROM {
            advise_huge(b.bytes_mut());
        }
        b
    }

    fn fresh(dtype: DType, n: usize) -> Buffer {
        match dtype {
            DType::U8 => Buffer::U8(vec![0; n]),
            DType::U16 => Buffer::U16(vec![0; n]),
            DType::U32 => Buffer::U32(vec![0; n]),
            DType::I16 => Buffer::I16(vec![0; n]),
            DType::I32 => Buffer::I32(vec![0; n]),
            DType::F32 => Buffer::F32(vec![0.0; n]),
            DType::F64 => Buffer::F64(vec![0.0; n]),
        }
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        match self {
            Buffer::U8(_) => DType::U8,
            Buffer::U16(_) => DType::U16,
            Buffer::U32(_) => DType::U32,
            Buffer::I16(_) => DType::I16,
            Buffer::I32(_) => DType::I32,
            Buffer::F32(_) => DType::F32,
            Buffer::F64(_) => DType::F64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        each!(self, v => v.len())
    }

    /// Elements it can hold without allocating.
    pub fn capacity(&self) -> usize {
        each!(self, v => v.capacity())
    }

    /// Sets the number of elements, within its capacity when it fits (new
    /// elements are zero; pages already touched stay touched).
    pub fn resize(&mut self, n: usize) {
        each!(self, v => v.resize(n, Default::default()))
    }

    /// Whether it holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements as bytes, to read into.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        each!(self, v => bytemuck::cast_slice_mut(v.as_mut_slice()))
    }

    /// The elements as bytes.
    pub fn bytes(&self) -> &[u8] {
        each!(self, v => bytemuck::cast_slice(v.as_slice()))
    }

    /// The buffer as an array of `shape` (no copy).
    pub fn into_array(self, shape: Vec<usize>) -> Result<Array, ArrayError> {
        each!(self, v => Array::from_vec(shape, v))
    }

    /// Takes an array's elements back; `None` (and a copy avoided) when the
    /// array still shares them with someone.
    fn from_array(a: Array) -> Option<Buffer> {
        fn take<T: Element>(a: Array, wrap: fn(Vec<T>) -> Buffer) -> Option<Buffer> {
            let ptr = a.as_bytes().as_ptr();
            let v = a.into_vec::<T>().ok()?;
            // `into_vec` copies when the storage is shared; such a copy is
            // not the pooled buffer and is dropped.
            (v.as_ptr() as *const u8 == ptr).then(|| wrap(v))
        }
        match a.dtype() {
            DType::U8 => take(a, Buffer::U8),
            DType::U16 => take(a, Buffer::U16),
            DType::U32 => take(a, Buffer::U32),
            DType::I16 => take(a, Buffer::I16),
            DType::I32 => take(a, Buffer::I32),
            DType::F32 => take(a, Buffer::F32),
            DType::F64 => take(a, Buffer::F64),
        }
    }
}

/// Free buffers, and how well reuse works.
#[derive(Default)]
pub struct BufferPool {
    free: Mutex<HashMap<DType, Vec<Buffer>>>,
    fresh: AtomicU64,
    reused: AtomicU64,
    lost: AtomicU64,
}

/// How the pool fared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Buffers allocated (fresh pages).
    pub fresh: u64,
    /// Buffers reused.
    pub reused: u64,
    /// Buffers that could not come back (still shared at release).
    pub lost: u64,
}

impl BufferPool {
    /// An empty pool.
    pub fn new() -> BufferPool {
        BufferPool::default()
    }

    /// A buffer of `n` elements of `dtype`: a free one whose capacity lies
    /// between `n` and `2n` when there is one (resized, no allocation),
    /// else fresh. Free buffers that fit neither this request nor one of
    /// its size are let go.
    pub fn take(&self, dtype: DType, n: usize) -> Buffer {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let fits = |b: &Buffer| b.capacity() >= n && b.capacity() <= n.saturating_mul(2).max(1);
        if let Some(list) = free.get_mut(&dtype) {
            if let Some(i) = list.iter().position(fits) {
                let mut b = list.swap_remove(i);
                b.resize(n);
                self.reused.fetch_add(1, Ordering::Relaxed);
                return b;
            }
            list.clear();
        }
        free.retain(|d, _| *d == dtype);
        drop(free);
        self.fresh.fetch_add(1, Ordering::Relaxed);
        Buffer::zeroed(dtype, n)
    }

    /// Returns the elements of `array` (the array a buffer became) to the
    /// pool, when nobody else holds them.
    pub fn give_back(&self, array: Array) {
        match Buffer::from_array(array) {
            Some(b) => {
                let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
                free.entry(b.dtype()).or_default().push(b);
            }
            None => {
                self.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            fresh: self.fresh.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_returned_buffer_is_reused_without_a_copy() {
        let pool = BufferPool::new();
        let mut b = pool.take(DType::U16, 6);
        b.bytes_mut()[0] = 7;
        let ptr = b.bytes().as_ptr();
        let a = b.into_array(vec![2, 3]).unwrap();
        assert_eq!(a.as_slice::<u16>().unwrap()[0], 7);
        pool.give_back(a);
        let again = pool.take(DType::U16, 6);
        assert_eq!(again.bytes().as_ptr(), ptr, "the same memory");
        assert_eq!(pool.stats(), PoolStats { fresh: 1, reused: 1, lost: 0 });
    }

    #[test]
    fn a_shared_array_is_not_copied_back_and_other_sizes_are_let_go() {
        let pool = BufferPool::new();
        let a = pool.take(DType::F32, 4).into_array(vec![4]).unwrap();
        let kept = a.clone();
        pool.give_back(a);
        assert_eq!(pool.stats().lost, 1);
        drop(kept);
        pool.give_back(pool.take(DType::F32, 8).into_array(vec![8]).unwrap());
        // A request of 5 fits the 8-element buffer (5 ≤ 8 ≤ 10).
        let five = pool.take(DType::F32, 5);
        assert_eq!((five.len(), five.capacity()), (5, 8));
        assert_eq!(pool.stats().reused, 1);
        pool.give_back(five.into_array(vec![5]).unwrap());
        // A request of 2 does not (8 > 4): the buffer goes.
        let _two = pool.take(DType::F32, 2);
        assert!(pool.free.lock().unwrap()[&DType::F32].is_empty(), "the 8-element buffer was let go");
    }
}
