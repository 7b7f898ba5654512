//! Where a chunk of z-slices sits in its volume, for the reductions that
//! need one halo slice below each chunk (Euler number, surface area): the
//! first slice given, the first slice the chunk owns and the volume's
//! length. Conventions: `docs/CONVENTIONS.md`.

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
