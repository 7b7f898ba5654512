//! Cutting a volume into overlapping tiles and blending the tiles' outputs
//! back together, so a model too large for the whole chunk, or a chunk too
//! large for memory, runs tile by tile.
//!
//! Along each axis tiles of side `tile` start every `tile − overlap` voxels;
//! the last is moved back to end flush with the volume (so every tile has
//! the same size, and tiles can be batched). A tile's weight along an axis is
//! 0 on the `margin` voxels next to an edge it shares with another tile,
//! then rises linearly over the rest of the overlap to 1; edges on the
//! volume's border get no ramp. Weights multiply across axes, and the output
//! is the weighted sum divided by the summed weights.
//!
//! Why the dead margin: a convolutional net's output within its receptive
//! radius `r` of a tile edge sees the tile's zero padding instead of the
//! neighbouring voxels, so it differs from a single-pass run. With
//! `margin ≥ r`, every voxel's weight sits on outputs that are exact, and the
//! stitched volume equals the single-pass result (up to float rounding)
//! for a shift-equivariant net (no pooling, or tile starts on its stride);
//! the ramp then only averages equal values. For nets with a wider field it
//! hides the seams.

use crate::error::OnnxError;

/// Tile side, overlap and dead margin per axis `(z, y, x)`, in voxels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiling {
    /// Tile side (clipped to the volume).
    pub tile: [usize; 3],
    /// Voxels shared by neighbouring tiles.
    pub overlap: [usize; 3],
    /// Voxels of zero weight at each inner tile edge.
    pub margin: [usize; 3],
}

/// One tile: where it starts and its extent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// First voxel `(z, y, x)`.
    pub start: [usize; 3],
    /// Extent `(z, y, x)`.
    pub size: [usize; 3],
}

impl Tiling {
    /// Checks the tiling makes sense: `tile > overlap ≥ 2 · margin` on every
    /// axis the volume is larger than a tile.
    pub fn check(&self, shape: [usize; 3]) -> Result<(), OnnxError> {
        for (ax, &n) in shape.iter().enumerate() {
            if self.tile[ax] == 0 {
                return Err(OnnxError::param("tile", "sizes of at least 1", self.tile));
            }
            if n > self.tile[ax] {
                if self.overlap[ax] >= self.tile[ax] {
                    return Err(OnnxError::param("overlap", "less than the tile side", self.overlap));
                }
                if 2 * self.margin[ax] > self.overlap[ax] {
                    return Err(OnnxError::param("margin", "at most half the overlap", self.margin));
                }
            }
        }
        Ok(())
    }

    /// The tiles covering a `shape` volume, z slowest.
    pub fn tiles(&self, shape: [usize; 3]) -> Result<Vec<Tile>, OnnxError> {
        self.check(shape)?;
        let starts: [Vec<usize>; 3] = std::array::from_fn(|ax| starts(shape[ax], self.tile[ax], self.overlap[ax]));
        let size: [usize; 3] = std::array::from_fn(|ax| self.tile[ax].min(shape[ax]));
        let mut tiles = Vec::new();
        for &z in &starts[0] {
            for &y in &starts[1] {
                for &x in &starts[2] {
                    tiles.push(Tile { start: [z, y, x], size });
                }
            }
        }
        Ok(tiles)
    }

    /// The tile's blending weights along each axis.
    pub fn weights(&self, tile: &Tile, shape: [usize; 3]) -> [Vec<f32>; 3] {
        std::array::from_fn(|ax| {
            let (s, t) = (tile.start[ax], tile.size[ax]);
            let (m, o) = (self.margin[ax], self.overlap[ax]);
            let rise = |i: usize| -> f32 {
                let len = o.saturating_sub(2 * m);
                if i < m {
                    0.0
                } else if len == 0 {
                    1.0
                } else {
                    (((i - m) as f32 + 0.5) / len as f32).min(1.0)
                }
            };
            (0..t)
                .map(|i| {
                    let left = if s > 0 { rise(i) } else { 1.0 };
                    let right = if s + t < shape[ax] { rise(t - 1 - i) } else { 1.0 };
                    left.min(right)
                })
                .collect()
        })
    }
}

/// Tile starts along an axis of `n` voxels.
fn starts(n: usize, tile: usize, overlap: usize) -> Vec<usize> {
    if n <= tile {
        return vec![0];
    }
    let stride = tile - overlap;
    let mut v: Vec<usize> = (0..).map(|k| k * stride).take_while(|&s| s + tile < n).collect();
    v.push(n - tile);
    v
}

/// Accumulates weighted tile outputs of `channels` channels over a volume.
#[derive(Debug)]
pub struct Stitcher {
    shape: [usize; 3],
    channels: usize,
    sum: Vec<f32>,
    weight: Vec<f32>,
}

impl Stitcher {
    /// An empty accumulator for a `shape` volume of `channels` channels.
    pub fn new(shape: [usize; 3], channels: usize) -> Self {
        let n = shape.iter().product::<usize>();
        Stitcher { shape, channels, sum: vec![0.0; n * channels], weight: vec![0.0; n] }
    }

