//! Where a chunk of z-slices sits in its volume, for the reductions that
//! need one halo slice below each chunk (Euler number, surface area): the
//! first slice given, the first slice the chunk owns and the volume's
//! length ([`ChunkPos`]); and the operators' way of providing that slice
//! without a host halo ([`SliceBelow`]): they see the chunks in z order, so
//! they keep the last slice of each for the next. Conventions:
//! `docs/CONVENTIONS.md`.

use std::borrow::Cow;

use plexus_kernels::chunk::{check_order, VolumeChunk};
use plexus_kernels::volume::Shape;
use plexus_plugin_api::PluginError;

use crate::error::QuantifyError;

/// A chunk's place along z.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPos {
    /// Volume slice of the chunk's first given slice (halo included).
    pub z_first: usize,
    /// First slice the chunk owns: `z_first + 1` with one halo slice
    /// below, or 0 for the chunk at the volume's start (`z_first = 0`).
    pub z_owned: usize,
    /// Slices in the whole volume.
    pub volume_z: usize,
}

impl ChunkPos {
    /// The whole volume of `z` slices as one chunk.
    pub fn whole(z: usize) -> ChunkPos {
        ChunkPos { z_first: 0, z_owned: 0, volume_z: z }
    }

    /// The chunk of slices `start..` given with one halo slice below
    /// (none at the volume's start).
    pub fn with_low_halo(start: usize, volume_z: usize) -> ChunkPos {
        ChunkPos { z_first: start.saturating_sub(1), z_owned: start, volume_z }
    }

    /// Checks the halo and that `slices` given slices fit in the volume;
    /// returns one past the last slice given.
    pub(crate) fn check(&self, what: &'static str, slices: usize) -> Result<usize, QuantifyError> {
        let end = self.z_first + slices;
        let halo_ok = if self.z_owned == 0 { self.z_first == 0 } else { self.z_owned == self.z_first + 1 };
        if !halo_ok || end > self.volume_z || self.z_owned > end {
            return Err(QuantifyError::Halo { what, need: 1, z_first: self.z_first, z_owned: self.z_owned });
        }
        Ok(end)
    }
}

/// The last slice of the previous chunk, kept by an operator that needs one
/// slice below each chunk (chunks come in z order; the host adds no halo).
#[derive(Debug, Clone, Default)]
pub struct SliceBelow<T> {
    slice: Vec<T>,
    /// One past the last slice seen, and the volume's slice count.
    next: usize,
    volume_z: usize,
}

impl<T: Copy> SliceBelow<T> {
    /// The owned slices of chunk `c` (elements `data`), with the kept slice
    /// of the previous chunk prepended when there is one, their shape and
    /// place; keeps this chunk's last slice for the next.
    pub fn extend<'d>(
        &mut self,
        c: &VolumeChunk<'_>,
        data: &'d [T],
    ) -> Result<(Cow<'d, [T]>, Shape, ChunkPos), PluginError> {
        let slice = c.shape.slice_len();
        let owned = c.owned();
        let lo = (owned.start - c.z_first) * slice;
        let mine = &data[lo..lo + owned.len() * slice];
        if c.independent {
            return Ok((Cow::Borrowed(mine), c.shape.with_z(owned.len()), ChunkPos::whole(owned.len())));
        }
        let first = check_order(c, self.next)?;
        let (buf, z) = if first {
            (Cow::Borrowed(mine), owned.len())
        } else {
            let mut joined = Vec::with_capacity(self.slice.len() + mine.len());
            joined.extend_from_slice(&self.slice);
            joined.extend_from_slice(mine);
            (Cow::Owned(joined), owned.len() + 1)
        };
        if !owned.is_empty() {
            self.slice = mine[mine.len() - slice..].to_vec();
        }
        self.next = owned.end;
        self.volume_z = c.volume_z;
        Ok((buf, c.shape.with_z(z), ChunkPos::with_low_halo(owned.start, c.volume_z)))
    }

    /// Refuses a stream that stopped before the end of its volume.
    pub fn check_complete(&self) -> Result<(), PluginError> {
        if self.next != self.volume_z {
            return Err(PluginError::bad_input(
                "",
                format!("chunks covering the volume's {} slices", self.volume_z),
                format!("a stream that ended at slice {}", self.next),
            ));
        }
        Ok(())
    }
}
