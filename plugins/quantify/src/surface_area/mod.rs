//! The `surface_area` operator: area of the iso-surface of a volume (the
//! boundary of a phase mask) by Lewiner marching cubes, as
//! `skimage.measure.mesh_surface_area(*marching_cubes(volume, level,
//! spacing=voxel_size_um, method="lewiner")[:2])`, in µm².
//!
//! # Conventions
//! - Corners above `level` (default 0.5: a 0/1 mask) are inside; values are
//!   rounded to f32 first, as scikit-image does.
//! - `open` (default): cubes between voxel centres only, so the surface
//!   stops at the box faces, scikit-image on the volume as given.
//!   `closed`: the volume is padded by one voxel of `pad_value` (default 0,
//!   below the level) on all six faces first, so a phase touching the box is
//!   closed by caps there (scikit-image on `np.pad(volume, 1,
//!   constant_values=pad_value)`).
//! - Areas in µm² from `voxel_size_um` `[z, y, x]`.
//! - An empty surface has area 0 (scikit-image raises instead).
//!
//! # Method
//! Each cube's triangles come from Lewiner's tables with the face and
//! interior tests of scikit-image ([`cube`]); their areas are summed per cube
//! layer without building a mesh (a vertex on an edge depends only on the
//! edge, so no vertex sharing is needed).
//!
//! # Chunks
//! Areas are kept per cube layer (the layer between slices `s` and `s + 1`)
//! and summed in layer order at the end ([`SurfaceAreaSum`]), so any
//! chunking gives the identical result. A chunk needs one slice of halo
//! below (the previous chunk's last slice), none at the volume's start.
//!
//! # References
//! - T. Lewiner, H. Lopes, A. W. Vieira, G. Tavares, "Efficient
//!   implementation of marching cubes' cases with topological guarantees",
//!   *Journal of Graphics Tools* 8(2):1–15 (2003),
//!   doi:10.1080/10867651.2003.10487582.
//! - W. E. Lorensen, H. E. Cline, "Marching cubes: a high resolution 3D
//!   surface construction algorithm", *SIGGRAPH '87*, *Computer Graphics*
//!   21(4):163–169 (1987), doi:10.1145/37402.37422.

pub mod cube;
#[rustfmt::skip]
pub mod lewiner_luts;
pub mod lut;

use std::collections::BTreeMap;
use std::ops::Range;

use plexus_kernels::chunk::VolumeChunk;
use plexus_kernels::volume::bands::map_bands;
use plexus_kernels::volume::sample::Sample;
use plexus_kernels::volume::shape::voxel_size;
use plexus_kernels::volume::Shape;
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::chunk::{ChunkPos, SliceBelow};
use crate::error::QuantifyError;
use cube::{case_index, has_surface, Cube};

/// Where the surface ends at the box faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Boundary {
    /// No caps: the surface stops at the box faces.
    Open,
    /// Capped: as if padded by one voxel of `pad_value`.
    Closed,
}

/// Parameters of `quantify.surface_area`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurfaceAreaParams {
    /// Iso-level (default 0.5, for 0/1 masks).
    pub level: f64,
    /// `open` (default) or `closed`.
    pub boundary: Boundary,
    /// Value of the padding of `closed` (default 0).
    pub pad_value: f64,
    /// Voxel size `[z, y, x]`, µm (default 1: areas in voxel faces).
    pub voxel_size_um: Vec<f64>,
}

impl Default for SurfaceAreaParams {
    fn default() -> Self {
        SurfaceAreaParams { level: 0.5, boundary: Boundary::Open, pad_value: 0.0, voxel_size_um: vec![1.0; 3] }
    }
}

impl Params for SurfaceAreaParams {
    const TABLE: &'static [Param] = &[
        Param::new("level", "iso-level: corners above it are inside (0.5 for a 0/1 mask)"),
        Param::new("boundary", "open: the surface stops at the box faces (skimage on the volume); closed: capped, as if padded by pad_value"),
        Param::new("pad_value", "value of the one-voxel padding of closed"),
        Param::new("voxel_size_um", "voxel size [z, y, x] in µm (skimage's spacing); areas in µm²").min(0.0),
    ];
}

/// The result, with units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SurfaceArea {
    /// Area of the iso-surface, µm².
    pub area_um2: f64,
    /// How the box faces were treated.
    pub boundary: Boundary,
}

