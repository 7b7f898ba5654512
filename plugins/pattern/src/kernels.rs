//! Counting kernels shared by `histogram` and `value_counts`: plain functions
//! on slices, free of any frame or operator type, so benches and other crates
//! can call them directly.
//!
//! # Method
//!
//! Integer images with at most 16 bits per element (u8, u16, i16) are counted
//! *by value*: one counter per representable value (256 or 65,536 of them),
//! which is the exact frequency table `value_counts` publishes, and which a
//! histogram folds into its bins through a value → bin lookup table computed
//! once per stream (the lookup table makes every pixel's bin exact by
//! construction, with no per-pixel floating point). The inner loop is one
//! load and one increment per pixel, as in `numpy.bincount`, with two
//! refinements:
//!
//! - several interleaved sub-tables, so that runs of equal neighbouring values
//!   (flat regions, saturated areas) do not serialise on one counter through
//!   store-to-load forwarding (the technique of Yann Collet's `FSE_count`
//!   (zstd's `HIST_count_parallel_wksp`) and of `libjpeg-turbo`'s histogram
//!   code);
//! - row bands counted on separate threads (`std::thread::scope`), each into
//!   its own tables, summed at the end.
//!
//! Counters are `u32` within a block of at most 2³¹ elements and flushed to
//! `u64`, so no count can overflow.

use std::thread;

/// Below this many elements per thread, extra threads cost more than they save.
const MIN_PER_THREAD: usize = 1 << 18;

/// Most elements counted into `u32` tables before flushing them to `u64`.
const BLOCK: usize = 1 << 31;

/// Splits `len` elements of `channels` interleaved channels into at most
/// `threads` contiguous bands whose boundaries fall on whole pixels.
pub fn bands(len: usize, channels: usize, threads: usize) -> Vec<std::ops::Range<usize>> {
    let channels = channels.max(1);
    let pixels = len / channels;
    let n = threads.max(1).min((len / MIN_PER_THREAD).max(1)).min(pixels.max(1));
    (0..n).map(|i| (pixels * i / n * channels)..(pixels * (i + 1) / n * channels)).collect()
}

