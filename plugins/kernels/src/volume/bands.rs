//! Splitting work over threads: contiguous bands of slices (or rows), one per
//! thread, with `std::thread::scope` (no pool to keep alive between calls).
//! Results never depend on the thread count: every kernel that uses bands
//! computes each output element from the same inputs in the same order.

use std::ops::Range;

/// `n` items cut into at most `parts` contiguous, nearly equal ranges.
pub fn ranges(n: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    (0..parts).map(|i| n * i / parts..n * (i + 1) / parts).collect()
}

/// Runs `f(range, chunk)` over bands of `out`, cut at multiples of `unit`
/// elements (`out.len() / unit` units), on up to `threads` threads.
pub fn for_each_band<T: Send>(out: &mut [T], unit: usize, threads: usize, f: impl Fn(Range<usize>, &mut [T]) + Sync) {
    let units = out.len().checked_div(unit).unwrap_or(0);
    let bands = ranges(units, threads);
    if bands.len() <= 1 {
        f(0..units, out);
        return;
    }
    std::thread::scope(|s| {
        let mut rest = out;
        for r in bands {
            let (head, tail) = rest.split_at_mut((r.end - r.start) * unit);
            rest = tail;
            let f = &f;
            s.spawn(move || f(r, head));
        }
    });
}

/// Runs `f(range)` for bands of `0..n` on up to `threads` threads and returns
/// the results in band order.
pub fn map_bands<R: Send>(n: usize, threads: usize, f: impl Fn(Range<usize>) -> R + Sync) -> Vec<R> {
    let bands = ranges(n, threads);
    if bands.len() <= 1 {
        return bands.into_iter().map(&f).collect();
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = bands.into_iter().map(|r| s.spawn(|| f(r))).collect();
        handles.into_iter().map(|h| h.join().expect("band worker panicked")).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_everything_once() {
        for n in [0, 1, 5, 17] {
            for parts in [1, 2, 3, 8, 40] {
                let r = ranges(n, parts);
                assert_eq!(r.first().unwrap().start, 0);
                assert_eq!(r.last().unwrap().end, n);
                assert!(r.windows(2).all(|w| w[0].end == w[1].start));
            }
        }
    }

    #[test]
    fn bands_write_disjoint_parts() {
        let mut v = vec![0usize; 30];
        for_each_band(&mut v, 3, 4, |r, chunk| {
            for (i, x) in chunk.iter_mut().enumerate() {
                *x = r.start * 3 + i;
            }
        });
        assert_eq!(v, (0..30).collect::<Vec<_>>());
    }
}
