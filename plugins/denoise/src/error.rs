//! The error type of every denoising kernel: bad shapes and bad parameters,
//! carrying the values so the host can name them.

use plexus_plugin_api::PluginError;
use thiserror::Error;

/// What can go wrong when a kernel is called.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DenoiseError {
    /// The input or output slice does not hold `z · y · x` values.
    #[error("`{which}` holds {got} values, but shape {shape:?} (z, y, x) needs {want}")]
    Length {
        /// `input` or `output`.
        which: &'static str,
        /// The shape given.
        shape: [usize; 3],
        /// Values in the slice.
        got: usize,
        /// Values the shape needs.
        want: usize,
    },
    /// An axis of length zero.
    #[error("shape {shape:?} (z, y, x) has an empty axis")]
    Empty {
        /// The shape given.
        shape: [usize; 3],
    },
    /// A parameter outside its domain.
    #[error("parameter `{name}`: expected {expected}, got {got}")]
    Param {
        /// The parameter's name as a pipeline spells it.
        name: &'static str,
        /// What was expected.
        expected: &'static str,
        /// The offending value, formatted.
        got: String,
    },
}

impl DenoiseError {
    /// A [`DenoiseError::Param`] for `name` with the bad value `got`.
    pub fn param(name: &'static str, expected: &'static str, got: impl std::fmt::Debug) -> Self {
        DenoiseError::Param { name, expected, got: format!("{got:?}") }
    }
}

/// How an operator reports a kernel's refusal: a bad parameter as the
/// typed variant naming it; a shape problem (which the operators rule out
/// before calling a kernel) as a failure.
impl From<DenoiseError> for PluginError {
    fn from(e: DenoiseError) -> PluginError {
        match e {
            DenoiseError::Param { name, expected, got } => PluginError::bad_parameter(name, expected, got),
            DenoiseError::Empty { shape } => {
                PluginError::bad_input("", "a volume without empty axes", format!("shape {shape:?} (z, y, x)"))
            }
            other => PluginError::failed(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_thing_and_the_value() {
        let e = DenoiseError::Length { which: "input", shape: [2, 3, 4], got: 10, want: 24 };
        assert_eq!(e.to_string(), "`input` holds 10 values, but shape [2, 3, 4] (z, y, x) needs 24");
        let e = DenoiseError::param("sigma", "a non-negative number", -1.0);
        assert_eq!(e.to_string(), "parameter `sigma`: expected a non-negative number, got -1.0");
    }
}