    /// Adds `data` (`channels × tile voxels`, channel slowest) for `tile`
    /// with per-axis `weights`.
    pub fn add(&mut self, tile: &Tile, weights: &[Vec<f32>; 3], data: &[f32]) {
        let [_, ny, nx] = self.shape;
        let n = self.weight.len();
        let [tz, ty, tx] = tile.size;
        let tn = tz * ty * tx;
        for z in 0..tz {
            for y in 0..ty {
                let wzy = weights[0][z] * weights[1][y];
                let dst = ((tile.start[0] + z) * ny + tile.start[1] + y) * nx + tile.start[2];
                let src = (z * ty + y) * tx;
                for (w, &wx) in self.weight[dst..dst + tx].iter_mut().zip(&weights[2]) {
                    *w += wzy * wx;
                }
                for c in 0..self.channels {
                    let d = &mut self.sum[c * n + dst..][..tx];
                    let s = &data[c * tn + src..][..tx];
                    for ((d, &s), &wx) in d.iter_mut().zip(s).zip(&weights[2]) {
                        *d += wzy * wx * s;
                    }
                }
            }
        }
    }

    /// The blended volume, `channels × voxels`, channel slowest.
    pub fn finish(mut self) -> Vec<f32> {
        let n = self.weight.len();
        for c in 0..self.channels {
            for (s, &w) in self.sum[c * n..][..n].iter_mut().zip(&self.weight) {
                *s /= w;
            }
        }
        self.sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_volume_and_the_last_is_flush() {
        assert_eq!(starts(10, 4, 1), [0, 3, 6]);
        assert_eq!(starts(11, 4, 1), [0, 3, 6, 7]);
        assert_eq!(starts(3, 4, 1), [0]);
        let t = Tiling { tile: [1, 64, 64], overlap: [0, 16, 16], margin: [0, 4, 4] };
        let tiles = t.tiles([2, 100, 64]).unwrap();
        assert_eq!(tiles.len(), 2 * 2);
        assert_eq!(tiles[1].start, [0, 36, 0]);
        assert_eq!(tiles[2].start, [1, 0, 0]);
    }

    #[test]
    fn weights_are_a_partition_of_unity_with_dead_margins() {
        let shape = [1, 1, 50];
        let t = Tiling { tile: [1, 1, 20], overlap: [0, 0, 8], margin: [0, 0, 2] };
        let mut total = vec![0.0f32; 50];
        for tile in t.tiles(shape).unwrap() {
            let w = t.weights(&tile, shape);
            let s = tile.start[2];
            if s > 0 {
                assert_eq!(&w[2][..2], &[0.0, 0.0], "dead margin at an inner edge");
            } else {
                assert_eq!(w[2][0], 1.0, "no ramp on the volume's border");
            }
            for (i, v) in w[2].iter().enumerate() {
                total[s + i] += v;
            }
        }
        // aligned overlaps sum to exactly 1; the flush last tile overlaps more
        for (i, v) in total.iter().enumerate() {
            assert!(*v > 0.0, "voxel {i} has no weight");
        }
        assert!(total[..30].iter().all(|&v| (v - 1.0).abs() < 1e-6), "{total:?}");
    }

    #[test]
    fn stitching_identical_tiles_reproduces_the_volume() {
        let shape = [3, 17, 23];
        let vol: Vec<f32> = (0..shape.iter().product::<usize>()).map(|i| (i as f32 * 0.37).sin()).collect();
        let t = Tiling { tile: [2, 8, 9], overlap: [1, 4, 5], margin: [0, 1, 2] };
        let mut st = Stitcher::new(shape, 2);
        for tile in t.tiles(shape).unwrap() {
            let mut data = Vec::new();
            for c in 0..2 {
                for z in 0..tile.size[0] {
                    for y in 0..tile.size[1] {
                        for x in 0..tile.size[2] {
                            let i = ((tile.start[0] + z) * 17 + tile.start[1] + y) * 23 + tile.start[2] + x;
                            data.push(vol[i] + c as f32);
                        }
                    }
                }
            }
            st.add(&tile, &t.weights(&tile, shape), &data);
        }
        let out = st.finish();
        let n = vol.len();
        for i in 0..n {
            assert!((out[i] - vol[i]).abs() < 1e-5 && (out[n + i] - vol[i] - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn inconsistent_tilings_are_refused() {
        let t = Tiling { tile: [1, 8, 8], overlap: [0, 8, 2], margin: [0, 1, 1] };
        assert_eq!(
            t.tiles([1, 20, 20]).unwrap_err().to_string(),
            "parameter `overlap`: expected less than the tile side, got [0, 8, 2]"
        );
        let t = Tiling { tile: [1, 8, 8], overlap: [0, 4, 4], margin: [0, 3, 1] };
        assert_eq!(
            t.tiles([1, 20, 20]).unwrap_err().to_string(),
            "parameter `margin`: expected at most half the overlap, got [0, 3, 1]"
        );
    }
}
