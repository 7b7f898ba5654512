//! Test plugin `stuck`: operators that do not return from one frame, a busy
//! loop (`spin`) and a sleep (`sleep`, `sleepy`), to show that a call past
//! its deadline fails its stage, that signals still end the run within the
//! grace, and that under `serve` other datasets go on.

use plexus_plugin_api::{export_plugin, Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

/// Which call of `spin` gets stuck.
#[derive(Deserialize, Serialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SpinParams {
    /// The stream entry that gets stuck.
    pub at: u64,
    /// If set: created when the call gets stuck; once it exists, no call
    /// gets stuck (so a resumed run goes through).
    pub marker: String,
    /// If set: only frames of this dataset get stuck.
    pub dataset: String,
}

impl Params for SpinParams {
    const TABLE: &'static [Param] =
        &[Param::new("at", "").min(0.0), Param::new("marker", ""), Param::new("dataset", "")];
}

/// Which call of `sleep` sleeps, and how long.
#[derive(Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SleepParams {
    /// The stream entry that sleeps.
    pub at: u64,
    /// How long, in milliseconds.
    pub ms: u64,
    /// As for [`SpinParams::marker`].
    pub marker: String,
    /// As for [`SpinParams::dataset`].
    pub dataset: String,
}

impl Default for SleepParams {
    fn default() -> Self {
        SleepParams { at: 0, ms: 3_600_000, marker: String::new(), dataset: String::new() }
    }
}

impl Params for SleepParams {
    const TABLE: &'static [Param] = &[
        Param::new("at", "").min(0.0),
        Param::new("ms", "").min(0.0),
        Param::new("marker", ""),
        Param::new("dataset", ""),
    ];
}

/// Whether this call is the one that gets stuck; creates the marker.
fn stuck_here(input: &FrameView<'_>, at: u64, marker: &str, dataset: &str) -> bool {
    if input.seq() != at || !(dataset.is_empty() || input.dataset() == dataset) {
        return false;
    }
    marker.is_empty() || std::fs::OpenOptions::new().write(true).create_new(true).open(marker).is_ok()
}

/// Busy-loops forever on the chosen frame.
pub struct Spin {
    p: SpinParams,
}

/// Sleeps `ms` on the chosen frame.
pub struct Sleep {
    p: SleepParams,
}

fn spin(p: SpinParams, _ctx: &Context) -> Result<Spin, PluginError> {
    Ok(Spin { p })
}

fn sleep(p: SleepParams, _ctx: &Context) -> Result<Sleep, PluginError> {
    Ok(Sleep { p })
}

impl Operator for Spin {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        if stuck_here(input, self.p.at, &self.p.marker, &self.p.dataset) {
            let mut x = 0u64;
            loop {
                // Kept from being optimised away.
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        out.forward();
        Ok(())
    }
}

impl Operator for Sleep {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        if stuck_here(input, self.p.at, &self.p.marker, &self.p.dataset) {
            std::thread::sleep(std::time::Duration::from_millis(self.p.ms));
        }
        out.forward();
        Ok(())
    }
}

export_plugin! {
    "spin" => spin,
    "sleep" => sleep,
    "sleepy" => sleep,
}
