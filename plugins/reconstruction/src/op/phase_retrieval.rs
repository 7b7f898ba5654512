//! `phase_retrieval`: Paganin's single-distance filter of each normalised
//! projection ([`crate::phase_retrieval`]: formula, units and padding as
//! TomoPy's `retrieve_phase`). Stateless and `parallel`; each projection
//! is filtered alone, so any chunking along `angle` gives the same stack.

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};

use crate::op::frames::{Layout, Stack};
use crate::phase_retrieval::{phase_retrieval, PhaseRetrievalParams};

impl Params for PhaseRetrievalParams {
    const TABLE: &'static [Param] = &[
        Param::new("pixel_size_cm", "detector pixel size in cm").min(0.0),
        Param::new("distance_cm", "sample-detector propagation distance in cm").min(0.0),
        Param::new("energy_kev", "photon energy in keV").min(0.0),
        Param::new("delta_over_beta", "delta/beta of the material (TomoPy's alpha)").min(0.0),
        Param::new("pad", "pad each projection by edge replication before filtering (TomoPy's pad)"),
        Param::new(
            "output",
            "transmission: the filtered intensity, to feed minus_log; beta-thickness: -ln(T) lambda/(4 pi) in cm, TomoPy's output",
        ),
    ];
}

/// The `phase_retrieval` operator.
#[derive(Debug)]
pub struct PhaseRetrieval {
    params: PhaseRetrievalParams,
    threads: usize,
}

impl PhaseRetrieval {
    /// Builds the operator; every physical parameter must be finite and > 0.
    pub fn new(params: PhaseRetrievalParams, ctx: &Context) -> Result<PhaseRetrieval, PluginError> {
        // The kernel checks its parameters first; unpadded and empty, the
        // check costs nothing.
        phase_retrieval(&[], [0, 1, 1], &PhaseRetrievalParams { pad: false, ..params.clone() }, 1)?;
        Ok(PhaseRetrieval { params, threads: ctx.threads() })
    }
}

impl Operator for PhaseRetrieval {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let stack = Stack::first(input, Layout::Projections)?;
        let data = phase_retrieval(&stack.data, stack.dims, &self.params, self.threads)?;
        out.emit(stack.output(input, stack.dims, None, data)?);
        Ok(())
    }
}
