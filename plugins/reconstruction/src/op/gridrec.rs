//! `gridrec`: Fourier gridding reconstruction of each sinogram with the
//! prolate-spheroidal kernel ([`crate::gridrec`]), on the grid and scale of
//! `fbp`. Input, output and chunking as [`crate::op::fbp`]; stateless and
//! `parallel`.

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};

use crate::geometry::center_or_default;
use crate::gridrec::{gridrec, GridrecParams};
use crate::op::fbp::{CENTER_DOC, CIRCLE_DOC, FILTER_DOC, SIZE_DOC};
use crate::op::frames::{angles_deg, Layout, Stack};
use crate::sirt::output_size;
use crate::SinoShape;

impl Params for GridrecParams {
    const TABLE: &'static [Param] = &[
        Param::new("filter", FILTER_DOC),
        Param::new("center_col", CENTER_DOC),
        Param::new("circle_mask", CIRCLE_DOC),
        Param::new("output_size", SIZE_DOC).min(1.0),
    ];
}

/// The `gridrec` operator.
#[derive(Debug)]
pub struct Gridrec {
    params: GridrecParams,
    threads: usize,
}

impl Gridrec {
    /// Builds the operator; `center_col` must be finite.
    pub fn new(params: GridrecParams, ctx: &Context) -> Result<Gridrec, PluginError> {
        center_or_default(params.center_col, 1)?;
        output_size(params.output_size, 1)?;
        Ok(Gridrec { params, threads: ctx.threads() })
    }
}

impl Operator for Gridrec {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let stack = Stack::first(input, Layout::Sinograms)?;
        let [rows, angles, cols] = stack.dims;
        let theta = angles_deg(input, angles)?;
        let n = output_size(self.params.output_size, cols)?;
        let slices = gridrec(&stack.data, SinoShape { rows, angles, cols }, &theta, &self.params, self.threads)?;
        out.emit(stack.output(input, [rows, n, n], Some("y x"), slices)?);
        Ok(())
    }
}
