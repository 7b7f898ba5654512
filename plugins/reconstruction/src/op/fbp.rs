//! `fbp`: filtered back-projection of each sinogram into a slice
//! ([`crate::fbp`]: filters, padding, the centre convention and the scale,
//! attenuation per pixel). Input sinograms `[rows, angles, cols]`, angles
//! from the frame's metadata ([`crate::op::frames`]); output slices
//! `[rows, n, n]` with axes `<chunk axis> y x`, the input's chunk key and
//! metadata. Stateless and `parallel`: slices are independent, so any
//! chunking along `row` gives the same volume bit for bit.
//!
//! `center_col` is usually another stage's result:
//! `center_col = "${center.center_col}"` after a `find_center` stage `center`.

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};

use crate::fbp::{fbp_into, FbpParams};
use crate::geometry::center_or_default;
use crate::op::frames::{angles_deg, Layout, Stack};
use crate::SinoShape;

/// Docs of the parameters `fbp` and `gridrec` share.
pub(crate) const FILTER_DOC: &str =
    "window on the ramp filter (scikit-image's construction): ramp, shepp-logan, cosine, hamming, hann";
/// See [`FILTER_DOC`].
pub(crate) const CENTER_DOC: &str =
    "rotation axis as a detector column, pixel centres at integers (docs/CONVENTIONS.md); unset: (cols - 1)/2";
/// See [`FILTER_DOC`].
pub(crate) const CIRCLE_DOC: &str = "zero the pixels outside the reconstruction circle of radius (n - 1)/2";
/// See [`FILTER_DOC`].
pub(crate) const SIZE_DOC: &str = "pixels along each side of the slice; unset: the detector columns";

impl Params for FbpParams {
    const TABLE: &'static [Param] = &[
        Param::new("filter", FILTER_DOC),
        Param::new(
            "padding",
            "projection extension before filtering: zero (scikit-image, ASTRA), edge, or none (circular)",
        ),
        Param::new("center_col", CENTER_DOC),
        Param::new("circle_mask", CIRCLE_DOC),
        Param::new("output_size", SIZE_DOC).min(1.0),
    ];
}

/// The `fbp` operator.
#[derive(Debug)]
pub struct Fbp {
    params: FbpParams,
    threads: usize,
}

impl Fbp {
    /// Builds the operator; `center_col` must be finite.
    pub fn new(params: FbpParams, ctx: &Context) -> Result<Fbp, PluginError> {
        center_or_default(params.center_col, 1)?;
        params.size(1)?;
        Ok(Fbp { params, threads: ctx.threads() })
    }
}

impl Operator for Fbp {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let stack = Stack::first(input, Layout::Sinograms)?;
        let [rows, angles, cols] = stack.dims;
        let theta = angles_deg(input, angles)?;
        let n = self.params.size(cols)?;
        let mut slices = vec![0.0; rows * n * n];
        fbp_into(&stack.data, SinoShape { rows, angles, cols }, &theta, &self.params, self.threads, &mut slices)?;
        out.emit(stack.output(input, [rows, n, n], Some("y x"), slices)?);
        Ok(())
    }
}
