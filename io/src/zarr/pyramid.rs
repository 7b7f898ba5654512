//! The multiscale pyramid of an OME-Zarr image: levels `1`, `2`, … each
//! the 2× mean downsampling of the one before along the space axes (time,
//! channel and custom axes keep their size), added until a level holds at
//! most [`ZarrOptions::pyramid_threshold_bytes`] or no space axis can
//! shrink.
//!
//! Level `k + 1` has `ceil(n / 2)` voxels along a space axis of `n`; voxel
//! `j` is the mean of voxels `2j` and `2j + 1` of level `k` — or of `2j`
//! alone at an odd edge — taken over every space axis at once, so a block
//! cut by the edge averages the voxels it holds rather than padding with
//! zeros (scikit-image's `downscale_local_mean` pads). Means are computed
//! in f64 one axis after the other (exact for integer data: a mean of at
//! most 8 values halved three times); integer results are rounded half to
//! even (`numpy.rint`), float results rounded to their type.
//!
//! Levels are built slab by slab along axis 0 from the level below, so
//! memory stays bounded (about 64 MiB of f64 per slab) whatever the size.

use std::sync::Arc;

use plexus_plugin_api::DType;
use zarrs::array::{Array, ArrayBytes, ArraySubset};

use crate::writer::DatasetSpec;
use crate::zarr::ome::{Axis, Dataset};
use crate::zarr::store::AtomicStore;
use crate::zarr::writer::{build_array, level, ZarrOptions};

/// Largest input slab of one downsampling step, as f64 bytes.
const SLAB_BYTES: usize = 64 << 20;

/// Builds the levels above `level0` (at `/0` in `store`) and returns every
/// level's NGFF dataset, level 0 first.
pub(crate) fn build(
    store: &Arc<AtomicStore>,
    level0: &Array<AtomicStore>,
    spec: &DatasetSpec,
    axes: &[Axis],
    options: &ZarrOptions,
) -> Result<Vec<Dataset>, String> {
    let halve: Vec<bool> = axes.iter().map(Axis::is_space).collect();
    let mut levels = vec![level(spec, axes, 0)];
    let mut shape = spec.shape.clone();
    let mut below: Option<Array<AtomicStore>> = None;
    let mut k = 0u32;
    while bytes(&shape, spec.dtype) > options.pyramid_threshold_bytes
        && shape.iter().zip(&halve).any(|(&n, &h)| h && n > 1)
    {
        k += 1;
        let next: Vec<usize> = shape.iter().zip(&halve).map(|(&n, &h)| if h { n.div_ceil(2) } else { n }).collect();
        let step0 = if halve[0] { 2 } else { 1 };
        let in_slice = shape[1..].iter().product::<usize>().max(1) * 8;
        let chunk = (SLAB_BYTES / (in_slice * step0)).clamp(1, next[0].max(1));
        let level_spec = DatasetSpec { shape: next.clone(), chunk, ..spec.clone() };
        // Levels are derived data: the same codec, no explicit sharding.
        let level_options = ZarrOptions { inner_chunk: None, codec: options.codec, ..options.clone() };
        let node = format!("/{k}");
        let out = build_array(store.root(), &level_spec, &level_options, "pyramid level")
            .map_err(|e| e.to_string())?
            .build(store.clone(), &node)
            .map_err(|e| e.to_string())?;
        out.store_metadata().map_err(|e| e.to_string())?;
        let src = below.as_ref().unwrap_or(level0);
        for j in 0..level_spec.chunks() {
            let slices = level_spec.chunk_slices(j);
            let (i0, i1) = (slices.start * step0, (slices.end * step0).min(shape[0]));
            let mut ranges: Vec<std::ops::Range<u64>> = shape.iter().map(|&n| 0..n as u64).collect();
            ranges[0] = i0 as u64..i1 as u64;
            let raw = src
                .retrieve_array_subset::<ArrayBytes<'static>>(&ArraySubset::new_with_ranges(&ranges))
                .map_err(|e| e.to_string())?
                .into_fixed()
                .map_err(|e| e.to_string())?;
            let mut slab_shape = shape.clone();
            slab_shape[0] = i1 - i0;
            let (mean, out_shape) = downsample(to_f64(spec.dtype, &raw), &slab_shape, &halve);
            debug_assert_eq!(out_shape[0], slices.len());
            let mut out_ranges: Vec<std::ops::Range<u64>> = next.iter().map(|&n| 0..n as u64).collect();
            out_ranges[0] = slices.start as u64..slices.end as u64;
            let bytes = from_f64(spec.dtype, &mean);
            out.store_array_subset(&ArraySubset::new_with_ranges(&out_ranges), ArrayBytes::from(bytes))
                .map_err(|e| e.to_string())?;
        }
        levels.push(level(spec, axes, k));
        shape = next;
        below = Some(out);
    }
    Ok(levels)
}

