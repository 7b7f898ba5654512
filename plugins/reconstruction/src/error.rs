//! The crate's error type: every way a reconstruction kernel refuses its
//! input or its parameters, with the offending values as data.

use thiserror::Error;

/// Why a kernel refused to run. Messages are lowercase, name the thing in
/// backticks and carry the bad value; they are API and asserted in tests.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ReconError {
    /// A buffer's length does not match the shape it is said to have.
    #[error("`{what}` holds {len} values, expected {expected} for shape {shape:?}")]
    Shape {
        /// The buffer (`sinogram`, `projections`, `flats`, `output`…).
        what: &'static str,
        /// Its length.
        len: usize,
        /// The length the shape implies.
        expected: usize,
        /// The shape, slowest axis first.
        shape: Vec<usize>,
    },
    /// An axis that must not be empty is.
    #[error("`{what}` is empty")]
    Empty {
        /// The axis or buffer.
        what: &'static str,
    },
    /// A parameter is out of its range.
    #[error("`{param}` must be {expected}, got {got}")]
    Param {
        /// The parameter, as a pipeline spells it.
        param: &'static str,
        /// What is accepted.
        expected: &'static str,
        /// The value given.
        got: String,
    },
    /// The angle list does not match the sinogram's angle axis.
    #[error("`angles_deg` has {got} angles, the data has {expected}")]
    Angles {
        /// Angles given.
        got: usize,
        /// Angles along the data's angle axis.
        expected: usize,
    },
}

impl ReconError {
    /// A [`ReconError::Param`] with the value formatted.
    pub fn param(param: &'static str, expected: &'static str, got: impl std::fmt::Display) -> ReconError {
        ReconError::Param { param, expected, got: got.to_string() }
    }

    /// Checks `data.len()` against a shape.
    pub fn check_len(what: &'static str, len: usize, shape: &[usize]) -> Result<(), ReconError> {
        let expected = shape.iter().product();
        if len != expected {
            return Err(ReconError::Shape { what, len, expected, shape: shape.to_vec() });
        }
        Ok(())
    }
}

/// Short for `Result<T, ReconError>`.
pub type Result<T, E = ReconError> = std::result::Result<T, E>;
