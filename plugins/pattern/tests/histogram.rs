//! `histogram` against numpy.histogram on real images (counts exact, edges
//! bit-exact), chunking invariance, channels, errors and the manifest.

mod common;

use common::{chunks, load};
use plexus_pattern::PLUGIN;
use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::{Array, ChunkKey, Context, Frame};
use serde_json::{json, Value};

/// Runs the operator over `frames`, checks it forwards every frame, and
/// returns its final results.
fn run(params: Value, frames: &[Frame]) -> serde_json::Map<String, Value> {
    let outs = check_operator(&PLUGIN, "histogram", params, frames).unwrap();
    for o in &outs[..frames.len()] {
        assert!(o.forwards_input(), "every input frame is forwarded");
        assert!(o.frames().is_empty() && o.results().is_empty());
    }
    outs.last().unwrap().results().clone()
}

fn as_u64s(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

fn as_f64s(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// (case, input fixture, bins, range)
const CASES: &[(&str, &str, u64, Option<[f64; 2]>)] = &[
    ("grains_b256", "grains", 256, None),
    ("grains_b7", "grains", 7, None),
    ("grains_b10_r", "grains", 10, Some([20.0, 200.0])),
    ("camera_b255_r", "camera", 255, Some([0.0, 255.0])),
    ("coins16_b256", "coins16", 256, None),
    ("coins16_b1000_r", "coins16", 1000, Some([1000.5, 60000.25])),
    ("grains_i16_b64", "grains_i16", 64, None),
    ("grains_i16_b9_r", "grains_i16", 9, Some([-5000.0, 7000.0])),
    ("coins_i32_b100_r", "coins_i32", 100, Some([-70000.0, 130000.0])),
    ("camera_f32_b10", "camera_f32", 10, Some([0.0, 1.0])),
    ("camera_f32_b7", "camera_f32", 7, Some([0.1, 0.8])),
    ("camera_f64_b10", "camera_f64", 10, Some([0.0, 1.0])),
    ("camera_f64_b7", "camera_f64", 7, Some([0.1, 0.8])),
    ("camera_f64_nan_b5", "camera_f64_nan", 5, Some([0.0, 1.0])),
];

/// Tolerance: none. Counts equal numpy's exactly, edges bit for bit, and the
/// answer is the same whether the image arrives whole or in 3 or 7 chunks.
#[test]
fn matches_numpy_histogram_exactly_whatever_the_chunking() {
    for &(case, input, bins, range) in CASES {
        let image = load(&format!("in_{input}")).array();
        let expected_counts = load(&format!("hist_{case}_counts")).i64s();
        let expected_edges = load(&format!("hist_{case}_edges")).f64s();
        let params = match range {
            Some(r) => json!({ "bins": bins, "range": r }),
            None => json!({ "bins": bins }),
        };
        for n in [1, 3, 7] {
            let r = run(params.clone(), &chunks(&image, n));
            assert_eq!(as_u64s(&r["counts"]), expected_counts, "{case}: counts, {n} chunks");
            let edges = as_f64s(&r["edges"]);
            assert_eq!(edges.len(), expected_edges.len());
            for (i, (a, b)) in edges.iter().zip(&expected_edges).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{case}: edge {i}: {a} vs numpy {b}");
            }
            let total: i64 = expected_counts.iter().sum();
            let nan = r["nan"].as_i64().unwrap();
            assert_eq!(total + r["outside"].as_i64().unwrap() + nan, image.len() as i64, "{case}: accounting");
            if case.contains("nan") {
                assert_eq!(nan, 4 * 5, "{case}: NaN count (every 17th row, 13th column of 64x64)");
            }
        }
    }
}

#[test]
fn per_channel_counts_for_a_band_axis() {
    let ihc = load("in_ihc").array().with_axes("y x band").unwrap();
    for n in [1, 3, 7] {
        let r = run(json!({ "bins": 32, "range": [0, 256] }), &chunks(&ihc, n));
        let per_channel = r["counts"].as_array().unwrap();
        assert_eq!(per_channel.len(), 3);
        for (c, counts) in per_channel.iter().enumerate() {
            assert_eq!(as_u64s(counts), load(&format!("hist_ihc_b32_c{c}_counts")).i64s(), "channel {c}, {n} chunks");
        }
    }
    // Without a channel label the last axis is just an axis: one histogram.
    let flat = load("in_ihc").array();
    let r = run(json!({ "bins": 32, "range": [0, 256] }), &chunks(&flat, 3));
    let sum: Vec<i64> =
        (0..32).map(|b| (0..3).map(|c| load(&format!("hist_ihc_b32_c{c}_counts")).i64s()[b]).sum()).collect();
    assert_eq!(as_u64s(&r["counts"]), sum);
}

#[test]
fn threads_do_not_change_the_answer() {
    use plexus_pattern::histogram::{histogram_u16, histogram_u8, Binning};
    let image = load("in_coins16").array();
    let data: Vec<u16> = image.as_slice::<u16>().unwrap().repeat(40); // 245,760 px: several bands
    let b = Binning::new(256, 0.0, 65536.0).unwrap();
    assert_eq!(histogram_u16(&data, 1, &b, 1), histogram_u16(&data, 1, &b, 4));
    let bytes: Vec<u8> = load("in_grains").array().as_slice::<u8>().unwrap().repeat(40);
    let b = Binning::new(7, 3.0, 250.0).unwrap();
    assert_eq!(histogram_u8(&bytes, 1, &b, 1), histogram_u8(&bytes, 1, &b, 3));
}

#[test]
fn float_input_without_range_says_why() {
    let frames = chunks(&load("in_camera_f32").array(), 1);
    let err = check_operator(&PLUGIN, "histogram", json!({ "bins": 8 }), &frames).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`histogram`: frame 0: parameter `range`: expected [lo, hi] for `f32` input (a histogram over a stream \
         cannot first scan the data for its min and max, as that would take a second pass over the stream), got []"
    );
}

