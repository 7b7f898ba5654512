//! `generator.blobs`: a porous medium of blob-shaped pores with a target
//! porosity, as PoreSpy's `generators.blobs`.
//!
//! # Parameters
//!
//! - `shape` (int list of 2 or 3 sizes, default `[64, 64, 64]`): `(z, y, x)`
//!   or `(y, x)`; a 2-D shape gives a volume of depth 1.
//! - `porosity` (float in [0, 1], default 0.5): fraction of pore voxels.
//! - `blobiness` (float > 0, default 1.0): larger gives smaller, more
//!   numerous blobs.
//! - `seed` (int ≥ 0, default 0).
//! - `chunk` (int ≥ 1, default 16): slices per emitted frame.
//! - `noise_std` (float ≥ 0, default 0): 0 gives the mask; above 0 a
//!   scan-like grey volume, the mask plus Gaussian noise of this standard
//!   deviation (f32), for denoise → segment pipelines to recover.
//!
//! # Output
//!
//! Frames of array `volume`, `u8`, shape `[length, y, x]`, axes `z y x`,
//! 1 for pore and 0 for solid (PoreSpy's `True` is pore), chunk keys
//! `{ axis: 0, offset, length, extent: depth }`. With `noise_std > 0` the
//! array is `f32`: `mask + noise_std · n`, `n` standard normal (Box–Muller),
//! slice `z` drawn from the `blobs` stream's frame `depth + z`, so the noise
//! is independent of the field and of the chunking.
//!
//! # Method
//!
//! As PoreSpy: uniform noise in `[0, 1)` (seeded, slice `z` from its own
//! generator, see [`crate::rng`]) is smoothed with a Gaussian filter of
//! `σ = mean(shape) / (40 · blobiness)` voxels on every axis — separable,
//! correlation with normalised weights `exp(−x²/2σ²)` truncated at
//! `4σ` (radius `⌊4σ + 0.5⌋`), scipy's `reflect` boundary — then
//! thresholded at its `porosity` quantile. PoreSpy maps the smoothed field
//! to a uniform distribution by rank first (`norm_to_uniform`) and keeps
//! `field < porosity`, which selects the same voxels; here the
//! `round(porosity · N)` smallest values are pores, so the porosity equals
//! the target to within `1/(2N)`.
//!
//! The whole volume is computed on the first call (the filter needs every
//! slice), held as `u8`, and emitted chunk by chunk; working memory is
//! 8 bytes per voxel during that first call.
//!
//! # References
//!
//! J. T. Gostick *et al.*, "PoreSpy: a Python toolkit for quantitative
//! analysis of porous media images," *J. Open Source Softw.*, vol. 4,
//! no. 37, p. 1296, 2019. DOI: 10.21105/joss.01296
//! (`porespy.generators.blobs`).

use plexus_plugin_api::{Array, Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::params;
use crate::rng::{Stream, Xoshiro256};
use crate::source::{self, Cursor};

/// Normalised 1-D Gaussian weights for offsets `−r..=r`, `r = ⌊4σ + 0.5⌋`,
/// as scipy's `_gaussian_kernel1d`.
pub fn gaussian_weights(sigma: f64) -> Vec<f64> {
    let r = (4.0 * sigma + 0.5) as i64;
    let w: Vec<f64> = (-r..=r).map(|x| (-0.5 / (sigma * sigma) * (x * x) as f64).exp()).collect();
    let sum: f64 = w.iter().sum();
    w.into_iter().map(|v| v / sum).collect()
}

/// Index `i` mirrored into `0..n` with scipy's `reflect` rule
/// (`d c b a | a b c d | d c b a`), repeated for offsets beyond one period.
fn reflect(i: i64, n: usize) -> usize {
    let n = n as i64;
    let m = i.rem_euclid(2 * n);
    (if m >= n { 2 * n - 1 - m } else { m }) as usize
}

/// Correlates `data` (row-major `shape`) with `weights` along every axis,
/// in place, axis 0 first, as `scipy.ndimage.gaussian_filter`.
pub fn gaussian_filter(data: &mut [f64], shape: &[usize], weights: &[f64]) {
    let r = (weights.len() / 2) as i64;
    let mut line = Vec::new();
    for axis in 0..shape.len() {
        let n = shape[axis];
        let inner: usize = shape[axis + 1..].iter().product();
        let outer: usize = shape[..axis].iter().product();
        for o in 0..outer {
            for i in 0..inner {
                let base = o * n * inner + i;
                line.clear();
                line.extend((0..n).map(|k| data[base + k * inner]));
                for k in 0..n {
                    let mut acc = 0.0;
                    for (j, w) in weights.iter().enumerate() {
                        acc += w * line[reflect(k as i64 + j as i64 - r, n)];
                    }
                    data[base + k * inner] = acc;
                }
            }
        }
    }
}

/// The porous volume source.
#[derive(Debug)]
pub struct Blobs {
    shape: [usize; 3],
    porosity: f64,
    sigma: f64,
    seed: u64,
    chunk: usize,
    noise_std: f64,
    cursor: Cursor,
    volume: Option<Vec<u8>>,
}

/// Parameters of `blobs`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlobsParams {
    /// `(z, y, x)` or `(y, x)`.
    pub shape: Vec<usize>,
    /// Fraction of pore voxels.
    pub porosity: f64,
    /// Larger: smaller, more numerous blobs.
    pub blobiness: f64,
    /// Random seed.
    pub seed: u64,
    /// Slices per emitted frame.
    pub chunk: usize,
    /// Standard deviation of the Gaussian noise added to the mask (0: none,
    /// u8 out; above 0: f32 out).
    pub noise_std: f64,
}

