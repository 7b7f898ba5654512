//! The `morphology` operator: binary erosion, dilation, opening and closing
//! with a cross, cube or ball structure, as `scipy.ndimage.binary_*`.
//!
//! # Conventions
//! - Structures are symmetric, centred (scipy's `origin = 0`):
//!   `cross` = `|dz| + |dy| + |dx| <= radius` (radius 1 is
//!   `generate_binary_structure(3, 1)`), `cube` = `max(|d|) <= radius`
//!   (radius 1 is `generate_binary_structure(3, 3)`, scikit-image `cube(3)`),
//!   `ball` = `dz² + dy² + dx² <= radius²` (scikit-image `ball(radius)`).
//!   With `planar = true` only `dz = 0` is kept: `diamond`, `square` and
//!   `disk`, slice by slice, which is what a 2-D image (one slice) needs.
//! - `border_value` (default 0) is the value of every voxel outside the
//!   volume, for every step, as in scipy: erosion with 0 removes foreground
//!   that the structure sees past the box face, and `closing` (dilation then
//!   erosion, each with `border_value`) does that too, so a closing of
//!   foreground touching the box face can lose voxels there, exactly as
//!   `scipy.ndimage.binary_closing` does.
//! - Output is a 0/1 mask of the input's shape.
//!
//! # Method
//! Each structure is a set of rows `(dz, dy)` with a half-width `a` in x;
//! an eroded voxel needs every source row to be foreground over
//! `[x - a, x + a]`, which the run lengths of ones to the left and right of
//! `x` answer in O(1). Dilation is erosion of the complement with the
//! complemented border value (the structures are symmetric).
//!
//! # Chunks
//! A chunk with [`halo`] slices on each side (none at the volume's own
//! faces) gives exactly the whole-volume result on its interior
//! ([`morphology_chunk`]). The operator `segment.morphology` filters each
//! frame as it comes (halo included; the host trims it) and refuses a chunk
//! cut inside the volume with less halo than its parameters need: `radius`
//! for erosion and dilation, `2 · radius` for opening and closing, none
//! with `planar`. Output: a u8 0/1 mask.
//!
//! # References
//! - J. Serra, *Image Analysis and Mathematical Morphology*, Academic Press
//!   (1982), ISBN 0-12-637240-3.
//! - P. Virtanen et al., "SciPy 1.0: fundamental algorithms for scientific
//!   computing in Python", *Nature Methods* 17:261–272 (2020),
//!   doi:10.1038/s41592-019-0686-2 (`scipy.ndimage.binary_erosion`).

use plexus_kernels::chunk::{self, VolumeChunk};
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::bands::for_each_band;
use crate::error::{param, SegmentError};
use crate::shape::Shape;

/// The operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// `scipy.ndimage.binary_erosion`.
    Erosion,
    /// `scipy.ndimage.binary_dilation`.
    Dilation,
    /// Erosion then dilation (`binary_opening`).
    Opening,
    /// Dilation then erosion (`binary_closing`).
    Closing,
}

/// The structure's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Structure {
    /// `|dz| + |dy| + |dx| <= radius` (octahedron; diamond when planar).
    Cross,
    /// `max(|dz|, |dy|, |dx|) <= radius` (cube; square when planar).
    Cube,
    /// `dz² + dy² + dx² <= radius²` (ball; disk when planar).
    Ball,
}

/// Parameters of `segment.morphology`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MorphologyParams {
    /// `erosion`, `dilation`, `opening` or `closing` (default `opening`).
    pub operation: Operation,
    /// `cross` (default), `cube` or `ball`.
    pub structure: Structure,
    /// Radius in voxels (default 1).
    pub radius: usize,
    /// Only the `dz = 0` part of the structure (2-D, slice by slice).
    pub planar: bool,
    /// Value of voxels outside the volume, 0 or 1 (default 0, scipy's).
    pub border_value: u8,
}

impl Default for MorphologyParams {
    fn default() -> Self {
        MorphologyParams {
            operation: Operation::Opening,
            structure: Structure::Cross,
            radius: 1,
            planar: false,
            border_value: 0,
        }
    }
}

