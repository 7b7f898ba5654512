//! `generator.stream`: a real-time stream of small frames at a fixed rate,
//! for live pipelines, back-pressure and hot-reload tests.
//!
//! # Parameters
//!
//! - `rate_hz` (float ≥ 0, default 0): frames per second; 0 emits as fast as
//!   the pipeline takes them.
//! - `count` (int ≥ 0, default 0): number of frames; 0 streams until the
//!   host stops the pipeline.
//! - `shape` (int list, default `[1]`): shape of one frame's image.
//! - `content` (`"counter"` | `"uniform"`, default `"counter"`):
//!   `counter` sets every element of frame `i` to `i`; `uniform` draws
//!   seeded uniform values in `[0, 1)`.
//! - `seed` (int ≥ 0, default 0): for `content = "uniform"`.
//!
//! # Output
//!
//! One frame per call, array `image` of dtype `f64` and shape `[1, *shape]`
//! (with the default shape: `[1, 1]`, whose value is the frame index),
//! chunk key `{ axis: 0, offset: i, length: 1, extent: count }` (`extent`
//! 0 for an unbounded stream).
//!
//! # Pacing
//!
//! Frame `i` is released at `start + i / rate_hz`, a deadline on a monotonic
//! clock, not after a fixed `sleep(1 / rate_hz)`: time spent downstream does
//! not accumulate, so the average rate does not drift. A consumer that falls
//! behind receives the late frames at once until it is back on schedule.
//! After a hot reload the clock is re-anchored so that frame `i` of the new
//! instance is due `i / rate_hz` after the original start would have been,
//! measured from the reload.

use std::time::{Duration, Instant};

use plexus_plugin_api::{Array, Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::params;
use crate::rng::{Stream as RngStream, Xoshiro256};
use crate::source::{self, Cursor};

/// Parameters of `stream`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamParams {
    /// Frames per second on a deadline clock; 0: as fast as possible.
    pub rate_hz: f64,
    /// Number of frames; 0: until stopped.
    pub count: u64,
    /// Shape of one frame's image.
    pub shape: Vec<usize>,
    /// What each frame holds.
    pub content: Content,
    /// Random seed for `content = uniform`.
    pub seed: u64,
}

impl Default for StreamParams {
    fn default() -> Self {
        StreamParams { rate_hz: 0.0, count: 0, shape: vec![1], content: Content::Counter, seed: 0 }
    }
}

impl Params for StreamParams {
    const TABLE: &'static [Param] = &[
        Param::new("rate_hz", "frames per second on a deadline clock; 0: as fast as possible").min(0.0),
        Param::new("count", "number of frames; 0: until stopped"),
        Param::new("shape", "shape of one frame's image").min(1.0),
        Param::new("content", "counter: every element equals the frame index; uniform: seeded values in [0, 1)"),
        Param::new("seed", "random seed for content = uniform"),
    ];
}

/// What each frame holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Content {
    /// Every element equals the frame index.
    Counter,
    /// Seeded uniform values in `[0, 1)`.
    Uniform,
}

/// A paced stream of frames.
#[derive(Debug)]
pub struct Stream {
    period: Option<Duration>,
    count: u64,
    shape: Vec<usize>,
    content: Content,
    seed: u64,
    cursor: Cursor,
    start: Option<Instant>,
}

impl Stream {
    /// Builds the operator from `rate_hz`, `count`, `shape`, `content`, `seed`.
    pub fn new(p: StreamParams, _ctx: &Context) -> Result<Stream, PluginError> {
        let rate = params::finite("rate_hz", p.rate_hz)?;
        let period = if rate > 0.0 {
            Some(Duration::try_from_secs_f64(1.0 / rate).map_err(|_| {
                PluginError::bad_parameter("rate_hz", "a rate whose period fits a duration", rate.to_string())
            })?)
        } else {
            None
        };
        let (count, content, seed) = (p.count, p.content, p.seed);
        let shape = params::shape("shape", &p.shape)?;
        let total = (count > 0).then_some(count);
        Ok(Stream { period, count, shape, content, seed, cursor: Cursor::new("stream", total), start: None })
    }

    /// Frame `index`'s image, `[1, *shape]` of `f64`.
    pub fn image(&self, index: u64) -> Array {
        let mut shape = vec![1];
        shape.extend_from_slice(&self.shape);
        let n = shape.iter().product();
        let data = match self.content {
            Content::Counter => vec![index as f64; n],
            Content::Uniform => {
                let mut rng = Xoshiro256::for_frame(self.seed, RngStream::Live, index);
                (0..n).map(|_| rng.next_f64()).collect()
            }
        };
        Array::from_vec(shape, data).expect("length computed from shape")
    }

    /// Sleeps until frame `index` is due.
    fn wait_for(&mut self, index: u64) {
        let Some(period) = self.period else { return };
        let now = Instant::now();
        // Anchored on the first frame this instance emits, as if frame 0 had
        // been emitted `index` periods earlier (frame 0 itself, or a reload).
        let start = *self.start.get_or_insert_with(|| now.checked_sub(period.mul_f64(index as f64)).unwrap_or(now));
        let due = start + period.mul_f64(index as f64);
        if due > now {
            std::thread::sleep(due - now);
        }
    }
}

impl Operator for Stream {
    fn process(&mut self, tick: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        if let Some(i) = self.cursor.take() {
            self.wait_for(i);
            let frame = source::chunk_frame(source::dataset(tick, "stream"), i, 1, self.count, "image", self.image(i));
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
        self.cursor.restore(state)?;
        self.start = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(json: &str) -> Stream {
        Stream::new(params::decoded(json), &Context::new(1)).unwrap()
    }

    #[test]
    fn counter_frames_hold_their_index() {
        let s = op("{}");
        let a = s.image(41);
        assert_eq!(a.shape(), &[1, 1]);
        assert_eq!(a.as_slice::<f64>().unwrap(), &[41.0]);
        assert!(op(r#"{"shape": [2, 3]}"#).image(5).as_slice::<f64>().unwrap().iter().all(|&v| v == 5.0));
    }

    #[test]
    fn uniform_content_lies_in_unit_interval() {
        let a = op(r#"{"content": "uniform", "shape": [1000]}"#).image(0);
        let v = a.as_slice::<f64>().unwrap();
        assert!(v.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = v.iter().sum::<f64>() / 1000.0;
        // Standard error of the mean of U(0,1): 1/√(12·1000) ≈ 0.009.
        assert!((mean - 0.5).abs() < 0.05, "mean = {mean}");
    }

    #[test]
    fn bad_options_are_named() {
        assert_eq!(
            params::refusal("stream", r#"{"content": "ramp"}"#),
            "parameter `content`: expected one of counter, uniform, got `ramp`"
        );
        assert_eq!(params::refusal("stream", r#"{"rate_hz": -2}"#), "parameter `rate_hz`: expected at least 0, got -2");
    }
}
