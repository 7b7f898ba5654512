//! The three detectors on real images: scores against numpy, masks, events,
//! the injected hot-pixel/zinger detection with its false-positive budget,
//! chunk offsets in event locations, the event cap, and the manifest.

mod common;

use std::collections::BTreeSet;

use common::{chunks, load};
use plexus_anomaly::PLUGIN;
use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::{Array, ChunkKey, Context, Frame, Output};
use serde_json::{json, Value};

fn run(op: &str, params: Value, frames: &[Frame]) -> Vec<Output> {
    check_operator(&PLUGIN, op, params, frames).unwrap()
}

fn whole(a: Array) -> Vec<Frame> {
    chunks(&a, 1)
}

/// Flat index of an event's location in an array of `shape` (offset 0).
fn flat(loc: &Value, shape: &[usize]) -> usize {
    let loc: Vec<usize> = loc.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    loc.iter().zip(shape).fold(0, |acc, (i, n)| acc * n + i)
}

/// Checks the events' scores against `expected` (|Δ| ≤ `tol`), that every
/// element with |expected| > k + tol is an event and none with
/// |expected| < k − tol is, and that the mask says the same.
fn check_scores(op: &str, params: Value, input: Array, expected: &[f64], k: f64, tol: f64) {
    let mut p = params.clone();
    p["max_events"] = json!(1_000_000);
    let outs = run(op, p, &whole(input.clone()));
    let events = outs[0].events();
    let mut flagged = BTreeSet::new();
    for e in events {
        assert_eq!(e["kind"], "anomaly");
        let i = flat(&e["location"], input.shape());
        let (score, value) = (e["score"].as_f64().unwrap(), e["value"].as_f64().unwrap());
        assert!((score - expected[i]).abs() <= tol, "{op}: element {i}: score {score} vs numpy {}", expected[i]);
        assert_eq!(value, input.to_f64_vec()[i]);
        flagged.insert(i);
    }
    for (i, &s) in expected.iter().enumerate() {
        if s.abs() > k + tol {
            assert!(flagged.contains(&i), "{op}: element {i} (score {s}) not flagged");
        } else if s.abs() < k - tol {
            assert!(!flagged.contains(&i), "{op}: element {i} (score {s}) flagged");
        }
    }
    assert!(!flagged.is_empty(), "{op}: the fixture should have anomalies at k = {k}");
    let mask = outs[0].frames()[0].array("mask").unwrap();
    assert_eq!((mask.shape(), mask.axes()), (input.shape(), input.axes()));
    let from_mask: BTreeSet<usize> =
        mask.as_slice::<u8>().unwrap().iter().enumerate().filter(|(_, &m)| m == 1).map(|(i, _)| i).collect();
    assert_eq!(from_mask, flagged, "{op}: mask and events agree");
    assert_eq!(outs[1].results()["anomalies"], json!(flagged.len()));
    assert_eq!(outs[1].results()["events_dropped"], json!(0));
}

/// Tolerance: scores within 1e-9 of numpy's (f64 sums in a different order).
#[test]
fn zscore_matches_numpy_per_channel() {
    let cam = load("z_camera_in").array();
    check_scores("zscore", json!({ "k": 2.0 }), cam, &load("z_camera_scores").f64s(), 2.0, 1e-9);
    let ihc = load("z_ihc_in").array().with_axes("y x band").unwrap();
    check_scores("zscore", json!({ "k": 2.5 }), ihc, &load("z_ihc_scores").f64s(), 2.5, 1e-9);
}

/// Tolerance: 1e-12 (the median and MAD are exact; one multiply and divide).
#[test]
fn robust_matches_numpy_modified_zscores() {
    let ihc = load("z_ihc_in").array().with_axes("y x band").unwrap();
    check_scores("robust", json!({ "k": 2.5 }), ihc, &load("rz_ihc_scores").f64s(), 2.5, 1e-12);
    let grains = load("rz_grains_in").array();
    check_scores("robust", json!({}), grains, &load("rz_grains_scores").f64s(), 3.5, 1e-12);
}

fn injected() -> BTreeSet<(u64, u64)> {
    let p = load("hot_moon_positions").i64s();
    p.chunks(2).map(|c| (c[0] as u64, c[1] as u64)).collect()
}

/// 38 hot pixels, two-pixel zingers and dead pixels injected into the moon
/// (u16): exactly those are found. False-positive budget: 0 (the clean crop's
/// largest |x − median| is below the threshold of 15000 counts; the fixture
/// script asserts it).
#[test]
fn local_finds_exactly_the_injected_hot_and_dead_pixels() {
    let hot = load("hot_moon_in").array();
    let outs = run("local", json!({ "threshold": 15000.0, "max_events": 1000 }), &whole(hot.clone()));
    let found: BTreeSet<(u64, u64)> = outs[0]
        .events()
        .iter()
        .map(|e| (e["location"][0].as_u64().unwrap(), e["location"][1].as_u64().unwrap()))
        .collect();
    let expected = injected();
    assert_eq!(expected.len(), 38);
    let missed: Vec<_> = expected.difference(&found).collect();
    let false_positives: Vec<_> = found.difference(&expected).collect();
    assert!(missed.is_empty(), "missed {missed:?}");
    assert!(false_positives.is_empty(), "false positives beyond the budget of 0: {false_positives:?}");
    // Events carry the local median, and `corrected` replaces exactly those pixels by it.
    let outs = run("local", json!({ "threshold": 15000.0, "output": "corrected" }), &whole(hot.clone()));
    let f = &outs[0].frames()[0];
    let fixed = f.array("image").unwrap().as_slice::<u16>().unwrap();
    let orig = hot.as_slice::<u16>().unwrap();
    let mut changed = 0;
    for e in outs[0].events() {
        let i = flat(&e["location"], hot.shape());
        assert_eq!(fixed[i] as f64, e["median"].as_f64().unwrap());
        assert_eq!(e["score"].as_f64().unwrap(), orig[i] as f64 - fixed[i] as f64);
    }
    for (a, b) in fixed.iter().zip(orig) {
        changed += (a != b) as usize;
    }
    assert_eq!(changed, 38);
    assert_eq!(outs[1].results()["events_dropped"], json!(0));
}

