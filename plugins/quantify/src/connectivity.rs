//! The `connectivity` operator: how many connected components each phase of
//! a phase image has (and how many voxels), as `scipy.ndimage.label` on
//! `image == phase` for every phase present.
//!
//! # Chunks
//! Each chunk is labelled per phase with [`plexus_kernels::volume::label`] and
//! summarised ([`ChunkSummary`]); at the end the summaries of each phase are
//! merged across the shared faces ([`plexus_kernels::volume::label::merge_chunks`]),
//! so counts are exactly those of the whole volume. No output volume is
//! needed, so the chunk labels are dropped once summarised.
//!
//! # References
//! - K. Wu, E. Otoo, K. Suzuki, "Optimizing two-pass connected-component
//!   labeling algorithms", *Pattern Analysis and Applications* 12(2):117–135
//!   (2009), doi:10.1007/s10044-008-0109-y.

use std::collections::BTreeMap;

use plexus_kernels::chunk::{check_order, VolumeChunk};
use plexus_kernels::volume::label::{label, merge_chunks, ChunkSummary};
use plexus_kernels::volume::{Connectivity, Shape};
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::error::QuantifyError;

/// Parameters of `quantify.connectivity`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectivityParams {
    /// Neighbourhood (default 6, scipy's default).
    pub connectivity: u32,
}

impl Default for ConnectivityParams {
    fn default() -> Self {
        ConnectivityParams { connectivity: 6 }
    }
}

impl Params for ConnectivityParams {
    const TABLE: &'static [Param] = &[Param::new(
        "connectivity",
        "neighbours that connect: 4 or 8 (within slices), 6, 18 or 26 (3-D), as scipy's generate_binary_structure",
    )
    .min(4.0)
    .max(26.0)];
}

/// Components of one phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhaseComponents {
    /// The phase value.
    pub phase: u8,
    /// Voxels of the phase.
    pub voxels: u64,
    /// Connected components.
    pub components: u64,
    /// Voxels of the largest component.
    pub largest_voxels: u64,
}

/// Per-phase chunk summaries, merged at the end.
#[derive(Debug, Clone, Default)]
pub struct ConnectivitySum {
    phases: BTreeMap<u8, Vec<ChunkSummary>>,
    slices: Vec<(usize, usize)>,
}

impl ConnectivitySum {
    /// Adds a chunk of `shape.z` slices starting at volume slice `z0` (no
    /// halo needed).
    pub fn add(
        &mut self,
        image: &[u8],
        shape: Shape,
        z0: usize,
        c: Connectivity,
        threads: usize,
    ) -> Result<(), QuantifyError> {
        shape.check("image", image.len())?;
        let mut present = [false; 256];
        for &v in image {
            present[v as usize] = true;
        }
        // A phase absent from this chunk still needs its (empty) summary.
        let known: Vec<u8> = self.phases.keys().copied().collect();
        for p in (0..=255u8).filter(|&p| present[p as usize] || known.contains(&p)) {
            let mask: Vec<u8> = image.iter().map(|&v| (v == p) as u8).collect();
            let l = label(&mask, shape, c, threads)?;
            let summary = ChunkSummary::of(&l, shape, z0)?;
            let list = self.phases.entry(p).or_default();
            if list.is_empty() {
                // A phase first seen now: empty summaries for earlier chunks.
                for &(z, n) in &self.slices {
                    let empty = label(&vec![0; n * shape.slice_len()], shape.with_z(n), c, 1)?;
                    list.push(ChunkSummary::of(&empty, shape.with_z(n), z)?);
                }
            }
            list.push(summary);
        }
        self.slices.push((z0, shape.z));
        Ok(())
    }

    /// Components per phase for a volume of `shape`.
    pub fn finish(&self, shape: Shape, c: Connectivity) -> Result<Vec<PhaseComponents>, QuantifyError> {
        let mut out = Vec::new();
        for (&phase, chunks) in &self.phases {
            let merged = merge_chunks(chunks, shape, c)?;
            out.push(PhaseComponents {
                phase,
                voxels: merged.sizes.iter().sum(),
                components: merged.sizes.len() as u64,
                largest_voxels: merged.sizes.iter().copied().max().unwrap_or(0),
            });
        }
        Ok(out)
    }
}

