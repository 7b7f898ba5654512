//! `remove_stripes`: stripe (ring) artefacts removed from each sinogram by
//! the sorting-based, filtering-based or Fourier–wavelet method
//! ([`crate::remove_stripes`], matching algotom 1.7 with the published
//! parameters). The parameters are one flat table: `method` and, left out
//! for their method's published default, the parameters that method
//! takes; one that the method does not take is refused when the stage is
//! built. Stateless and `parallel`: sinograms are independent, so any
//! chunking along `row` gives the same stack.

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};

use crate::op::frames::{Layout, Stack};
use crate::remove_stripes::{remove_stripes, MethodParams, RemoveStripesParams};
use crate::SinoShape;

impl Params for RemoveStripesParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "method",
            "sorting, filtering (Vo et al. 2018, algorithms 3 and 2) or wavelet-fft (Munch et al. 2009), as algotom",
        ),
        Param::new("size", "median window, odd (sorting, filtering; default 21)").min(1.0),
        Param::new("dim", "median window 1: across columns, 2: square (sorting, filtering; default 1)")
            .min(1.0)
            .max(2.0),
        Param::new(
            "sigma",
            "filtering: Gaussian width (default 3); wavelet-fft: damping width, algotom's size (default 1)",
        )
        .min(0.0),
        Param::new("sort", "sort each column along the angle axis first (filtering: default true; wavelet-fft: false)"),
        Param::new(
            "level",
            "wavelet decomposition levels, clipped to what the size allows; 0: the most (wavelet-fft; default 5)",
        ),
        Param::new("wavelet", "Daubechies wavelet (wavelet-fft; default db9)"),
        Param::new("window", "damping window along the angle frequencies (wavelet-fft; default gaussian)"),
    ];
}

/// The `remove_stripes` operator.
#[derive(Debug)]
pub struct RemoveStripes {
    method: MethodParams,
    threads: usize,
}

impl RemoveStripes {
    /// Builds the operator from the method's parameters.
    pub fn new(params: RemoveStripesParams, ctx: &Context) -> Result<RemoveStripes, PluginError> {
        Ok(RemoveStripes { method: params.method_params()?, threads: ctx.threads() })
    }
}

impl Operator for RemoveStripes {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let stack = Stack::first(input, Layout::Sinograms)?;
        let [rows, angles, cols] = stack.dims;
        let data = remove_stripes(&stack.data, SinoShape { rows, angles, cols }, &self.method, self.threads)?;
        out.emit(stack.output(input, stack.dims, None, data)?);
        Ok(())
    }
}
