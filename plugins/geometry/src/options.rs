//! Options shared by the operators: the boundary modes (the table lives in
//! `plexus-kernels`, shared with `denoise`) and the doc line of `mode`.

pub use plexus_kernels::boundary::Mode;

/// The one-line doc of the `mode` parameter of `convolve` and `correlate`.
pub const MODE_DOC: &str =
    "boundary, scipy names; OpenCV BORDER_REFLECT, BORDER_CONSTANT, BORDER_REPLICATE, BORDER_REFLECT_101";
