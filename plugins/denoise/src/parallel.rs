//! Splitting work over a thread budget with scoped threads: a kernel hands
//! out disjoint bands of its output, so no locks and no shared writes.

/// Runs `f(start, band)` on consecutive bands of `out`, each a whole number of
/// `unit`-sized items (rows or planes), on up to `threads` threads. `start`
/// is the index of the band's first unit. Fewer threads are used when there
/// are fewer units, and one when the work is small enough that spawning
/// costs more than it saves.
pub fn bands<T: Send, F>(out: &mut [T], unit: usize, threads: usize, f: F)
where
    F: Fn(usize, &mut [T]) + Sync,
{
    let units = out.len() / unit.max(1);
    let threads = threads.clamp(1, units.max(1));
    if threads == 1 || out.len() < 1 << 14 {
        f(0, out);
        return;
    }
    let per = units.div_ceil(threads);
    std::thread::scope(|s| {
        for (i, band) in out.chunks_mut(per * unit).enumerate() {
            let f = &f;
            s.spawn(move || f(i * per, band));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_is_visited_once_with_its_index() {
        for threads in [1, 2, 3, 8] {
            let mut v = vec![0usize; 10 * 4000];
            bands(&mut v, 4000, threads, |start, band| {
                for (i, row) in band.chunks_mut(4000).enumerate() {
                    row.iter_mut().for_each(|x| *x += start + i + 1);
                }
            });
            for (i, row) in v.chunks(4000).enumerate() {
                assert!(row.iter().all(|&x| x == i + 1), "threads {threads}");
            }
        }
    }
}