/// Per-layer partial sums, merged across chunks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SurfaceAreaSum {
    /// Area of each cube layer, keyed by its lower slice (−1 for the cap
    /// below the volume in `closed` mode).
    layers: BTreeMap<i64, f64>,
}

impl SurfaceAreaSum {
    /// Adds the layers of a chunk: `values` holds `shape.z` slices placed as
    /// `pos` says (one halo slice below every chunk but the first).
    pub fn add<T: Sample>(
        &mut self,
        values: &[T],
        shape: Shape,
        pos: ChunkPos,
        params: &SurfaceAreaParams,
        threads: usize,
    ) -> Result<(), QuantifyError> {
        shape.check("values", values.len())?;
        voxel_size("voxel_size_um", &params.voxel_size_um)?;
        let end = pos.check("surface_area", shape.z)?;
        let ChunkPos { z_first, z_owned, volume_z } = pos;
        let closed = params.boundary == Boundary::Closed;
        // Layer s lies between slices s and s + 1; a chunk owns those whose
        // upper slice it owns, plus the cap above the volume when closed.
        let lo = if closed && z_owned == 0 { -1 } else { z_owned as i64 - 1 };
        let hi = if closed && end == volume_z { end as i64 - 1 } else { end as i64 - 2 };
        let lo = lo.max(if closed { -1 } else { 0 });
        if hi < lo {
            return Ok(());
        }
        let f: Vec<f32> = values.iter().map(|v| v.to_f64() as f32).collect();
        let table = two_valued_table(&f, params);
        let n = (hi - lo + 1) as usize;
        let sums = map_bands(n, threads, |r| {
            let layers = lo + r.start as i64..lo + r.end as i64;
            band_areas(&f, shape, z_first as i64, layers, volume_z as i64, params, table.as_ref())
        });
        for (s, a) in sums.into_iter().flatten() {
            self.layers.insert(s, a);
        }
        Ok(())
    }

    /// Merges another chunk's layers.
    pub fn merge(&mut self, other: SurfaceAreaSum) {
        self.layers.extend(other.layers);
    }

    /// The total, summed in layer order.
    pub fn finish(&self, boundary: Boundary) -> SurfaceArea {
        SurfaceArea { area_um2: self.layers.values().sum(), boundary }
    }
}

/// The surface area of a whole volume.
///
/// # Arguments
/// - `values`: `(z, y, x)` voxels of any [`Sample`] type (a 0/1 mask or an
///   intensity volume); `threads`: cube layers in parallel.
pub fn surface_area<T: Sample>(
    values: &[T],
    shape: Shape,
    params: &SurfaceAreaParams,
    threads: usize,
) -> Result<SurfaceArea, QuantifyError> {
    let mut sum = SurfaceAreaSum::default();
    sum.add(values, shape, ChunkPos::whole(shape.z), params, threads)?;
    Ok(sum.finish(params.boundary))
}

/// For a volume whose every value (and the padding, when closed) lies at
/// the same distance `d` from the level, on either side (a 0/1 mask at
/// 0.5), every cube's corners are `±d` and its area depends on its index
/// only: the 256 areas, computed by the same code as any cube.
fn two_valued_table(f: &[f32], p: &SurfaceAreaParams) -> Option<[f64; 256]> {
    let d = (*f.first()? as f64 - p.level).abs();
    let same = |v: f64| (v - p.level).abs() == d;
    let pad_ok = p.boundary == Boundary::Open || same(p.pad_value as f32 as f64);
    if d == 0.0 || !pad_ok || !f.iter().all(|&v| same(v as f64)) {
        return None;
    }
    let vs = &p.voxel_size_um;
    let spacing = [vs[2], vs[1], vs[0]];
    let mut table = [0.0; 256];
    for (index, a) in table.iter_mut().enumerate() {
        if has_surface(index) {
            let v = std::array::from_fn(|k| if index >> k & 1 == 1 { d } else { -d });
            *a = Cube { v }.area(spacing);
        }
    }
    Some(table)
}

/// One slice as the cubes see it: values (padded by one voxel of
/// `pad_value` all round when closed) and, per cube column, the 4-bit code
/// of its four corners in this slice.
struct Plane {
    v: Vec<f32>,
    code: Vec<u8>,
}

