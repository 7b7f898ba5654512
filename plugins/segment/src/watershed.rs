//! The `watershed` operator: splits touching objects of a binary mask by a
//! marker-based watershed of its negated distance transform, with markers at
//! the local maxima of the distance, the recipe of scikit-image's
//! documentation:
//!
//! ```text
//! distance = ndi.distance_transform_edt(mask)
//! coords = peak_local_max(distance, min_distance=m, footprint=f, labels=mask)
//! markers = ndi.label(peaks_mask)[0]
//! labels = watershed(-distance, markers, mask=mask)
//! ```
//!
//! # Conventions
//! - [`peak_local_max`] follows `skimage.feature.peak_local_max` with
//!   `labels`: per label, within the bounding box of its voxels away from the
//!   excluded border (`exclude_border = true` excludes `min_distance` voxels
//!   at each face), a voxel is a peak when it equals the maximum of its
//!   footprint window (a box of `footprint_size`, default
//!   `2 * min_distance + 1`; the window clamped to the box, voxels of other
//!   labels counting as the lowest value) and exceeds the threshold
//!   (`threshold_abs`, default the image minimum, raised to
//!   `threshold_rel * max`). Peaks are then taken in decreasing value (stable
//!   in raster order) and any within Chebyshev distance `< min_distance` of a
//!   kept one is dropped. A label whose every voxel is a window maximum
//!   gives no peak, except voxels that a cross opening removes (isolated).
//! - Markers: the peaks' connected components (6-connected; 4 in 2-D),
//!   numbered in raster order as `scipy.ndimage.label`.
//! - [`watershed_from_markers`] follows `skimage.segmentation.watershed`
//!   (no compactness, no watershed line): a priority queue ordered by value
//!   then age (insertion count), seeded with the markers at their own value,
//!   a voxel labelled when first pushed; scikit-image's binary heap is
//!   reproduced, so ties resolve as there.
//! - A volume of one slice is a 2-D image: footprints and the excluded
//!   border have no z extent.
//!
//! # Chunks
//! The watershed floods the whole volume from global markers: the operator
//! runs on whole volumes (a frame that is not the whole volume is
//! refused); its parts are plain functions so the host can hand it an
//! assembled or spilled volume.
//!
//! # Operator
//! `segment.watershed` takes a mask (nonzero foreground) and sends on the
//! split objects as u32 labels; results: `count`, `sizes` (voxels) and
//! `peaks` (markers found).
//!
//! # References
//! - S. Beucher, F. Meyer, "The morphological approach to segmentation: the
//!   watershed transformation", in *Mathematical Morphology in Image
//!   Processing*, E. R. Dougherty (ed.), Marcel Dekker, 433–481 (1993).
//! - F. Meyer, "Topographic distance and watershed lines", *Signal
//!   Processing* 38(1):113–125 (1994), doi:10.1016/0165-1684(94)90060-4.
//! - S. van der Walt et al., "scikit-image: image processing in Python",
//!   *PeerJ* 2:e453 (2014), doi:10.7717/peerj.453.

use plexus_kernels::chunk::{self, VolumeChunk};
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::distance_transform::distance_transform;
use crate::error::{param, SegmentError};
use crate::label::{label, Labels};
use crate::morphology::{morphology, MorphologyParams, Operation, Structure};
use crate::shape::{Connectivity, Shape};

/// Parameters of `segment.watershed`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatershedParams {
    /// Smallest Chebyshev distance between peaks, voxels (default 1).
    pub min_distance: usize,
    /// Side of the box footprint of the maximum filter, voxels; default
    /// `2 * min_distance + 1` (scikit-image's default).
    pub footprint_size: Option<usize>,
    /// Peaks must exceed this distance (µm); default the image minimum (0).
    pub threshold_abs: Option<f64>,
    /// Peaks must exceed this fraction of the largest distance.
    pub threshold_rel: Option<f64>,
    /// No peaks within `min_distance` voxels of the box faces (default true).
    pub exclude_border: bool,
    /// Watershed neighbourhood (default 6; 4 in a 2-D image).
    pub connectivity: u32,
    /// Voxel size `[z, y, x]`, µm, for the distance transform.
    pub voxel_size_um: Vec<f64>,
}

