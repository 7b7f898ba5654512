//! The `label` operator: connected components of a binary volume (4/8 in
//! 2-D, 6/18/26 in 3-D), numbered in raster order of their first voxel as
//! `scipy.ndimage.label`, with their sizes — on a volume streamed in chunks.
//!
//! # Streaming
//! Labels are global, but a chunk's labels cannot wait for the chunks
//! after it without holding the volume. So the operator works in two
//! passes over the stream, the second one done by a later stage:
//!
//! 1. Each chunk (in z order) is labelled on its own
//!    ([`label`](plexus_kernels::volume::label::label)) and sent on at
//!    once as **provisional** u32 labels: the chunk's own labels offset by
//!    the number of provisional labels before it. What a merge needs — the
//!    runs of the chunk's first and last slice and the sizes
//!    ([`ChunkSummary`]) — is kept; the voxels are not.
//! 2. At `finish` the summaries are merged across the shared faces by
//!    union-find ([`merge_chunks`]). Since chunk labels are in raster order
//!    and chunks in z order, the smallest provisional label of a component
//!    is its first voxel in raster order; numbering those roots in order is
//!    scipy's numbering. The operator publishes `count`, `sizes` (voxels
//!    per final label) and `merges`: every provisional label that is not a
//!    root, with its root, as flat pairs `[p, root, …]`. A
//!    `segment.relabel` stage with `merges = "${label.merges}"` then maps
//!    provisional to final labels ([`crate::relabel`]).
//!
//! A volume that arrives as one frame is labelled whole: its provisional
//! labels are already final and `merges` is empty. Independent frames (2-D
//! images, batch entries) are each labelled on their own; `count` and
//! `sizes` then cover all of them in order.
//!
//! Results: `count`, `sizes` (voxels), `merges`, `provisional_labels`,
//! `connectivity`.
//!
//! # References
//! - K. Wu, E. Otoo, K. Suzuki, "Optimizing two-pass connected-component
//!   labeling algorithms", *Pattern Analysis and Applications* 12(2):117–135
//!   (2009), doi:10.1007/s10044-008-0109-y.
//! - L. He, Y. Chao, K. Suzuki, K. Wu, "Fast connected-component labeling",
//!   *Pattern Recognition* 42(9):1977–1987 (2009),
//!   doi:10.1016/j.patcog.2008.10.013.

pub use plexus_kernels::volume::label::{label, merge_chunks, relabel, ChunkSummary, Labels, Merged};

use plexus_kernels::chunk::{self, check_order, VolumeChunk};
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::shape::{Connectivity, Shape};

/// Parameters of `segment.label`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelParams {
    /// Which neighbours connect: 4 or 8 (within slices), 6, 18 or 26.
    /// Default 6, `scipy.ndimage.label`'s default in 3-D.
    pub connectivity: u32,
}

impl Default for LabelParams {
    fn default() -> Self {
        LabelParams { connectivity: 6 }
    }
}

impl Params for LabelParams {
    const TABLE: &'static [Param] = &[Param::new("connectivity", crate::CONNECTIVITY_DOC).min(4.0).max(26.0)];
}

/// The chunks of the volume being labelled.
#[derive(Debug, Default)]
struct Volume {
    /// Slice shape and length of the volume.
    shape: Option<Shape>,
    /// The next slice expected.
    next: usize,
    /// Per chunk, in z order.
    summaries: Vec<ChunkSummary>,
    /// Provisional labels handed out so far.
    provisional: u64,
}

/// The `label` operator (see the module docs).
#[derive(Debug)]
pub struct Label {
    connectivity: Connectivity,
    threads: usize,
    volume: Volume,
    /// Sizes of the labels of independent frames, in order.
    independent: Vec<u64>,
}

impl Label {
    /// Builds the operator.
    pub fn new(params: LabelParams, ctx: &Context) -> Result<Label, PluginError> {
        Ok(Label {
            connectivity: Connectivity::try_from(params.connectivity)?,
            threads: ctx.threads(),
            volume: Volume::default(),
            independent: Vec::new(),
        })
    }

    /// The merged result of the chunked volume: sizes and merges.
    fn merged(&self) -> Result<(Vec<u64>, Vec<u32>), PluginError> {
        let v = &self.volume;
        let Some(shape) = v.shape else { return Ok((Vec::new(), Vec::new())) };
        if v.next != shape.z {
            return Err(PluginError::bad_input(
                "",
                format!("chunks covering the volume's {} slices", shape.z),
                format!("a stream that ended at slice {}", v.next),
            ));
        }
        let m = merge_chunks(&v.summaries, shape, self.connectivity)?;
        // Provisional p = base of its chunk + chunk label; the first p with
        // a given final label is that component's root.
        let mut root_of = vec![0u32; m.sizes.len() + 1];
        let mut merges = Vec::new();
        let mut p = 0u32;
        for lut in &m.luts {
            for &f in &lut[1..] {
                p += 1;
                if root_of[f as usize] == 0 {
                    root_of[f as usize] = p;
                } else {
                    merges.extend([p, root_of[f as usize]]);
                }
            }
        }
        Ok((m.sizes, merges))
    }
}

impl Operator for Label {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let c = VolumeChunk::of(input)?;
        if c.halo != (0, 0) {
            return Err(PluginError::bad_input(
                c.name,
                "chunks without a halo (`label` declares none)",
                format!("{:?}", c.halo),
            ));
        }
        let mask = c.mask();
        let mut l = label(&mask, c.shape, self.connectivity, self.threads)?;
        if c.independent {
            self.independent.extend(&l.sizes);
            out.emit(chunk::output(input, &c, c.name, l.labels)?);
            return Ok(());
        }
        let v = &mut self.volume;
        if check_order(&c, v.next)? {
            if v.shape.is_some() {
                return Err(PluginError::bad_input(
                    c.name,
                    "one chunked volume per stream",
                    "a second volume starting at slice 0",
                ));
            }
            v.shape = Some(c.shape.with_z(c.volume_z));
        }
        let base = u32::try_from(v.provisional)
            .ok()
            .filter(|b| b.checked_add(l.count() as u32).is_some())
            .ok_or_else(|| PluginError::bad_input(c.name, "fewer than 2^32 provisional labels", "more"))?;
        v.summaries.push(ChunkSummary::of(&l, c.shape, c.z_first)?);
        v.provisional += l.count() as u64;
        v.next = c.z_first + c.shape.z;
        if base > 0 {
            for x in l.labels.iter_mut().filter(|x| **x != 0) {
                *x += base;
            }
        }
        out.emit(chunk::output(input, &c, c.name, l.labels)?);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let (mut sizes, merges) = self.merged()?;
        sizes.splice(0..0, self.independent.iter().copied());
        out.result("count", sizes.len());
        out.result("sizes", sizes);
        out.result("merges", merges);
        out.result("provisional_labels", self.volume.provisional + self.independent.len() as u64);
        out.result("connectivity", self.connectivity.count());
        Ok(())
    }
}