impl Plane {
    fn new(len: usize) -> Plane {
        Plane { v: vec![0.0; len], code: vec![0; len] }
    }

    /// Fills the plane with volume slice `z` (padding outside the volume).
    fn fill(&mut self, f: &[f32], shape: Shape, z_first: i64, z: i64, volume_z: i64, p: &SurfaceAreaParams) {
        let closed = p.boundary == Boundary::Closed;
        let pad = p.pad_value as f32;
        let (ny, nx) = (shape.y, shape.x);
        let off = closed as usize;
        let (py, px) = (ny + 2 * off, nx + 2 * off);
        if z < 0 || z >= volume_z {
            self.v.fill(pad);
        } else {
            if closed {
                self.v.fill(pad);
            }
            let src = &f[(z - z_first) as usize * ny * nx..][..ny * nx];
            for y in 0..ny {
                self.v[(y + off) * px + off..][..nx].copy_from_slice(&src[y * nx..(y + 1) * nx]);
            }
        }
        let above = |i: usize| (self.v[i] as f64 - p.level > 0.0) as u8;
        // scikit-image's corner order: (y, x), (y, x+1), (y+1, x+1), (y+1, x).
        for y in 0..py - 1 {
            let (r0, r1) = (y * px, (y + 1) * px);
            let mut left = above(r0) | above(r1) << 3;
            for x in 0..px - 1 {
                let right = above(r0 + x + 1) << 1 | above(r1 + x + 1) << 2;
                self.code[r0 + x] = left | right;
                left = (right >> 1 & 1) | (right & 4) << 1;
            }
        }
    }
}

/// Areas of the consecutive cube layers `layers` (layer `s` lies between
/// volume slices `s` and `s + 1`), each slice prepared once.
fn band_areas(
    f: &[f32],
    shape: Shape,
    z_first: i64,
    layers: Range<i64>,
    volume_z: i64,
    p: &SurfaceAreaParams,
    table: Option<&[f64; 256]>,
) -> Vec<(i64, f64)> {
    let off = (p.boundary == Boundary::Closed) as usize;
    let (py, px) = (shape.y + 2 * off, shape.x + 2 * off);
    if py < 2 || px < 2 {
        return layers.map(|s| (s, 0.0)).collect();
    }
    let mut lo = Plane::new(py * px);
    let mut hi = Plane::new(py * px);
    let mut out = Vec::with_capacity(layers.clone().count());
    for s in layers.clone() {
        if s == layers.start {
            lo.fill(f, shape, z_first, s, volume_z, p);
        } else {
            std::mem::swap(&mut lo, &mut hi);
        }
        hi.fill(f, shape, z_first, s + 1, volume_z, p);
        out.push((s, layer_area(&lo, &hi, py, px, p, table)));
    }
    out
}

/// Area of one cube layer between planes `lo` and `hi`; with a `table`,
/// the area of every cube is looked up by its index.
fn layer_area(lo: &Plane, hi: &Plane, py: usize, px: usize, p: &SurfaceAreaParams, table: Option<&[f64; 256]>) -> f64 {
    // Spacing as (x, y, z): vertices are (x, y, z) in the cube code.
    let vs = &p.voxel_size_um;
    let spacing = [vs[2], vs[1], vs[0]];
    let mut area = 0.0;
    for y in 0..py - 1 {
        let (r0, r1) = (y * px, (y + 1) * px);
        for x in 0..px - 1 {
            let index = (lo.code[r0 + x] | hi.code[r0 + x] << 4) as usize;
            if !has_surface(index) {
                continue;
            }
            let at = [r0 + x, r0 + x + 1, r1 + x + 1, r1 + x];
            let v = [
                lo.v[at[0]],
                lo.v[at[1]],
                lo.v[at[2]],
                lo.v[at[3]],
                hi.v[at[0]],
                hi.v[at[1]],
                hi.v[at[2]],
                hi.v[at[3]],
            ]
            .map(|r| r as f64 - p.level);
            debug_assert_eq!(case_index(&v), index);
            area += match table {
                Some(t) => t[index],
                None => Cube { v }.area(spacing),
            };
        }
    }
    area
}

