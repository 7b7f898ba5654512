//! The CPU budget of a job: `--threads` tokens, and every operator call
//! holds as many as the threads it was given while it runs, so the calls
//! running at once never use more threads than the run was given, whatever
//! the graph's shape; and [`assign`], which gives each stage its instances
//! and threads: over a stream the stages of a section share the threads
//! (stateless ones as instances over the chunks), on one frame each stage
//! gets them all for parallelism inside the operator.

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

/// What the thread assignment needs to know of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageShape {
    /// Whether it may run as several instances (`parallel = true`, one
    /// input, no references, not a source).
    pub stateless: bool,
    /// Its section.
    pub section: usize,
}

/// Instances and threads per instance for each stage, so that the stages
/// that run at once share `threads`.
///
/// A section that sees one frame runs its stages one after the other on it:
/// each gets every thread, for parallelism inside the operator. A section
/// over a stream (`chunks` ≠ 1, 0 when unknown) runs its stages at once,
/// chunk after chunk: they share the threads evenly, the remainder going to
/// stateless stages as extra instances (at most one per chunk), then to the
/// others as extra threads. With more stages than threads, each gets one
/// and the pool takes turns.
pub fn assign(threads: usize, stages: &[StageShape], chunks: impl Fn(usize) -> usize) -> Vec<(usize, usize)> {
    let threads = threads.max(1);
    let mut out = vec![(1, threads); stages.len()];
    let mut sections: Vec<usize> = stages.iter().map(|s| s.section).collect();
    sections.sort_unstable();
    sections.dedup();
    for section in sections {
        let members: Vec<usize> = (0..stages.len()).filter(|&i| stages[i].section == section).collect();
        let c = chunks(section);
        if c == 1 {
            continue; // one frame: every stage gets every thread
        }
        let k = members.len();
        let base = (threads / k).max(1);
        let mut alloc: Vec<usize> = vec![base; k];
        let mut extra = threads.saturating_sub(base * k);
        let cap = |i: usize| if stages[members[i]].stateless && c > 0 { c } else { usize::MAX };
        for pass_stateless in [true, false] {
            for (i, &m) in members.iter().enumerate() {
                if extra > 0 && stages[m].stateless == pass_stateless && alloc[i] < cap(i) {
                    alloc[i] += 1;
                    extra -= 1;
                }
            }
        }
        for (i, &m) in members.iter().enumerate() {
            out[m] = if stages[m].stateless {
                let instances = if c > 0 { alloc[i].min(c) } else { alloc[i] }.max(1);
                (instances, (alloc[i] / instances).max(1))
            } else {
                (1, alloc[i])
            };
        }
    }
    out
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

    fn shapes(list: &[(bool, usize)]) -> Vec<StageShape> {
        list.iter().map(|&(stateless, section)| StageShape { stateless, section }).collect()
    }

    #[test]
    fn one_frame_gives_every_stage_every_thread() {
        let s = shapes(&[(true, 0), (false, 0), (true, 0)]);
        assert_eq!(assign(16, &s, |_| 1), vec![(1, 16); 3]);
    }

    #[test]
    fn a_stream_shares_the_threads_between_its_stages() {
        // One stateless stage alone: one instance per thread, at most one per chunk.
        assert_eq!(assign(16, &shapes(&[(true, 0)]), |_| 100), vec![(16, 1)]);
        assert_eq!(assign(16, &shapes(&[(true, 0)]), |_| 4), vec![(4, 4)]);
        assert_eq!(assign(16, &shapes(&[(true, 0)]), |_| 0), vec![(16, 1)], "a stream of unknown length");
        // Two sequential stages (statistics and a histogram): half each.
        assert_eq!(assign(2, &shapes(&[(false, 0), (false, 0)]), |_| 64), vec![(1, 1), (1, 1)]);
        assert_eq!(assign(16, &shapes(&[(false, 0), (false, 0)]), |_| 64), vec![(1, 8), (1, 8)]);
        // Three threads, two stateless stages: the remainder is one more instance.
        assert_eq!(assign(3, &shapes(&[(true, 0), (true, 0)]), |_| 30), vec![(2, 1), (1, 1)]);
        // More stages than threads: one each, the pool takes turns.
        assert_eq!(assign(2, &shapes(&[(false, 0), (true, 0), (false, 0)]), |_| 9), vec![(1, 1); 3]);
        // Sections are assigned on their own.
        assert_eq!(assign(4, &shapes(&[(false, 0), (true, 1)]), |s| if s == 0 { 10 } else { 0 }), vec![(1, 4), (4, 1)]);
    }
}