impl Default for WatershedParams {
    fn default() -> Self {
        WatershedParams {
            min_distance: 1,
            footprint_size: None,
            threshold_abs: None,
            threshold_rel: None,
            exclude_border: true,
            connectivity: 6,
            voxel_size_um: vec![1.0; 3],
        }
    }
}

impl WatershedParams {
    /// The connectivity, checked (4, 8, 6, 18 or 26).
    pub fn connectivity(&self) -> Result<Connectivity, SegmentError> {
        Connectivity::try_from(self.connectivity)
    }
}

impl Params for WatershedParams {
    const TABLE: &'static [Param] = &[
        Param::new("min_distance", "smallest Chebyshev distance between peaks, voxels (peak_local_max)").min(1.0),
        Param::new(
            "footprint_size",
            "side of the box footprint of the maximum filter, voxels; default 2 min_distance + 1",
        )
        .min(1.0),
        Param::new("threshold_abs", "peaks must exceed this distance, µm; default the image minimum"),
        Param::new("threshold_rel", "peaks must exceed this fraction of the largest distance").min(0.0),
        Param::new("exclude_border", "no peaks within min_distance voxels of the box faces"),
        Param::new("connectivity", "watershed neighbourhood: 6, 18 or 26 (4 or 8 in a 2-D image)").min(4.0).max(26.0),
        Param::new("voxel_size_um", "voxel size [z, y, x] in µm for the distance transform").min(0.0),
    ];
}

/// The `watershed` operator (see the module docs).
#[derive(Debug)]
pub struct WatershedOp {
    params: WatershedParams,
    threads: usize,
    counts: Vec<u64>,
    peaks: usize,
}

impl WatershedOp {
    /// Builds the operator.
    pub fn new(params: WatershedParams, ctx: &Context) -> Result<WatershedOp, PluginError> {
        crate::shape::voxel_size("voxel_size_um", &params.voxel_size_um)?;
        params.connectivity()?;
        Ok(WatershedOp { params, threads: ctx.threads(), counts: Vec::new(), peaks: 0 })
    }
}

impl Operator for WatershedOp {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let c = VolumeChunk::of(input)?;
        c.require_whole("the watershed floods the whole volume from its markers")?;
        let w = watershed(&c.mask(), c.shape, &self.params, self.threads)?;
        self.counts.extend(&w.labels.sizes);
        self.peaks += w.peaks.len();
        out.emit(chunk::output(input, &c, c.name, w.labels.labels)?);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        out.result("count", self.counts.len());
        out.result("sizes", self.counts.clone());
        out.result("peaks", self.peaks);
        Ok(())
    }
}

/// What [`watershed`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Watershed {
    /// The split objects, numbered by their markers, with sizes.
    pub labels: Labels,
    /// The peaks `[z, y, x]` found, in scikit-image's order.
    pub peaks: Vec<[usize; 3]>,
}

/// Splits the objects of `mask` (nonzero) by the watershed of `-EDT` from
/// the EDT's local maxima.
pub fn watershed(
    mask: &[u8],
    shape: Shape,
    params: &WatershedParams,
    threads: usize,
) -> Result<Watershed, SegmentError> {
    shape.check("mask", mask.len())?;
    let vs = crate::shape::voxel_size("voxel_size_um", &params.voxel_size_um)?;
    let dist: Vec<f64> = distance_transform(mask, shape, vs, threads)?;
    let fg: Vec<u32> = mask.iter().map(|&v| (v != 0) as u32).collect();
    let peaks = peak_local_max(&dist, shape, &fg, params)?;
    let mut peak_mask = vec![0u8; shape.len()];
    for p in &peaks {
        peak_mask[(p[0] * shape.y + p[1]) * shape.x + p[2]] = 1;
    }
    let markers = label(&peak_mask, shape, Connectivity::Six, threads)?;
    let neg: Vec<f64> = dist.iter().map(|d| -d).collect();
    let labels = watershed_from_markers(&neg, &markers.labels, Some(mask), shape, params.connectivity()?)?;
    let mut sizes = vec![0u64; markers.count()];
    for &l in &labels {
        if l > 0 {
            sizes[l as usize - 1] += 1;
        }
    }
    Ok(Watershed { labels: Labels { labels, sizes }, peaks })
}

