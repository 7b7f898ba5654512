//! Sliding-window inference: tiles of a chunk gathered into batches, run
//! through the model, and blended back ([`crate::tiling`]).

use serde::{Deserialize, Serialize};

use crate::error::OnnxError;
use crate::model::Model;
use crate::tiling::{Stitcher, Tiling};

/// What the model takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// A 2-D model, input `[n, 1, y, x]`: each z slice is tiled in (y, x).
    #[default]
    Slices,
    /// A 3-D model, input `[n, 1, z, y, x]`: the chunk is tiled in 3-D.
    Patches,
}

/// Tile sides and overlap as a pipeline gives them, resolved per axis.
pub(crate) fn tiling(layout: Layout, tile: &[usize], overlap: usize, margin: usize) -> Result<Tiling, OnnxError> {
    let t = match (layout, tile) {
        (Layout::Slices, [s]) => [1, *s, *s],
        (Layout::Slices, [y, x]) => [1, *y, *x],
        (Layout::Patches, [s]) => [*s; 3],
        (Layout::Patches, [z, y, x]) => [*z, *y, *x],
        (Layout::Slices, _) => return Err(OnnxError::param("tile", "one side or two (y, x) for `slices`", tile)),
        (Layout::Patches, _) => {
            return Err(OnnxError::param("tile", "one side or three (z, y, x) for `patches`", tile))
        }
    };
    let (o, m) = match layout {
        Layout::Slices => ([0, overlap, overlap], [0, margin, margin]),
        Layout::Patches => ([overlap; 3], [margin; 3]),
    };
    Ok(Tiling { tile: t, overlap: o, margin: m })
}

/// Runs `model` over the `shape` chunk `input` tile by tile, `batch` tiles
/// per call, each input voxel multiplied by `scale`; returns the blended
/// output (`channels × voxels`, channel slowest) and the channel count.
pub(crate) fn infer(
    model: &mut Model,
    input: &[f32],
    shape: [usize; 3],
    layout: Layout,
    tiling: &Tiling,
    batch: usize,
    scale: f32,
) -> Result<(Vec<f32>, usize), OnnxError> {
    if batch == 0 {
        return Err(OnnxError::param("batch", "at least 1", batch));
    }
    let tiles = tiling.tiles(shape)?;
    let [_, ny, nx] = shape;
    let size = tiles[0].size;
    let tn = size.iter().product::<usize>();
    let mut stitcher: Option<Stitcher> = None;
    let mut channels = 0;
    let (mut buf, mut out) = (Vec::with_capacity(batch * tn), Vec::new());
    for group in tiles.chunks(batch) {
        buf.clear();
        for tile in group {
            for z in 0..size[0] {
                for y in 0..size[1] {
                    let src = ((tile.start[0] + z) * ny + tile.start[1] + y) * nx + tile.start[2];
                    buf.extend(input[src..src + size[2]].iter().map(|v| v * scale));
                }
            }
        }
        let mut tensor = vec![group.len(), 1];
        match layout {
            Layout::Slices => tensor.extend([size[1], size[2]]),
            Layout::Patches => tensor.extend(size),
        }
        let got = model.run(&buf, &tensor, &mut out)?;
        let ok = got.len() == tensor.len()
            && got[0] == group.len()
            && got[1] >= 1
            && got[2..] == tensor[2..]
            && (channels == 0 || got[1] == channels);
        if !ok {
            return Err(OnnxError::OutputShape {
                path: model.path().to_path_buf(),
                input: tensor,
                got,
                expected: "[n, channels, same spatial extent as the input]",
            });
        }
        channels = got[1];
        let st = stitcher.get_or_insert_with(|| Stitcher::new(shape, channels));
        for (b, tile) in group.iter().enumerate() {
            st.add(tile, &tiling.weights(tile, shape), &out[b * channels * tn..][..channels * tn]);
        }
    }
    Ok((stitcher.expect("at least one tile").finish(), channels))
}
