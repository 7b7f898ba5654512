//! The errors of the segmentation kernels: each carries the parameter or
//! buffer it is about and the bad value; messages are lowercase and name the
//! thing in backticks (they are API and asserted in tests).

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
        got: [f64; 3],
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

/// A parameter error: `param` `expected`, with the value given.
pub(crate) fn param(param: &'static str, expected: &'static str, got: impl std::fmt::Display) -> SegmentError {
    SegmentError::Param { param, expected, got: got.to_string() }
}
