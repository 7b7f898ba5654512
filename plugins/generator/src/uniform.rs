//! `generator.uniform`: a stack of seeded uniform random `u8` images.
//!
//! # Parameters
//!
//! - `shape` (int list, default `[256, 256]`): shape of one image, `(y, x)`
//!   or any rank.
//! - `frames` (int ≥ 1, default 1): number of images.
//! - `seed` (int ≥ 0, default 0).
//!
//! # Output
//!
//! One frame per call, array `image` of dtype `u8` and shape `[1, *shape]`
//! (the chunk axis first, see `docs/CONVENTIONS.md`), chunk key
//! `{ axis: 0, offset: i, length: 1, extent: frames }`. Every value
//! 0–255 is equally likely.
//!
//! # Notes
//!
//! Image `i` is drawn from xoshiro256** seeded from `(seed, i)` (see
//! [`crate::rng`]), eight pixels per 64-bit output, so it depends on the seed
//! and its index only. The values are not those of numpy's generators.

use plexus_plugin_api::{Array, Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::params::{self, FRAMES_DOC, SEED_DOC, SHAPE_DOC};
use crate::rng::{Stream, Xoshiro256};
use crate::source::{self, Cursor};

/// Parameters of `uniform`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct UniformParams {
    /// Shape of one image, `(y, x)`.
    pub shape: Vec<usize>,
    /// Number of images.
    pub frames: u64,
    /// Random seed; image `i` depends on the seed and `i` only.
    pub seed: u64,
}

impl Default for UniformParams {
    fn default() -> Self {
        UniformParams { shape: vec![256, 256], frames: 1, seed: 0 }
    }
}

impl Params for UniformParams {
    const TABLE: &'static [Param] = &[
        Param::new("shape", SHAPE_DOC).min(1.0),
        Param::new("frames", FRAMES_DOC).min(1.0),
        Param::new("seed", SEED_DOC),
    ];
}

/// Seeded uniform `u8` noise images.
#[derive(Debug)]
pub struct Uniform {
    shape: Vec<usize>,
    frames: u64,
    seed: u64,
    cursor: Cursor,
}

impl Uniform {
    /// Builds the operator from `shape`, `frames` and `seed`.
    pub fn new(p: UniformParams, _ctx: &Context) -> Result<Uniform, PluginError> {
        let shape = params::shape("shape", &p.shape)?;
        Ok(Uniform { shape, frames: p.frames, seed: p.seed, cursor: Cursor::new("uniform", Some(p.frames)) })
    }

    /// Image `index` as a `[1, *shape]` array.
    pub fn image(&self, index: u64) -> Array {
        let mut shape = vec![1];
        shape.extend_from_slice(&self.shape);
        let mut data = vec![0u8; shape.iter().product()];
        Xoshiro256::for_frame(self.seed, Stream::Uniform, index).fill_bytes(&mut data);
        Array::from_vec(shape, data).expect("length computed from shape")
    }
}

impl Operator for Uniform {
    fn process(&mut self, tick: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        if let Some(i) = self.cursor.take() {
            let frame =
                source::chunk_frame(source::dataset(tick, "uniform"), i, 1, self.frames, "image", self.image(i));
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

    fn op(json: &str) -> Uniform {
        Uniform::new(params::decoded(json), &Context::new(1)).unwrap()
    }

    /// Pearson's χ² over the 256 values of 256×256 pixels (255 degrees of
    /// freedom): the 99.99 % quantile of χ²(255) is about 350, so a fair
    /// generator passes with overwhelming odds; the seed is fixed, so the
    /// test is deterministic.
    #[test]
    fn values_are_uniform_over_0_to_255() {
        let image = op(r#"{"seed": 42}"#).image(0);
        assert_eq!(image.shape(), &[1, 256, 256]);
        let mut counts = [0u64; 256];
        for &v in image.as_slice::<u8>().unwrap() {
            counts[v as usize] += 1;
        }
        let expected = 256.0;
        let chi2: f64 = counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum();
        assert!(chi2 < 350.0, "chi2 = {chi2}");
        assert!(counts.iter().all(|&c| c > 0));
    }

    #[test]
    fn seed_selects_the_images() {
        let a = op(r#"{"seed": 1, "shape": [8, 8]}"#);
        let b = op(r#"{"seed": 2, "shape": [8, 8]}"#);
        assert_eq!(a.image(3).as_bytes(), op(r#"{"seed": 1, "shape": [8, 8]}"#).image(3).as_bytes());
        assert_ne!(a.image(3).as_bytes(), b.image(3).as_bytes());
        assert_ne!(a.image(3).as_bytes(), a.image(4).as_bytes());
    }
}