impl Params for MorphologyParams {
    const TABLE: &'static [Param] = &[
        Param::new("operation", "scipy.ndimage binary_erosion, binary_dilation, binary_opening (erosion then dilation), binary_closing"),
        Param::new("structure", "cross: |d|_1 <= radius (generate_binary_structure(3, 1) at 1); cube: max |d| <= radius; ball: |d| <= radius (skimage ball)"),
        Param::new("radius", "structure radius in voxels").max(1024.0),
        Param::new("planar", "only the dz = 0 part of the structure (diamond, square, disk): 2-D slice by slice"),
        Param::new("border_value", "value of voxels outside the volume at every step, 0 or 1 (scipy's border_value)").max(1.0),
    ];
}

impl MorphologyParams {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), SegmentError> {
        if self.border_value > 1 {
            return Err(param("border_value", "must be 0 or 1", self.border_value));
        }
        if self.radius > 1024 {
            return Err(param("radius", "must be at most 1024", self.radius));
        }
        Ok(())
    }
}

/// Slices of halo a chunk needs on each side.
pub fn halo(params: &MorphologyParams) -> usize {
    let r = if params.planar { 0 } else { params.radius };
    match params.operation {
        Operation::Erosion | Operation::Dilation => r,
        Operation::Opening | Operation::Closing => 2 * r,
    }
}

/// The `morphology` operator (see the module docs).
#[derive(Debug)]
pub struct Morphology {
    params: MorphologyParams,
    threads: usize,
}

impl Morphology {
    /// Checks the parameters and builds the operator.
    pub fn new(params: MorphologyParams, ctx: &Context) -> Result<Morphology, PluginError> {
        params.validate()?;
        Ok(Morphology { params, threads: ctx.threads() })
    }
}

impl Operator for Morphology {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let c = VolumeChunk::of(input)?;
        c.require_halo(halo(&self.params), "`radius`, twice for opening and closing")?;
        let mask = morphology(&c.mask(), c.shape, &self.params, self.threads)?;
        out.emit(chunk::output(input, &c, c.name, mask)?);
        Ok(())
    }
}

/// One row of a structure: `(dz, dy)` and the half-width in x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    dz: isize,
    dy: isize,
    a: usize,
}

fn rows(structure: Structure, radius: usize, planar: bool) -> Vec<Row> {
    let r = radius as isize;
    let zr = if planar { 0 } else { r };
    let mut out = Vec::new();
    for dz in -zr..=zr {
        for dy in -r..=r {
            let a = match structure {
                Structure::Cross => r - dz.abs() - dy.abs(),
                Structure::Cube => r,
                // Largest |dx| with dz² + dy² + dx² <= r².
                Structure::Ball => {
                    let rest = r * r - dz * dz - dy * dy;
                    if rest < 0 {
                        -1
                    } else {
                        rest.isqrt()
                    }
                }
            };
            if a >= 0 {
                out.push(Row { dz, dy, a: a as usize });
            }
        }
    }
    out
}

/// Applies `params` to the whole volume `mask` (foreground nonzero).
///
/// # Returns
/// A 0/1 mask of `shape`.
pub fn morphology(
    mask: &[u8],
    shape: Shape,
    params: &MorphologyParams,
    threads: usize,
) -> Result<Vec<u8>, SegmentError> {
    params.validate()?;
    shape.check("mask", mask.len())?;
    let binary: Vec<u8> = mask.iter().map(|&v| (v != 0) as u8).collect();
    let rows = rows(params.structure, params.radius, params.planar);
    let b = params.border_value;
    Ok(match params.operation {
        Operation::Erosion => erode(&binary, shape, &rows, b, threads),
        Operation::Dilation => dilate(&binary, shape, &rows, b, threads),
        Operation::Opening => dilate(&erode(&binary, shape, &rows, b, threads), shape, &rows, b, threads),
        Operation::Closing => erode(&dilate(&binary, shape, &rows, b, threads), shape, &rows, b, threads),
    })
}

/// Applies `params` to a chunk of `shape.z` slices of which the first
/// `halo_lo` and last `halo_hi` are halo (0 at the volume's own faces);
/// returns the interior slices.
pub fn morphology_chunk(
    mask: &[u8],
    shape: Shape,
    halo_lo: usize,
    halo_hi: usize,
    params: &MorphologyParams,
    threads: usize,
) -> Result<Vec<u8>, SegmentError> {
    if halo_lo + halo_hi > shape.z {
        return Err(param("halo", "must leave at least zero interior slices", halo_lo + halo_hi));
    }
    let mut out = morphology(mask, shape, params, threads)?;
    let s = shape.slice_len();
    out.truncate((shape.z - halo_hi) * s);
    out.drain(..halo_lo * s);
    Ok(out)
}

