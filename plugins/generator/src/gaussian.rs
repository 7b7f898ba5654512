//! `generator.gaussian`: a stack of seeded Gaussian noise images.
//!
//! # Parameters
//!
//! - `shape` (int list, default `[256, 256]`): shape of one image.
//! - `frames` (int ≥ 1, default 1): number of images.
//! - `mean` (float, default 0.0) and `sigma` (float ≥ 0, default 1.0): the
//!   distribution N(mean, sigma²).
//! - `seed` (int ≥ 0, default 0).
//!
//! # Output
//!
//! One frame per call, array `image` of dtype `f32` and shape `[1, *shape]`,
//! chunk key `{ axis: 0, offset: i, length: 1, extent: frames }`.
//!
//! # Notes
//!
//! Standard normals are drawn by the Box–Muller transform from xoshiro256**
//! seeded from `(seed, i)` (see [`crate::rng`]), scaled in `f64` as
//! `mean + sigma·z` and rounded once to `f32`. Image `i` depends on the seed
//! and its index only. The values are not those of numpy's generators.
//!
//! # References
//!
//! G. E. P. Box and M. E. Muller, "A note on the generation of random normal
//! deviates," *Ann. Math. Statist.*, vol. 29, no. 2, pp. 610–611, 1958.

use plexus_plugin_api::{Array, Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::params::{self, FRAMES_DOC, SEED_DOC, SHAPE_DOC};
use crate::rng::{Stream, Xoshiro256};
use crate::source::{self, Cursor};

/// Parameters of `gaussian`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GaussianParams {
    /// Shape of one image, `(y, x)`.
    pub shape: Vec<usize>,
    /// Number of images.
    pub frames: u64,
    /// Mean of the distribution.
    pub mean: f64,
    /// Standard deviation of the distribution.
    pub sigma: f64,
    /// Random seed; image `i` depends on the seed and `i` only.
    pub seed: u64,
}

impl Default for GaussianParams {
    fn default() -> Self {
        GaussianParams { shape: vec![256, 256], frames: 1, mean: 0.0, sigma: 1.0, seed: 0 }
    }
}

impl Params for GaussianParams {
    const TABLE: &'static [Param] = &[
        Param::new("shape", SHAPE_DOC).min(1.0),
        Param::new("frames", FRAMES_DOC).min(1.0),
        Param::new("mean", "mean of the distribution"),
        Param::new("sigma", "standard deviation of the distribution").min(0.0),
        Param::new("seed", SEED_DOC),
    ];
}

/// Seeded Gaussian `f32` noise images.
#[derive(Debug)]
pub struct Gaussian {
    shape: Vec<usize>,
    frames: u64,
    mean: f64,
    sigma: f64,
    seed: u64,
    cursor: Cursor,
}

impl Gaussian {
    /// Builds the operator from `shape`, `frames`, `mean`, `sigma` and `seed`.
    pub fn new(p: GaussianParams, _ctx: &Context) -> Result<Gaussian, PluginError> {
        let shape = params::shape("shape", &p.shape)?;
        let mean = params::finite("mean", p.mean)?;
        let sigma = params::finite("sigma", p.sigma)?;
        Ok(Gaussian {
            shape,
            frames: p.frames,
            mean,
            sigma,
            seed: p.seed,
            cursor: Cursor::new("gaussian", Some(p.frames)),
        })
    }

    /// Image `index` as a `[1, *shape]` array.
    pub fn image(&self, index: u64) -> Array {
        let mut shape = vec![1];
        shape.extend_from_slice(&self.shape);
        let mut z = vec![0f64; shape.iter().product()];
        Xoshiro256::for_frame(self.seed, Stream::Gaussian, index).fill_normal(&mut z);
        let data: Vec<f32> = z.iter().map(|&z| (self.mean + self.sigma * z) as f32).collect();
        Array::from_vec(shape, data).expect("length computed from shape")
    }
}

impl Operator for Gaussian {
    fn process(&mut self, tick: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        if let Some(i) = self.cursor.take() {
            let frame =
                source::chunk_frame(source::dataset(tick, "gaussian"), i, 1, self.frames, "image", self.image(i));
            out.emit(frame);
        }
        if self.cursor.done() {
            out.end_stream();
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

    fn op(json: &str) -> Gaussian {
        Gaussian::new(params::decoded(json), &Context::new(1)).unwrap()
    }

    /// Sample mean and standard deviation of 65 536 draws: the standard
    /// error of the mean is σ/√n = 2/256 ≈ 0.0078 and that of the standard
    /// deviation σ/√(2n) ≈ 0.0055; the bounds are 5 standard errors.
    #[test]
    fn moments_match_mean_and_sigma() {
        let image = op(r#"{"mean": 10.0, "sigma": 2.0, "seed": 7}"#).image(0);
        let v = image.to_f64_vec();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        assert!((mean - 10.0).abs() < 5.0 * 2.0 / n.sqrt(), "mean = {mean}");
        assert!((std - 2.0).abs() < 5.0 * 2.0 / (2.0 * n).sqrt(), "std = {std}");
    }

    /// Kolmogorov–Smirnov distance of 65 536 standard normals to Φ; the
    /// 0.1 % critical value is 1.95/√n ≈ 0.0076.
    #[test]
    fn distribution_is_normal() {
        let mut v = op(r#"{"seed": 3}"#).image(0).to_f64_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len() as f64;
        let d = v
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = normal_cdf(x);
                (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
            })
            .fold(0.0, f64::max);
        assert!(d < 1.95 / n.sqrt(), "KS distance {d}");
    }

    /// Φ(x) = erfc(−x/√2)/2; the erfc approximation's error (< 1.2e-7) is
    /// far below the KS bound.
    fn normal_cdf(x: f64) -> f64 {
        0.5 * erfc(-x / std::f64::consts::SQRT_2)
    }

    /// erfc by the Chebyshev fit `erfcc` of Press et al., *Numerical Recipes*,
    /// 2nd ed., §6.2 (fractional error < 1.2e-7 everywhere).
    fn erfc(x: f64) -> f64 {
        let z = x.abs();
        let t = 1.0 / (1.0 + 0.5 * z);
        let r = t
            * (-z * z - 1.26551223
                + t * (1.00002368
                    + t * (0.37409196
                        + t * (0.09678418
                            + t * (-0.18628806
                                + t * (0.27886807
                                    + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
                .exp();
        if x >= 0.0 {
            r
        } else {
            2.0 - r
        }
    }

    #[test]
    fn negative_sigma_is_refused() {
        assert_eq!(params::refusal("gaussian", r#"{"sigma": -1}"#), "parameter `sigma`: expected at least 0, got -1");
    }
}
