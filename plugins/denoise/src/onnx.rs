//! `denoise.onnx`: a denoising network run over each chunk, slice by slice
//! (a 2-D model) or in 3-D patches, through ONNX Runtime
//! ([`plexus_onnx::denoise`]: tiling with overlap, dead margins and blended
//! stitching). By default the shipped Noise2Noise model, which is built into
//! the plugin; ONNX Runtime itself is loaded at run time from
//! `$PLEXUS_ORT_LIB` or the cache `scripts/ensure-onnxruntime.sh` fills.
//!
//! The model is loaded once per operator instance with the stage's thread
//! budget as ONNX Runtime's intra-op threads. `slices` needs no halo;
//! `patches` needs `margin` slices on each side of a chunk cut inside the
//! volume (the tiles then treat the chunk's ends as inner edges).
//!
//! # References
//! J. Lehtinen et al., "Noise2Noise: learning image restoration without
//! clean data", ICML 2018, PMLR 80, 2965–2974; ONNX Runtime,
//! <https://onnxruntime.ai>.

use plexus_onnx::denoise::{denoise, OnnxDenoiseParams};
use plexus_onnx::model::Model;
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, PluginError};

use crate::stage::filter_frame;

/// The `onnx` operator of the denoise plugin.
#[derive(Debug)]
pub struct OnnxDenoise {
    params: OnnxDenoiseParams,
    model: Model,
}

impl OnnxDenoise {
    /// Loads the model (the shipped one when `model` is empty).
    pub fn new(params: OnnxDenoiseParams, ctx: &Context) -> Result<OnnxDenoise, PluginError> {
        let model = params.load(ctx.threads())?;
        Ok(OnnxDenoise { params, model })
    }
}

impl Operator for OnnxDenoise {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let halo = self.params.halo();
        let (params, model) = (&self.params, &mut self.model);
        filter_frame(input, out, halo, "`margin` of `patches` tiles", |data, shape, o| {
            Ok(denoise(model, data, shape, params, o)?)
        })
    }
}
