//! The `connectivity` operator: how many connected components each phase of
//! a phase image has (and how many voxels), as `scipy.ndimage.label` on
//! `image == phase` for every phase present.
//!
//! # Chunks
//! Each chunk is labelled per phase with [`plexus_segment::label`] and
//! summarised ([`ChunkSummary`]); at the end the summaries of each phase are
//! merged across the shared faces ([`plexus_segment::label::merge_chunks`]),
//! so counts are exactly those of the whole volume. No output volume is
//! needed, so the chunk labels are dropped once summarised.
//!
//! # References
//! - K. Wu, E. Otoo, K. Suzuki, "Optimizing two-pass connected-component
//!   labeling algorithms", *Pattern Analysis and Applications* 12(2):117–135
//!   (2009), doi:10.1007/s10044-008-0109-y.

use std::collections::BTreeMap;

use plexus_segment::label::{label, merge_chunks, ChunkSummary};
use plexus_segment::{Connectivity, Shape};
use serde::{Deserialize, Serialize};

use crate::error::QuantifyError;

/// Parameters of `quantify.connectivity`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConnectivityParams {
    /// Neighbourhood (default 6, scipy's default).
    pub connectivity: Connectivity,
}

impl Default for ConnectivityParams {
    fn default() -> Self {
        ConnectivityParams { connectivity: Connectivity::Six }
    }
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
    sum.add(image, shape, 0, params.connectivity, threads)?;
    sum.finish(shape, params.connectivity)
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