/// Components per phase of a whole image.
pub fn connectivity(
    image: &[u8],
    shape: Shape,
    params: &ConnectivityParams,
    threads: usize,
) -> Result<Vec<PhaseComponents>, QuantifyError> {
    let mut sum = ConnectivitySum::default();
    let c = Connectivity::try_from(params.connectivity)?;
    sum.add(image, shape, 0, c, threads)?;
    sum.finish(shape, c)
}

/// The `connectivity` operator: connected components of every phase of a
/// u8 phase image (a mask: 0 solid, 1 pore; or classes), summarised chunk
/// by chunk in z order and merged across the shared faces at `finish`, so
/// any chunking gives the whole volume's counts. Frames are forwarded.
/// Results, one entry per phase present in the lists `phases`, `voxels`,
/// `components` and `largest_voxels`, and `connectivity`. Independent
/// frames (2-D images) are counted one by one and their counts added.
#[derive(Debug)]
pub struct ConnectivityOp {
    connectivity: Connectivity,
    threads: usize,
    sum: ConnectivitySum,
    shape: Option<Shape>,
    next: usize,
    /// Per phase over independent frames: voxels, components, largest.
    independent: BTreeMap<u8, (u64, u64, u64)>,
}

impl ConnectivityOp {
    /// Checks the connectivity and builds the operator.
    pub fn new(params: ConnectivityParams, ctx: &Context) -> Result<ConnectivityOp, PluginError> {
        let connectivity = Connectivity::try_from(params.connectivity)?;
        Ok(ConnectivityOp {
            connectivity,
            threads: ctx.threads(),
            sum: ConnectivitySum::default(),
            shape: None,
            next: 0,
            independent: BTreeMap::new(),
        })
    }
}

impl Operator for ConnectivityOp {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let c = VolumeChunk::of(input)?;
        let Some(image) = c.slice::<u8>() else {
            return Err(PluginError::bad_input(c.name, "a phase image of `u8`", format!("`{}`", c.view.dtype())));
        };
        let slice = c.shape.slice_len();
        let owned = c.owned();
        let mine = &image[(owned.start - c.z_first) * slice..(owned.end - c.z_first) * slice];
        if c.independent {
            for p in connectivity(
                mine,
                c.shape,
                &ConnectivityParams { connectivity: self.connectivity.count() },
                self.threads,
            )? {
                let e = self.independent.entry(p.phase).or_default();
                *e = (e.0 + p.voxels, e.1 + p.components, e.2.max(p.largest_voxels));
            }
            return Ok(());
        }
        if check_order(&c, self.next)? && self.shape.is_some() {
            return Err(PluginError::bad_input(
                c.name,
                "one chunked volume per stream",
                "a second volume starting at slice 0",
            ));
        }
        self.shape = Some(c.shape.with_z(c.volume_z));
        self.sum.add(mine, c.shape.with_z(owned.len()), owned.start, self.connectivity, self.threads)?;
        self.next = owned.end;
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let mut all = self.independent.clone();
        if let Some(shape) = self.shape {
            if self.next != shape.z {
                return Err(PluginError::bad_input(
                    "",
                    format!("chunks covering the volume's {} slices", shape.z),
                    format!("a stream that ended at slice {}", self.next),
                ));
            }
            for p in self.sum.finish(shape, self.connectivity)? {
                let e = all.entry(p.phase).or_default();
                *e = (e.0 + p.voxels, e.1 + p.components, e.2.max(p.largest_voxels));
            }
        }
        out.result("phases", all.keys().copied().collect::<Vec<_>>());
        out.result("voxels", all.values().map(|v| v.0).collect::<Vec<_>>());
        out.result("components", all.values().map(|v| v.1).collect::<Vec<_>>());
        out.result("largest_voxels", all.values().map(|v| v.2).collect::<Vec<_>>());
        out.result("connectivity", self.connectivity.count());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_phase() {
        #[rustfmt::skip]
        let img = [
            1, 0, 1,
            0, 0, 0,
            1, 2, 1,
        ];
        let r = connectivity(&img, Shape::plane(3, 3), &ConnectivityParams::default(), 1).unwrap();
        let comps: Vec<(u8, u64)> = r.iter().map(|p| (p.phase, p.components)).collect();
        assert_eq!(comps, vec![(0, 1), (1, 4), (2, 1)]);
    }
}
