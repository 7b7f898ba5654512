//! The `pore_size` operator: local thickness of the pore phase and its
//! histogram, the pore size distribution, as PoreSpy's
//! `filters.local_thickness(im, method="dt")` (all integer radii).
//!
//! # Conventions
//! - The pore phase is nonzero; radii are integers in voxels, reported in µm
//!   as `radius · voxel_size_um` (PoreSpy assumes cubic voxels, so does
//!   this: one voxel size). Values are sphere *radii*, not diameters.
//! - The local thickness of a pore voxel `x` is the largest integer radius
//!   `r` for which some voxel `c` with `dt(c) >= r` lies at distance `< r`
//!   from `x` (PoreSpy's `smooth = true`), `dt` being the exact Euclidean
//!   distance to the nearest solid voxel; solid voxels get 0.
//! - The histogram has one bin per radius: voxel counts, volume fractions of
//!   the pore phase and the cumulative fraction of pore volume in pores of
//!   at least that radius (the "intrusion" curve PoreSpy plots).
//!
//! # Method
//! PoreSpy's: for each radius `r` from `floor(max dt)` down to 1, seeds
//! `dt >= r` are dilated by the open ball of radius `r` (a distance
//! transform of the complement of the seeds, `< r`), and voxels not yet
//! assigned get `r`. All comparisons are on exact integer squared
//! distances, so the result is identical to PoreSpy's f32 distances.
//!
//! # Chunks
//! Balls reach across the volume: the operator runs on whole volumes.
//!
//! # References
//! - T. Hildebrand, P. Rüegsegger, "A new method for the model-independent
//!   assessment of thickness in three-dimensional images", *Journal of
//!   Microscopy* 185(1):67–75 (1997), doi:10.1046/j.1365-2818.1997.1340694.x.
//! - J. T. Gostick et al., "PoreSpy: a Python toolkit for quantitative
//!   analysis of porous media images", *Journal of Open Source Software*
//!   4(37):1296 (2019), doi:10.21105/joss.01296.

use plexus_kernels::chunk::{self, VolumeChunk};
use plexus_kernels::volume::distance_transform::{squared_planes, z_pass};
use plexus_kernels::volume::Shape;
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::error::{param, QuantifyError};

/// Parameters of `quantify.pore_size`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoreSizeParams {
    /// Edge of a cubic voxel, µm (default 1).
    pub voxel_size_um: f64,
    /// Radii to test, voxels; default every integer from 1 to `floor(max dt)`.
    pub radii: Option<Vec<u32>>,
}

impl Default for PoreSizeParams {
    fn default() -> Self {
        PoreSizeParams { voxel_size_um: 1.0, radii: None }
    }
}

impl Params for PoreSizeParams {
    const TABLE: &'static [Param] = &[
        Param::new("voxel_size_um", "edge of a cubic voxel in µm (PoreSpy assumes cubic voxels)").min(0.0),
        Param::new("radii", "sphere radii to test, voxels; default every integer from 1 to floor(max distance)")
            .min(1.0),
    ];
}

/// One bin of the pore size distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PoreSizeBin {
    /// Sphere radius, µm.
    pub radius_um: f64,
    /// Pore voxels of this local thickness.
    pub voxels: u64,
    /// Their fraction of the pore volume.
    pub volume_fraction: f64,
    /// Fraction of the pore volume with local thickness ≥ this radius.
    pub cumulative_fraction: f64,
}

/// The pore size distribution, with units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoreSize {
    /// Mean local thickness (radius) over pore voxels, µm.
    pub mean_radius_um: f64,
    /// Largest radius found, µm.
    pub max_radius_um: f64,
    /// Pore voxels.
    pub pore_voxels: u64,
    /// One bin per radius, increasing.
    pub histogram: Vec<PoreSizeBin>,
}

/// Local thickness (radius in voxels, 0 on solid) of the pore phase of `mask`.
pub fn local_thickness(
    mask: &[u8],
    shape: Shape,
    radii: Option<&[u32]>,
    threads: usize,
) -> Result<Vec<u32>, QuantifyError> {
    shape.check("mask", mask.len())?;
    let sq_dt = squared_edt(mask, shape, threads)?;
    let max_sq = mask.iter().zip(&sq_dt).filter(|(m, _)| **m != 0).map(|(_, d)| *d).fold(0f32, f32::max);
    if !max_sq.is_finite() {
        return Err(param("mask", "must hold solid (zero) voxels for distances to exist", "none"));
    }
    let max_r = (max_sq as f64).sqrt().floor() as u32;
    let mut sizes: Vec<u32> = match radii {
        None => (1..=max_r).collect(),
        Some(r) => {
            if let Some(bad) = r.iter().find(|&&v| v == 0) {
                return Err(param("radii", "must be positive integers", bad));
            }
            r.to_vec()
        }
    };
    sizes.sort_unstable();
    sizes.dedup();
    let mut out = vec![0u32; shape.len()];
    let mut seeds_inv = vec![0u8; shape.len()];
    for &r in sizes.iter().rev() {
        let r2 = (r as f64 * r as f64) as f32;
        let mut any = false;
        for (s, d) in seeds_inv.iter_mut().zip(&sq_dt) {
            let seed = *d >= r2 && *d > 0.0;
            any |= seed;
            *s = (!seed) as u8;
        }
        if !any {
            continue;
        }
        let to_seed = squared_edt(&seeds_inv, shape, threads)?;
        for ((o, d), m) in out.iter_mut().zip(&to_seed).zip(mask) {
            if *o == 0 && *m != 0 && *d < r2 {
                *o = r;
            }
        }
    }
    Ok(out)
}