fn dilate(mask: &[u8], shape: Shape, rows: &[Row], border: u8, threads: usize) -> Vec<u8> {
    let inv: Vec<u8> = mask.iter().map(|&v| v ^ 1).collect();
    let mut out = erode(&inv, shape, rows, border ^ 1, threads);
    for v in &mut out {
        *v ^= 1;
    }
    out
}

/// 0/1 erosion of a 0/1 mask.
fn erode(mask: &[u8], shape: Shape, rows: &[Row], border: u8, threads: usize) -> Vec<u8> {
    let (nz, ny, nx) = (shape.z as isize, shape.y as isize, shape.x);
    let mut out = vec![0u8; shape.len()];
    for_each_band(&mut out, nx.max(1) * shape.y, threads, |zs, band| {
        let mut left = vec![0u32; nx];
        let mut right = vec![0u32; nx];
        for (k, z) in zs.enumerate() {
            for y in 0..ny {
                let o = &mut band[(k * shape.y + y as usize) * nx..][..nx];
                o.fill(1);
                for r in rows {
                    let (sz, sy) = (z as isize + r.dz, y + r.dy);
                    if sz < 0 || sz >= nz || sy < 0 || sy >= ny {
                        if border == 0 {
                            o.fill(0);
                            break;
                        }
                        continue;
                    }
                    let src = &mask[(sz as usize * shape.y + sy as usize) * nx..][..nx];
                    run_lengths(src, border, &mut left, &mut right);
                    let a = r.a as u32;
                    for x in 0..nx {
                        o[x] &= (left[x] > a && right[x] > a) as u8;
                    }
                }
            }
        }
    });
    out
}

/// `left[x]`: ones ending at `x` (itself included), `right[x]`: ones
/// starting at `x`; with `border = 1` the runs reaching a row end continue
/// indefinitely.
fn run_lengths(src: &[u8], border: u8, left: &mut [u32], right: &mut [u32]) {
    let inf = u32::MAX / 2;
    let n = src.len();
    let mut run = if border == 1 { inf } else { 0 };
    for x in 0..n {
        run = if src[x] != 0 { run.saturating_add(1) } else { 0 };
        left[x] = run;
    }
    run = if border == 1 { inf } else { 0 };
    for x in (0..n).rev() {
        run = if src[x] != 0 { run.saturating_add(1) } else { 0 };
        right[x] = run;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(st: Structure, r: usize, planar: bool) -> usize {
        rows(st, r, planar).iter().map(|r| 2 * r.a + 1).sum()
    }

    #[test]
    fn structures_have_their_sizes() {
        assert_eq!(count(Structure::Cross, 1, false), 7);
        assert_eq!(count(Structure::Cube, 1, false), 27);
        assert_eq!(count(Structure::Cross, 1, true), 5);
        // skimage ball(2).sum() == 33, disk(2).sum() == 13, ball(3).sum() == 123.
        assert_eq!(count(Structure::Ball, 2, false), 33);
        assert_eq!(count(Structure::Ball, 2, true), 13);
        assert_eq!(count(Structure::Ball, 3, false), 123);
    }

    #[test]
    fn border_value_decides_erosion_at_the_faces() {
        let ones = vec![1u8; 27];
        let s = Shape::new(3, 3, 3);
        let p = MorphologyParams { operation: Operation::Erosion, ..Default::default() };
        let out = morphology(&ones, s, &p, 1).unwrap();
        assert_eq!(out.iter().map(|&v| v as usize).sum::<usize>(), 1);
        let p = MorphologyParams { border_value: 1, ..p };
        assert_eq!(morphology(&ones, s, &p, 1).unwrap(), ones);
        let p = MorphologyParams { border_value: 2, ..p };
        assert_eq!(morphology(&ones, s, &p, 1).unwrap_err().to_string(), "`border_value` must be 0 or 1, got 2");
    }
}
