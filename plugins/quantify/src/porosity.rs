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
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
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