impl Default for BlobsParams {
    fn default() -> Self {
        BlobsParams { shape: vec![64, 64, 64], porosity: 0.5, blobiness: 1.0, seed: 0, chunk: 16, noise_std: 0.0 }
    }
}

impl Params for BlobsParams {
    const TABLE: &'static [Param] = &[
        Param::new("shape", "(z, y, x) or (y, x)").min(1.0),
        Param::new("porosity", "fraction of pore voxels").min(0.0).max(1.0),
        Param::new("blobiness", "larger: smaller, more numerous blobs; sigma = mean(shape) / (40 blobiness)")
            .min(0.001),
        Param::new("seed", "random seed"),
        Param::new("chunk", "slices per emitted frame").min(1.0),
        Param::new("noise_std", "0: the u8 mask; above 0: f32 mask plus Gaussian noise of this standard deviation")
            .min(0.0),
    ];
}

impl Blobs {
    /// Builds the operator from `shape`, `porosity`, `blobiness`, `seed`, `chunk`.
    pub fn new(p: BlobsParams, _ctx: &Context) -> Result<Blobs, PluginError> {
        let dims = params::shape("shape", &p.shape)?;
        let shape = match dims[..] {
            [y, x] => [1, y, x],
            [z, y, x] => [z, y, x],
            _ => return Err(PluginError::bad_parameter("shape", "2 or 3 sizes", format!("{}", dims.len()))),
        };
        let porosity = params::finite("porosity", p.porosity)?;
        let blobiness = params::finite("blobiness", p.blobiness)?;
        let sigma = dims.iter().sum::<usize>() as f64 / dims.len() as f64 / (40.0 * blobiness);
        let noise_std = params::finite("noise_std", p.noise_std)?;
        let (seed, chunk) = (p.seed, p.chunk);
        let chunks = shape[0].div_ceil(chunk) as u64;
        let cursor = Cursor::new("blobs", Some(chunks));
        Ok(Blobs { shape, porosity, sigma, seed, chunk, noise_std, cursor, volume: None })
    }

    /// The whole volume, `1` for pore, row-major `(z, y, x)`.
    pub fn volume(&self) -> Vec<u8> {
        let [nz, ny, nx] = self.shape;
        let plane = ny * nx;
        let mut field = vec![0f64; nz * plane];
        for (z, slice) in field.chunks_mut(plane).enumerate() {
            let mut rng = Xoshiro256::for_frame(self.seed, Stream::Blobs, z as u64);
            slice.iter_mut().for_each(|v| *v = rng.next_f64());
        }
        gaussian_filter(&mut field, &self.shape, &gaussian_weights(self.sigma));
        let n = field.len();
        let pores = ((self.porosity * n as f64).round() as usize).min(n);
        if pores == 0 {
            return vec![0; n];
        }
        if pores == n {
            return vec![1; n];
        }
        // The `pores`-th smallest value is the first that is not a pore.
        let mut sorted = field.clone();
        let (_, &mut threshold, _) = sorted.select_nth_unstable_by(pores, f64::total_cmp);
        field.iter().map(|&v| u8::from(v < threshold)).collect()
    }
}

