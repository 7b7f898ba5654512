//! End-to-end tests: the real `plexus` binary, real built plugins.

mod batch;
mod demo;
mod faults;
mod hot_reload;
#[cfg(feature = "hdf5")]
mod image_set;
mod parallel;
mod pipeline_errors;
mod plots;
mod rejects;
mod serve;
mod tomo_scan;
mod trust;
mod wasm;
mod wasm_grants;
mod wasm_reload;
mod watch;