/// The `surface_area` operator: adds every chunk's cube layers (the slice
/// below each chunk kept from the chunk before; chunks in z order; values
/// rounded to f32 as scikit-image does), forwards each frame, and publishes
/// `area_um2` and `boundary` at `finish`: bit-identical for any chunking.
/// Independent frames (2-D images) have no cube layers of their own: area 0
/// in `open`, their caps in `closed`; their areas add.
#[derive(Debug)]
pub struct SurfaceAreaOp {
    params: SurfaceAreaParams,
    threads: usize,
    sum: SurfaceAreaSum,
    /// Areas of independent frames, in order.
    independent: Vec<f64>,
    below: SliceBelow<f32>,
}

impl SurfaceAreaOp {
    /// Checks the voxel size and builds the operator.
    pub fn new(params: SurfaceAreaParams, ctx: &Context) -> Result<SurfaceAreaOp, PluginError> {
        voxel_size("voxel_size_um", &params.voxel_size_um)?;
        if !(params.level.is_finite() && params.pad_value.is_finite()) {
            return Err(PluginError::bad_parameter(
                "level",
                "finite `level` and `pad_value`",
                format!("{} and {}", params.level, params.pad_value),
            ));
        }
        Ok(SurfaceAreaOp {
            params,
            threads: ctx.threads(),
            sum: SurfaceAreaSum::default(),
            independent: Vec::new(),
            below: SliceBelow::default(),
        })
    }
}

impl Operator for SurfaceAreaOp {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let c = VolumeChunk::of(input)?;
        let values = c.f32s();
        let (data, shape, pos) = self.below.extend(&c, &values)?;
        if c.independent {
            self.independent.push(surface_area(&data, shape, &self.params, self.threads)?.area_um2);
        } else {
            self.sum.add(&data, shape, pos, &self.params, self.threads)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        self.below.check_complete()?;
        let area = self.sum.finish(self.params.boundary).area_um2 + self.independent.iter().sum::<f64>();
        out.result("area_um2", area);
        out.result("boundary", serde_json::to_value(self.params.boundary).unwrap_or_default());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_voxel_is_an_octahedron_when_closed() {
        // A single voxel at level 0.5 with 0 around: 8 triangles of the
        // octahedron with vertices at ±0.5 along each axis: 8·(√3/8) = √3.
        let p = SurfaceAreaParams { boundary: Boundary::Closed, ..Default::default() };
        let a = surface_area(&[1u8], Shape::new(1, 1, 1), &p, 1).unwrap();
        assert!((a.area_um2 - 3f64.sqrt()).abs() < 1e-6, "{}", a.area_um2);
        let open = surface_area(&[1u8], Shape::new(1, 1, 1), &SurfaceAreaParams::default(), 1).unwrap();
        assert_eq!(open.area_um2, 0.0);
    }

    #[test]
    fn the_two_valued_table_equals_the_cube_by_cube_sum() {
        let s = Shape::new(6, 7, 8);
        let mut seed = 3u64;
        let f: Vec<f32> = (0..s.len())
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (seed >> 62) as f32 % 2.0
            })
            .collect();
        for boundary in [Boundary::Open, Boundary::Closed] {
            let p = SurfaceAreaParams { boundary, voxel_size_um: vec![0.7, 1.3, 2.1], ..Default::default() };
            let table = two_valued_table(&f, &p).expect("a 0/1 volume at 0.5");
            let layers = if boundary == Boundary::Closed { -1..6 } else { 0..5 };
            let fast = band_areas(&f, s, 0, layers.clone(), 6, &p, Some(&table));
            let slow = band_areas(&f, s, 0, layers, 6, &p, None);
            assert_eq!(fast, slow);
        }
    }

    #[test]
    fn a_flat_interface_has_the_box_area() {
        // Half-space z >= 2 in a 4×5×6 box, open: a plane of 4 × 5 cubes.
        let s = Shape::new(4, 5, 6);
        let v: Vec<u8> = (0..s.len()).map(|i| (i / s.slice_len() >= 2) as u8).collect();
        let p = SurfaceAreaParams { voxel_size_um: vec![1.0, 2.0, 3.0], ..Default::default() };
        let a = surface_area(&v, s, &p, 2).unwrap();
        assert!((a.area_um2 - (4.0 * 2.0) * (5.0 * 3.0)).abs() < 1e-9, "{}", a.area_um2);
    }
}
