//! `cgls`: conjugate gradients on the normal equations for each sinogram
//! ([`crate::cgls`]: ASTRA's CPU `CGLS` with the Joseph projector; the
//! non-negativity clip applies once, after the last iteration), residuals
//! published at `finish` ([`crate::op::iterative`]).

use plexus_plugin_api::{Param, Params};

use crate::cgls::{cgls, CglsParams};
use crate::error::ReconError;
use crate::op::iterative::{Iterative, Solve};
use crate::op::sirt::{CENTER_DOC, ITERATIONS_DOC, SIZE_DOC, TOLERANCE_DOC};
use crate::solver::SolveReport;
use crate::SinoShape;

impl Params for CglsParams {
    const TABLE: &'static [Param] = &[
        Param::new("iterations", ITERATIONS_DOC),
        Param::new(
            "non_negative",
            "clip negative values of the final slice (inside the loop it would break CG's conjugacy)",
        ),
        Param::new("tolerance", TOLERANCE_DOC).min(0.0),
        Param::new("center_col", CENTER_DOC),
        Param::new("output_size", SIZE_DOC).min(1.0),
    ];
}

impl Solve for CglsParams {
    const NAME: &'static str = "cgls";

    fn check(&self) -> Result<(), ReconError> {
        CglsParams::check(self)
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
        cgls(sino, shape, angles_deg, self, threads)
    }
}

/// The `cgls` operator.
pub type Cgls = Iterative<CglsParams>;
