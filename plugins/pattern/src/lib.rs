//! # plexus-pattern
//!
//! Value distributions of images and volumes, accumulated over a stream:
//!
//! - [`histogram::Histogram`] (`histogram`): equal-width bin counts per
//!   channel with `numpy.histogram`'s edge rule;
//! - [`value_counts::ValueCounts`] (`value_counts`): exact value frequencies
//!   of integer images (`numpy.unique(return_counts=True)`) and the most
//!   frequent values.
//!
//! Both are reductions: they forward their input unchanged, merge counts
//! across chunks, publish results at `finish`, and carry their counts across
//! a hot reload with `snapshot`/`restore`. The counting kernels are plain
//! functions on slices in [`kernels`] and [`histogram`].

pub mod histogram;
pub mod kernels;
pub mod value_counts;

plexus_plugin_api::export_plugin! {
    "histogram" => histogram::Histogram::new,
    "value_counts" => value_counts::ValueCounts::new,
}
