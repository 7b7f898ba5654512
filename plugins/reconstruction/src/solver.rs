//! What the iterative methods (`sirt`, `cgls`, `sart`) share: the system
//! `A x = b` for one sinogram ([`System`]), the stopping rule and the
//! per-iteration residuals they report ([`SolveReport`]).

use serde::Serialize;

use crate::backproject::PaddedProjections;
use crate::error::{ReconError, Result};
use crate::geometry::{angles_rad, center_or_default, Grid, SinoShape};
use crate::projector::{PaddedImage, Projector};

/// What an iterative reconstruction of one slice reports: the residual
/// `‖b − A x_k‖₂` after each iteration `k = 1 …`, and why it stopped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SolveReport {
    /// `‖b − A x_k‖₂` after iteration `k` (index `k − 1`).
    pub residuals: Vec<f64>,
    /// `‖b‖₂`, the residual of the zero start.
    pub data_norm: f64,
    /// True when the tolerance ended the run before `iterations`.
    pub converged: bool,
}

impl SolveReport {
    /// Records `residual`; true when the run should stop: the residual fell
    /// by less than `tolerance · previous` in this iteration.
    pub fn push(&mut self, residual: f64, tolerance: Option<f64>) -> bool {
        let previous = self.residuals.last().copied().unwrap_or(self.data_norm);
        self.residuals.push(residual);
        match tolerance {
            Some(t) if previous - residual < t * previous => {
                self.converged = true;
                true
            }
            _ => false,
        }
    }
}

/// Checks a `tolerance` parameter.
pub fn check_tolerance(tolerance: Option<f64>) -> Result<()> {
    match tolerance {
        Some(t) if !(t.is_finite() && t >= 0.0) => Err(ReconError::param("tolerance", "a number ≥ 0", t)),
        _ => Ok(()),
    }
}

/// One slice's system: the projector and reusable buffers.
pub struct System {
    /// `A` and `Aᵀ`.
    pub projector: Projector,
    /// Buffer for loading images into `A`.
    pub image: PaddedImage,
    /// Buffer for loading sinograms into `Aᵀ`.
    pub sinogram: PaddedProjections,
    /// Thread budget.
    pub threads: usize,
}

impl System {
    /// The system of a sinogram stack's geometry, slices `n × n`.
    pub fn new(
        shape: SinoShape,
        angles_deg: &[f64],
        center_col: Option<f64>,
        n: usize,
        threads: usize,
    ) -> Result<System> {
        let theta = angles_rad(angles_deg, shape.angles)?;
        let center = center_or_default(center_col, shape.cols)?;
        let projector = Projector::new(Grid { n }, shape.cols, &theta, center);
        let sinogram = projector.padded_sinogram();
        Ok(System { projector, image: PaddedImage::new(n), sinogram, threads })
    }

    /// `out = A x`.
    pub fn forward(&mut self, x: &[f32], out: &mut [f32]) {
        self.image.load(x, self.projector.n());
        self.projector.forward(&self.image, out, self.threads);
    }

    /// `out = Aᵀ y`.
    pub fn adjoint(&mut self, y: &[f32], out: &mut [f32]) {
        let cols = self.projector.cols();
        for (a, row) in self.sinogram.rows_mut().enumerate() {
            row.copy_from_slice(&y[a * cols..(a + 1) * cols]);
        }
        self.projector.adjoint(&self.sinogram, out, self.threads);
    }
}

/// `‖v‖₂` in f64.
pub fn norm(v: &[f32]) -> f64 {
    v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt()
}

/// `1/v` where `v > ε`, else 0: ASTRA's ray and pixel weights.
pub fn inverse_weights(v: &mut [f32]) {
    for w in v.iter_mut() {
        *w = if *w > 1e-6 { 1.0 / *w } else { 0.0 };
    }
}
