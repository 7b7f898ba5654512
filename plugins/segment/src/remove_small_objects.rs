//! The `remove_small_objects` operator: drops connected components of at
//! most `max_size` voxels, as `skimage.morphology.remove_small_objects` on a
//! boolean image (scikit-image ≥ 0.26 semantics: `max_size`, inclusive).
//!
//! # Chunks
//! Sizes come from [`crate::label`]'s merge ([`crate::label::Merged::sizes`]),
//! so chunks are handled as labelling handles them: label each chunk, merge,
//! then [`keep_table`] + [`apply_keep`] per chunk on its relabelled labels.
//!
//! # Operator
//! `segment.remove_small_objects` sends on a u8 0/1 mask and takes either
//! - a **mask** (any type but u32; nonzero is foreground) that is the whole
//!   volume in one frame (or an independent image): labelled and filtered
//!   here; or
//! - the **provisional labels** (u32) of a chunked `segment.label` stage,
//!   with that stage's `merges = "${label.merges}"` and `sizes =
//!   "${label.sizes}"`: any chunking, each chunk filtered as it comes.
//!
//! Results at `finish`: `removed` and `kept` (components).
//!
//! # References
//! - S. van der Walt et al., "scikit-image: image processing in Python",
//!   *PeerJ* 2:e453 (2014), doi:10.7717/peerj.453
//!   (`skimage.morphology.remove_small_objects`).

use plexus_kernels::chunk::{self, VolumeChunk};
use plexus_plugin_api::{Context, DType, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::error::SegmentError;
use crate::label::label;
use crate::relabel::FinalLabels;
use crate::shape::{Connectivity, Shape};

/// Parameters of `segment.remove_small_objects`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoveSmallParams {
    /// Components of this many voxels or fewer are removed (default 64,
    /// scikit-image's).
    pub max_size: u64,
    /// Connectivity of the components (default 6; in 2-D this is 4, as
    /// scikit-image's `connectivity = 1`).
    pub connectivity: u32,
    /// For provisional labels: `label`'s `merges`.
    pub merges: Vec<u32>,
    /// For provisional labels: `label`'s `sizes` (voxels per final label).
    pub sizes: Vec<u64>,
}

impl Default for RemoveSmallParams {
    fn default() -> Self {
        RemoveSmallParams { max_size: 64, connectivity: 6, merges: Vec::new(), sizes: Vec::new() }
    }
}

impl RemoveSmallParams {
    /// The connectivity, checked (4, 8, 6, 18 or 26).
    pub fn connectivity(&self) -> Result<Connectivity, SegmentError> {
        Connectivity::try_from(self.connectivity)
    }
}

impl Params for RemoveSmallParams {
    const TABLE: &'static [Param] = &[
        Param::new("max_size", "components of at most this many voxels are removed (scikit-image >= 0.26 max_size)"),
        Param::new("connectivity", "neighbours that connect a mask's components: 4 or 8 (within slices), 6, 18 or 26")
            .min(4.0)
            .max(26.0),
        Param::new("merges", "for provisional u32 labels of a chunked segment.label: its merges (\"${label.merges}\")"),
        Param::new("sizes", "for provisional u32 labels: segment.label's sizes (\"${label.sizes}\")"),
    ];
}

/// Why a mask must come whole.
const MASK_WHOLE: &str = "component sizes span chunks; for a chunked volume run `segment.label` first and give this stage its labels with `merges = \"${label.merges}\"` and `sizes = \"${label.sizes}\"`";

/// The `remove_small_objects` operator (see the module docs).
#[derive(Debug)]
pub struct RemoveSmallObjects {
    params: RemoveSmallParams,
    threads: usize,
    finals: FinalLabels,
    /// `keep[l]` for final labels of provisional-label input.
    keep: Vec<bool>,
    /// Components removed and kept in masks seen so far.
    mask_counts: (usize, usize),
    labels_seen: bool,
}

impl RemoveSmallObjects {
    /// Builds the operator.
    pub fn new(params: RemoveSmallParams, ctx: &Context) -> Result<RemoveSmallObjects, PluginError> {
        params.connectivity()?;
        let finals = FinalLabels::new(&params.merges)?;
        let keep = keep_table(&params.sizes, params.max_size);
        Ok(RemoveSmallObjects { params, threads: ctx.threads(), finals, keep, mask_counts: (0, 0), labels_seen: false })
    }
}

impl Operator for RemoveSmallObjects {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let c = VolumeChunk::of(input)?;
        let mask = if c.view.dtype() == DType::U32 {
            self.labels_seen = true;
            let labels = c.view.as_slice::<u32>()?;
            let mut m = Vec::with_capacity(labels.len());
            for &p in labels {
                let f = self.finals.get(p) as usize;
                match self.keep.get(f) {
                    Some(&k) => m.push(k as u8),
                    None => {
                        return Err(PluginError::bad_input(
                            c.name,
                            format!("final labels up to {} (the length of `sizes`)", self.keep.len() - 1),
                            format!("provisional label {p} (final {f})"),
                        ))
                    }
                }
            }
            m
        } else {
            c.require_whole(MASK_WHOLE)?;
            let l = label(&c.mask(), c.shape, self.params.connectivity()?, self.threads)?;
            let keep = keep_table(&l.sizes, self.params.max_size);
            let mut m = vec![0u8; l.labels.len()];
            apply_keep(&l.labels, &keep, &mut m);
            let kept = keep.iter().filter(|k| **k).count();
            self.mask_counts.0 += keep.len() - 1 - kept;
            self.mask_counts.1 += kept;
            m
        };
        out.emit(chunk::output(input, &c, c.name, mask)?);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let (mut removed, mut kept) = self.mask_counts;
        if self.labels_seen {
            removed += self.keep.iter().skip(1).filter(|k| !**k).count();
            kept += self.keep.iter().filter(|k| **k).count();
        }
        out.result("removed", removed);
        out.result("kept", kept);
        Ok(())
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
    let labels = label(mask, shape, params.connectivity()?, threads)?;
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
        let p = RemoveSmallParams { max_size: 5, connectivity: 4, ..Default::default() };
        let (out, removed) = remove_small_objects(&a, Shape::plane(3, 5), &p, 1).unwrap();
        assert_eq!(out, [0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0]);
        assert_eq!(removed, 2);
        let p = RemoveSmallParams { max_size: 6, connectivity: 8, ..Default::default() };
        let (out, _) = remove_small_objects(&a, Shape::plane(3, 5), &p, 1).unwrap();
        assert_eq!(out, [0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0]);
    }
}
