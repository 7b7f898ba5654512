//! `generator.shepp_logan`: the modified Shepp–Logan head phantom in 2-D and
//! 3-D, rendered analytically.
//!
//! # Parameters
//!
//! - `dim` (`"2d"` | `"3d"`, default `"2d"`).
//! - `size` (int ≥ 1, default 256): pixels along `y` and `x`.
//! - `depth` (int ≥ 0, default 0): slices along `z` for `"3d"`; 0 means
//!   `size`. Ignored for `"2d"`.
//! - `chunk` (int ≥ 1, default 16): slices per emitted frame for `"3d"`.
//!
//! # Output
//!
//! - `"2d"`: one frame, array `image`, `f32`, shape `[1, size, size]`, axes
//!   `z y x`, chunk key `{ axis: 0, offset: 0, length: 1, extent: 1 }`.
//! - `"3d"`: frames of array `volume`, `f32`, shape `[length, size, size]`,
//!   axes `z y x`, chunk keys `{ axis: 0, offset, length, extent: depth }`,
//!   `length = chunk` except for a shorter last chunk.
//!
//! # Method
//!
//! Each pixel (voxel) is sampled at its centre: the value is the sum of the
//! additive intensities `A` of every ellipse (ellipsoid) containing the
//! sample point, clipped below at 0 (the `1 − 0.8 − 0.2` of the ventricles
//! rounds to −5.6e−17 in floating point), summed in `f64` and rounded once to
//! `f32`. No anti-aliasing: values are exactly the piecewise-constant levels
//! 0, 0.1, 0.2, 0.3, 0.4 and 1 (for 3-D, also sums where more ellipsoids
//! overlap).
//!
//! Coordinates span `[−1, 1]` including both ends, `k·2/(n−1) − 1` for
//! index `k` of `n` (`0` when `n = 1`), as MATLAB's `phantom`,
//! scikit-image's stored phantom and TomoPy's `phantom` sample them. In 2-D
//! `x` runs along columns and `y` upwards (row 0 is `y = +1`), so the image
//! is upright in the top-left origin convention (`docs/CONVENTIONS.md`).
//!
//! 2-D: the ten ellipses of Shepp & Logan with Toft's modified intensities
//! (1, −0.8, −0.2, −0.2, 0.1 ×6), ellipse `(x0, y0, a, b, φ)` containing
//! `((x′/a)² + (y′/b)² ≤ 1)` with `x′ = (x−x0)cos φ + (y−y0)sin φ`,
//! `y′ = −(x−x0)sin φ + (y−y0)cos φ`. Rendered at 400×400 this agrees
//! with `skimage.data.shepp_logan_phantom()` (a stored 8-bit PNG) at every
//! pixel to within that PNG's 8-bit quantisation (see the integration
//! tests).
//!
//! 3-D: the ten ellipsoids of Kak & Slaney's 3-D phantom with Toft's
//! intensities, with the parameters, Euler-angle rotation and axis order of
//! TomoPy's `shepp3d`: array axis 0, 1, 2 carry the coordinates `u0, u1,
//! u2`; a voxel lies in an ellipsoid when `p = R(φ, θ, ψ)·u − (x0, y0, z0)`
//! satisfies `Σ (p_i / s_i)² ≤ 1` with semi-axes `s = (a, b, c)`. With the
//! table's `φ = θ = ψ = 90°`, `p = (u2, −u1, u0)`: axis 0 is the phantom's
//! `z`, rows run down `y`, columns along `x`. TomoPy accumulates in `f32`;
//! this sums in `f64`, so values may differ from TomoPy's by an `f32`
//! rounding (≤ 3e−8 on values ≤ 1).
//!
//! # References
//!
//! - L. A. Shepp and B. F. Logan, "The Fourier reconstruction of a head
//!   section," *IEEE Trans. Nucl. Sci.*, vol. 21, no. 3, pp. 21–43, 1974.
//!   DOI: 10.1109/TNS.1974.6499235
//! - P. A. Toft, "The Radon transform — theory and implementation,"
//!   Ph.D. thesis, Technical University of Denmark, 1996, pp. 199–201.
//! - A. C. Kak and M. Slaney, *Principles of Computerized Tomographic
//!   Imaging*, IEEE Press, 1988, ch. 3 (Table 3.1 and the 3-D phantom).
//! - D. Gürsoy, F. De Carlo, X. Xiao and C. Jacobsen, "TomoPy: a framework
//!   for the analysis of synchrotron tomographic data," *J. Synchrotron
//!   Rad.*, vol. 21, pp. 1188–1193, 2014. DOI: 10.1107/S1600577514013939
//!   (`tomopy.misc.phantom.shepp3d`).

