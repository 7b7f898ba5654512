//! End-to-end tests: the real `plexus` binary, real built plugins.

mod batch;
mod demo;
mod events;
mod faults;
mod hardening;
mod hot_reload;
#[cfg(feature = "hdf5")]
mod image_set;
mod jobs;
mod memory;
mod new_plugin;
mod parallel;
mod pipeline_errors;
mod plots;
mod porous;
mod previews;
mod recon;
mod rejects;
mod resume;
mod sections;
mod serve;
mod service;
mod service_cli;
mod service_client;
mod service_docs;
mod service_jobs;
mod service_observe;
mod service_pca;
mod service_web;
mod stuck;
mod threads;
#[cfg(feature = "hdf5")]
mod tomo_center;
#[cfg(feature = "hdf5")]
mod tomo_demo;
mod tomo_scan;
mod trust;
mod wasm;
mod wasm_grants;
mod wasm_reload;
mod watch;
