//! The median filter `local` compares against, equal element for element to
//! `scipy.ndimage.median_filter(x, size=s, mode='reflect')` over the image
//! plane.
//!
//! # Method
//!
//! Direct selection: for each output element the `s × s` window (`s` for a
//! 1-D array) is gathered with scipy's `reflect` boundary
//! (`d c b a | a b c d | d c b a`, repeated for windows larger than the
//! image) and the element of rank `⌊s²/2⌋` is selected with introselect
//! (`select_nth_unstable`). For an even window this is the upper of the two
//! middle values, as scipy (which filters with rank `filter_size // 2`), not
//! their mean. The window spans offsets `-⌊s/2⌋ ..= s - 1 - ⌊s/2⌋` (scipy's
//! origin 0). The result is always one of the input values, so it is exact in
//! the input's element type.
//!
//! The image plane is the last two axes other than a channel axis: a volume
//! chunk `[z, y, x]` is filtered slice by slice (scipy `size=(1, s, s)`), an
//! RGB image `[y, x, band]` channel by channel (scipy `size=(s, s, 1)`), so
//! the result never depends on how a volume was chunked. Rows are spread over
//! `threads` threads. NaN is ordered above +∞ (scipy leaves NaN undefined).
//!
//! Reference: scipy.ndimage `median_filter` / `_rank_filter` (rank
//! `filter_size // 2`), and T. S. Huang, G. J. Yang, G. Y. Tang, "A fast
//! two-dimensional median filtering algorithm", IEEE Trans. ASSP 27(1), 1979,
//! for the faster sliding-histogram alternative not used here.

use std::thread;

/// Index `i` (possibly outside `0..n`) mapped into `0..n` with scipy's
/// `reflect` extension: half-sample symmetric, periodic with period `2n`.
#[inline]
pub fn reflect(i: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * n as isize;
    let m = i.rem_euclid(period) as usize;
    if m >= n {
        2 * n - 1 - m
    } else {
        m
    }
}

/// Geometry of the data to filter: `planes` stacked planes of `height` rows
/// of `width` pixels of `channels` interleaved channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planes {
    /// Number of planes (product of the leading axes).
    pub planes: usize,
    /// Rows per plane (1 for 1-D data).
    pub height: usize,
    /// Pixels per row.
    pub width: usize,
    /// Interleaved channels per pixel.
    pub channels: usize,
}

impl Planes {
    /// The plane geometry of an array of `shape` with `channels` channels in
    /// its last axis (`channels == 1`: no channel axis).
    pub fn of(shape: &[usize], channels: usize) -> Planes {
        let spatial = if channels > 1 { &shape[..shape.len() - 1] } else { shape };
        match spatial {
            [] => Planes { planes: 1, height: 1, width: 1, channels },
            [w] => Planes { planes: 1, height: 1, width: *w, channels },
            [lead @ .., h, w] => Planes { planes: lead.iter().product(), height: *h, width: *w, channels },
        }
    }
}

/// Median filter of `data` (laid out as `geom`) with an `s × s` window
/// (`s` for 1-D data), scipy `reflect` boundary. Returns a new vector.
pub fn median_filter(data: &[f64], geom: Planes, size: usize, threads: usize) -> Vec<f64> {
    assert!(size >= 1, "window size must be at least 1");
    let Planes { planes, height, width, channels } = geom;
    assert_eq!(data.len(), planes * height * width * channels, "data does not match its geometry");
    let mut out = vec![0.0; data.len()];
    let row_len = width * channels;
    if row_len == 0 || data.is_empty() {
        return out;
    }
    let rows = planes * height;
    let n = threads.max(1).min(rows).min((data.len() * size * size / (1 << 20)).max(1));
    let rows_per = rows.div_ceil(n);
    let filter_rows = |first_row: usize, out_rows: &mut [f64]| {
        let sy = if height > 1 { size } else { 1 };
        let (oy, ox) = ((sy / 2) as isize, (size / 2) as isize);
        let rank = (sy * size) / 2;
        let cols: Vec<Vec<usize>> =
            (0..width).map(|x| (0..size as isize).map(|k| reflect(x as isize + k - ox, width)).collect()).collect();
        let mut window = Vec::with_capacity(sy * size);
        let mut line_idx = vec![0usize; sy];
        for (r, out_row) in out_rows.chunks_mut(row_len).enumerate() {
            let row = first_row + r;
            let (p, y) = (row / height, row % height);
            for (k, li) in line_idx.iter_mut().enumerate() {
                *li = (p * height + reflect(y as isize + k as isize - oy, height)) * row_len;
            }
            for x in 0..width {
                for c in 0..channels {
                    window.clear();
                    for &li in &line_idx {
                        for &cx in &cols[x] {
                            window.push(data[li + cx * channels + c]);
                        }
                    }
                    let (_, m, _) = window.select_nth_unstable_by(rank, f64::total_cmp);
                    out_row[x * channels + c] = *m;
                }
            }
        }
    };
    if n == 1 {
        filter_rows(0, &mut out);
    } else {
        thread::scope(|s| {
            for (i, chunk) in out.chunks_mut(rows_per * row_len).enumerate() {
                let f = &filter_rows;
                s.spawn(move || f(i * rows_per, chunk));
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_is_half_sample_symmetric_and_periodic() {
        let got: Vec<usize> = (-5..9).map(|i| reflect(i, 4)).collect();
        // d c b a | a b c d | d c b a, then again.
        assert_eq!(got, vec![3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0]);
        assert_eq!(reflect(-7, 1), 0);
    }

    #[test]
    fn geometry_skips_the_channel_axis() {
        assert_eq!(Planes::of(&[4, 5, 3], 3), Planes { planes: 1, height: 4, width: 5, channels: 3 });
        assert_eq!(Planes::of(&[2, 4, 5], 1), Planes { planes: 2, height: 4, width: 5, channels: 1 });
        assert_eq!(Planes::of(&[7], 1), Planes { planes: 1, height: 1, width: 7, channels: 1 });
    }

    #[test]
    fn threads_do_not_change_the_result() {
        let data: Vec<f64> = (0..300 * 301).map(|i| ((i * 7919) % 1013) as f64).collect();
        let g = Planes { planes: 3, height: 100, width: 301, channels: 1 };
        assert_eq!(median_filter(&data, g, 5, 1), median_filter(&data, g, 5, 3));
    }
}
