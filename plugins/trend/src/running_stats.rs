//! `trend.running_stats`: count, min, max, mean, standard deviation and
//! variance of a whole stream, merged across chunks.
//!
//! # Parameters
//!
//! - `ddof` (int ≥ 0, default 0): delta degrees of freedom; `std` is
//!   `√(M2 / (n − ddof))`. 0 is the population value (`numpy.std`'s
//!   default), 1 the sample value.
//! - `nan_policy` (`"propagate"` | `"omit"` | `"raise"`, default
//!   `"propagate"`): see [`NanPolicy`].
//!
//! # Input and output
//!
//! Reads the first array of every frame, any dtype and shape. When its last
//! axis is labelled `band`, `c` or `channel` each channel has its own
//! statistics; otherwise the array is one channel (`docs/CONVENTIONS.md`).
//! Every frame is forwarded downstream unchanged (no copy); the operator
//! emits no frame of its own. Frames with no array or no element
//! contribute nothing. All frames must have the same number of channels.
//!
//! At `finish` it publishes results `count`, `nan_count`, `min`, `max`,
//! `mean`, `std`, `var` — numbers for one channel, lists indexed by channel
//! otherwise — and `channels`. NaN and infinite results are JSON `null`.
//!
//! # Method
//!
//! Values shifted by the first finite value, two-pass blocks merged
//! pairwise within a frame and across frames with
//! Chan, Golub & LeVeque's formula (see [`crate::moments`]): the result does
//! not depend on how the stream is chunked beyond rounding (≤ 1e−12
//! relative in tests), and stays exact for data with a large offset.
//! `snapshot` hands the partial moments (bit-exact) to a reloaded version.
//!
//! # References
//!
//! T. F. Chan, G. H. Golub and R. J. LeVeque, "Updating formulae and a
//! pairwise algorithm for computing sample variances," in *COMPSTAT 1982*,
//! Physica, pp. 30–41. DOI: 10.1007/978-3-642-51461-6_3

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::moments::{self, Moments, NanPolicy, Summary, DDOF_DOC, NAN_POLICY_DOC};

/// Parameters of `running_stats`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunningStatsParams {
    /// Delta degrees of freedom: `std = √(M2 / (n − ddof))`.
    pub ddof: u64,
    /// What a NaN in the data does to the statistics.
    pub nan_policy: NanPolicy,
}

impl Params for RunningStatsParams {
    const TABLE: &'static [Param] = &[Param::new("ddof", DDOF_DOC), Param::new("nan_policy", NAN_POLICY_DOC)];
}

/// Statistics of a whole stream.
#[derive(Debug)]
pub struct RunningStats {
    ddof: u64,
    nan_policy: NanPolicy,
    /// Channel count, fixed by the first non-empty frame.
    channels: Option<usize>,
    moments: Vec<Moments>,
}

impl RunningStats {
    /// Builds the operator from `ddof` and `nan_policy`.
    pub fn new(p: RunningStatsParams, _ctx: &Context) -> Result<RunningStats, PluginError> {
        Ok(RunningStats { ddof: p.ddof, nan_policy: p.nan_policy, channels: None, moments: Vec::new() })
    }

    /// The statistics so far, one per channel.
    pub fn summaries(&self) -> Vec<Summary> {
        if self.moments.is_empty() {
            return vec![Summary::of(&Moments::EMPTY, self.ddof, self.nan_policy)];
        }
        self.moments.iter().map(|m| Summary::of(m, self.ddof, self.nan_policy)).collect()
    }
}

/// Checks that a frame's channel count matches the stream's so far.
pub fn check_channels(seen: &mut Option<usize>, name: &str, channels: usize) -> Result<(), PluginError> {
    match *seen {
        Some(c) if c != channels => {
            Err(PluginError::bad_input(name, format!("{c} channel(s), as earlier frames had"), format!("{channels}")))
        }
        _ => {
            *seen = Some(channels);
            Ok(())
        }
    }
}

/// Fails when `policy` is `raise` and `m` saw a NaN.
pub fn check_nan(policy: NanPolicy, name: &str, m: &[Moments]) -> Result<(), PluginError> {
    if policy == NanPolicy::Raise && m.iter().any(|m| m.nans > 0) {
        return Err(PluginError::bad_input(name, "no NaN (`nan_policy` is `raise`)", "NaN"));
    }
    Ok(())
}

impl Operator for RunningStats {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let Ok((name, view)) = input.first() else { return Ok(()) };
        if view.is_empty() {
            return Ok(());
        }
        let channels = moments::channels(&view);
        check_channels(&mut self.channels, name, channels)?;
        // Keep the shift the first frame chose, so partials merge without
        // rebasing.
        let shifts: Option<Vec<f64>> =
            (!self.moments.is_empty()).then(|| self.moments.iter().map(|m| m.shift).collect());
        let partial = moments::per_channel(&view, channels, 0..view.len(), shifts.as_deref());
        check_nan(self.nan_policy, name, &partial)?;
        if self.moments.is_empty() {
            self.moments = partial;
        } else {
            for (acc, p) in self.moments.iter_mut().zip(partial) {
                *acc = acc.merge(p);
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let summaries = self.summaries();
        for field in moments::FIELDS {
            out.result(field, moments::field_over_channels(&summaries, field));
        }
        out.result("channels", self.channels.unwrap_or(1));
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        let state = json!({
            "operator": "running_stats",
            "channels": self.channels,
            "moments": self.moments.iter().map(Moments::to_json).collect::<Vec<_>>(),
        });
        Ok(Some(state.to_string().into_bytes()))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        let bad = |why: &str| PluginError::failed(format!("`running_stats`: cannot restore snapshot: {why}"));
        let v: Value = serde_json::from_slice(state).map_err(|e| bad(&e.to_string()))?;
        if v["operator"] != "running_stats" {
            return Err(bad(&format!("it belongs to operator {}", v["operator"])));
        }
        let channels = match &v["channels"] {
            Value::Null => None,
            c => Some(c.as_u64().ok_or_else(|| bad("`channels` is not an integer"))? as usize),
        };
        let moments = v["moments"]
            .as_array()
            .ok_or_else(|| bad("`moments` is not a list"))?
            .iter()
            .map(|m| Moments::from_json(m).ok_or_else(|| bad("malformed `moments` entry")))
            .collect::<Result<Vec<_>, _>>()?;
        self.channels = channels;
        self.moments = moments;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_refuses_foreign_state() {
        let mut op = RunningStats::new(RunningStatsParams::default(), &Context::new(1)).unwrap();
        let err = op.restore(br#"{"operator": "stream", "next": 3}"#).unwrap_err();
        assert_eq!(err.to_string(), "`running_stats`: cannot restore snapshot: it belongs to operator \"stream\"");
    }

    #[test]
    fn channel_count_must_not_change() {
        let mut seen = None;
        check_channels(&mut seen, "image", 3).unwrap();
        assert_eq!(
            check_channels(&mut seen, "image", 1).unwrap_err().to_string(),
            "invalid input `image`: expected 3 channel(s), as earlier frames had, got 1"
        );
    }
}
