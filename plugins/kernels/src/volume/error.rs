//! The errors of the segmentation kernels: each carries the parameter or
//! buffer it is about and the bad value; messages are lowercase and name the
//! thing in backticks (they are API and asserted in tests).

use plexus_plugin_api::PluginError;
use thiserror::Error;

/// Why a segmentation kernel refused its input or parameters.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SegmentError {
    /// A buffer's length does not match the shape it comes with.
    #[error("`{what}` holds {len} values but shape {shape:?} needs {want}")]
    ShapeMismatch {
        /// The buffer.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The shape `[z, y, x]`.
        shape: [usize; 3],
        /// `z · y · x`.
        want: usize,
    },
    /// A connectivity that is not 4, 8, 6, 18 or 26.
    #[error("`connectivity` must be 4 or 8 (2-D) or 6, 18 or 26 (3-D), got {got}")]
    Connectivity {
        /// The number given.
        got: u32,
    },
    /// A voxel size that is not three positive finite lengths.
    #[error("`{what}` must be three positive finite lengths [z, y, x], got {got:?}")]
    VoxelSize {
        /// The parameter.
        what: &'static str,
        /// The value given.
        got: Vec<f64>,
    },
    /// A parameter outside its range.
    #[error("`{param}` {expected}, got {got}")]
    Param {
        /// The parameter.
        param: &'static str,
        /// What it must be ("must be at least 2").
        expected: &'static str,
        /// The value given, formatted.
        got: String,
    },
    /// Otsu needs at least two distinct values (scikit-image raises too).
    #[error("`threshold` needs at least {need} distinct values for {classes} classes, the image has {got}")]
    TooFewValues {
        /// Distinct values needed.
        need: usize,
        /// Classes asked for.
        classes: usize,
        /// Distinct values in the image.
        got: usize,
    },
    /// A NaN in a float image given to a histogram.
    #[error("`image` holds NaN at voxel {index}")]
    NotANumber {
        /// Raster index of the first NaN.
        index: usize,
    },
    /// Labels would not fit their 32-bit type.
    #[error("`label` found more than {max} components or runs; split the volume")]
    TooManyLabels {
        /// The largest count that fits.
        max: u64,
    },
    /// Chunks given to a merge overlap, leave a gap or disagree on the slice shape.
    #[error("`chunks` do not tile the volume: {reason}")]
    Chunks {
        /// What is wrong, with the offsets involved.
        reason: String,
    },
}

/// Names that a kernel's [`SegmentError::Param`] uses for its input
/// rather than for a parameter.
const INPUTS: &[&str] = &["image", "mask", "labels", "values", "reference", "test"];

/// The "expected" part of a typed error from a kernel's "must …" phrase:
/// `must be at least 2` → `at least 2`, `must hold a voxel` → `to hold a
/// voxel`, `is required by …` → `a value (required by …)`.
pub fn expected_phrase(kernel: &str) -> String {
    if let Some(rest) = kernel.strip_prefix("must be ") {
        rest.to_string()
    } else if let Some(rest) = kernel.strip_prefix("must ") {
        format!("to {rest}")
    } else if let Some(rest) = kernel.strip_prefix("is ") {
        format!("a value ({rest})")
    } else {
        kernel.to_string()
    }
}

/// How an operator reports a kernel's refusal: bad parameters and bad
/// input as the typed variants, naming the parameter or array.
impl From<SegmentError> for PluginError {
    fn from(e: SegmentError) -> PluginError {
        match e {
            SegmentError::Connectivity { got } => {
                PluginError::bad_parameter("connectivity", "4 or 8 (2-D) or 6, 18 or 26 (3-D)", got.to_string())
            }
            SegmentError::VoxelSize { what, got } => {
                PluginError::bad_parameter(what, "three positive finite lengths [z, y, x] in µm", format!("{got:?}"))
            }
            SegmentError::Param { param, expected, got } if INPUTS.contains(&param) => {
                PluginError::bad_input(param, expected_phrase(expected), got)
            }
            SegmentError::Param { param, expected, got } => {
                PluginError::bad_parameter(param, expected_phrase(expected), got)
            }
            SegmentError::TooFewValues { need, classes, got } => PluginError::bad_input(
                "image",
                format!("at least {need} distinct values for {classes} classes"),
                format!("{got}"),
            ),
            SegmentError::NotANumber { index } => {
                PluginError::bad_input("image", "numbers (no NaN)", format!("NaN at voxel {index}"))
            }
            other => PluginError::failed(other.to_string()),
        }
    }
}

/// A parameter error: `param` `expected`, with the value given.
pub fn param(param: &'static str, expected: &'static str, got: impl std::fmt::Display) -> SegmentError {
    SegmentError::Param { param, expected, got: got.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_errors_become_typed_plugin_errors() {
        let e: PluginError = param("classes", "must be at least 2", 1).into();
        assert_eq!(e.to_string(), "parameter `classes`: expected at least 2, got 1");
        let e: PluginError = param("image", "must hold at least one voxel", "none").into();
        assert_eq!(e.to_string(), "invalid input `image`: expected to hold at least one voxel, got none");
        let e: PluginError = param("value", "is required by `method = \"fixed\"`", "nothing").into();
        assert_eq!(
            e.to_string(),
            "parameter `value`: expected a value (required by `method = \"fixed\"`), got nothing"
        );
        let e: PluginError = SegmentError::Connectivity { got: 5 }.into();
        assert_eq!(e.to_string(), "parameter `connectivity`: expected 4 or 8 (2-D) or 6, 18 or 26 (3-D), got 5");
    }
}