/// Runs `count` on each band of `data` (on its own thread when there are
/// several) and sums the `u64` tables it returns, element by element.
pub fn sum_over_bands<T: Sync>(
    data: &[T],
    channels: usize,
    threads: usize,
    count: impl Fn(&[T]) -> Vec<u64> + Sync,
) -> Vec<u64> {
    let bands = bands(data.len(), channels, threads);
    if bands.len() == 1 {
        return count(data);
    }
    let parts: Vec<Vec<u64>> = thread::scope(|s| {
        let handles: Vec<_> = bands.iter().map(|r| s.spawn(|| count(&data[r.clone()]))).collect();
        handles.into_iter().map(|h| h.join().expect("counting thread panicked")).collect()
    });
    let mut total = parts[0].clone();
    for p in &parts[1..] {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// Counts every value of single-channel data into `4 * size` `u32` counters
/// (four interleaved sub-tables), returning `size` `u64` counts.
#[inline(always)]
fn count_single<T: Copy>(data: &[T], size: usize, index: impl Fn(T) -> usize) -> Vec<u64> {
    let mut total = vec![0u64; size];
    let mut sub = vec![0u32; 4 * size];
    for block in data.chunks(BLOCK) {
        let (t0, rest) = sub.split_at_mut(size);
        let (t1, rest) = rest.split_at_mut(size);
        let (t2, t3) = rest.split_at_mut(size);
        let mut quads = block.chunks_exact(4);
        for q in &mut quads {
            t0[index(q[0])] += 1;
            t1[index(q[1])] += 1;
            t2[index(q[2])] += 1;
            t3[index(q[3])] += 1;
        }
        for &v in quads.remainder() {
            t0[index(v)] += 1;
        }
        for (i, t) in total.iter_mut().enumerate() {
            *t += t0[i] as u64 + t1[i] as u64 + t2[i] as u64 + t3[i] as u64;
        }
        sub.fill(0);
    }
    total
}

/// Counts interleaved multi-channel data: channel `c`'s counts land in
/// `[c * size, (c + 1) * size)`. Different channels already use different
/// tables, which breaks most store-to-load dependencies.
#[inline(always)]
fn count_channels<T: Copy>(data: &[T], channels: usize, size: usize, index: impl Fn(T) -> usize) -> Vec<u64> {
    let mut total = vec![0u64; channels * size];
    let mut sub = vec![0u32; channels * size];
    let block_len = BLOCK / channels * channels;
    for block in data.chunks(block_len.max(channels)) {
        for px in block.chunks_exact(channels) {
            for (c, &v) in px.iter().enumerate() {
                sub[c * size + index(v)] += 1;
            }
        }
        for (t, s) in total.iter_mut().zip(&sub) {
            *t += *s as u64;
        }
        sub.fill(0);
    }
    total
}

/// Exact frequency of every u8 value per channel: `counts[c * 256 + v]`.
/// `data.len()` must be a multiple of `channels`.
pub fn count_u8(data: &[u8], channels: usize, threads: usize) -> Vec<u64> {
    sum_over_bands(data, channels, threads, |band| {
        if channels <= 1 {
            count_single(band, 256, |v| v as usize)
        } else {
            count_channels(band, channels, 256, |v| v as usize)
        }
    })
}

/// Exact frequency of every u16 value per channel: `counts[c * 65536 + v]`.
/// `data.len()` must be a multiple of `channels`. Signed 16-bit data is
/// counted through its bit pattern (`v as u16`).
pub fn count_u16(data: &[u16], channels: usize, threads: usize) -> Vec<u64> {
    sum_over_bands(data, channels, threads, |band| {
        if channels <= 1 {
            count_single(band, 1 << 16, |v| v as usize)
        } else {
            count_channels(band, channels, 1 << 16, |v| v as usize)
        }
    })
}

/// Counts data mapped to slots by `index` (a bin, or an extra slot for
/// dropped values): `index(v)` must be `< slots`. Returns per-channel counts
/// `[c * slots + i]`.
pub fn count_slots<T: Copy + Sync>(
    data: &[T],
    channels: usize,
    slots: usize,
    threads: usize,
    index: impl Fn(T) -> usize + Sync,
) -> Vec<u64> {
    let channels = channels.max(1);
    sum_over_bands(data, channels, threads, |band| {
        if channels == 1 {
            count_single(band, slots, &index)
        } else {
            count_channels(band, channels, slots, &index)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_cover_everything_on_pixel_boundaries() {
        let b = bands(3 * 1_000_003, 3, 4);
        assert_eq!(b.len(), 4);
        assert_eq!(b[0].start, 0);
        assert_eq!(b[3].end, 3 * 1_000_003);
        for w in b.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert_eq!(w[0].end % 3, 0);
        }
        assert_eq!(bands(10, 1, 8).len(), 1);
    }

    #[test]
    fn threaded_counts_equal_serial_counts() {
        let data: Vec<u16> = (0..3_000_001u32).map(|i| (i.wrapping_mul(2654435761) >> 7) as u16).collect();
        let serial = count_u16(&data, 1, 1);
        assert_eq!(serial, count_u16(&data, 1, 3));
        assert_eq!(serial.iter().sum::<u64>(), data.len() as u64);
        let rgb = &data[..3_000_000];
        let per_channel = count_u16(rgb, 3, 1);
        assert_eq!(per_channel, count_u16(rgb, 3, 4));
        let c1: u64 = rgb.iter().skip(1).step_by(3).filter(|&&v| v == rgb[1]).count() as u64;
        assert_eq!(per_channel[65536 + rgb[1] as usize], c1);
    }
}
