//! `robust`: outliers by the modified z-score of Iglewicz and Hoaglin.
//!
//! # Method
//!
//! Per channel, over the whole frame: `M = 0.6745 · (x − median) / MAD` with
//! `MAD = median(|x − median|)` (medians as `numpy.median`: the mean of the
//! two middle values for an even count); an element is an anomaly when
//! `|M| > k` (3.5 recommended by the authors). NaN is left out and never
//! flagged. The median and MAD resist up to half the data being outliers,
//! unlike the mean and standard deviation of `zscore`.
//!
//! **MAD = 0** (more than half the values equal, common for integer images
//! with flat regions) makes `M` undefined; `zero_mad` says what to do:
//!
//! - `"meanad"` (default): fall back to the mean absolute deviation around
//!   the median, `M = (x − median) / (1.253314 · MeanAD)` (1.253314 ≈ √(π/2)
//!   makes MeanAD consistent with σ for normal data, as 1/0.6745 does for the
//!   MAD; the convention of IBM SPSS's modified z-score). If MeanAD is also 0
//!   every value equals the median and nothing is flagged.
//! - `"skip"`: flag nothing in that channel.
//!
//! Reference: B. Iglewicz and D. C. Hoaglin, "How to Detect and Handle
//! Outliers", ASQC Basic References in Quality Control vol. 16, 1993.
//!
//! # Parameters
//!
//! `k` (default 3.5), `zero_mad`, `output` (`mask` | `with_input` |
//! `events`), `max_events` (default 100), `array`. Events carry `location`,
//! `value` and the signed `score` M.

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::common::{self, docs, EventLog, Output, OutputMode};

/// What to do when a channel's MAD is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZeroMad {
    /// Use `1.253314 · MeanAD` as the scale.
    #[default]
    #[serde(rename = "meanad")]
    MeanAd,
    /// Flag nothing.
    Skip,
}

/// Per-channel `(median, MAD)` of interleaved data, NaN left out; `None`
/// for a channel without values.
pub fn median_mad(values: &[f64], channels: usize) -> Vec<Option<(f64, f64)>> {
    (0..channels)
        .map(|c| {
            let mut v = common::channel_values(values, channels, c);
            let med = common::median(&mut v)?;
            let mut dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
            Some((med, common::median(&mut dev)?))
        })
        .collect()
}

/// Signed modified z-scores of interleaved data, per channel.
pub fn modified_zscores(values: &[f64], channels: usize, zero_mad: ZeroMad) -> Vec<f64> {
    let mut scores = vec![0.0; values.len()];
    for (c, stats) in median_mad(values, channels).into_iter().enumerate() {
        let Some((med, mad)) = stats else { continue };
        let idx = (c..values.len()).step_by(channels);
        let scale = if mad > 0.0 {
            mad / 0.6745
        } else {
            match zero_mad {
                ZeroMad::Skip => 0.0,
                ZeroMad::MeanAd => {
                    let v = common::channel_values(values, channels, c);
                    let mean_ad = v.iter().map(|x| (x - med).abs()).sum::<f64>() / v.len() as f64;
                    1.253314 * mean_ad
                }
            }
        };
        for i in idx {
            let x = values[i];
            scores[i] = if x.is_nan() {
                f64::NAN
            } else if scale > 0.0 {
                if mad > 0.0 {
                    0.6745 * (x - med) / mad
                } else {
                    (x - med) / scale
                }
            } else {
                0.0
            };
        }
    }
    scores
}

/// Parameters of `robust`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RobustParams {
    /// Threshold on the modified z-score.
    pub k: f64,
    /// The scale when the MAD is 0.
    pub zero_mad: ZeroMad,
    /// What is emitted per frame.
    pub output: Output,
    /// Most anomaly events over the stream.
    pub max_events: u64,
    /// Input array name; empty: the frame's first array.
    pub array: String,
}

impl Default for RobustParams {
    fn default() -> Self {
        RobustParams { k: 3.5, zero_mad: ZeroMad::MeanAd, output: Output::Mask, max_events: 100, array: String::new() }
    }
}

impl Params for RobustParams {
    const TABLE: &'static [Param] = &[
        Param::new("k", "threshold on |modified z-score|").min(0.0),
        Param::new("zero_mad", "when MAD = 0: meanad: scale 1.253314 * mean absolute deviation; skip: flag nothing"),
        Param::new("output", docs::OUTPUT),
        Param::new("max_events", docs::MAX_EVENTS),
        Param::new("array", docs::ARRAY),
    ];
}

/// The `robust` operator.
pub struct Robust {
    k: f64,
    zero_mad: ZeroMad,
    output: OutputMode,
    array: String,
    log: EventLog,
}

impl Robust {
    /// Builds the operator from `k`, `zero_mad`, `output`, `max_events` and `array`.
    pub fn new(p: RobustParams, _ctx: &Context) -> Result<Robust, PluginError> {
        if !p.k.is_finite() {
            return Err(PluginError::bad_parameter("k", "a finite number >= 0", p.k.to_string()));
        }
        Ok(Robust {
            k: p.k,
            zero_mad: p.zero_mad,
            output: p.output.into(),
            array: p.array,
            log: EventLog::new(p.max_events),
        })
    }
}

impl Operator for Robust {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let (name, a) = common::pick(input, &self.array)?;
        let v = common::values(&a);
        let scores = modified_zscores(&v, common::channels(&a), self.zero_mad);
        let (mask, findings) = common::threshold(&v, &scores, self.k);
        self.log.publish(out, &findings, a.shape(), input.key());
        common::emit_output(out, self.output, input, name, &a, mask, None)
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        self.log.finish(out);
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        Ok(Some(self.log.snapshot("robust")))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        self.log.restore("robust", state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_mad_is_handled_explicitly() {
        // 5 of 7 values equal: MAD = 0.
        let v = [10.0, 10.0, 10.0, 10.0, 10.0, 11.0, 40.0];
        let s = modified_zscores(&v, 1, ZeroMad::MeanAd);
        let mean_ad = 31.0 / 7.0;
        assert_eq!(s[6], 30.0 / (1.253314 * mean_ad));
        assert_eq!(s[0], 0.0);
        assert_eq!(modified_zscores(&v, 1, ZeroMad::Skip), vec![0.0; 7]);
        assert_eq!(modified_zscores(&[3.0; 4], 1, ZeroMad::MeanAd), vec![0.0; 4]);
    }
}
