//! The `porosity` operator: the volume fraction of a phase, as PoreSpy's
//! `metrics.porosity` (`(im == phase).sum() / im.size`; PoreSpy's default
//! phase is the nonzero voxels of a boolean image).
//!
//! # Chunks
//! [`PorosityCount`] counts phase and total voxels; counts of chunks add
//! exactly.
//!
//! # References
//! - J. T. Gostick et al., "PoreSpy: a Python toolkit for quantitative
//!   analysis of porous media images", *Journal of Open Source Software*
//!   4(37):1296 (2019), doi:10.21105/joss.01296.

use plexus_kernels::chunk::VolumeChunk;
use plexus_plugin_api::{Context, DType, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

/// Which voxels are the phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Every nonzero voxel (a pore mask).
    Nonzero,
    /// Voxels equal to `value` (a class of a multi-phase image).
    Value,
}

/// Parameters of `quantify.porosity`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PorosityParams {
    /// `nonzero` (default) or `value`.
    pub phase: Phase,
    /// The phase value for `phase = "value"`.
    pub value: u32,
}

impl Default for PorosityParams {
    fn default() -> Self {
        PorosityParams { phase: Phase::Nonzero, value: 1 }
    }
}

impl Params for PorosityParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "phase",
            "nonzero: every nonzero voxel (a pore mask, PoreSpy's default); value: voxels equal to value",
        ),
        Param::new("value", "the phase value for phase = value"),
    ];
}

/// Phase and total voxel counts, merged across chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PorosityCount {
    /// Voxels of the phase.
    pub phase_voxels: u64,
    /// All voxels.
    pub total_voxels: u64,
}

/// The result, dimensionless.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Porosity {
    /// Volume fraction of the phase, 0–1.
    pub porosity: f64,
    /// Voxels of the phase.
    pub phase_voxels: u64,
    /// All voxels.
    pub total_voxels: u64,
}

impl PorosityCount {
    /// Adds a chunk of a u8 or u32 phase image.
    pub fn add<T: Copy + Into<u32>>(&mut self, image: &[T], params: &PorosityParams) {
        let n = match params.phase {
            Phase::Nonzero => image.iter().filter(|&&v| v.into() != 0).count(),
            Phase::Value => image.iter().filter(|&&v| v.into() == params.value).count(),
        };
        self.phase_voxels += n as u64;
        self.total_voxels += image.len() as u64;
    }

    /// Merges another chunk's counts.
    pub fn merge(&mut self, o: &PorosityCount) {
        self.phase_voxels += o.phase_voxels;
        self.total_voxels += o.total_voxels;
    }

    /// The fraction (0 for an empty volume).
    pub fn finish(&self) -> Porosity {
        let porosity = if self.total_voxels == 0 { 0.0 } else { self.phase_voxels as f64 / self.total_voxels as f64 };
        Porosity { porosity, phase_voxels: self.phase_voxels, total_voxels: self.total_voxels }
    }
}

/// The porosity of a whole image.
pub fn porosity<T: Copy + Into<u32>>(image: &[T], params: &PorosityParams) -> Porosity {
    let mut c = PorosityCount::default();
    c.add(image, params);
    c.finish()
}

/// The `porosity` operator: counts the phase in every frame's owned slices
/// (u8, u16 or u32 phase images), forwards each frame, and publishes at
/// `finish` `porosity` (volume fraction, 0–1), `phase_voxels` and
/// `total_voxels`. Any chunking gives the same counts.
#[derive(Debug)]
pub struct PorosityOp {
    params: PorosityParams,
    count: PorosityCount,
}

impl PorosityOp {
    /// Builds the operator.
    pub fn new(params: PorosityParams, _ctx: &Context) -> Result<PorosityOp, PluginError> {
        Ok(PorosityOp { params, count: PorosityCount::default() })
    }
}

impl Operator for PorosityOp {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let c = VolumeChunk::of(input)?;
        let slice = c.shape.slice_len();
        let owned = c.owned();
        let range = (owned.start - c.z_first) * slice..(owned.end - c.z_first) * slice;
        match c.view.dtype() {
            DType::U8 => self.count.add(&c.view.as_slice::<u8>()?[range], &self.params),
            DType::U16 => self.count.add(&c.view.as_slice::<u16>()?[range], &self.params),
            DType::U32 => self.count.add(&c.view.as_slice::<u32>()?[range], &self.params),
            other => {
                return Err(PluginError::bad_input(
                    c.name,
                    "a phase image of `u8`, `u16` or `u32`",
                    format!("`{other}`"),
                ))
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let p = self.count.finish();
        out.result("porosity", p.porosity);
        out.result("phase_voxels", p.phase_voxels);
        out.result("total_voxels", p.total_voxels);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraction_of_the_phase() {
        let img = [0u8, 1, 2, 1, 0, 1];
        assert_eq!(porosity(&img, &PorosityParams::default()).porosity, 4.0 / 6.0);
        let p = PorosityParams { phase: Phase::Value, value: 1 };
        assert_eq!(porosity(&img, &p).porosity, 0.5);
    }
}