/// Local maxima of `image` per label, as `skimage.feature.peak_local_max`
/// with `labels` (0 = no label) and `p_norm = inf`; see the module docs.
///
/// # Returns
/// Peak coordinates `[z, y, x]`, label by label, each label's in decreasing
/// value.
pub fn peak_local_max(
    image: &[f64],
    shape: Shape,
    labels: &[u32],
    params: &WatershedParams,
) -> Result<Vec<[usize; 3]>, SegmentError> {
    shape.check("image", image.len())?;
    shape.check("labels", labels.len())?;
    let md = params.min_distance;
    let size = params.footprint_size.unwrap_or(2 * md + 1);
    if size == 0 {
        return Err(param("footprint_size", "must be at least 1", size));
    }
    if image.is_empty() {
        return Ok(Vec::new());
    }
    let planar = shape.z == 1;
    let (min, max) = image.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let mut threshold = params.threshold_abs.unwrap_or(min);
    if let Some(rel) = params.threshold_rel {
        threshold = threshold.max(rel * max);
    }
    // The excluded border: `min_distance` at each face (none along z in 2-D).
    let bw = if params.exclude_border { md } else { 0 };
    let border = [if planar { 0 } else { bw }, bw, bw];
    let dims = shape.dims();
    let interior = |c: [usize; 3]| (0..3).all(|a| c[a] >= border[a] && c[a] + border[a] < dims[a]);
    // Bounding boxes of each label's interior voxels (ndi.find_objects).
    let nl = labels.iter().copied().max().unwrap_or(0) as usize;
    let mut boxes: Vec<Option<([usize; 3], [usize; 3])>> = vec![None; nl];
    for (i, &l) in labels.iter().enumerate() {
        if l == 0 {
            continue;
        }
        let c = [i / shape.slice_len(), i / shape.x % shape.y, i % shape.x];
        if !interior(c) {
            continue;
        }
        let b = &mut boxes[l as usize - 1];
        *b = Some(match *b {
            None => (c, [c[0] + 1, c[1] + 1, c[2] + 1]),
            Some((lo, hi)) => (
                [lo[0].min(c[0]), lo[1].min(c[1]), lo[2].min(c[2])],
                [hi[0].max(c[0] + 1), hi[1].max(c[1] + 1), hi[2].max(c[2] + 1)],
            ),
        });
    }
    let foot = [if planar { 1 } else { size }, size, size];
    let mut out = Vec::new();
    for (k, b) in boxes.iter().enumerate() {
        let Some((lo, hi)) = *b else { continue };
        let l = k as u32 + 1;
        let roi = Shape::new(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]);
        let at = |c: [usize; 3]| ((c[0] + lo[0]) * shape.y + c[1] + lo[1]) * shape.x + c[2] + lo[2];
        let mut crop = Vec::with_capacity(roi.len());
        let mut in_label = Vec::with_capacity(roi.len());
        for z in 0..roi.z {
            for y in 0..roi.y {
                for x in 0..roi.x {
                    let i = at([z, y, x]);
                    let inside = labels[i] == l;
                    in_label.push(inside as u8);
                    crop.push(if inside { image[i] } else { f64::MIN });
                }
            }
        }
        let mut peak = box_max_equals(&crop, roi, foot);
        let trivial = (0..roi.len()).all(|i| in_label[i] == 0 || peak[i]);
        if trivial {
            let op = MorphologyParams {
                operation: Operation::Opening,
                structure: Structure::Cross,
                radius: 1,
                planar,
                border_value: 0,
            };
            let opened = morphology(&in_label, roi, &op, 1)?;
            for i in 0..roi.len() {
                peak[i] = in_label[i] != opened[i];
            }
        }
        let mut cand: Vec<(usize, [usize; 3])> = Vec::new();
        for z in 0..roi.z {
            for y in 0..roi.y {
                for x in 0..roi.x {
                    let i = (z * roi.y + y) * roi.x + x;
                    if peak[i] && crop[i] > threshold {
                        cand.push((i, [z + lo[0], y + lo[1], x + lo[2]]));
                    }
                }
            }
        }
        // Highest first; sort_by is stable, as numpy's argsort(kind="stable").
        cand.sort_by(|a, b| crop[b.0].partial_cmp(&crop[a.0]).unwrap_or(std::cmp::Ordering::Equal));
        let coords: Vec<[usize; 3]> = cand.into_iter().map(|(_, c)| c).collect();
        out.extend(if md > 1 { ensure_spacing(&coords, md) } else { coords });
    }
    Ok(out)
}

