//! The `remove_small_objects` operator: drops connected components of at
//! most `max_size` voxels, as `skimage.morphology.remove_small_objects` on a
//! boolean image (scikit-image ≥ 0.26 semantics: `max_size`, inclusive).
//!
//! # Chunks
//! Sizes come from [`crate::label`]'s merge ([`crate::label::Merged::sizes`]),
//! so chunks are handled as labelling handles them: label each chunk, merge,
//! then [`keep_table`] + [`apply_keep`] per chunk on its relabelled labels.
//!
//! # References
//! - S. van der Walt et al., "scikit-image: image processing in Python",
//!   *PeerJ* 2:e453 (2014), doi:10.7717/peerj.453
//!   (`skimage.morphology.remove_small_objects`).

use serde::Deserialize;

use crate::error::SegmentError;
use crate::label::label;
use crate::shape::{Connectivity, Shape};

/// Parameters of `segment.remove_small_objects`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RemoveSmallParams {
    /// Components of this many voxels or fewer are removed (default 64,
    /// scikit-image's).
    pub max_size: u64,
    /// Connectivity of the components (default 6; in 2-D this is 4, as
    /// scikit-image's `connectivity = 1`).
    pub connectivity: Connectivity,
}

impl Default for RemoveSmallParams {
    fn default() -> Self {
        RemoveSmallParams { max_size: 64, connectivity: Connectivity::Six }
    }
}

/// `keep[l]` for every final label `l` (index 0, background, is `false`).
pub fn keep_table(sizes: &[u64], max_size: u64) -> Vec<bool> {
    std::iter::once(false).chain(sizes.iter().map(|&n| n > max_size)).collect()
}

/// Writes the mask of kept components: 1 where `keep[label]`.
pub fn apply_keep(labels: &[u32], keep: &[bool], out: &mut [u8]) {
    for (o, &l) in out.iter_mut().zip(labels) {
        *o = keep[l as usize] as u8;
    }
}

/// Removes the components of `mask` with at most `params.max_size` voxels.
///
/// # Arguments
/// - `mask`: `(z, y, x)` u8, foreground nonzero; `threads` as [`label`].
///
/// # Returns
/// A 0/1 mask of the same shape, and the number of components removed.
pub fn remove_small_objects(
    mask: &[u8],
    shape: Shape,
    params: &RemoveSmallParams,
    threads: usize,
) -> Result<(Vec<u8>, usize), SegmentError> {
    let labels = label(mask, shape, params.connectivity, threads)?;
    let keep = keep_table(&labels.sizes, params.max_size);
    let mut out = vec![0u8; shape.len()];
    apply_keep(&labels.labels, &keep, &mut out);
    let removed = keep.iter().skip(1).filter(|k| !**k).count();
    Ok((out, removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_size_is_inclusive() {
        // scikit-image's docstring example: sizes 1, 6 (4-conn), 1.
        #[rustfmt::skip]
        let a = [0, 0, 0, 1, 0,
                 1, 1, 1, 0, 0,
                 1, 1, 1, 0, 1];
        let p = RemoveSmallParams { max_size: 5, connectivity: Connectivity::Four };
        let (out, removed) = remove_small_objects(&a, Shape::plane(3, 5), &p, 1).unwrap();
        assert_eq!(out, [0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0]);
        assert_eq!(removed, 2);
        let p = RemoveSmallParams { max_size: 6, connectivity: Connectivity::Eight };
        let (out, _) = remove_small_objects(&a, Shape::plane(3, 5), &p, 1).unwrap();
        assert_eq!(out, [0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0]);
    }
}
