//! `remove_zingers` and `remove_zingers_sinogram`: outliers replaced by
//! the median of their window ([`crate::remove_zingers`]), in the plane of
//! each projection (pattern `projection`, TomoPy's `remove_outlier`) or
//! along the angle axis of each sinogram (pattern `sinogram`, algotom's
//! `remove_zinger`).
//!
//! Two operators rather than one with an `axis` parameter: a manifest
//! gives each operator one pattern, which the host checks before running
//! anything, and the two windows read differently ordered stacks (a
//! projection chunk holds whole projections, a sinogram chunk whole
//! sinograms). Both are stateless and `parallel`.

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};

use crate::op::frames::{Layout, Stack};
use crate::remove_zingers::{remove_zingers, RemoveZingersParams, ZingerAxis};

impl Params for RemoveZingersParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "threshold",
            "a value exceeding the median of its window by more than this is a zinger, in data units (0.1 suits transmission)",
        )
        .min(0.0),
        Param::new("size", "window side, odd: size x size in a projection, size angles in a sinogram").min(1.0),
    ];
}

/// Both zinger operators: the window's orientation and the stack it reads.
#[derive(Debug)]
pub struct RemoveZingers {
    params: RemoveZingersParams,
    axis: ZingerAxis,
    threads: usize,
}

impl RemoveZingers {
    /// `remove_zingers`: a `size × size` window in each projection.
    pub fn projections(params: RemoveZingersParams, ctx: &Context) -> Result<RemoveZingers, PluginError> {
        RemoveZingers::new(params, ZingerAxis::Plane, ctx)
    }

    /// `remove_zingers_sinogram`: `size` angles in each sinogram.
    pub fn sinograms(params: RemoveZingersParams, ctx: &Context) -> Result<RemoveZingers, PluginError> {
        RemoveZingers::new(params, ZingerAxis::Angle, ctx)
    }

    fn new(params: RemoveZingersParams, axis: ZingerAxis, ctx: &Context) -> Result<RemoveZingers, PluginError> {
        // The kernel checks its parameters before it looks at the data.
        remove_zingers(&[], [0, 0, 0], axis, &params, 1)?;
        Ok(RemoveZingers { params, axis, threads: ctx.threads() })
    }
}

impl Operator for RemoveZingers {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let layout = match self.axis {
            ZingerAxis::Plane => Layout::Projections,
            ZingerAxis::Angle => Layout::Sinograms,
        };
        let stack = Stack::first(input, layout)?;
        let data = remove_zingers(&stack.data, stack.dims, self.axis, &self.params, self.threads)?;
        out.emit(stack.output(input, stack.dims, None, data)?);
        Ok(())
    }
}