/// Greedy spacing: keep points in order, dropping any within Chebyshev
/// distance `< spacing` of a kept one (scikit-image `ensure_spacing`).
fn ensure_spacing(coords: &[[usize; 3]], spacing: usize) -> Vec<[usize; 3]> {
    let mut kept: Vec<[usize; 3]> = Vec::new();
    let mut rejected = vec![false; coords.len()];
    for (i, c) in coords.iter().enumerate() {
        if rejected[i] {
            continue;
        }
        kept.push(*c);
        for (j, d) in coords.iter().enumerate().skip(i + 1) {
            let cheb = (0..3).map(|a| c[a].abs_diff(d[a])).max().unwrap();
            if cheb < spacing {
                rejected[j] = true;
            }
        }
    }
    kept
}

/// `image == maximum_filter(image, box foot, mode="nearest")` (the window
/// clamped to the volume, which is what `nearest` gives for a box).
fn box_max_equals(image: &[f64], shape: Shape, foot: [usize; 3]) -> Vec<bool> {
    let dims = shape.dims();
    let mut m = image.to_vec();
    let strides = [shape.slice_len(), shape.x, 1];
    for axis in 0..3 {
        let n = dims[axis];
        let f = foot[axis];
        if f <= 1 || n == 0 {
            continue;
        }
        // scipy centres even footprints at size // 2.
        let (before, after) = (f / 2, f - 1 - f / 2);
        let src = m.clone();
        let s = strides[axis];
        for (i, mi) in m.iter_mut().enumerate() {
            let c = i / s % n;
            let lo = c.saturating_sub(before);
            let hi = (c + after).min(n - 1);
            let base = i - c * s;
            *mi = (lo..=hi).map(|t| src[base + t * s]).fold(f64::NEG_INFINITY, f64::max);
        }
    }
    image.iter().zip(&m).map(|(a, b)| a == b).collect()
}

/// One queue entry: scikit-image's `Heapitem`.
#[derive(Debug, Clone, Copy)]
struct Item {
    value: f64,
    age: u64,
    index: usize,
}

#[inline]
fn smaller(a: &Item, b: &Item) -> bool {
    if a.value != b.value {
        a.value < b.value
    } else {
        a.age < b.age
    }
}

/// scikit-image's binary heap (`heap_general.pxi`), push and pop alike, so
/// that entries equal in value and age leave in the same order.
#[derive(Default)]
struct Heap(Vec<Item>);

impl Heap {
    fn push(&mut self, item: Item) {
        let h = &mut self.0;
        h.push(item);
        let mut child = h.len() - 1;
        while child > 0 {
            let parent = child.div_ceil(2) - 1;
            if smaller(&h[child], &h[parent]) {
                h.swap(parent, child);
                child = parent;
            } else {
                break;
            }
        }
    }

    fn pop(&mut self) -> Option<Item> {
        let h = &mut self.0;
        if h.is_empty() {
            return None;
        }
        let top = h[0];
        let last = h.pop().expect("not empty");
        if h.is_empty() {
            return Some(top);
        }
        h[0] = last;
        let n = h.len();
        let mut i = 0;
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            if l >= n {
                break;
            }
            let mut smallest = i;
            if smaller(&h[l], &h[i]) {
                smallest = l;
            }
            if r < n && smaller(&h[r], &h[smallest]) {
                smallest = r;
            }
            if smallest == i {
                break;
            }
            h.swap(i, smallest);
            i = smallest;
        }
        Some(top)
    }
}

