//! `segment.onnx`: semantic segmentation by a network run through ONNX
//! Runtime over each chunk in tiles (3-D patches by default), blended, and
//! reduced to class labels by argmax ([`plexus_onnx::segment`]). By default
//! the shipped 3-D U-Net (classes 0 pore/air, 1 matrix, 2 dense), which is
//! built into the plugin; ONNX Runtime is loaded at run time from
//! `$PLEXUS_ORT_LIB` or the cache `scripts/ensure-onnxruntime.sh` fills.
//!
//! # Operator
//! The model is loaded once per instance, with the stage's thread budget as
//! ONNX Runtime's intra-op threads. Output: u8 labels of the input's shape;
//! results: `classes` (the model's class count). A U-Net's pooling needs
//! even tile sides: an axis shorter than its tile (the tile is then the
//! whole axis) with an odd length is padded by one voxel, its last slice,
//! row or column repeated, and the labels cropped back — a chunk boundary
//! that only the voxels within the net's receptive radius of that face
//! see. `patches` needs `margin` halo slices on each side of a chunk cut
//! inside the volume.
//!
//! # References
//! O. Ronneberger, P. Fischer, T. Brox, "U-Net: convolutional networks for
//! biomedical image segmentation", MICCAI 2015, LNCS 9351, 234–241,
//! doi:10.1007/978-3-319-24574-4_28; Ö. Çiçek et al., "3D U-Net: learning
//! dense volumetric segmentation from sparse annotation", MICCAI 2016,
//! LNCS 9901, 424–432, doi:10.1007/978-3-319-46723-8_49.

use plexus_kernels::chunk::{self, VolumeChunk};
use plexus_onnx::model::Model;
use plexus_onnx::segment::{segment, OnnxSegmentParams};
use plexus_onnx::Layout;
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, PluginError};

/// The `onnx` operator of the segment plugin.
#[derive(Debug)]
pub struct OnnxSegment {
    params: OnnxSegmentParams,
    model: Model,
    classes: usize,
}

impl OnnxSegment {
    /// Loads the model (the shipped one when `model` is empty).
    pub fn new(params: OnnxSegmentParams, ctx: &Context) -> Result<OnnxSegment, PluginError> {
        let model = params.load(ctx.threads())?;
        Ok(OnnxSegment { params, model, classes: 0 })
    }

    /// The tile side along each of `(z, y, x)`, as the tiling reads `tile`
    /// (a wrong count is reported by the tiling itself).
    fn tile(&self) -> [usize; 3] {
        match (self.params.layout, self.params.tile.as_slice()) {
            (Layout::Slices, [s]) => [1, *s, *s],
            (Layout::Slices, [y, x]) => [1, *y, *x],
            (Layout::Patches, [s]) => [*s; 3],
            (Layout::Patches, [z, y, x]) => [*z, *y, *x],
            _ => [usize::MAX; 3],
        }
    }
}

/// `data` of `shape` grown to `to` by repeating its last voxel along each
/// axis.
fn pad_edges(data: &[f32], shape: [usize; 3], to: [usize; 3]) -> Vec<f32> {
    let [nz, ny, nx] = shape;
    let mut out = Vec::with_capacity(to.iter().product());
    for z in 0..to[0] {
        for y in 0..to[1] {
            let row = &data[(z.min(nz - 1) * ny + y.min(ny - 1)) * nx..][..nx];
            out.extend_from_slice(row);
            out.extend(std::iter::repeat_n(row[nx - 1], to[2] - nx));
        }
    }
    out
}

impl Operator for OnnxSegment {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let c = VolumeChunk::of(input)?;
        c.require_halo(self.params.halo(), "`margin` of `patches` tiles")?;
        let data = c.f32s();
        let shape = [c.shape.z, c.shape.y, c.shape.x];
        let tile = self.tile();
        let padded: [usize; 3] = std::array::from_fn(|a| {
            let n = shape[a];
            n + (n < tile[a] && tile[a] > 1 && n % 2 == 1) as usize
        });
        let mut labels = vec![0u8; padded.iter().product()];
        self.classes = if padded == shape {
            segment(&mut self.model, &data, shape, &self.params, &mut labels)?
        } else {
            let grown = pad_edges(&data, shape, padded);
            segment(&mut self.model, &grown, padded, &self.params, &mut labels)?
        };
        if padded != shape {
            let mut cropped = Vec::with_capacity(data.len());
            for z in 0..shape[0] {
                for y in 0..shape[1] {
                    cropped.extend_from_slice(&labels[(z * padded[1] + y) * padded[2]..][..shape[2]]);
                }
            }
            labels = cropped;
        }
        out.emit(chunk::output(input, &c, c.name, labels)?);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        out.result("classes", self.classes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_repeat() {
        let grown = pad_edges(&[1.0, 2.0, 3.0, 4.0], [1, 2, 2], [2, 3, 3]);
        assert_eq!(grown, [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 3.0, 4.0, 4.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 3.0, 4.0, 4.0]);
    }
}
