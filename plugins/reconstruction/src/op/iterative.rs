//! What `sirt`, `cgls` and `sart` share as operators: each sinogram of a
//! frame is reconstructed by the kernel, its slice emitted at once, and its
//! residuals kept by dataset row, to be published at `finish` merged
//! across every chunk.
//!
//! # Results (at `finish`)
//!
//! - `residual`: `‖b − A x_k‖₂` over the whole volume after iteration
//!   `k = 1, 2, …` (the square root of the sum over rows of each row's
//!   squared residual), in the sinogram's units (line integrals,
//!   attenuation × pixels). A row that stopped early at its `tolerance`
//!   counts with its last residual.
//! - `relative_residual`: `residual / data_norm` (dimensionless).
//! - `data_norm`: `‖b‖₂` over the volume, the residual of the zero start.
//! - `residual_by_row`: each row's residuals, in row order.
//! - `iterations`: iterations run per row; `converged`: rows that stopped
//!   at their tolerance.
//!
//! Sums run in row order, so any chunking (and any thread count) gives the
//! same bits. The operators keep these reports across frames: never
//! `parallel`; `snapshot` hands them to a reloaded version.

use std::collections::BTreeMap;

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Params, PluginError};
use serde_json::json;

use crate::error::ReconError;
use crate::op::frames::{angles_deg, Layout, Stack};
use crate::sirt::output_size;
use crate::solver::SolveReport;
use crate::SinoShape;

/// An iterative method as an operator sees it.
pub trait Solve: Params + Send {
    /// The operator's name (for snapshots).
    const NAME: &'static str;

    /// Checks the parameters before any data.
    fn check(&self) -> Result<(), ReconError>;

    /// The slice side asked for, if any.
    fn output_size(&self) -> Option<usize>;

    /// Reconstructs every sinogram of `sino`.
    fn solve(
        &self,
        sino: &[f32],
        shape: SinoShape,
        angles_deg: &[f64],
        threads: usize,
    ) -> Result<(Vec<f32>, Vec<SolveReport>), ReconError>;
}

/// `sirt`, `cgls` or `sart` as an operator.
pub struct Iterative<P: Solve> {
    params: P,
    threads: usize,
    reports: BTreeMap<u64, SolveReport>,
}

impl<P: Solve> Iterative<P> {
    /// Builds the operator from the method's parameters.
    pub fn new(params: P, ctx: &Context) -> Result<Iterative<P>, PluginError> {
        params.check()?;
        Ok(Iterative { params, threads: ctx.threads(), reports: BTreeMap::new() })
    }
}

impl<P: Solve> Operator for Iterative<P> {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let stack = Stack::first(input, Layout::Sinograms)?;
        let [rows, angles, cols] = stack.dims;
        let theta = angles_deg(input, angles)?;
        let n = output_size(self.params.output_size(), cols)?;
        let (slices, reports) =
            self.params.solve(&stack.data, SinoShape { rows, angles, cols }, &theta, self.threads)?;
        let first = input.key().offset;
        for (r, report) in reports.into_iter().enumerate() {
            self.reports.insert(first + r as u64, report);
        }
        out.emit(stack.output(input, [rows, n, n], Some("y x"), slices)?);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let reports: Vec<&SolveReport> = self.reports.values().collect();
        let iterations = reports.iter().map(|r| r.residuals.len()).max().unwrap_or(0);
        let residual: Vec<f64> = (0..iterations)
            .map(|k| {
                let sum: f64 = reports
                    .iter()
                    .map(|r| r.residuals.get(k).or(r.residuals.last()).copied().unwrap_or(r.data_norm).powi(2))
                    .sum();
                sum.sqrt()
            })
            .collect();
        let data_norm = reports.iter().map(|r| r.data_norm.powi(2)).sum::<f64>().sqrt();
        let relative: Vec<f64> = residual.iter().map(|v| if data_norm > 0.0 { v / data_norm } else { 0.0 }).collect();
        out.result("residual", json!(residual));
        out.result("relative_residual", json!(relative));
        out.result("data_norm", data_norm);
        out.result("residual_by_row", json!(reports.iter().map(|r| &r.residuals).collect::<Vec<_>>()));
        out.result("iterations", json!(reports.iter().map(|r| r.residuals.len()).collect::<Vec<_>>()));
        out.result("converged", reports.iter().filter(|r| r.converged).count());
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        let rows: Vec<(u64, &SolveReport)> = self.reports.iter().map(|(k, v)| (*k, v)).collect();
        Ok(Some(json!({ "operator": P::NAME, "rows": rows }).to_string().into_bytes()))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        let bad = |why: String| PluginError::failed(format!("`{}`: cannot restore snapshot: {why}", P::NAME));
        let v: serde_json::Value = serde_json::from_slice(state).map_err(|e| bad(e.to_string()))?;
        if v["operator"] != P::NAME {
            return Err(bad(format!("it belongs to operator {}", v["operator"])));
        }
        let rows: Vec<(u64, SolveReport)> =
            serde_json::from_value(v["rows"].clone()).map_err(|e| bad(e.to_string()))?;
        self.reports = rows.into_iter().collect();
        Ok(())
    }
}
