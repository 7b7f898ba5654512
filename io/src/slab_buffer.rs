//! [`SlabBuffer`]: a zeroed byte buffer for slabs, backed by transparent
//! huge pages where Linux offers them.
//!
//! Why: a fresh 64 MiB `Vec` costs 16,384 page faults the first time it
//! is written, which on this project's machine makes reading a slab into
//! a fresh buffer several times slower than into a reused one (the
//! `readers` bench measures both). With `MADV_HUGEPAGE` on a region
//! aligned to 2 MiB, the kernel faults it in 2 MiB pages (32 faults for
//! 64 MiB) and the TLB covers it with 32 entries. Transparent huge pages
//! are in `madvise` mode on many distributions (Debian's default), so the
//! advice is what turns them on. A pool of these buffers — what the host
//! keeps for its chunks — gets both: no faults once warm, fewer TLB misses
//! while copying.
//!
//! Elsewhere than Linux, or for buffers under 2 MiB, it is a plain
//! zeroed allocation.

use std::ops::{Deref, DerefMut};

/// Buffers at least this large get huge-page advice (one huge page).
const HUGE_PAGE: usize = 2 << 20;

/// A zeroed, fixed-size byte buffer (huge pages on Linux when large).
pub struct SlabBuffer {
    mem: Memory,
    len: usize,
}

enum Memory {
    /// Small buffers, and every buffer off Linux.
    Heap(Vec<u8>),
    /// An anonymous mapping: start, mapped length (a multiple of 2 MiB).
    #[cfg(target_os = "linux")]
    Mapped(*mut u8, usize),
}

// SAFETY: the mapping is owned by the buffer alone (like a Vec's heap
// block): no other handle to it exists, so moving it to another thread or
// sharing `&SlabBuffer` (which only gives `&[u8]`) is as safe as for Vec.
unsafe impl Send for SlabBuffer {}
// SAFETY: see above; shared access is read-only.
unsafe impl Sync for SlabBuffer {}

impl SlabBuffer {
    /// A zeroed buffer of `len` bytes. Pages are faulted in on first
    /// write, in 2 MiB pages when the kernel grants the advice.
    ///
    /// Panics, like `vec![0; len]`, when memory cannot be mapped.
    pub fn new(len: usize) -> SlabBuffer {
        #[cfg(target_os = "linux")]
        if len >= HUGE_PAGE {
            if let Some(mem) = map_huge(len) {
                return SlabBuffer { mem, len };
            }
        }
        SlabBuffer { mem: Memory::Heap(vec![0; len]), len }
    }

    /// Whether the buffer was given huge-page advice (the kernel may still
    /// decline it).
    pub fn advised_huge(&self) -> bool {
        match self.mem {
            Memory::Heap(_) => false,
            #[cfg(target_os = "linux")]
            Memory::Mapped(..) => true,
        }
    }
}

/// Maps `len` bytes (rounded up to 2 MiB) at a 2 MiB boundary and advises
/// huge pages; `None` when the kernel refuses the mapping.
#[cfg(target_os = "linux")]
fn map_huge(len: usize) -> Option<Memory> {
    let size = len.next_multiple_of(HUGE_PAGE);
    // Map one huge page more, then cut the unaligned head and the tail, so
    // that the region starts on a 2 MiB boundary (THP needs that).
    let over = size + HUGE_PAGE;
    // SAFETY: an anonymous private mapping at an address of the kernel's
    // choosing; no existing memory is affected.
    let raw = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            over,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if raw == libc::MAP_FAILED {
        return None;
    }
    let base = raw as usize;
    let start = base.next_multiple_of(HUGE_PAGE);
    let (head, tail) = (start - base, base + over - (start + size));
    // SAFETY: both ranges lie inside the mapping just made and are not
    // used: the head before `start`, the tail after `start + size`.
    unsafe {
        if head > 0 {
            libc::munmap(base as *mut libc::c_void, head);
        }
        if tail > 0 {
            libc::munmap((start + size) as *mut libc::c_void, tail);
        }
        // Advice only: a kernel without THP ignores it, which is fine.
        libc::madvise(start as *mut libc::c_void, size, libc::MADV_HUGEPAGE);
    }
    Some(Memory::Mapped(start as *mut u8, size))
}

impl Deref for SlabBuffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.mem {
            Memory::Heap(v) => v,
            // SAFETY: the mapping is `size >= len` readable bytes, zeroed by
            // the kernel and alive until drop.
            #[cfg(target_os = "linux")]
            Memory::Mapped(p, _) => unsafe { std::slice::from_raw_parts(*p, self.len) },
        }
    }
}

impl DerefMut for SlabBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        match &mut self.mem {
            Memory::Heap(v) => v,
            // SAFETY: as in `deref`, and `&mut self` makes this the only
            // access.
            #[cfg(target_os = "linux")]
            Memory::Mapped(p, _) => unsafe { std::slice::from_raw_parts_mut(*p, self.len) },
        }
    }
}

impl Drop for SlabBuffer {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Memory::Mapped(p, size) = self.mem {
            // SAFETY: the region was mapped by `map_huge` with this size and
            // nothing borrows it any more.
            unsafe {
                libc::munmap(p as *mut libc::c_void, size);
            }
        }
    }
}

impl std::fmt::Debug for SlabBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlabBuffer").field("len", &self.len).field("advised_huge", &self.advised_huge()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_writable_and_sized() {
        for len in [0, 10, HUGE_PAGE - 1, HUGE_PAGE, 3 * HUGE_PAGE + 5] {
            let mut b = SlabBuffer::new(len);
            assert_eq!(b.len(), len);
            assert!(b.iter().all(|&x| x == 0));
            if len > 0 {
                b[len - 1] = 7;
                b[0] = 9;
                assert_eq!((b[0], b[len - 1]), (9, 7));
            }
            assert_eq!(b.advised_huge(), cfg!(target_os = "linux") && len >= HUGE_PAGE);
            if b.advised_huge() {
                assert_eq!(b.as_ptr() as usize % HUGE_PAGE, 0, "starts on a 2 MiB boundary");
            }
        }
    }
}
