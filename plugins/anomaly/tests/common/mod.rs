//! Test helpers: the shared `plexus-testkit`, with fixture paths bound to
//! this crate.

#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

pub use plexus_testkit::{chunks, close, f64s, parse, u64s, Npy};

/// Path of fixture `name` (without `.npy`).
pub fn fixture_path(name: &str) -> PathBuf {
    plexus_testkit::fixture_path(env!("CARGO_MANIFEST_DIR"), name)
}

/// Reads fixture `name` (without `.npy`).
pub fn load(name: &str) -> Npy {
    plexus_testkit::load_from(env!("CARGO_MANIFEST_DIR"), name)
}

/// The expected values written by `make_fixtures.py`.
pub fn expected() -> serde_json::Value {
    plexus_testkit::expected_from(env!("CARGO_MANIFEST_DIR"))
}