#[test]
fn polarity_separates_bright_from_dark() {
    let hot = load("hot_moon_in").array();
    let count = |polarity: &str| {
        let outs =
            run("local", json!({ "threshold": 15000.0, "polarity": polarity, "max_events": 0 }), &whole(hot.clone()));
        (outs[1].results()["anomalies"].as_u64().unwrap(), outs[1].results()["events_dropped"].as_u64().unwrap())
    };
    assert_eq!(count("bright"), (32, 32));
    assert_eq!(count("dark"), (6, 6));
}

/// A volume of two slices in two chunks: locations carry the chunk offset on
/// z, the event cap holds over the stream, and the rest is counted.
#[test]
fn chunked_volume_locations_and_event_cap() {
    let hot = load("hot_moon_in").array();
    let one = hot.as_slice::<u16>().unwrap();
    let vol = Array::from_vec(vec![2, 128, 128], [one, one].concat()).unwrap().with_axes("z y x").unwrap();
    let outs = run("local", json!({ "threshold": 15000.0, "max_events": 50, "output": "events" }), &chunks(&vol, 2));
    assert!(outs[0].forwards_input() && outs[0].frames().is_empty());
    assert_eq!(outs[0].events().len(), 38);
    assert_eq!(outs[1].events().len(), 12, "the cap of 50 events holds over the stream");
    let z: BTreeSet<u64> = outs[1].events().iter().map(|e| e["location"][0].as_u64().unwrap()).collect();
    assert_eq!(z, BTreeSet::from([1]));
    assert_eq!(outs[2].results()["anomalies"], json!(76));
    assert_eq!(outs[2].results()["events_dropped"], json!(26));
    // The mask of the chunked volume equals the masks of the whole volume.
    let whole_mask = run("local", json!({ "threshold": 15000.0 }), &chunks(&vol, 1))[0].frames()[0]
        .array("mask")
        .unwrap()
        .as_bytes()
        .to_vec();
    let parts = run("local", json!({ "threshold": 15000.0 }), &chunks(&vol, 2));
    let chunked: Vec<u8> =
        parts[..2].iter().flat_map(|o| o.frames()[0].array("mask").unwrap().as_bytes().to_vec()).collect();
    assert_eq!(chunked, whole_mask);
}

#[test]
fn output_modes() {
    let a = Array::from_vec(vec![2, 5], vec![1.0f32, 1.0, 9.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]).unwrap();
    let f = Frame::new("d", ChunkKey::stream(3)).with_array("x", a).with_meta("unit", "counts");
    let outs = run("local", json!({ "threshold": 2.0, "output": "with_input" }), std::slice::from_ref(&f));
    let out = &outs[0].frames()[0];
    assert_eq!(out.arrays().iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["x", "mask"]);
    assert_eq!(out.array("mask").unwrap().as_slice::<u8>().unwrap(), &[0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(outs[0].events()[0]["location"], json!([3, 0, 2]), "stream index prepended to a 2-D frame");
    let outs = run("local", json!({ "threshold": 2.0 }), std::slice::from_ref(&f));
    let out = &outs[0].frames()[0];
    assert_eq!(out.arrays().len(), 1);
    assert_eq!(out.meta()["unit"], "counts");
    assert!(!outs[0].forwards_input());
}

#[test]
fn parameter_errors_are_exact() {
    let new = |op: &str, p: Value| PLUGIN.build(op, &p.to_string(), &Context::new(1)).err().unwrap().to_string();
    assert_eq!(new("local", json!({})), "parameter `threshold`: expected a number (it is required), got nothing");
    assert_eq!(
        new("local", json!({ "threshold": 1, "polarity": "up" })),
        "parameter `polarity`: expected one of both, bright, dark, got `up`"
    );
    assert_eq!(
        new("robust", json!({ "zero_mad": "x" })),
        "parameter `zero_mad`: expected one of meanad, skip, got `x`"
    );
    assert_eq!(
        new("zscore", json!({ "output": "corrected" })),
        "parameter `output`: expected one of mask, with_input, events, got `corrected`"
    );
    assert_eq!(new("zscore", json!({ "k": -1 })), "parameter `k`: expected at least 0, got -1");
}

#[test]
fn manifest_declares_the_exported_operators_and_defaults_build() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")).unwrap();
    let m: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(m["plugin"]["artifact"].as_str(), Some("libplexus_anomaly.so"));
    let ops = m["operator"].as_array().unwrap();
    let names: Vec<&str> = ops.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, PLUGIN.operator_names().collect::<Vec<_>>());
    for op in ops {
        let mut values = serde_json::Map::new();
        for (k, spec) in op["params"].as_table().unwrap() {
            match spec.get("default") {
                Some(d) => values.insert(k.clone(), serde_json::to_value(d).unwrap()),
                None => values.insert(k.clone(), json!(1.0)), // the one required parameter: `threshold`
            };
        }
        let name = op["name"].as_str().unwrap();
        PLUGIN
            .build(name, &Value::Object(values).to_string(), &Context::new(1))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