#[test]
fn parameter_errors_are_exact() {
    let new = |p: Value| PLUGIN.build("histogram", &p.to_string(), &Context::new(1)).err().unwrap().to_string();
    assert_eq!(
        new(json!({ "range": [1, 2, 3] })),
        "parameter `range`: expected [lo, hi] (two numbers) or [], got 3 numbers"
    );
    assert_eq!(new(json!({ "range": [5, 5] })), "parameter `range`: expected lo < hi, got [5, 5]");
    assert_eq!(new(json!({ "bins": 0 })), "parameter `bins`: expected at least 1, got 0");
    assert_eq!(new(json!({ "bins": 268435457u64 })), "parameter `bins`: expected at most 268435456, got 268435457");
    assert_eq!(new(json!({ "bins": "many" })), "parameter `bins`: expected an integer, got `\"many\"`");
}

#[test]
fn dtype_change_mid_stream_is_refused() {
    let a = Frame::new("d", ChunkKey::stream(0)).with_array("x", Array::zeros::<u8>(vec![2, 2]));
    let b = Frame::new("d", ChunkKey::stream(1)).with_array("x", Array::zeros::<u16>(vec![2, 2]));
    let err = check_operator(&PLUGIN, "histogram", json!({}), &[a, b]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`histogram`: frame 1: invalid input: expected elements of `u8`, as earlier frames had, got `u16`"
    );
}

#[test]
fn empty_stream_publishes_zeros_or_nothing() {
    let r = run(json!({ "bins": 4, "range": [0, 1] }), &[]);
    assert_eq!(r["counts"], json!([0, 0, 0, 0]));
    assert_eq!(r["edges"], json!([0.0, 0.25, 0.5, 0.75, 1.0]));
    let r = run(json!({}), &[]);
    assert_eq!(r["counts"], json!([]));
}

#[test]
fn named_array_is_used() {
    let f = Frame::new("d", ChunkKey::whole(1))
        .with_array("a", Array::from_vec(vec![1, 3], vec![1u8, 1, 1]).unwrap())
        .with_array("b", Array::from_vec(vec![1, 2], vec![2u8, 3]).unwrap());
    let r = run(json!({ "bins": 4, "range": [0, 4], "array": "b" }), &[f]);
    assert_eq!(r["counts"], json!([0, 0, 1, 1]));
}

#[test]
fn restore_refuses_a_snapshot_of_other_bins() {
    use plexus_plugin_api::compliance::Harness;
    let f = chunks(&load("in_grains").array(), 1);
    let mut a = Harness::new(&PLUGIN, "histogram", json!({ "bins": 8 })).unwrap();
    a.process(&f[0]).unwrap();
    let snap = a.snapshot().unwrap().unwrap();
    let mut b = Harness::new(&PLUGIN, "histogram", json!({ "bins": 16 })).unwrap();
    assert_eq!(
        b.restore(&snap).unwrap_err().to_string(),
        "cannot restore `histogram`: snapshot was taken with bins = 8 and range = null, this instance has bins = 16 \
         and range = null"
    );
}