use plexus_plugin_api::{Array, Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::source::{self, Cursor};

pub use plexus_kernels::phantom::{Ellipse, MODIFIED_SHEPP_LOGAN};

/// One ellipsoid of the 3-D phantom: `[A, a, b, c, x0, y0, z0, φ, θ, ψ]`,
/// angles in degrees.
pub type Ellipsoid = [f64; 10];

/// Kak & Slaney's 3-D ellipsoids with Toft's intensities, in TomoPy's
/// parametrisation.
pub const MODIFIED_SHEPP_LOGAN_3D: [Ellipsoid; 10] = [
    [1.0, 0.6900, 0.920, 0.810, 0.0, 0.0, 0.0, 90.0, 90.0, 90.0],
    [-0.8, 0.6624, 0.874, 0.780, 0.0, -0.0184, 0.0, 90.0, 90.0, 90.0],
    [-0.2, 0.1100, 0.310, 0.220, 0.22, 0.0, 0.0, -108.0, 90.0, 100.0],
    [-0.2, 0.1600, 0.410, 0.280, -0.22, 0.0, 0.0, 108.0, 90.0, 100.0],
    [0.1, 0.2100, 0.250, 0.410, 0.0, 0.35, -0.15, 90.0, 90.0, 90.0],
    [0.1, 0.0460, 0.046, 0.050, 0.0, 0.1, 0.25, 90.0, 90.0, 90.0],
    [0.1, 0.0460, 0.046, 0.050, 0.0, -0.1, 0.25, 90.0, 90.0, 90.0],
    [0.1, 0.0460, 0.023, 0.050, -0.08, -0.605, 0.0, 90.0, 90.0, 90.0],
    [0.1, 0.0230, 0.023, 0.020, 0.0, -0.606, 0.0, 90.0, 90.0, 90.0],
    [0.1, 0.0230, 0.046, 0.020, 0.06, -0.605, 0.0, 90.0, 90.0, 90.0],
];

/// Sample coordinate of index `k` of `n` on `[−1, 1]`, both ends included.
pub fn coordinate(k: usize, n: usize) -> f64 {
    if n <= 1 {
        return 0.0;
    }
    k as f64 * (2.0 / (n - 1) as f64) - 1.0
}

/// The 2-D phantom's value at `(x, y)`, before clipping and rounding.
pub fn value_2d(x: f64, y: f64) -> f64 {
    MODIFIED_SHEPP_LOGAN
        .iter()
        .filter(|e| {
            let (s, c) = e.phi_deg.to_radians().sin_cos();
            let (dx, dy) = (x - e.x0, y - e.y0);
            let xr = dx * c + dy * s;
            let yr = -dx * s + dy * c;
            (xr / e.a).powi(2) + (yr / e.b).powi(2) <= 1.0
        })
        .map(|e| e.intensity)
        .sum()
}

/// The `size × size` 2-D phantom, row-major, `y` up.
pub fn image_2d(size: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(size * size);
    for r in 0..size {
        let y = -coordinate(r, size);
        for c in 0..size {
            out.push(value_2d(coordinate(c, size), y).max(0.0) as f32);
        }
    }
    out
}

/// An ellipsoid prepared for point tests and chords: rotation rows, centre,
/// semi-axes.
pub(crate) struct Solid {
    pub(crate) intensity: f64,
    pub(crate) rot: [[f64; 3]; 3],
    pub(crate) centre: [f64; 3],
    pub(crate) semi: [f64; 3],
}

impl Solid {
    /// The Euler rotation of TomoPy's `_rotation_matrix` (z-x-z convention
    /// as written out in Kak & Slaney's 3-D phantom).
    pub(crate) fn new(e: &Ellipsoid) -> Solid {
        let (sphi, cphi) = e[7].to_radians().sin_cos();
        let (stheta, ctheta) = e[8].to_radians().sin_cos();
        let (spsi, cpsi) = e[9].to_radians().sin_cos();
        let rot = [
            [cpsi * cphi - ctheta * sphi * spsi, cpsi * sphi + ctheta * cphi * spsi, spsi * stheta],
            [-spsi * cphi - ctheta * sphi * cpsi, -spsi * sphi + ctheta * cphi * cpsi, cpsi * stheta],
            [stheta * sphi, -stheta * cphi, ctheta],
        ];
        Solid { intensity: e[0], rot, centre: [e[4], e[5], e[6]], semi: [e[1], e[2], e[3]] }
    }

    fn contains(&self, u: [f64; 3]) -> bool {
        let mut s = 0.0;
        for i in 0..3 {
            let r = &self.rot[i];
            let p = (r[0] * u[0] + r[1] * u[1] + r[2] * u[2] - self.centre[i]) / self.semi[i];
            s += p * p;
        }
        s <= 1.0
    }

    /// Length of the chord the line `p + t·d` (`|d| = 1`) cuts through the
    /// ellipsoid. With `q(t) = (R(p + t d) − c) / s = α + t β` componentwise,
    /// the line is inside where `|β|² t² + 2 (α·β) t + |α|² − 1 ≤ 0`; the
    /// roots are `Δ = (α·β)² − |β|² (|α|² − 1)` apart by `2√Δ / |β|²`.
    pub(crate) fn chord(&self, p: [f64; 3], d: [f64; 3]) -> f64 {
        let (mut aa, mut ab, mut bb) = (0.0, 0.0, 0.0);
        for i in 0..3 {
            let r = &self.rot[i];
            let a = (r[0] * p[0] + r[1] * p[1] + r[2] * p[2] - self.centre[i]) / self.semi[i];
            let b = (r[0] * d[0] + r[1] * d[1] + r[2] * d[2]) / self.semi[i];
            aa += a * a;
            ab += a * b;
            bb += b * b;
        }
        let disc = ab * ab - bb * (aa - 1.0);
        if disc <= 0.0 || bb == 0.0 {
            0.0
        } else {
            2.0 * disc.sqrt() / bb
        }
    }
}

/// Slices `z0 .. z0 + length` of the `depth × size × size` 3-D phantom.
pub fn slab_3d(size: usize, depth: usize, z0: usize, length: usize) -> Vec<f32> {
    let solids: Vec<Solid> = MODIFIED_SHEPP_LOGAN_3D.iter().map(Solid::new).collect();
    let mut out = Vec::with_capacity(length * size * size);
    for k in z0..z0 + length {
        let u0 = coordinate(k, depth);
        for r in 0..size {
            let u1 = coordinate(r, size);
            for c in 0..size {
                let u = [u0, u1, coordinate(c, size)];
                let v: f64 = solids.iter().filter(|s| s.contains(u)).map(|s| s.intensity).sum();
                out.push(v.max(0.0) as f32);
            }
        }
    }
    out
}

/// 2-D or 3-D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Dim {
    /// One `size × size` image.
    #[serde(rename = "2d")]
    Two,
    /// A `depth × size × size` volume.
    #[serde(rename = "3d")]
    Three,
}

