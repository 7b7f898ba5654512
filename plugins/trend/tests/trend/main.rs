//! Integration tests of the trend plugin, driven through the same ABI
//! adapter the host uses (`plexus_plugin_api::compliance`), against numpy's
//! statistics of real images (`fixtures/make_fixtures.py`) and closed forms.

mod manifest;
mod running_stats;
mod time_series;

use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::{Array, ChunkKey, Frame, Output};
use serde_json::Value;

/// The raw bytes of fixture `name`.
pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// numpy's statistics of the fixtures.
pub fn numpy_stats() -> Value {
    serde_json::from_slice(&fixture_bytes("numpy_stats.json")).unwrap()
}

/// grains.tif, `[256, 256]` u8, axes `y x`.
pub fn grains() -> Array {
    Array::from_vec(vec![256, 256], fixture_bytes("grains_256x256.u8")).unwrap()
}

/// The central 128×128 crop of ihc.png, `[128, 128, 3]` u8, axes `y x c`.
pub fn ihc() -> Array {
    Array::from_vec(vec![128, 128, 3], fixture_bytes("ihc_128x128x3.u8")).unwrap().with_axes("y x c").unwrap()
}

/// Cuts `a` along axis 0 into `k` chunks as even as possible, each a frame
/// whose key gives its offset, length and the full extent.
pub fn chunked(a: &Array, k: usize) -> Vec<Frame> {
    let n = a.shape()[0];
    let row = a.len() / n * a.dtype().size();
    (0..k)
        .map(|i| {
            let (lo, hi) = (i * n / k, (i + 1) * n / k);
            let mut shape = a.shape().to_vec();
            shape[0] = hi - lo;
            let part = Array::from_bytes(a.dtype(), shape, &a.as_bytes()[lo * row..hi * row])
                .unwrap()
                .with_axes(a.axes())
                .unwrap();
            Frame::new("d", ChunkKey { axis: 0, offset: lo as u64, length: (hi - lo) as u64, extent: n as u64 })
                .with_array("image", part)
        })
        .collect()
}

/// Runs the compliance check (determinism, snapshot/restore halfway) and
/// returns each call's output, `finish`'s last.
pub fn run(op: &str, params: Value, frames: &[Frame]) -> Vec<Output> {
    check_operator(&plexus_trend::PLUGIN, op, params, frames).unwrap()
}

/// Asserts `|got − want| ≤ rel · |want|`.
#[track_caller]
pub fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want.abs(),
        "{what}: {got} vs {want} (rel {:e})",
        (got - want).abs() / want.abs()
    );
}
