//! Errors of the plugin contract. Messages are lowercase and name the thing
//! in backticks; they are API and asserted exactly in tests.

use crate::dtype::DType;

/// A malformed array: wrong length, dtype or axis labels.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArrayError {
    /// The element count does not match the shape.
    #[error("shape {shape:?} holds {expected} elements, got {got}")]
    ShapeMismatch {
        /// The shape asked for.
        shape: Vec<usize>,
        /// Its number of elements.
        expected: usize,
        /// The number supplied.
        got: usize,
    },
    /// The byte count does not match shape and dtype.
    #[error("shape {shape:?} of `{dtype}` needs {expected} bytes, got {got}")]
    ByteLength {
        /// Element type.
        dtype: DType,
        /// The shape asked for.
        shape: Vec<usize>,
        /// Bytes needed.
        expected: usize,
        /// Bytes supplied.
        got: usize,
    },
    /// Typed access with the wrong element type.
    #[error("expected elements of `{expected}`, found `{found}`")]
    DTypeMismatch {
        /// The type asked for.
        expected: DType,
        /// The array's type.
        found: DType,
    },
    /// Memory not aligned for the element type.
    #[error("memory of `{dtype}` elements is not aligned")]
    Misaligned {
        /// Element type.
        dtype: DType,
    },
    /// Axis labels do not match the rank.
    #[error("axis labels `{axes}` name {} axes, the array has {ndim}", axes.split_whitespace().count())]
    AxesMismatch {
        /// The labels given.
        axes: String,
        /// The array's rank.
        ndim: usize,
    },
}

/// What went wrong inside an operator, as the host reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// A parameter has a value the operator cannot use.
    #[error("parameter `{param}`: {message}")]
    InvalidParam {
        /// Parameter name.
        param: String,
        /// What was expected.
        message: String,
    },
    /// The input frame does not fit the operator (dtype, rank, missing array).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The plugin does not offer this operator.
    #[error("unknown operator `{0}`")]
    UnknownOperator(String),
    /// The operator does not support a requested capability (e.g. restore).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The operator panicked; the panic was caught on the plugin side.
    #[error("operator panicked: {0}")]
    Panicked(String),
    /// Any other failure.
    #[error("{0}")]
    Failed(String),
}

impl PluginError {
    /// Shorthand for [`PluginError::InvalidParam`].
    pub fn param(param: impl Into<String>, message: impl Into<String>) -> PluginError {
        PluginError::InvalidParam { param: param.into(), message: message.into() }
    }

    /// Shorthand for [`PluginError::InvalidInput`].
    pub fn input(message: impl Into<String>) -> PluginError {
        PluginError::InvalidInput(message.into())
    }

    /// Shorthand for [`PluginError::Failed`].
    pub fn failed(message: impl Into<String>) -> PluginError {
        PluginError::Failed(message.into())
    }
}

impl From<ArrayError> for PluginError {
    fn from(e: ArrayError) -> Self {
        PluginError::InvalidInput(e.to_string())
    }
}