/// Parameters of `shepp_logan`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SheppLoganParams {
    /// A 2-D image or a 3-D volume.
    pub dim: Dim,
    /// Pixels along y and x.
    pub size: usize,
    /// Slices along z for `3d`; 0: same as `size`.
    pub depth: usize,
    /// Slices per emitted frame for `3d`.
    pub chunk: usize,
}

impl Default for SheppLoganParams {
    fn default() -> Self {
        SheppLoganParams { dim: Dim::Two, size: 256, depth: 0, chunk: 16 }
    }
}

impl Params for SheppLoganParams {
    const TABLE: &'static [Param] = &[
        Param::new("dim", "2-D image or 3-D volume (TomoPy shepp3d ellipsoids)"),
        Param::new("size", "pixels along y and x").min(1.0),
        Param::new("depth", "slices along z for 3d; 0: same as size"),
        Param::new("chunk", "slices per emitted frame for 3d").min(1.0),
    ];
}

/// The Shepp–Logan phantom source.
#[derive(Debug)]
pub struct SheppLogan {
    dim: Dim,
    size: usize,
    depth: usize,
    chunk: usize,
    cursor: Cursor,
}

impl SheppLogan {
    /// Builds the operator from `dim`, `size`, `depth` and `chunk`.
    pub fn new(p: SheppLoganParams, _ctx: &Context) -> Result<SheppLogan, PluginError> {
        let (dim, size, chunk) = (p.dim, p.size, p.chunk);
        let depth = if p.depth == 0 { size } else { p.depth };
        let chunks = match dim {
            Dim::Two => 1,
            Dim::Three => depth.div_ceil(chunk) as u64,
        };
        Ok(SheppLogan { dim, size, depth, chunk, cursor: Cursor::new("shepp_logan", Some(chunks)) })
    }
}

