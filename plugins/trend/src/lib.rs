//! # plexus-trend
//!
//! Streaming statistics that sit in the middle of a pipeline: they forward
//! every frame unchanged and publish what they measured as results and
//! events. `running_stats` reduces the whole stream (merged across chunks),
//! `time_series` reports each slice or frame. Both share the accumulator in
//! [`moments`].
//!
//! This file only registers the operators; each lives in its own module.

pub mod moments;
pub mod running_stats;
pub mod set_stats;
pub mod time_series;

plexus_plugin_api::export_plugin! {
    "running_stats" => running_stats::RunningStats::new,
    "time_series" => time_series::TimeSeries::new,
    "set_stats" => set_stats::SetStats::new,
}
