//! The `euler_number` operator: the Euler characteristic of a 3-D binary
//! volume for 6- or 26-connected foreground, exactly as
//! `skimage.measure.euler_number(image, connectivity=1 | 3)`.
//!
//! # Method
//! The volume is padded by background; every 2×2×2 block touching it gets
//! the code `1·I[z,y,x] + 2·I[z,y-1,x] + 4·I[z,y,x-1] + 8·I[z,y-1,x-1] +
//! 16·I[z-1,y,x] + 32·I[z-1,y-1,x] + 64·I[z-1,y,x-1] + 128·I[z-1,y-1,x-1]`
//! (scikit-image's convolution), and χ = ⌊Σ coef[code]·count[code] / 8⌋
//! (truncated, as scikit-image's `int(0.125 * …)`) with Ohser's 26-connected
//! coefficients, reversed for 6-connectivity (the complement's).
//!
//! # Chunks
//! The 256 block counts add exactly: a chunk counts the blocks whose upper
//! slice it owns (and, for the last chunk, the blocks above the volume),
//! which needs one halo slice below ([`EulerCounts::add`]), so the Euler
//! number of merged chunks is exactly the whole volume's.
//!
//! # References
//! - J. Ohser, W. Nagel, K. Schladitz, "The Euler number of discretized sets —
//!   on the choice of adjacency in homogeneous lattices", in *Morphology of
//!   Condensed Matter*, Lecture Notes in Physics 600:275–298, Springer (2002),
//!   doi:10.1007/3-540-45782-8_12.
//! - S. Rivollier, *Analyse d'image géométrique et morphométrique par
//!   diagrammes de forme et voisinages adaptatifs généraux*, PhD thesis,
//!   École Nationale Supérieure des Mines de Saint-Étienne (2010),
//!   <https://tel.archives-ouvertes.fr/tel-00560838> (scikit-image's source).

use plexus_kernels::chunk::VolumeChunk;
use plexus_kernels::volume::{Connectivity, Shape};
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::chunk::{ChunkPos, SliceBelow};
use crate::error::{param, QuantifyError};

/// Ohser's coefficients for 26-connected foreground (scikit-image
/// `EULER_COEFS3D_26`).
#[rustfmt::skip]
const COEFS_26: [i64; 256] = [
    0, 1, 1, 0, 1, 0, -2, -1, 1, -2, 0, -1, 0, -1, -1, 0, 1, 0, -2, -1, -2, -1, -1, -2, -6, -3, -3, -2, -3, -2, 0, -1,
    1, -2, 0, -1, -6, -3, -3, -2, -2, -1, -1, -2, -3, 0, -2, -1, 0, -1, -1, 0, -3, -2, 0, -1, -3, 0, -2, -1, 0, 1, 1, 0,
    1, -2, -6, -3, 0, -1, -3, -2, -2, -1, -3, 0, -1, -2, -2, -1, 0, -1, -3, -2, -1, 0, 0, -1, -3, 0, 0, 1, -2, -1, 1, 0,
    -2, -1, -3, 0, -3, 0, 0, 1, -1, 4, 0, 3, 0, 3, 1, 2, -1, -2, -2, -1, -2, -1, 1, 0, 0, 3, 1, 2, 1, 2, 2, 1,
    1, -6, -2, -3, -2, -3, -1, 0, 0, -3, -1, -2, -1, -2, -2, -1, -2, -3, -1, 0, -1, 0, 4, 3, -3, 0, 0, 1, 0, 1, 3, 2,
    0, -3, -1, -2, -3, 0, 0, 1, -1, 0, 0, -1, -2, 1, -1, 0, -1, -2, -2, -1, 0, 1, 3, 2, -2, 1, -1, 0, 1, 2, 2, 1,
    0, -3, -3, 0, -1, -2, 0, 1, -1, 0, -2, 1, 0, -1, -1, 0, -1, -2, 0, 1, -2, -1, 3, 2, -2, 1, 1, 2, -1, 0, 2, 1,
    -1, 0, -2, 1, -2, 1, 1, 2, -2, 3, -1, 2, -1, 2, 0, 1, 0, -1, -1, 0, -1, 0, 2, 1, -1, 2, 0, 1, 0, 1, 1, 0,
];

/// Parameters of `quantify.euler_number`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EulerParams {
    /// 6 or 26 (default 26, scikit-image's default `connectivity = ndim`).
    pub connectivity: u32,
}

impl Default for EulerParams {
    fn default() -> Self {
        EulerParams { connectivity: 26 }
    }
}

impl EulerParams {
    /// The connectivity, checked: 6 or 26.
    pub fn connectivity(&self) -> Result<Connectivity, QuantifyError> {
        match Connectivity::try_from(self.connectivity)? {
            c @ (Connectivity::Six | Connectivity::TwentySix) => Ok(c),
            c => Err(param("connectivity", "must be 6 or 26 for the 3-D Euler number", c.count())),
        }
    }
}

impl Params for EulerParams {
    const TABLE: &'static [Param] =
        &[Param::new("connectivity", "6 or 26: foreground connectivity (skimage euler_number connectivity 1 or 3)")
            .min(6.0)
            .max(26.0)];
}

/// The result, dimensionless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EulerNumber {
    /// χ of the foreground.
    pub euler_number: i64,
    /// The connectivity it was computed for (6 or 26).
    pub connectivity: u32,
}

/// Block-configuration counts, merged across chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EulerCounts {
    /// How many 2×2×2 blocks have each code.
    pub counts: [u64; 256],
}

impl Default for EulerCounts {
    fn default() -> Self {
        EulerCounts { counts: [0; 256] }
    }
}

