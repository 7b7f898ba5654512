//! Chunked streams as the host makes them, for operator tests: frames cut
//! along axis 0 with the halo the host's window adds (key over the padded
//! range, metadata `"halo": {"before", "after"}`), and the host's trimming
//! and stacking of what an operator emits.

use plexus_plugin_api::{Array, ChunkKey, Frame, Output};

/// Rows `a..b` of axis 0 of `array`.
pub fn rows(array: &Array, a: usize, b: usize) -> Array {
    let row: usize = array.shape()[1..].iter().product::<usize>() * array.dtype().size();
    let mut shape = array.shape().to_vec();
    shape[0] = b - a;
    Array::from_bytes(array.dtype(), shape, &array.as_bytes()[a * row..b * row])
        .and_then(|c| c.with_axes(array.axes()))
        .expect("rows of a consistent array")
}

/// `array` cut into `n` chunks along axis 0 (as even as possible), each
/// padded with up to `halo` neighbour slices per side (fewer at the ends),
/// as frame array `name`. With `halo = 0` no metadata is added.
pub fn padded_chunks(array: &Array, name: &str, n: usize, halo: usize) -> Vec<Frame> {
    let extent = array.shape()[0];
    (0..n)
        .map(|i| {
            let (a, b) = (extent * i / n, extent * (i + 1) / n);
            let (lo, hi) = (a.saturating_sub(halo), (b + halo).min(extent));
            let key = ChunkKey { axis: 0, offset: lo as u64, length: (hi - lo) as u64, extent: extent as u64 };
            let frame = Frame::new("fixture", key).with_array(name, rows(array, lo, hi));
            if halo == 0 {
                frame
            } else {
                frame.with_meta("halo", serde_json::json!({ "before": a - lo, "after": hi - b }))
            }
        })
        .collect()
}

/// What the host makes of the frames `outputs` emitted for `inputs`: each
/// array `name` whose first axis has its input's padded length trimmed to
/// the chunk, then stacked along axis 0.
pub fn stacked(inputs: &[Frame], outputs: &[Output], name: &str) -> Array {
    let mut parts = Vec::new();
    for (input, out) in inputs.iter().zip(outputs) {
        let (before, after) = match input.meta().get("halo") {
            Some(h) => (h["before"].as_u64().unwrap() as usize, h["after"].as_u64().unwrap() as usize),
            None => (0, 0),
        };
        for f in out.frames() {
            let a = f.array(name).unwrap_or_else(|e| panic!("{e}"));
            let len = a.shape()[0];
            assert_eq!(len, input.key().length as usize, "an output covers its input's padded range");
            parts.push(rows(a, before, len - after));
        }
    }
    let first = parts.first().expect("at least one output frame");
    let mut shape = first.shape().to_vec();
    shape[0] = parts.iter().map(|p| p.shape()[0]).sum();
    let bytes: Vec<u8> = parts.iter().flat_map(|p| p.as_bytes().iter().copied()).collect();
    Array::from_bytes(first.dtype(), shape, &bytes).and_then(|a| a.with_axes(first.axes())).unwrap()
}
