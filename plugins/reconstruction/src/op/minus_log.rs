//! `minus_log`: transmission to line integrals, element by element, on any
//! array (pattern `frame`: it sits before or after the reslice alike).
//! Kernel and floor: [`crate::minus_log`].

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};

use crate::minus_log::{minus_log_in_place, MinusLogParams};
use crate::op::frames::{same_shape, to_f32};

impl Params for MinusLogParams {
    const TABLE: &'static [Param] = &[Param::new(
        "floor",
        "transmissions below it (zero, negative) are raised to it first, so the output is at most -ln(floor); > 0",
    )
    .min(0.0)];
}

/// The `minus_log` operator.
#[derive(Debug)]
pub struct MinusLog {
    params: MinusLogParams,
    threads: usize,
}

impl MinusLog {
    /// Builds the operator; `floor` must be finite and > 0.
    pub fn new(params: MinusLogParams, ctx: &Context) -> Result<MinusLog, PluginError> {
        minus_log_in_place(&mut [], &params, 1)?;
        Ok(MinusLog { params, threads: ctx.threads() })
    }
}

impl Operator for MinusLog {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let (name, view) = input.first()?;
        let mut data = to_f32(&view).into_owned();
        minus_log_in_place(&mut data, &self.params, self.threads)?;
        out.emit(same_shape(input, name, &view, data)?);
        Ok(())
    }
}
