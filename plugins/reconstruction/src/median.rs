//! Median filters over 2-D planes with scipy's `reflect` boundary
//! (`d c b a | a b c d | d c b a`), as `scipy.ndimage.median_filter`
//! computes them for odd window sizes: the shared piece of
//! `remove_zingers` and the stripe removals.

use crate::error::{ReconError, Result};

/// Checks a window size: odd and at least 1.
pub fn check_size(param: &'static str, size: usize) -> Result<()> {
    if size == 0 || size.is_multiple_of(2) {
        return Err(ReconError::param(param, "an odd window size ≥ 1", size));
    }
    Ok(())
}

/// scipy's `reflect` index for `k` in `[−n, 2n)`, folded repeatedly beyond.
pub fn reflect(k: isize, n: usize) -> usize {
    let n = n as isize;
    if n == 1 {
        return 0;
    }
    let period = 2 * n;
    let m = k.rem_euclid(period);
    (if m < n { m } else { period - 1 - m }) as usize
}

/// The median of `v` (odd length), reordering it. NaN sorts last.
pub fn median_of(v: &mut [f32]) -> f32 {
    let mid = v.len() / 2;
    *v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1
}

/// `out = median over a (ky × kx) window` of the `h × w` plane `src`
/// (odd `ky`, `kx`), boundary `reflect`.
pub fn median_filter_2d(src: &[f32], h: usize, w: usize, ky: usize, kx: usize, out: &mut [f32]) {
    let (ry, rx) = ((ky / 2) as isize, (kx / 2) as isize);
    let mut window = Vec::with_capacity(ky * kx);
    // Column indices per output column, computed once.
    let cols: Vec<Vec<usize>> = (0..w as isize).map(|x| (x - rx..=x + rx).map(|k| reflect(k, w)).collect()).collect();
    for y in 0..h as isize {
        let rows: Vec<usize> = (y - ry..=y + ry).map(|k| reflect(k, h)).collect();
        for (x, cx) in cols.iter().enumerate() {
            window.clear();
            for &r in &rows {
                let line = &src[r * w..(r + 1) * w];
                window.extend(cx.iter().map(|&c| line[c]));
            }
            out[y as usize * w + x] = median_of(&mut window);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_is_scipys() {
        let got: Vec<usize> = (-4..8).map(|k| reflect(k, 4)).collect();
        assert_eq!(got, vec![3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0]);
        assert_eq!(reflect(-3, 1), 0);
    }

    #[test]
    fn median_of_a_plane() {
        let src: Vec<f32> = vec![1.0, 9.0, 2.0, 8.0, 3.0, 7.0];
        let mut out = vec![0.0; 6];
        median_filter_2d(&src, 1, 6, 1, 3, &mut out);
        // windows (reflect): [1 1 9] [1 9 2] [9 2 8] [2 8 3] [8 3 7] [3 7 7]
        assert_eq!(out, vec![1.0, 2.0, 8.0, 3.0, 7.0, 7.0]);
        assert_eq!(check_size("size", 4).unwrap_err().to_string(), "`size` must be an odd window size ≥ 1, got 4");
    }
}
