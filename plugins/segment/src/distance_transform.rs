//! The `distance_transform` operator: the exact Euclidean distance of every
//! foreground voxel to the nearest background voxel, with voxel sizes, as
//! `scipy.ndimage.distance_transform_edt(mask, sampling=voxel_size_um)`
//! (the kernel: [`plexus_kernels::volume::distance_transform`], re-exported
//! here).
//!
//! # Operator
//! Foreground is nonzero; background voxels get 0; distances in µm (the
//! units of `voxel_size_um`), as f32 (default, the `edt` package's type) or
//! f64 (scipy's). The z pass needs whole columns, so a frame must be the
//! whole volume (or an independent image): until the host assembles whole
//! volumes, give the input `chunk` = its slice count.
//!
//! # References
//! - P. F. Felzenszwalb, D. P. Huttenlocher, "Distance transforms of sampled
//!   functions", *Theory of Computing* 8(19):415–428 (2012),
//!   doi:10.4086/toc.2012.v008a019.
//! - C. R. Maurer, R. Qi, V. Raghavan, "A linear time algorithm for computing
//!   exact Euclidean distance transforms of binary images in arbitrary
//!   dimensions", *IEEE TPAMI* 25(2):265–270 (2003),
//!   doi:10.1109/TPAMI.2003.1177156 (scipy's method; same result).

pub use plexus_kernels::volume::distance_transform::{distance_transform, squared_planes, z_pass, EdtFloat};

use plexus_kernels::chunk::{self, VolumeChunk};
use plexus_kernels::volume::shape::voxel_size;
use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

/// Element type of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    /// f32 (the `edt` package's default; half the memory).
    F32,
    /// f64 (scipy's output type).
    F64,
}

/// Parameters of `segment.distance_transform`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DistanceParams {
    /// Voxel size `[z, y, x]` in µm (default `[1, 1, 1]`: distances in voxels).
    pub voxel_size_um: Vec<f64>,
    /// `f32` (default) or `f64`.
    pub precision: Precision,
}

impl Default for DistanceParams {
    fn default() -> Self {
        DistanceParams { voxel_size_um: vec![1.0; 3], precision: Precision::F32 }
    }
}

impl Params for DistanceParams {
    const TABLE: &'static [Param] = &[
        Param::new("voxel_size_um", "voxel size [z, y, x] in µm (scipy's sampling); distances come out in µm").min(0.0),
        Param::new("precision", "output element type: f32 (as the edt package) or f64 (as scipy)"),
    ];
}

/// The `distance_transform` operator (see the module docs).
#[derive(Debug)]
pub struct DistanceTransform {
    precision: Precision,
    voxel_size_um: [f64; 3],
    threads: usize,
}

impl DistanceTransform {
    /// Checks the voxel size and builds the operator.
    pub fn new(params: DistanceParams, ctx: &Context) -> Result<DistanceTransform, PluginError> {
        let voxel_size_um = voxel_size("voxel_size_um", &params.voxel_size_um)?;
        Ok(DistanceTransform { precision: params.precision, voxel_size_um, threads: ctx.threads() })
    }
}

impl Operator for DistanceTransform {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let c = VolumeChunk::of(input)?;
        c.require_whole("the distance transform's z pass needs whole columns")?;
        let (mask, vs) = (c.mask(), self.voxel_size_um);
        let frame = match self.precision {
            Precision::F32 => {
                chunk::output(input, &c, c.name, distance_transform::<f32>(&mask, c.shape, vs, self.threads)?)?
            }
            Precision::F64 => {
                chunk::output(input, &c, c.name, distance_transform::<f64>(&mask, c.shape, vs, self.threads)?)?
            }
        };
        out.emit(frame.with_meta("unit", "µm"));
        Ok(())
    }
}