impl EulerCounts {
    /// Adds a chunk: `mask` holds `shape.z` slices placed as `pos` says
    /// (one halo slice below every chunk but the first).
    pub fn add(&mut self, mask: &[u8], shape: Shape, pos: ChunkPos) -> Result<(), QuantifyError> {
        shape.check("mask", mask.len())?;
        let end = pos.check("euler_number", shape.z)?;
        let ChunkPos { z_first, z_owned, volume_z } = pos;
        let (ny, nx) = (shape.y, shape.x);
        let slice = shape.slice_len();
        let at = |z: usize| &mask[(z - z_first) * slice..(z - z_first + 1) * slice];
        let last = if end == volume_z { volume_z } else { end - 1 };
        let empty = vec![0u8; slice];
        for z in z_owned..=last {
            let cur = if z < volume_z { at(z) } else { &empty[..] };
            let prev = if z > 0 { at(z - 1) } else { &empty[..] };
            let px = |s: &[u8], y: usize, x: usize| -> usize {
                if y == 0 || x == 0 || y > ny || x > nx {
                    0
                } else {
                    (s[(y - 1) * nx + x - 1] != 0) as usize
                }
            };
            // Blocks with max corner (z, y, x) in padded coordinates 1..=n.
            for y in 1..=ny + 1 {
                for x in 1..=nx + 1 {
                    let code = px(cur, y, x)
                        | px(cur, y - 1, x) << 1
                        | px(cur, y, x - 1) << 2
                        | px(cur, y - 1, x - 1) << 3
                        | px(prev, y, x) << 4
                        | px(prev, y - 1, x) << 5
                        | px(prev, y, x - 1) << 6
                        | px(prev, y - 1, x - 1) << 7;
                    self.counts[code] += 1;
                }
            }
        }
        Ok(())
    }

    /// Merges another chunk's counts.
    pub fn merge(&mut self, o: &EulerCounts) {
        for (a, b) in self.counts.iter_mut().zip(o.counts) {
            *a += b;
        }
    }

    /// χ for 6- or 26-connected foreground.
    pub fn finish(&self, connectivity: Connectivity) -> Result<EulerNumber, QuantifyError> {
        let reversed = match connectivity {
            Connectivity::TwentySix => false,
            Connectivity::Six => true,
            c => return Err(param("connectivity", "must be 6 or 26 for the 3-D Euler number", c.count())),
        };
        let sum: i64 = (0..256)
            .map(|code| {
                let coef = if reversed { COEFS_26[255 - code] } else { COEFS_26[code] };
                coef * self.counts[code] as i64
            })
            .sum();
        // scikit-image: int(0.125 * sum), truncation toward zero.
        Ok(EulerNumber { euler_number: sum / 8, connectivity: connectivity.count() })
    }
}

/// The Euler number of a whole volume.
pub fn euler_number(mask: &[u8], shape: Shape, params: &EulerParams) -> Result<EulerNumber, QuantifyError> {
    let mut c = EulerCounts::default();
    c.add(mask, shape, ChunkPos::whole(shape.z))?;
    c.finish(params.connectivity()?)
}

/// The `euler_number` operator: adds every chunk's block counts (the slice
/// below each chunk kept from the chunk before, so the host adds no halo;
/// chunks in z order), forwards each frame, and publishes `euler_number`
/// (dimensionless) and `connectivity` at `finish`: exactly the whole
/// volume's χ for any chunking. Independent frames (2-D images) are each a
/// volume of one slice; their χ add.
#[derive(Debug)]
pub struct EulerOp {
    connectivity: Connectivity,
    counts: EulerCounts,
    below: SliceBelow<u8>,
}

impl EulerOp {
    /// Checks the connectivity and builds the operator.
    pub fn new(params: EulerParams, _ctx: &Context) -> Result<EulerOp, PluginError> {
        Ok(EulerOp {
            connectivity: params.connectivity()?,
            counts: EulerCounts::default(),
            below: SliceBelow::default(),
        })
    }
}

impl Operator for EulerOp {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let c = VolumeChunk::of(input)?;
        let mask = c.mask();
        let (data, shape, pos) = self.below.extend(&c, &mask)?;
        self.counts.add(&data, shape, pos)?;
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        self.below.check_complete()?;
        let e = self.counts.finish(self.connectivity)?;
        out.result("euler_number", e.euler_number);
        out.result("connectivity", e.connectivity);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cube_with(hole: bool) -> (Vec<u8>, Shape) {
        let s = Shape::new(12, 12, 12);
        let v = (0..s.len())
            .map(|i| {
                let (z, y, x) = (i / 144, i / 12 % 12, i % 12);
                let inside = |lo, hi| (lo..hi).contains(&z) && (lo..hi).contains(&y) && (lo..hi).contains(&x);
                (inside(2, 10) && !(hole && inside(4, 8))) as u8
            })
            .collect();
        (v, s)
    }

    #[test]
    fn a_cube_and_a_hollow_cube() {
        // scikit-image's docstring: 1 for a solid cube, 2 with a cavity.
        for (hole, want) in [(false, 1), (true, 2)] {
            let (v, s) = cube_with(hole);
            for c in [Connectivity::Six, Connectivity::TwentySix] {
                assert_eq!(euler_number(&v, s, &EulerParams { connectivity: c.count() }).unwrap().euler_number, want);
            }
        }
        let (v, s) = cube_with(false);
        let e = euler_number(&v, s, &EulerParams { connectivity: 18 }).unwrap_err();
        assert_eq!(e.to_string(), "`connectivity` must be 6 or 26 for the 3-D Euler number, got 18");
    }
}
