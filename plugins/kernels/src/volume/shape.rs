//! Volume geometry shared by every kernel: the `(z, y, x)` shape of a
//! row-major volume (a 2-D image is `z = 1`), the neighbourhoods named by
//! their connectivity, and voxel sizes. Conventions: `docs/CONVENTIONS.md`.

use serde::{Deserialize, Serialize};

use super::error::SegmentError;

/// Shape of a row-major volume, slowest axis first: `z`, then `y`, then `x`.
/// A 2-D image is `Shape { z: 1, y, x }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Slices (axis 0, the chunked axis).
    pub z: usize,
    /// Rows (axis 1).
    pub y: usize,
    /// Columns (axis 2, contiguous).
    pub x: usize,
}

impl Shape {
    /// A `(z, y, x)` shape.
    pub const fn new(z: usize, y: usize, x: usize) -> Shape {
        Shape { z, y, x }
    }

    /// A 2-D `(y, x)` image as one slice.
    pub const fn plane(y: usize, x: usize) -> Shape {
        Shape { z: 1, y, x }
    }

    /// Number of voxels.
    pub const fn len(&self) -> usize {
        self.z * self.y * self.x
    }

    /// Whether the volume holds no voxel.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Voxels in one z-slice.
    pub const fn slice_len(&self) -> usize {
        self.y * self.x
    }

    /// The same `y, x` with `z` slices.
    pub const fn with_z(&self, z: usize) -> Shape {
        Shape { z, y: self.y, x: self.x }
    }

    /// `[z, y, x]`, for messages.
    pub const fn dims(&self) -> [usize; 3] {
        [self.z, self.y, self.x]
    }

    /// Checks that buffer `what` of `len` elements holds exactly this shape.
    pub fn check(&self, what: &'static str, len: usize) -> Result<(), SegmentError> {
        if len == self.len() {
            Ok(())
        } else {
            Err(SegmentError::ShapeMismatch { what, len, shape: self.dims(), want: self.len() })
        }
    }
}

/// Which neighbours are connected: 2-D `4` / `8` (within a slice only, as
/// `scipy.ndimage.generate_binary_structure(2, 1 | 2)`), 3-D `6` / `18` / `26`
/// (`generate_binary_structure(3, 1 | 2 | 3)`). Written as the number in
/// parameters (`connectivity = 26`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "u32", into = "u32")]
pub enum Connectivity {
    /// Edge neighbours in a slice.
    Four,
    /// Edge and corner neighbours in a slice.
    Eight,
    /// Face neighbours.
    Six,
    /// Face and edge neighbours.
    Eighteen,
    /// Face, edge and corner neighbours.
    TwentySix,
}

impl TryFrom<u32> for Connectivity {
    type Error = SegmentError;

    fn try_from(n: u32) -> Result<Connectivity, SegmentError> {
        Ok(match n {
            4 => Connectivity::Four,
            8 => Connectivity::Eight,
            6 => Connectivity::Six,
            18 => Connectivity::Eighteen,
            26 => Connectivity::TwentySix,
            got => return Err(SegmentError::Connectivity { got }),
        })
    }
}

impl From<Connectivity> for u32 {
    fn from(c: Connectivity) -> u32 {
        c.count()
    }
}

impl Connectivity {
    /// The number this connectivity is written as.
    pub const fn count(self) -> u32 {
        match self {
            Connectivity::Four => 4,
            Connectivity::Eight => 8,
            Connectivity::Six => 6,
            Connectivity::Eighteen => 18,
            Connectivity::TwentySix => 26,
        }
    }

    /// Whether neighbours in adjacent slices are connected.
    pub const fn is_3d(self) -> bool {
        !matches!(self, Connectivity::Four | Connectivity::Eight)
    }

    /// The connected offsets `(dz, dy, dx)`, centre excluded, in raster order.
    pub fn offsets(self) -> Vec<[isize; 3]> {
        let mut out = Vec::new();
        for dz in -1..=1isize {
            for dy in -1..=1isize {
                for dx in -1..=1isize {
                    let nonzero = (dz != 0) as u32 + (dy != 0) as u32 + (dx != 0) as u32;
                    let keep = match self {
                        Connectivity::Four => dz == 0 && nonzero == 1,
                        Connectivity::Eight => dz == 0 && nonzero >= 1,
                        Connectivity::Six => nonzero == 1,
                        Connectivity::Eighteen => nonzero == 1 || nonzero == 2,
                        Connectivity::TwentySix => nonzero >= 1,
                    };
                    if keep {
                        out.push([dz, dy, dx]);
                    }
                }
            }
        }
        out
    }
}

/// Checks a voxel size: three positive finite lengths `[z, y, x]` (µm).
pub fn check_voxel_size(what: &'static str, v: [f64; 3]) -> Result<(), SegmentError> {
    voxel_size(what, &v).map(|_| ())
}

/// A voxel size from a parameter list: three positive finite lengths
/// `[z, y, x]` (µm). (Parameter structs hold a list, not `[f64; 3]`, so
/// that any list deserializes and a wrong one is refused here, naming the
/// parameter.)
pub fn voxel_size(what: &'static str, v: &[f64]) -> Result<[f64; 3], SegmentError> {
    match v {
        [z, y, x] if v.iter().all(|s| s.is_finite() && *s > 0.0) => Ok([*z, *y, *x]),
        _ => Err(SegmentError::VoxelSize { what, got: v.to_vec() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_match_scipy_structures() {
        assert_eq!(Connectivity::Four.offsets().len(), 4);
        assert_eq!(Connectivity::Eight.offsets().len(), 8);
        assert_eq!(Connectivity::Six.offsets().len(), 6);
        assert_eq!(Connectivity::Eighteen.offsets().len(), 18);
        assert_eq!(Connectivity::TwentySix.offsets().len(), 26);
    }

    #[test]
    fn connectivity_parses_from_its_number() {
        let c: Connectivity = serde_json::from_str("18").unwrap();
        assert_eq!(c, Connectivity::Eighteen);
        let e = serde_json::from_str::<Connectivity>("5").unwrap_err().to_string();
        assert_eq!(e, "`connectivity` must be 4 or 8 (2-D) or 6, 18 or 26 (3-D), got 5");
    }

    #[test]
    fn shape_mismatch_names_the_buffer() {
        let e = Shape::new(2, 3, 4).check("mask", 23).unwrap_err().to_string();
        assert_eq!(e, "`mask` holds 23 values but shape [2, 3, 4] needs 24");
    }
}