fn bytes(shape: &[usize], dtype: DType) -> u64 {
    shape.iter().map(|&n| n as u64).product::<u64>() * dtype.size() as u64
}

/// Averages `data` (row-major, `shape`) over blocks of 2 along every axis
/// where `halve` is set; returns the means and their shape.
pub(crate) fn downsample(mut data: Vec<f64>, shape: &[usize], halve: &[bool]) -> (Vec<f64>, Vec<usize>) {
    let mut shape = shape.to_vec();
    for a in 0..shape.len() {
        if !halve[a] || shape[a] <= 1 {
            continue;
        }
        let outer: usize = shape[..a].iter().product();
        let inner: usize = shape[a + 1..].iter().product();
        let (n, m) = (shape[a], shape[a].div_ceil(2));
        let mut out = vec![0.0; outer * m * inner];
        for o in 0..outer {
            for j in 0..m {
                let dst = &mut out[(o * m + j) * inner..(o * m + j + 1) * inner];
                let first = &data[(o * n + 2 * j) * inner..(o * n + 2 * j + 1) * inner];
                if 2 * j + 1 < n {
                    let second = &data[(o * n + 2 * j + 1) * inner..(o * n + 2 * j + 2) * inner];
                    for ((d, x), y) in dst.iter_mut().zip(first).zip(second) {
                        *d = (x + y) * 0.5;
                    }
                } else {
                    dst.copy_from_slice(first);
                }
            }
        }
        data = out;
        shape[a] = m;
    }
    (data, shape)
}

/// Native bytes of `dtype` elements as f64.
fn to_f64(dtype: DType, raw: &[u8]) -> Vec<f64> {
    macro_rules! conv {
        ($t:ty) => {
            raw.chunks_exact(std::mem::size_of::<$t>())
                .map(|c| <$t>::from_ne_bytes(c.try_into().expect("element size")) as f64)
                .collect()
        };
    }
    match dtype {
        DType::U8 => conv!(u8),
        DType::U16 => conv!(u16),
        DType::U32 => conv!(u32),
        DType::I16 => conv!(i16),
        DType::I32 => conv!(i32),
        DType::F32 => conv!(f32),
        DType::F64 => conv!(f64),
    }
}

/// Means back into native bytes of `dtype`: integers rounded half to even.
fn from_f64(dtype: DType, v: &[f64]) -> Vec<u8> {
    macro_rules! int {
        ($t:ty) => {
            v.iter().flat_map(|x| (x.round_ties_even() as $t).to_ne_bytes()).collect()
        };
    }
    match dtype {
        DType::U8 => int!(u8),
        DType::U16 => int!(u16),
        DType::U32 => int!(u32),
        DType::I16 => int!(i16),
        DType::I32 => int!(i32),
        DType::F32 => v.iter().flat_map(|x| (*x as f32).to_ne_bytes()).collect(),
        DType::F64 => v.iter().flat_map(|x| x.to_ne_bytes()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_of_blocks_cut_by_the_edge_average_what_they_hold() {
        // 3 × 3, both axes halved: blocks [[0,1],[3,4]], [[2],[5]], [[6,7]], [[8]].
        let data: Vec<f64> = (0..9).map(f64::from).collect();
        let (m, s) = downsample(data, &[3, 3], &[true, true]);
        assert_eq!(s, [2, 2]);
        assert_eq!(m, [2.0, 3.5, 6.5, 8.0]);
        // Only the last axis halved.
        let (m, s) = downsample((0..6).map(f64::from).collect(), &[2, 3], &[false, true]);
        assert_eq!((m, s), (vec![0.5, 2.0, 3.5, 5.0], vec![2, 2]));
        // Integers round half to even, like numpy.rint.
        assert_eq!(from_f64(DType::U8, &[2.5, 3.5, 0.5]), [2, 4, 0]);
    }
}
