//! The errors of the quantification kernels: each carries the parameter,
//! buffer or chunk it is about and the bad value; messages are lowercase and
//! name the thing in backticks (they are API and asserted in tests).

use plexus_segment::SegmentError;
use thiserror::Error;

/// Why a quantification kernel refused its input or parameters.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum QuantifyError {
    /// A shape, connectivity, voxel size or labelling problem.
    #[error(transparent)]
    Segment(#[from] SegmentError),
    /// A chunk came without the halo the reduction needs.
    #[error("`{what}` needs {need} halo slice(s) below every chunk but the first: got slices from z {z_first} for a chunk owning z {z_owned}..")]
    Halo {
        /// The reduction.
        what: &'static str,
        /// Halo slices needed below.
        need: usize,
        /// First slice given.
        z_first: usize,
        /// First slice owned.
        z_owned: usize,
    },
    /// A parameter outside its range.
    #[error("`{param}` {expected}, got {got}")]
    Param {
        /// The parameter.
        param: &'static str,
        /// What it must be.
        expected: &'static str,
        /// The value given, formatted.
        got: String,
    },
    /// The pore phase does not connect inlet and outlet.
    #[error("`tortuosity`: no pore path connects the inlet and outlet faces along axis {axis}")]
    NoPercolation {
        /// The axis (0 = z, 1 = y, 2 = x).
        axis: usize,
    },
    /// The iterative solver did not reach its tolerance.
    #[error("`tortuosity`: the diffusion solve stopped at relative residual {residual:.2e} after {iterations} iterations (tolerance {tolerance:.1e})")]
    NotConverged {
        /// Iterations done.
        iterations: usize,
        /// Relative residual reached.
        residual: f64,
        /// Tolerance asked for.
        tolerance: f64,
    },
}

/// A parameter error.
pub(crate) fn param(param: &'static str, expected: &'static str, got: impl std::fmt::Display) -> QuantifyError {
    QuantifyError::Param { param, expected, got: got.to_string() }
}
