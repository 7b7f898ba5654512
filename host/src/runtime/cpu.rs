//! The CPU budget of a job: `--threads` tokens, and every operator call
//! holds as many as the threads it was given while it runs, so the calls
//! running at once never use more threads than the run was given, whatever
//! the graph's shape. Stateless stages run as several instances over the
//! chunks of a stream, each with its share of the threads; a stage that
//! runs alone on a chunk (one frame, or a stateful stage) gets them all, for
//! parallelism inside the operator.

use std::sync::{Arc, Condvar, Mutex};

/// `--threads` tokens shared by every operator call of a job.
pub struct CpuPool {
    total: usize,
    free: Mutex<usize>,
    freed: Condvar,
}

/// Threads held by one call, given back on drop.
pub struct CpuGrant {
    pool: Arc<CpuPool>,
    n: usize,
}

impl CpuPool {
    /// A pool of `threads` tokens.
    pub fn new(threads: usize) -> Arc<CpuPool> {
        let total = threads.max(1);
        Arc::new(CpuPool { total, free: Mutex::new(total), freed: Condvar::new() })
    }

    /// Waits until `n` tokens (at most the pool's size) are free, and holds
    /// them until the grant drops.
    pub fn acquire(self: &Arc<Self>, n: usize) -> CpuGrant {
        let n = n.clamp(1, self.total);
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free < n {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= n;
        CpuGrant { pool: self.clone(), n }
    }

    /// Tokens free now.
    #[cfg(test)]
    pub fn free(&self) -> usize {
        *self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for CpuGrant {
    fn drop(&mut self) {
        *self.pool.free.lock().unwrap_or_else(|e| e.into_inner()) += self.n;
        self.pool.freed.notify_all();
    }
}

/// Instances of a stage and threads for each: a stateless stage over a
/// stream of `chunks` (0 when unknown) runs `min(threads, chunks)`
/// instances sharing the threads; any other stage one instance with all.
pub fn split(threads: usize, stateless: bool, chunks: usize) -> (usize, usize) {
    let threads = threads.max(1);
    if !stateless {
        return (1, threads);
    }
    let instances = if chunks == 0 { threads } else { threads.min(chunks) }.max(1);
    (instances, (threads / instances).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_never_hold_more_threads_than_the_pool() {
        let pool = CpuPool::new(4);
        let a = pool.acquire(3);
        assert_eq!(pool.free(), 1);
        let p = pool.clone();
        let t = std::thread::spawn(move || {
            let _b = p.acquire(2);
            p.free()
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(pool.free(), 1, "the second call waits");
        drop(a);
        assert_eq!(t.join().unwrap(), 2);
        assert_eq!(pool.free(), 4);
        let _big = pool.acquire(100);
        assert_eq!(pool.free(), 0, "a call asking more than the pool gets the pool");
    }

    #[test]
    fn threads_are_split_between_instances() {
        assert_eq!(split(16, true, 1), (1, 16), "one frame: one instance with every thread");
        assert_eq!(split(16, true, 4), (4, 4));
        assert_eq!(split(16, true, 100), (16, 1));
        assert_eq!(split(16, true, 0), (16, 1), "a stream of unknown length");
        assert_eq!(split(16, false, 100), (1, 16));
        assert_eq!(split(3, true, 2), (2, 1));
    }
}
