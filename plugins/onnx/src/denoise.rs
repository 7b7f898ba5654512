//! `denoise.onnx`: a denoising network (image in, image out) run over a
//! chunk slice by slice or patch by patch, e.g. the shipped Noise2Noise model
//! `models/n2n_denoise.onnx`.

use std::path::PathBuf;

use plexus_plugin_api::{Param, Params};
use serde::{Deserialize, Serialize};

use crate::error::{check_len, OnnxError};
use crate::model::Model;
use crate::sliding::{self, Layout};

/// The shipped Noise2Noise model (`models/n2n_denoise.onnx`, 108 KB), built
/// into the plugin so that it travels with the artifact whose sha256 the
/// host checks.
pub const SHIPPED_MODEL: &[u8] = include_bytes!("../models/n2n_denoise.onnx");

/// How the shipped model is named in messages.
pub const SHIPPED_NAME: &str = "n2n_denoise.onnx (shipped with the plugin)";

/// Parameters of [`denoise`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OnnxDenoiseParams {
    /// The `.onnx` file: one f32 input `[n, 1, (z,) y, x]`, one output of the
    /// same shape. Empty (the default): the shipped 2-D Noise2Noise model.
    pub model: PathBuf,
    /// `slices` (2-D model, default) or `patches` (3-D model).
    pub layout: Layout,
    /// Tile side(s) in voxels: one, or (y, x) for `slices`, (z, y, x) for
    /// `patches`. Default 512.
    pub tile: Vec<usize>,
    /// Voxels shared by neighbouring tiles. Default 32.
    pub overlap: usize,
    /// Zero-weight voxels at inner tile edges: the model's receptive radius
    /// makes stitching exact. Default 8 (the shipped model's radius is 7).
    pub margin: usize,
    /// Tiles per inference call. Default 4.
    pub batch: usize,
    /// Input multiplied by this before the model, output divided by it
    /// after (the shipped model expects attenuation in the units it was
    /// trained on, ~[0, 1]). Default 1.
    pub input_scale: f64,
}

impl Default for OnnxDenoiseParams {
    fn default() -> Self {
        OnnxDenoiseParams {
            model: PathBuf::new(),
            layout: Layout::Slices,
            tile: vec![512],
            overlap: 32,
            margin: 8,
            batch: 4,
            input_scale: 1.0,
        }
    }
}

impl Params for OnnxDenoiseParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "model",
            "the .onnx file (f32 [n, 1, (z,) y, x] in and out); empty: the shipped 2-D Noise2Noise model; a relative path is taken from the working directory",
        ),
        Param::new("layout", "slices: a 2-D model over each z slice; patches: a 3-D model over 3-D tiles"),
        Param::new("tile", "tile side in voxels: one, or (y, x) for slices, (z, y, x) for patches").min(1.0),
        Param::new("overlap", "voxels shared by neighbouring tiles"),
        Param::new("margin", "zero-weight voxels at inner tile edges (at least the model's receptive radius: 7 for the shipped model)"),
        Param::new("batch", "tiles per inference call").min(1.0),
        Param::new("input_scale", "input multiplied by this before the model, output divided by it after (the shipped model expects values of order 1)"),
    ];
}

impl OnnxDenoiseParams {
    /// The halo along z a chunk needs: 0 for `slices`, `margin` for
    /// `patches` (the tiles of a chunk then treat its ends as inner edges).
    pub fn halo(&self) -> usize {
        match self.layout {
            Layout::Slices => 0,
            Layout::Patches => self.margin,
        }
    }

    /// Checks the parameters that do not need the model.
    pub fn check(&self) -> Result<(), OnnxError> {
        if !(self.input_scale.is_finite() && self.input_scale != 0.0) {
            return Err(OnnxError::param("input_scale", "a finite non-zero number", self.input_scale));
        }
        Ok(())
    }

    /// Loads the model (the shipped one when `model` is empty) with the
    /// stage's thread budget.
    pub fn load(&self, threads: usize) -> Result<Model, OnnxError> {
        self.check()?;
        if self.model.as_os_str().is_empty() {
            return Model::from_bytes(SHIPPED_MODEL, SHIPPED_NAME, threads);
        }
        Model::load(&self.model, threads)
    }
}

/// Denoises a `(z, y, x)` chunk with a network, tile by tile.
///
/// # Arguments
/// - `model`: from [`OnnxDenoiseParams::load`] (its intra-op threads are the
///   stage's budget).
/// - `input`: `shape` values, row-major, f32.
/// - `params`: layout, tiling, batch, input scale.
/// - `output`: same shape as `input`.
///
/// # Notes
/// The chunk is cut into tiles ([`crate::tiling`]): for `slices`, each z
/// slice in (y, x); for `patches`, in 3-D. Batches of tiles go through the
/// model and the outputs are blended with weights that are zero within
/// `margin` of an inner tile edge and ramp linearly across the rest of the
/// overlap. For a shift-equivariant network (convolutions without pooling,
/// like the shipped model) whose receptive radius is at most `margin`, the
/// result equals one pass over the whole chunk. A chunk larger than memory
/// comes from the host in z slabs (halo [`OnnxDenoiseParams::halo`]), so
/// only a slab and its tiles are held at a time.
///
/// # References
/// J. Lehtinen et al., "Noise2Noise: learning image restoration without
/// clean data", ICML 2018, PMLR 80, 2965–2974 (the shipped model's
/// training); ONNX Runtime, <https://onnxruntime.ai> (inference).
pub fn denoise(
    model: &mut Model,
    input: &[f32],
    shape: [usize; 3],
    params: &OnnxDenoiseParams,
    output: &mut [f32],
) -> Result<(), OnnxError> {
    check_len(shape, input.len(), output.len())?;
    params.check()?;
    let tiling = sliding::tiling(params.layout, &params.tile, params.overlap, params.margin)?;
    let scale = params.input_scale as f32;
    let (out, channels) = sliding::infer(model, input, shape, params.layout, &tiling, params.batch, scale)?;
    if channels != 1 {
        return Err(OnnxError::Model {
            path: model.path().to_path_buf(),
            reason: format!("a denoiser must output 1 channel, this one outputs {channels}"),
        });
    }
    for (o, v) in output.iter_mut().zip(out) {
        *o = v / scale;
    }
    Ok(())
}