/// Squared Euclidean distances (exact integers in f32) to the nearest zero.
fn squared_edt(mask: &[u8], shape: Shape, threads: usize) -> Result<Vec<f32>, QuantifyError> {
    let mut d: Vec<f32> = squared_planes(mask, shape, [1.0; 3], threads)?;
    z_pass(&mut d, shape, 1.0, false, threads)?;
    Ok(d)
}

/// Local thickness and its histogram.
pub fn pore_size(
    mask: &[u8],
    shape: Shape,
    params: &PoreSizeParams,
    threads: usize,
) -> Result<(Vec<u32>, PoreSize), QuantifyError> {
    let vs = params.voxel_size_um;
    if !(vs.is_finite() && vs > 0.0) {
        return Err(param("voxel_size_um", "must be positive and finite", vs));
    }
    let lt = local_thickness(mask, shape, params.radii.as_deref(), threads)?;
    let max = lt.iter().copied().max().unwrap_or(0) as usize;
    let mut counts = vec![0u64; max + 1];
    let mut pore = 0u64;
    for (&l, &m) in lt.iter().zip(mask) {
        if m != 0 {
            counts[l as usize] += 1;
            pore += 1;
        }
    }
    let total: f64 = counts.iter().enumerate().map(|(r, &n)| r as f64 * n as f64).sum();
    let mut above = pore;
    let mut histogram = Vec::new();
    for (r, &n) in counts.iter().enumerate().skip(1) {
        if n == 0 {
            continue;
        }
        histogram.push(PoreSizeBin {
            radius_um: r as f64 * vs,
            voxels: n,
            volume_fraction: n as f64 / pore as f64,
            cumulative_fraction: above as f64 / pore as f64,
        });
        above -= n;
    }
    let mean = if pore == 0 { 0.0 } else { total / pore as f64 * vs };
    Ok((lt, PoreSize { mean_radius_um: mean, max_radius_um: max as f64 * vs, pore_voxels: pore, histogram }))
}

/// The `pore_size` operator: local thickness of the pore phase (nonzero) of
/// a whole volume, sent on as an f32 image of radii in µm (0 on solid), and
/// at `finish` the pore size distribution: `mean_radius_um`,
/// `max_radius_um`, `pore_voxels`, and one entry per radius present in the
/// lists `radius_um`, `voxels`, `volume_fraction` (of the pore volume) and
/// `cumulative_fraction` (pore volume in pores of at least that radius) —
/// what a `series` plot of `volume_fraction` against `radius_um` draws.
/// Balls reach across the volume: a frame must be the whole volume.
#[derive(Debug)]
pub struct PoreSizeOp {
    params: PoreSizeParams,
    threads: usize,
    result: Option<PoreSize>,
}

impl PoreSizeOp {
    /// Checks the parameters and builds the operator.
    pub fn new(params: PoreSizeParams, ctx: &Context) -> Result<PoreSizeOp, PluginError> {
        let vs = params.voxel_size_um;
        if !(vs.is_finite() && vs > 0.0) {
            return Err(PluginError::bad_parameter("voxel_size_um", "a positive finite length in µm", vs.to_string()));
        }
        Ok(PoreSizeOp { params, threads: ctx.threads(), result: None })
    }
}

impl Operator for PoreSizeOp {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let c = VolumeChunk::of(input)?;
        c.require_whole("local thickness spheres reach across the volume")?;
        if self.result.is_some() {
            return Err(PluginError::bad_input(
                c.name,
                "one volume per stream (the distribution is of one volume)",
                "a second frame",
            ));
        }
        let (lt, psd) = pore_size(&c.mask(), c.shape, &self.params, self.threads)?;
        let vs = self.params.voxel_size_um;
        let radii: Vec<f32> = lt.iter().map(|&r| (r as f64 * vs) as f32).collect();
        out.emit(chunk::output(input, &c, c.name, radii)?.with_meta("unit", "µm"));
        self.result = Some(psd);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let Some(p) = &self.result else {
            return Err(PluginError::bad_input("", "a volume", "no frame"));
        };
        out.result("mean_radius_um", p.mean_radius_um);
        out.result("max_radius_um", p.max_radius_um);
        out.result("pore_voxels", p.pore_voxels);
        out.result("radius_um", p.histogram.iter().map(|b| b.radius_um).collect::<Vec<_>>());
        out.result("voxels", p.histogram.iter().map(|b| b.voxels).collect::<Vec<_>>());
        out.result("volume_fraction", p.histogram.iter().map(|b| b.volume_fraction).collect::<Vec<_>>());
        out.result("cumulative_fraction", p.histogram.iter().map(|b| b.cumulative_fraction).collect::<Vec<_>>());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slab_has_its_half_width() {
        // A pore slab 7 voxels thick between solid walls: dt peaks at 4 in the
        // middle; every slab voxel lies within < 4 of a seed of radius 4.
        let s = Shape::new(9, 12, 12);
        let mask: Vec<u8> = (0..s.len()).map(|i| (1..8).contains(&(i / s.slice_len())) as u8).collect();
        let (lt, psd) = pore_size(&mask, s, &PoreSizeParams { voxel_size_um: 2.0, radii: None }, 1).unwrap();
        assert!(lt.iter().zip(&mask).all(|(l, m)| if *m != 0 { *l == 4 } else { *l == 0 }));
        assert_eq!(psd.mean_radius_um, 8.0);
        assert_eq!(psd.histogram.len(), 1);
        assert_eq!(psd.histogram[0].cumulative_fraction, 1.0);
    }
}
