//! Splitting work across a thread budget with `std::thread::scope`: blocks
//! of an output buffer are handed out one at a time, so a core that another
//! process slows down takes fewer blocks. Each block's result depends only
//! on its index, never on which thread ran it or how many there were: that
//! is what makes every kernel bit-identical whatever `threads` is.

use std::sync::Mutex;

/// The number of threads to use for a budget of `requested` (0 = every
/// core the process may use).
pub fn thread_count(requested: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Calls `f(index, block)` for every `block`-sized piece of `out` (the last
/// may be shorter), on up to `threads` threads (0 = all cores).
pub fn for_each_block<T: Send>(out: &mut [T], block: usize, threads: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let block = block.max(1);
    let blocks = out.len().div_ceil(block);
    let threads = thread_count(threads).min(blocks);
    if threads <= 1 {
        out.chunks_mut(block).enumerate().for_each(|(i, b)| f(i, b));
        return;
    }
    let queue = Mutex::new(out.chunks_mut(block).enumerate());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                match next {
                    Some((i, b)) => f(i, b),
                    None => break,
                }
            });
        }
    });
}

/// Runs `f(index)` for `0..n` on up to `threads` threads and collects the
/// results in index order.
pub fn map_indices<R: Send>(n: usize, threads: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let mut out: Vec<Option<R>> = (0..n).map(|_| None).collect();
    for_each_block(&mut out, 1, threads, |i, slot| slot[0] = Some(f(i)));
    out.into_iter().map(|r| r.expect("every index ran")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_once_in_place() {
        let mut v = vec![0usize; 103];
        for_each_block(&mut v, 10, 3, |i, b| b.iter_mut().for_each(|x| *x += i + 1));
        for (k, x) in v.iter().enumerate() {
            assert_eq!(*x, k / 10 + 1);
        }
        assert_eq!(map_indices(5, 2, |i| i * i), vec![0, 1, 4, 9, 16]);
    }
}
