//! `value_counts` against numpy.unique(return_counts=True) on real images
//! (exact), chunking invariance, top_k order, and refusal of floats.

mod common;

use common::{chunks, load};
use plexus_pattern::PLUGIN;
use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::Frame;
use serde_json::{json, Value};

fn run(params: Value, frames: &[Frame]) -> serde_json::Map<String, Value> {
    let outs = check_operator(&PLUGIN, "value_counts", params, frames).unwrap();
    for o in &outs[..frames.len()] {
        assert!(o.forwards_input());
    }
    outs.last().unwrap().results().clone()
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

/// The k most frequent values computed independently from numpy's table.
fn expected_top(values: &[i64], counts: &[i64], k: usize) -> Value {
    let mut pairs: Vec<(i64, i64)> = values.iter().copied().zip(counts.iter().copied()).collect();
    pairs.sort_by_key(|&(v, n)| (-n, v));
    Value::from(pairs.iter().take(k).map(|&(v, n)| json!({"value": v, "count": n})).collect::<Vec<_>>())
}

/// Tolerance: none; values and counts equal numpy's exactly in 1, 3 and 7 chunks.
#[test]
fn matches_numpy_unique_exactly_whatever_the_chunking() {
    for input in ["grains", "coins16", "grains_i16", "coins_i32"] {
        let image = load(&format!("in_{input}")).array();
        let values = load(&format!("vc_{input}_values")).i64s();
        let counts = load(&format!("vc_{input}_counts")).i64s();
        for n in [1, 3, 7] {
            let r = run(json!({ "top_k": 5 }), &chunks(&image, n));
            assert_eq!(ints(&r["values"]), values, "{input}: values, {n} chunks");
            assert_eq!(ints(&r["counts"]), counts, "{input}: counts, {n} chunks");
            assert_eq!(r["distinct"], json!(values.len()));
            assert_eq!(r["top_k"], expected_top(&values, &counts, 5), "{input}: top_k");
        }
    }
}

#[test]
fn per_channel_tables_for_a_band_axis() {
    let ihc = load("in_ihc").array().with_axes("y x band").unwrap();
    for n in [1, 3, 7] {
        let r = run(json!({ "top_k": 3 }), &chunks(&ihc, n));
        for c in 0..3 {
            let values = load(&format!("vc_ihc_c{c}_values")).i64s();
            let counts = load(&format!("vc_ihc_c{c}_counts")).i64s();
            assert_eq!(ints(&r["values"][c]), values, "channel {c}");
            assert_eq!(ints(&r["counts"][c]), counts, "channel {c}");
            assert_eq!(r["top_k"][c], expected_top(&values, &counts, 3));
        }
    }
}

#[test]
fn ties_go_to_the_smaller_value() {
    use plexus_plugin_api::{Array, ChunkKey};
    let a = Array::from_vec(vec![2, 4], vec![-5i32, 9, 9, -5, 2, 7, 7, 100]).unwrap();
    let f = Frame::new("d", ChunkKey::whole(2)).with_array("x", a);
    let r = run(json!({ "top_k": 3 }), &[f]);
    assert_eq!(r["top_k"], json!([{"value": -5, "count": 2}, {"value": 7, "count": 2}, {"value": 9, "count": 2}]));
}

#[test]
fn floats_are_refused() {
    let frames = chunks(&load("in_camera_f32").array(), 1);
    let err = check_operator(&PLUGIN, "value_counts", json!({}), &frames).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`value_counts`: frame 0: invalid input: expected integer elements (`value_counts` counts values; use \
         `histogram` for floats), got `f32`"
    );
}