/// Marker-based watershed of `image`, as `skimage.segmentation.watershed(
/// image, markers, connectivity, mask=mask)` with no compactness and no
/// watershed line.
///
/// # Arguments
/// - `image`: `(z, y, x)` f64 (low values flood first); `markers`: u32,
///   nonzero seeds (outside `mask` they are dropped, as there);
///   `mask`: where flooding may go (all voxels when `None`).
///
/// # Returns
/// One label per voxel, 0 where no marker reached.
pub fn watershed_from_markers(
    image: &[f64],
    markers: &[u32],
    mask: Option<&[u8]>,
    shape: Shape,
    connectivity: Connectivity,
) -> Result<Vec<u32>, SegmentError> {
    shape.check("image", image.len())?;
    shape.check("markers", markers.len())?;
    if let Some(m) = mask {
        shape.check("mask", m.len())?;
    }
    let inside = |i: usize| mask.is_none_or(|m| m[i] != 0);
    // Neighbour offsets sorted by distance, ties in raster order (scikit-image
    // `_offsets_to_raveled_neighbors`, a stable sort).
    let mut offsets = connectivity.offsets();
    offsets.sort_by_key(|o| o.iter().map(|d| d * d).sum::<isize>());
    let mut out: Vec<u32> = markers.iter().enumerate().map(|(i, &m)| if inside(i) { m } else { 0 }).collect();
    let mut heap = Heap::default();
    for (i, &m) in out.iter().enumerate() {
        if m != 0 {
            heap.push(Item { value: image[i], age: 0, index: i });
        }
    }
    let (nz, ny, nx) = (shape.z as isize, shape.y as isize, shape.x as isize);
    let mut age = 1u64;
    while let Some(e) = heap.pop() {
        let i = e.index;
        let (z, y, x) = ((i / shape.slice_len()) as isize, (i / shape.x % shape.y) as isize, (i % shape.x) as isize);
        for o in &offsets {
            let (a, b, c) = (z + o[0], y + o[1], x + o[2]);
            if a < 0 || a >= nz || b < 0 || b >= ny || c < 0 || c >= nx {
                continue;
            }
            let n = ((a * ny + b) * nx + c) as usize;
            if !inside(n) || out[n] != 0 {
                continue;
            }
            age += 1;
            out[n] = out[i];
            heap.push(Item { value: image[n].max(e.value), age, index: n });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_touching_discs_are_split() {
        let (h, w) = (40usize, 70usize);
        let mut mask = vec![0u8; h * w];
        for y in 0..h {
            for x in 0..w {
                let d1 = (y as f64 - 20.0).powi(2) + (x as f64 - 20.0).powi(2);
                let d2 = (y as f64 - 20.0).powi(2) + (x as f64 - 46.0).powi(2);
                mask[y * w + x] = (d1 < 225.0 || d2 < 196.0) as u8;
            }
        }
        let p = WatershedParams { min_distance: 5, ..Default::default() };
        let ws = watershed(&mask, Shape::plane(h, w), &p, 1).unwrap();
        assert_eq!(ws.labels.count(), 2);
        assert_eq!(ws.labels.labels[20 * w + 20], 1);
        assert_eq!(ws.labels.labels[20 * w + 46], 2);
        assert_eq!(ws.labels.sizes.iter().sum::<u64>(), mask.iter().map(|&v| v as u64).sum::<u64>());
    }

    #[test]
    fn heap_pops_in_value_then_age_order() {
        let mut h = Heap::default();
        for (k, v) in [3.0, 1.0, 2.0, 1.0, 0.5].into_iter().enumerate() {
            h.push(Item { value: v, age: k as u64, index: k });
        }
        let order: Vec<usize> = std::iter::from_fn(|| h.pop()).map(|e| e.index).collect();
        assert_eq!(order, vec![4, 1, 3, 2, 0]);
    }
}