impl Blobs {
    /// `mask + noise_std · n` for the slices of `slab` from `z0` on, slice
    /// `z`'s deviates from frame `depth + z` of the blobs stream.
    fn noisy(&self, slab: &[u8], z0: usize) -> Vec<f32> {
        let plane = self.shape[1] * self.shape[2];
        let mut n = vec![0f64; plane];
        let mut out = Vec::with_capacity(slab.len());
        for (dz, slice) in slab.chunks(plane).enumerate() {
            let frame = (self.shape[0] + z0 + dz) as u64;
            Xoshiro256::for_frame(self.seed, Stream::Blobs, frame).fill_normal(&mut n);
            out.extend(slice.iter().zip(&n).map(|(&m, &d)| (m as f64 + self.noise_std * d) as f32));
        }
        out
    }
}

impl Operator for Blobs {
    fn process(&mut self, tick: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        if let Some(i) = self.cursor.take() {
            if self.volume.is_none() {
                self.volume = Some(self.volume());
            }
            let [nz, ny, nx] = self.shape;
            let z0 = i as usize * self.chunk;
            let length = self.chunk.min(nz - z0);
            let volume = self.volume.as_ref().expect("computed above");
            let slab = &volume[z0 * ny * nx..(z0 + length) * ny * nx];
            let array = if self.noise_std > 0.0 {
                Array::from_vec(vec![length, ny, nx], self.noisy(slab, z0))?
            } else {
                Array::from_vec(vec![length, ny, nx], slab.to_vec())?
            };
            let array = array.with_axes("z y x")?;
            out.emit(source::chunk_frame(
                source::dataset(tick, "blobs"),
                z0 as u64,
                length as u64,
                nz as u64,
                "volume",
                array,
            ));
        }
        if self.cursor.done() {
            out.end_stream();
            self.volume = None;
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        Ok(Some(self.cursor.snapshot()))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        self.cursor.restore(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_mirrors_with_edge_repeated() {
        let got: Vec<usize> = (-4..8).map(|i| reflect(i, 4)).collect();
        assert_eq!(got, [3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0]);
    }

    #[test]
    fn weights_are_normalised_and_truncated_at_4_sigma() {
        let w = gaussian_weights(1.5);
        assert_eq!(w.len(), 2 * 6 + 1);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn bad_parameters_are_named() {
        let err = |json: &str| params::refusal("blobs", json);
        assert_eq!(err(r#"{"porosity": 1.5}"#), "parameter `porosity`: expected at most 1, got 1.5");
        assert_eq!(err(r#"{"blobiness": 0}"#), "parameter `blobiness`: expected at least 0.001, got 0");
        assert_eq!(err(r#"{"shape": [4]}"#), "parameter `shape`: expected 2 or 3 sizes, got 1");
        assert_eq!(err(r#"{"noise_std": -1}"#), "parameter `noise_std`: expected at least 0, got -1");
    }

    #[test]
    fn noise_is_gaussian_of_the_stated_std_and_independent_of_chunking() {
        let p = BlobsParams { shape: vec![20, 32, 32], noise_std: 0.3, ..Default::default() };
        let b = Blobs::new(p, &Context::new(1)).unwrap();
        let mask = b.volume();
        let whole = b.noisy(&mask, 0);
        let plane = 32 * 32;
        let cut: Vec<f32> = [0, 7, 14]
            .iter()
            .flat_map(|&z0: &usize| {
                let z1 = (z0 + 7).min(20);
                b.noisy(&mask[z0 * plane..z1 * plane], z0)
            })
            .collect();
        assert_eq!(whole, cut);
        // 20,480 deviates: the sample mean is within 4 standard errors
        // (0.3 / 143 = 0.0021) of 0, the std within 2 % of 0.3.
        let d: Vec<f64> = whole.iter().zip(&mask).map(|(&v, &m)| v as f64 - m as f64).collect();
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        let std = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / d.len() as f64).sqrt();
        assert!(mean.abs() < 4.0 * 0.3 / (d.len() as f64).sqrt(), "{mean}");
        assert!((std / 0.3 - 1.0).abs() < 0.02, "{std}");
    }
}
