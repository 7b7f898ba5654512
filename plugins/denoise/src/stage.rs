//! What every denoising operator does with a frame: its first array read
//! as a `(z, y, x)` chunk (`plexus_kernels::chunk`), converted to f32 where
//! it is not f32 already, checked for the halo the operator's parameters
//! need along z, filtered, and sent on as an f32 array of the same shape,
//! axis labels, chunk key and metadata (the host trims a halo it added).

use plexus_kernels::chunk::{self, VolumeChunk};
use plexus_plugin_api::{Emitter, FrameView, PluginError};

use crate::axes::Shape;

/// Runs `kernel(input, shape, output)` on the frame's first array and emits
/// the result. `halo` slices are needed on each side of a chunk cut inside
/// the volume (`why` says which parameters need them).
pub(crate) fn filter_frame(
    input: &FrameView<'_>,
    out: &mut Emitter,
    halo: usize,
    why: &str,
    kernel: impl FnOnce(&[f32], Shape, &mut [f32]) -> Result<(), PluginError>,
) -> Result<(), PluginError> {
    let chunk = VolumeChunk::of(input)?;
    chunk.require_halo(halo, why)?;
    let data = chunk.f32s();
    let s = chunk.shape;
    let mut result = vec![0.0f32; data.len()];
    kernel(&data, [s.z, s.y, s.x], &mut result)?;
    out.emit(chunk::output(input, &chunk, chunk.name, result)?);
    Ok(())
}
