//! `sart`: the simultaneous algebraic reconstruction technique, one angle
//! at a time in golden-ratio order ([`crate::sart`]), residuals per sweep
//! published at `finish` ([`crate::op::iterative`]).

use plexus_plugin_api::{Param, Params};

use crate::error::ReconError;
use crate::op::iterative::{Iterative, Solve};
use crate::op::sirt::{CENTER_DOC, SIZE_DOC, TOLERANCE_DOC};
use crate::sart::{sart, SartParams};
use crate::solver::SolveReport;
use crate::SinoShape;

impl Params for SartParams {
    const TABLE: &'static [Param] = &[
        Param::new("iterations", "sweeps over every angle (at most, with tolerance)"),
        Param::new("relaxation", "step length lambda (Andersen and Kak's), stable in (0, 2)").min(0.0).max(2.0),
        Param::new("non_negative", "clip negative values after each angle's update"),
        Param::new("tolerance", TOLERANCE_DOC).min(0.0),
        Param::new("center_col", CENTER_DOC),
        Param::new("output_size", SIZE_DOC).min(1.0),
    ];
}

impl Solve for SartParams {
    const NAME: &'static str = "sart";

    fn check(&self) -> Result<(), ReconError> {
        SartParams::check(self)
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
        sart(sino, shape, angles_deg, self, threads)
    }
}

/// The `sart` operator.
pub type Sart = Iterative<SartParams>;
