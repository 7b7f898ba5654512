//! Integration tests of the generator plugin, driven through the same ABI
//! adapter the host uses (`plexus_plugin_api::compliance`).

mod blobs;
mod manifest;
mod noise;
mod projections;
mod shepp_logan;
mod stream;

use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::{ChunkKey, Frame, Output};
use serde_json::Value;

/// `n` empty tick frames, as the host feeds a source.
pub fn ticks(n: usize) -> Vec<Frame> {
    (0..n).map(|_| Frame::new("", ChunkKey::default())).collect()
}

/// Runs the compliance check on `n` ticks and returns each call's output
/// (the last one is `finish`'s).
pub fn run(op: &str, params: Value, n: usize) -> Vec<Output> {
    check_operator(&plexus_generator::PLUGIN, op, params, &ticks(n)).unwrap()
}

/// The single frame each of the first calls emitted, failing if a call
/// emitted more than one.
pub fn frames(outs: &[Output]) -> Vec<Frame> {
    outs.iter()
        .flat_map(|e| {
            assert!(e.frames().len() <= 1, "a source emits one chunk per call");
            e.frames().to_vec()
        })
        .collect()
}
