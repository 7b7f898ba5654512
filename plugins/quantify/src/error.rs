//! The errors of the quantification kernels: each carries the parameter,
//! buffer or chunk it is about and the bad value; messages are lowercase and
//! name the thing in backticks (they are API and asserted in tests).

use plexus_kernels::volume::error::expected_phrase;
use plexus_kernels::volume::SegmentError;
use plexus_plugin_api::PluginError;
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

/// Names that a kernel's [`QuantifyError::Param`] uses for its input rather
/// than for a parameter.
const INPUTS: &[&str] = &["mask", "values", "image", "reference", "test"];

/// How an operator reports a kernel's refusal: bad parameters and bad input
/// as the typed variants; a solve that does not converge as a failure of
/// kind `not_converged`.
impl From<QuantifyError> for PluginError {
    fn from(e: QuantifyError) -> PluginError {
        match e {
            QuantifyError::Segment(e) => e.into(),
            QuantifyError::Param { param, expected, got } if INPUTS.contains(&param) => {
                PluginError::bad_input(param, expected_phrase(expected), got)
            }
            QuantifyError::Param { param, expected, got } => {
                PluginError::bad_parameter(param, expected_phrase(expected), got)
            }
            QuantifyError::NoPercolation { axis } => PluginError::bad_input(
                "mask",
                format!("pore space connecting the first and last slices along axis {axis}"),
                "none",
            ),
            e @ QuantifyError::NotConverged { .. } => PluginError::failure("not_converged", e.to_string()),
            other => PluginError::failed(other.to_string()),
        }
    }
}