impl Operator for SheppLogan {
    fn process(&mut self, tick: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        if let Some(i) = self.cursor.take() {
            let dataset = source::dataset(tick, "shepp_logan");
            let n = self.size;
            let frame = match self.dim {
                Dim::Two => {
                    let image = Array::from_vec(vec![1, n, n], image_2d(n))?.with_axes("z y x")?;
                    source::chunk_frame(dataset, 0, 1, 1, "image", image)
                }
                Dim::Three => {
                    let z0 = i as usize * self.chunk;
                    let length = self.chunk.min(self.depth - z0);
                    let slab = slab_3d(n, self.depth, z0, length);
                    let volume = Array::from_vec(vec![length, n, n], slab)?.with_axes("z y x")?;
                    source::chunk_frame(dataset, z0 as u64, length as u64, self.depth as u64, "volume", volume)
                }
            };
            out.emit(frame);
        }
        if self.cursor.done() {
            out.end_stream();
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        Ok(Some(self.cursor.snapshot()))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        self.cursor.restore(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values at points well inside one region each (far from any edge, so
    /// sampling cannot matter), from the intensities in Toft's table.
    #[test]
    fn known_points_have_toft_intensities() {
        let cases = [
            ((0.0, 0.0), 0.2),    // brain: 1 − 0.8
            ((0.0, 0.9), 1.0),    // skull, above ellipse 2 (top at 0.8556)
            ((0.0, 0.95), 0.0),   // outside (ellipse 1 top at 0.92)
            ((0.22, 0.0), 0.0),   // right ventricle: 1 − 0.8 − 0.2
            ((-0.22, 0.0), 0.0),  // left ventricle
            ((0.0, 0.35), 0.3),   // ellipse 5
            ((0.0, -0.1), 0.3),   // ellipse 7
            ((0.0, 0.12), 0.4),   // ellipses 5 and 6 overlap
            ((0.0, -0.606), 0.3), // ellipse 9
            ((-0.08, -0.605), 0.3),
            ((0.06, -0.605), 0.3),
        ];
        for ((x, y), want) in cases {
            let got = value_2d(x, y).max(0.0);
            assert!((got - want).abs() < 1e-12, "({x}, {y}): {got} != {want}");
        }
    }

    #[test]
    fn coordinates_span_minus_one_to_one() {
        assert_eq!(coordinate(0, 5), -1.0);
        assert_eq!(coordinate(2, 5), 0.0);
        assert_eq!(coordinate(4, 5), 1.0);
        assert_eq!(coordinate(0, 1), 0.0);
    }

    #[test]
    fn bad_dim_is_named() {
        assert_eq!(
            crate::params::refusal("shepp_logan", r#"{"dim": "4d"}"#),
            "parameter `dim`: expected one of 2d, 3d, got `4d`"
        );
    }
}
