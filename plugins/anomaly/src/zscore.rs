//! `zscore`: elements farther than `k` standard deviations from the mean of
//! their frame and channel.
//!
//! # Method
//!
//! Per channel, over the whole frame: `score = (x − mean) / std`, with the
//! mean and the population standard deviation (ddof = 0, `numpy.std`'s
//! default) computed in f64 in two passes; an element is an anomaly when
//! `|score| > k`. NaN is left out of the statistics and never flagged. A
//! channel whose standard deviation is 0 holds one value only and has no
//! anomalies (all scores 0). The statistics are those of the frame: a volume
//! cut into chunks is judged chunk by chunk (use `robust` for heavy-tailed
//! data, where one large outlier inflates the std and masks others).
//!
//! Reference: the standard score; e.g. NIST/SEMATECH e-Handbook of
//! Statistical Methods, §1.3.5.17 "Detection of Outliers".
//!
//! # Parameters
//!
//! `k` (default 3), `output` (`mask` | `with_input` | `events`, see
//! [`crate::common`]), `max_events` (default 100), `array` (default: first).
//! Events carry `location`, `value` and the signed `score`.

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::common::{self, docs, EventLog, Output, OutputMode};

/// Signed z-scores of interleaved data, per channel (see the module docs).
pub fn zscores(values: &[f64], channels: usize) -> Vec<f64> {
    let mut scores = vec![0.0; values.len()];
    for c in 0..channels {
        let Some((mean, std)) = common::mean_std(&common::channel_values(values, channels, c)) else { continue };
        for i in (c..values.len()).step_by(channels) {
            let x = values[i];
            scores[i] = if x.is_nan() {
                f64::NAN
            } else if std > 0.0 {
                (x - mean) / std
            } else {
                0.0
            };
        }
    }
    scores
}

/// Parameters of `zscore`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZScoreParams {
    /// Threshold in standard deviations.
    pub k: f64,
    /// What is emitted per frame.
    pub output: Output,
    /// Most anomaly events over the stream.
    pub max_events: u64,
    /// Input array name; empty: the frame's first array.
    pub array: String,
}

impl Default for ZScoreParams {
    fn default() -> Self {
        ZScoreParams { k: 3.0, output: Output::Mask, max_events: 100, array: String::new() }
    }
}

impl Params for ZScoreParams {
    const TABLE: &'static [Param] = &[
        Param::new("k", "threshold in standard deviations").min(0.0),
        Param::new("output", docs::OUTPUT),
        Param::new("max_events", docs::MAX_EVENTS),
        Param::new("array", docs::ARRAY),
    ];
}

/// The `zscore` operator.
pub struct ZScore {
    k: f64,
    output: OutputMode,
    array: String,
    log: EventLog,
}

impl ZScore {
    /// Builds the operator from `k`, `output`, `max_events` and `array`.
    pub fn new(p: ZScoreParams, _ctx: &Context) -> Result<ZScore, PluginError> {
        if !p.k.is_finite() {
            return Err(PluginError::bad_parameter("k", "a finite number >= 0", p.k.to_string()));
        }
        Ok(ZScore { k: p.k, output: p.output.into(), array: p.array, log: EventLog::new(p.max_events) })
    }
}

impl Operator for ZScore {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let (name, a) = common::pick(input, &self.array)?;
        let v = common::values(&a);
        let scores = zscores(&v, common::channels(&a));
        let (mask, findings) = common::threshold(&v, &scores, self.k);
        self.log.publish(out, &findings, a.shape(), input.key());
        common::emit_output(out, self.output, input, name, &a, mask, None)
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        self.log.finish(out);
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        Ok(Some(self.log.snapshot("zscore")))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        self.log.restore("zscore", state)
    }
}
