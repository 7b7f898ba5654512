//! Errors from building, rendering and writing plots.
//!
//! Messages are lowercase and name the series involved: `series "counts"` when
//! it has a label, `series #2` (1-based position) when it has none.

use std::path::PathBuf;

/// Why a plot could not be rendered or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// The plot has no series at all.
    #[error("plot has no series")]
    NoSeries,
    /// A series has no values.
    #[error("series {series} has no data")]
    EmptySeries {
        /// The series, as `"label"` or `#n`.
        series: String,
    },
    /// A series has values, but none that can be drawn (all NaN or infinite).
    #[error("series {series} has no finite values")]
    NoFiniteData {
        /// The series, as `"label"` or `#n`.
        series: String,
    },
    /// Two arrays of a series disagree in length.
    #[error("series {series}: {what} has {found} values, expected {expected}")]
    LengthMismatch {
        /// The series, as `"label"` or `#n`.
        series: String,
        /// Which array is off (`"y"`, `"errors"`, `"edges"`).
        what: &'static str,
        /// Length it should have.
        expected: usize,
        /// Length it has.
        found: usize,
    },
    /// Histogram bin edges that are not finite and strictly increasing.
    #[error("series {series}: bin edges must be finite and strictly increasing (edge {index} is {value})")]
    BadEdges {
        /// The series, as `"label"` or `#n`.
        series: String,
        /// Index of the first offending edge.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A zero or negative value on a log axis.
    #[error("series {series}: {axis} value {value} at index {index} cannot be shown on a log {axis} axis")]
    NonPositiveOnLogAxis {
        /// The series, as `"label"` or `#n`.
        series: String,
        /// `'x'` or `'y'`.
        axis: char,
        /// Index of the value in its array.
        index: usize,
        /// The value.
        value: f64,
    },
    /// An explicit axis range that is empty, non-finite or not positive on a log axis.
    #[error("{axis} range [{lo}, {hi}] is invalid{reason}")]
    InvalidRange {
        /// `'x'` or `'y'`.
        axis: char,
        /// Lower bound asked for.
        lo: f64,
        /// Upper bound asked for.
        hi: f64,
        /// Extra explanation (empty or starting with `": "`).
        reason: &'static str,
    },
    /// The image is too small to hold axes and labels.
    #[error("plot size {width}x{height} is too small (minimum {min_width}x{min_height})")]
    TooSmall {
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
        /// Smallest width accepted.
        min_width: u32,
        /// Smallest height accepted.
        min_height: u32,
    },
    /// Creating or writing the output file failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// Reading an input file failed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The PNG encoder failed.
    #[error("png encoding failed: {0}")]
    Encode(#[from] png::EncodingError),
    /// The PNG decoder failed.
    #[error("png decoding failed: {0}")]
    Decode(#[from] png::DecodingError),
    /// A PNG that is not 8-bit grey, RGB or RGBA.
    #[error("unsupported png: {0}")]
    UnsupportedPng(String),
}
