//! `sirt`: the simultaneous iterative reconstruction technique on each
//! sinogram ([`crate::sirt`]: ASTRA's CPU `SIRT` with the Joseph
//! projector), residuals published at `finish` ([`crate::op::iterative`]).

use plexus_plugin_api::{Param, Params};

use crate::error::ReconError;
use crate::op::iterative::{Iterative, Solve};
use crate::sirt::{sirt, SirtParams};
use crate::solver::SolveReport;
use crate::SinoShape;

/// Docs of the parameters the iterative methods share.
pub(crate) const ITERATIONS_DOC: &str = "iterations (at most, with tolerance)";
/// See [`ITERATIONS_DOC`].
pub(crate) const TOLERANCE_DOC: &str =
    "stop a slice once an iteration lowers its residual by less than this fraction of the previous one; unset: never";
/// See [`ITERATIONS_DOC`].
pub(crate) const CENTER_DOC: &str = crate::op::fbp::CENTER_DOC;
/// See [`ITERATIONS_DOC`].
pub(crate) const SIZE_DOC: &str = crate::op::fbp::SIZE_DOC;

impl Params for SirtParams {
    const TABLE: &'static [Param] = &[
        Param::new("iterations", ITERATIONS_DOC),
        Param::new("non_negative", "clip negative values after every update (ASTRA's MinConstraint = 0)"),
        Param::new("tolerance", TOLERANCE_DOC).min(0.0),
        Param::new("relaxation", "step length lambda, stable in (0, 2)").min(0.0).max(2.0),
        Param::new("center_col", CENTER_DOC),
        Param::new("output_size", SIZE_DOC).min(1.0),
    ];
}

impl Solve for SirtParams {
    const NAME: &'static str = "sirt";

    fn check(&self) -> Result<(), ReconError> {
        SirtParams::check(self)
    }

    fn output_size(&self) -> Option<usize> {
        self.output_size
    }

    fn solve(
        &self,
        sino: &[f32],
        shape: SinoShape,
        angles_deg: &[f64],
        threads: usize,
    ) -> Result<(Vec<f32>, Vec<SolveReport>), ReconError> {
        sirt(sino, shape, angles_deg, self, threads)
    }
}

/// The `sirt` operator.
pub type Sirt = Iterative<SirtParams>;
