//! `segment.onnx`: a semantic segmentation network (image in, one logit per
//! class out) run over a chunk in tiles, blended, and reduced to labels by
//! argmax — e.g. the shipped 3-D U-Net `models/unet_segment.onnx`.

use std::path::PathBuf;

use plexus_plugin_api::{Param, Params};
use serde::{Deserialize, Serialize};

use crate::error::{check_len, OnnxError};
use crate::model::Model;
use crate::sliding::{self, Layout};

/// The shipped 3-D U-Net (`models/unet_segment.onnx`, 77 KB), built into the
/// plugin so that it travels with the artifact whose sha256 the host checks.
pub const SHIPPED_MODEL: &[u8] = include_bytes!("../models/unet_segment.onnx");

/// How the shipped model is named in messages.
pub const SHIPPED_NAME: &str = "unet_segment.onnx (shipped with the plugin)";

/// Parameters of [`segment`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OnnxSegmentParams {
    /// The `.onnx` file: one f32 input `[n, 1, (z,) y, x]`, one output
    /// `[n, classes, (z,) y, x]` of logits. Empty (the default): the shipped
    /// 3-D U-Net (3 classes).
    pub model: PathBuf,
    /// `patches` (3-D model, default) or `slices` (2-D model).
    pub layout: Layout,
    /// Tile side(s) in voxels. Default 64 (for a U-Net, a multiple of
    /// 2^levels).
    pub tile: Vec<usize>,
    /// Voxels shared by neighbouring tiles. Default 16.
    pub overlap: usize,
    /// Zero-weight voxels at inner tile edges. Default 4.
    pub margin: usize,
    /// Tiles per inference call. Default 2.
    pub batch: usize,
    /// Input multiplied by this before the model. Default 1.
    pub input_scale: f64,
}

impl Default for OnnxSegmentParams {
    fn default() -> Self {
        OnnxSegmentParams {
            model: PathBuf::new(),
            layout: Layout::Patches,
            tile: vec![64],
            overlap: 16,
            margin: 4,
            batch: 2,
            input_scale: 1.0,
        }
    }
}

impl Params for OnnxSegmentParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "model",
            "the .onnx file (f32 [n, 1, (z,) y, x] in, [n, classes, ...] logits out); empty: the shipped 3-D U-Net (3 classes); a relative path is taken from the working directory",
        ),
        Param::new("layout", "patches: a 3-D model over 3-D tiles; slices: a 2-D model over each z slice"),
        Param::new("tile", "tile side in voxels: one, or (y, x) for slices, (z, y, x) for patches (a U-Net needs multiples of 2^levels)").min(1.0),
        Param::new("overlap", "voxels shared by neighbouring tiles"),
        Param::new("margin", "zero-weight voxels at inner tile edges"),
        Param::new("batch", "tiles per inference call").min(1.0),
        Param::new("input_scale", "input multiplied by this before the model"),
    ];
}

impl OnnxSegmentParams {
    /// The halo along z a chunk needs: `margin` for `patches`, 0 for `slices`.
    pub fn halo(&self) -> usize {
        match self.layout {
            Layout::Slices => 0,
            Layout::Patches => self.margin,
        }
    }

    /// Loads the model (the shipped one when `model` is empty) with the
    /// stage's thread budget.
    pub fn load(&self, threads: usize) -> Result<Model, OnnxError> {
        if self.model.as_os_str().is_empty() {
            return Model::from_bytes(SHIPPED_MODEL, SHIPPED_NAME, threads);
        }
        Model::load(&self.model, threads)
    }
}

/// Segments a `(z, y, x)` chunk into class labels with a network.
///
/// # Arguments
/// - `model`: from [`OnnxSegmentParams::load`].
/// - `input`: `shape` values, row-major, f32.
/// - `params`: layout, tiling, batch, input scale.
/// - `labels`: same shape; the class of each voxel (0-based, < 256).
///
/// Returns the number of classes the model outputs.
///
/// # Notes
/// Tiles as [`crate::denoise::denoise`]; the per-class logits are blended
/// (weighted mean), then each voxel takes the class of the largest blended
/// logit, the lowest class on a tie (numpy's `argmax`). Blending logits
/// rather than softmax probabilities keeps the result equal to a single pass
/// where the tiles' outputs agree.
///
/// # References
/// O. Ronneberger, P. Fischer, T. Brox, "U-Net: convolutional networks for
/// biomedical image segmentation", MICCAI 2015, LNCS 9351, 234–241,
/// doi:10.1007/978-3-319-24574-4_28; Ö. Çiçek et al., "3D U-Net: learning
/// dense volumetric segmentation from sparse annotation", MICCAI 2016, LNCS
/// 9901, 424–432, doi:10.1007/978-3-319-46723-8_49.
pub fn segment(
    model: &mut Model,
    input: &[f32],
    shape: [usize; 3],
    params: &OnnxSegmentParams,
    labels: &mut [u8],
) -> Result<usize, OnnxError> {
    check_len(shape, input.len(), labels.len())?;
    let tiling = sliding::tiling(params.layout, &params.tile, params.overlap, params.margin)?;
    let (logits, classes) =
        sliding::infer(model, input, shape, params.layout, &tiling, params.batch, params.input_scale as f32)?;
    if !(2..=256).contains(&classes) {
        return Err(OnnxError::Model {
            path: model.path().to_path_buf(),
            reason: format!("a segmenter must output 2 to 256 class channels, this one outputs {classes}"),
        });
    }
    argmax(&logits, classes, labels);
    Ok(classes)
}

/// `labels[i] = argmax_c logits[c · n + i]`, the first maximum on ties.
pub fn argmax(logits: &[f32], classes: usize, labels: &mut [u8]) {
    let n = labels.len();
    labels.fill(0);
    let mut best = logits[..n].to_vec();
    for c in 1..classes {
        for ((b, l), &v) in best.iter_mut().zip(labels.iter_mut()).zip(&logits[c * n..][..n]) {
            if v > *b {
                *b = v;
                *l = c as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_maximum() {
        let logits = [0.0, 1.0, 2.0, /* class 1 */ 0.0, 3.0, 1.0, /* class 2 */ 0.5, 3.0, 2.0];
        let mut labels = [9u8; 3];
        argmax(&logits, 3, &mut labels);
        assert_eq!(labels, [2, 1, 0]);
    }
}
