//! The segment operators through the compliance harness (the ABI adapter
//! the host calls, built from `plugin.toml`'s defaults), on the scipy and
//! scikit-image fixtures of `fixtures.rs`, whole and in 1, 3 and 7 chunks
//! (padded with the halo a stage declares, trimmed and stacked as the host
//! does); and their refusals, asserted exactly.
//!
//! Tolerances: everything exact (the kernels are exact against the peers,
//! see `fixtures.rs`; the wrap must not change a voxel), except the f32
//! EDT, ≤ 1e-6 relative to scipy's f64 (one f32 rounding of the root).

mod common;

use common::{expected, load, u16s, u32s, u8s};
use plexus_plugin_api::compliance::{check_operator, Harness};
use plexus_plugin_api::{Array, ChunkKey, Frame, Output, Plugin};
use plexus_segment::morphology::{halo, morphology, MorphologyParams, Operation, Structure};
use plexus_segment::threshold::{otsu, Histogram};
use plexus_testkit::{padded_chunks, stacked, Npy};
use serde_json::{json, Value};

const PLUGIN: &Plugin = &plexus_segment::PLUGIN;

fn array(n: &Npy) -> Array {
    let axes = if n.shape.len() == 3 { "z y x" } else { "y x" };
    n.array().with_axes(axes).unwrap()
}

fn whole(a: &Array, name: &str) -> Frame {
    Frame::new("fixture", ChunkKey::whole(a.shape()[0] as u64)).with_array(name, a.clone())
}

fn run(op: &str, params: Value, frames: &[Frame]) -> Vec<Output> {
    check_operator(PLUGIN, op, params, frames).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `op` on `k` chunks of `a` with `halo` and returns the stacked
/// output and the `finish` results.
fn chunked(op: &str, params: Value, a: &Array, k: usize, halo: usize) -> (Array, serde_json::Map<String, Value>) {
    let frames = padded_chunks(a, "mask", k, halo);
    let outs = run(op, params, &frames);
    (stacked(&frames, &outs[..frames.len()], "mask"), outs.last().unwrap().results().clone())
}

#[test]
fn manifest_declares_the_registered_operators() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")).unwrap();
    let m: toml::Table = text.parse().unwrap();
    assert_eq!(m["plugin"]["artifact"].as_str(), Some("libplexus_segment.so"));
    let ops = m["operator"].as_array().unwrap();
    let names: Vec<&str> = ops.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, PLUGIN.operator_names().collect::<Vec<_>>());
    let declared = |op: &str| ops.iter().find(|o| o["name"].as_str() == Some(op)).unwrap()["halo"].as_integer();
    assert_eq!(declared("morphology"), Some(halo(&MorphologyParams::default()) as i64));
    // Operators that keep state across frames are never parallel.
    for o in ops {
        let stateless = ["relabel"].contains(&o["name"].as_str().unwrap());
        assert_eq!(o["parallel"].as_bool(), Some(stateless), "{}", o["name"]);
    }
}

#[test]
fn otsu_on_whole_images_matches_scikit_image() {
    let e = expected();
    for name in ["grains", "camera", "coins", "camf32"] {
        let img = array(&load(&format!("in_{name}")));
        let frame = Frame::new("d", ChunkKey::whole(1)).with_array("img", img);
        let outs = run("threshold", json!({}), &[frame]);
        let mask = outs[0].frames()[0].array("img").unwrap();
        let fg: u64 = mask.as_slice::<u8>().unwrap().iter().map(|&v| v as u64).sum();
        assert_eq!(fg, e[format!("otsu_fg_{name}")].as_u64().unwrap(), "{name}: foreground is value > t");
        assert_eq!(outs[1].results()["threshold"].as_f64(), e[format!("otsu_{name}")].as_f64(), "{name}");
    }
}

#[test]
fn chunked_otsu_then_fixed_threshold_equals_the_whole_volume() {
    let e = expected();
    let vol16 = load("in_vol16");
    let vol = array(&vol16);
    let want_t = e["otsu_vol16"].as_f64().unwrap();
    let (want_mask, _) = chunked("threshold", json!({}), &vol, 1, 0);
    for k in [1, 3, 7] {
        let frames = padded_chunks(&vol, "mask", k, 0);
        let outs = run("otsu", json!({}), &frames);
        assert!(outs[..k].iter().all(|o| o.forwards_input() && o.frames().is_empty()));
        let r = outs[k].results();
        assert_eq!(r["threshold"].as_f64(), Some(want_t), "{k} chunks");
        let (mask, _) = chunked("threshold", json!({"method": "fixed", "value": want_t}), &vol, k, 0);
        assert!(mask.as_bytes() == want_mask.as_bytes(), "{k} chunks");
        let outs = run("otsu", json!({"classes": 3}), &frames);
        assert_eq!(outs[k].results()["thresholds"], e["multiotsu3_vol16"], "multi-Otsu, {k} chunks");
    }
    // A float volume in chunks needs its range; with it, the whole volume's threshold.
    let f: Vec<f32> = u16s(&vol16).iter().map(|&v| v as f32 / 65535.0).collect();
    let want = otsu(&Histogram::of(&f, 256).unwrap()).unwrap();
    let (lo, hi) = f.iter().fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let fvol = Array::from_vec(vol.shape().to_vec(), f).unwrap().with_axes("z y x").unwrap();
    let frames = padded_chunks(&fvol, "mask", 3, 0);
    let outs = run("otsu", json!({"min": lo as f64, "max": hi as f64}), &frames);
    assert_eq!(outs[3].results()["threshold"].as_f64(), Some(want));
    let mut h = Harness::new(PLUGIN, "otsu", json!({})).unwrap();
    assert_eq!(
        h.process(&frames[0]).unwrap_err().to_string(),
        "invalid input `mask`: expected the whole volume in one frame (a float volume's histogram spans its range: give `min` and `max` for one streamed in chunks), got slices 0..8 of 24 (give the input `chunk = 24` or more until the host assembles whole volumes)"
    );
    let mut h = Harness::new(PLUGIN, "threshold", json!({})).unwrap();
    assert!(h
        .process(&frames[0])
        .unwrap_err()
        .to_string()
        .contains("Otsu's threshold is a statistic of the whole volume"));
}

#[test]
fn label_then_relabel_on_chunks_equals_scipy() {
    let e = expected();
    let vol = array(&load("blobs48"));
    for c in [6, 18, 26] {
        let want = u32s(&load(&format!("label{c}_fg")));
        for k in [1, 3, 7] {
            let frames = padded_chunks(&vol, "mask", k, 0);
            let outs = run("label", json!({"connectivity": c}), &frames);
            let r = outs[k].results();
            assert_eq!(r["count"].as_u64(), e[format!("label{c}_fg_count")].as_u64(), "{c}, {k} chunks");
            assert_eq!(r["sizes"], e[format!("label{c}_fg_sizes")], "{c}, {k} chunks");
            if k == 1 {
                assert_eq!(r["merges"], json!([]), "one chunk: provisional labels are final");
            }
            let provisional = stacked(&frames, &outs[..k], "mask");
            let relabel_in = padded_chunks(&provisional, "mask", k, 0);
            let finals = run("relabel", json!({"merges": r["merges"].clone()}), &relabel_in);
            let got = stacked(&relabel_in, &finals[..k], "mask");
            assert!(got.as_slice::<u32>().unwrap() == want.as_slice(), "scipy's numbering, {c}, {k} chunks");
        }
    }
}

#[test]
fn chunks_out_of_order_are_refused() {
    let vol = array(&load("blobs48"));
    let frames = padded_chunks(&vol, "mask", 3, 0);
    let mut h = Harness::new(PLUGIN, "label", json!({})).unwrap();
    h.process(&frames[0]).unwrap();
    assert_eq!(
        h.process(&frames[2]).unwrap_err().to_string(),
        "invalid input `mask`: expected the chunk starting at z 16 (chunks in z order), got the chunk starting at z 32"
    );
    let mut h = Harness::new(PLUGIN, "label", json!({})).unwrap();
    h.process(&frames[0]).unwrap();
    assert_eq!(
        h.finish().unwrap_err().to_string(),
        "invalid input: expected chunks covering the volume's 48 slices, got a stream that ended at slice 16"
    );
    let e = Harness::new(PLUGIN, "label", json!({"connectivity": 5})).err().unwrap();
    assert_eq!(e.to_string(), "parameter `connectivity`: expected 4 or 8 (2-D) or 6, 18 or 26 (3-D), got 5");
    assert_eq!(e.kind(), "bad_parameter");
}

#[test]
fn remove_small_objects_whole_and_through_chunked_labels() {
    let vol = array(&load("blobs48"));
    for c in [6, 26] {
        let want = u8s(&load(&format!("small{c}")));
        let outs = run("remove_small_objects", json!({"max_size": 20, "connectivity": c}), &[whole(&vol, "mask")]);
        assert!(outs[0].frames()[0].array("mask").unwrap().as_bytes() == want.as_slice(), "whole mask, {c}");
        for k in [3, 7] {
            let frames = padded_chunks(&vol, "mask", k, 0);
            let outs = run("label", json!({"connectivity": c}), &frames);
            let r = outs[k].results().clone();
            let provisional = padded_chunks(&stacked(&frames, &outs[..k], "mask"), "mask", k, 0);
            let params = json!({"max_size": 20, "merges": r["merges"], "sizes": r["sizes"]});
            let kept = run("remove_small_objects", params, &provisional);
            let got = stacked(&provisional, &kept[..k], "mask");
            assert!(got.as_bytes() == want.as_slice(), "labels in {k} chunks, {c}");
        }
    }
    let mut h = Harness::new(PLUGIN, "remove_small_objects", json!({})).unwrap();
    let e = h.process(&padded_chunks(&vol, "mask", 2, 0)[1]).unwrap_err().to_string();
    assert!(
        e.starts_with("invalid input `mask`: expected the whole volume in one frame (component sizes span chunks;"),
        "{e}"
    );
}

#[test]
fn morphology_on_padded_chunks_matches_scipy() {
    let vol = array(&load("blobs32"));
    for (op, st, operation, structure, radius) in [
        ("opening", "cross1", Operation::Opening, Structure::Cross, 1),
        ("closing", "ball2", Operation::Closing, Structure::Ball, 2),
        ("erosion", "cube1", Operation::Erosion, Structure::Cube, 1),
    ] {
        let p = MorphologyParams { operation, structure, radius, ..Default::default() };
        let name = format!("morph_{op}_{st}_b0");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.npy.gz"));
        let want = if path.exists() {
            u8s(&load(&name))
        } else {
            morphology(&u8s(&load("blobs32")), plexus_segment::Shape::new(32, 32, 32), &p, 1).unwrap()
        };
        let params = json!({"operation": op, "structure": format!("{structure:?}").to_lowercase(), "radius": radius});
        for k in [1, 3, 7] {
            let (got, _) = chunked("morphology", params.clone(), &vol, k, halo(&p));
            assert!(got.as_bytes() == want.as_slice(), "{name}, {k} chunks");
        }
    }
    let frames = padded_chunks(&vol, "mask", 3, 1);
    let mut h = Harness::new(PLUGIN, "morphology", json!({"operation": "opening"})).unwrap();
    assert_eq!(
        h.process(&frames[1]).unwrap_err().to_string(),
        "invalid input `mask`: expected 2 halo slice(s) on each side of a chunk cut inside the volume (`radius`, twice for opening and closing), got 1 before the chunk at z 10"
    );
}

#[test]
fn distance_transform_and_watershed_on_whole_volumes() {
    let m = load("blobs48_edt");
    let vol = array(&m);
    let want: Vec<f64> = u32s(&load("edt_sq_int")).iter().map(|&q| (q as f64).sqrt()).collect();
    let outs = run(
        "distance_transform",
        json!({"voxel_size_um": [2.0, 1.0, 3.0], "precision": "f64"}),
        &[whole(&vol, "mask")],
    );
    let f = &outs[0].frames()[0];
    assert!(f.array("mask").unwrap().as_slice::<f64>().unwrap() == want.as_slice(), "f64 exact");
    assert_eq!(f.meta()["unit"], "µm");
    let outs = run("distance_transform", json!({"voxel_size_um": [2.0, 1.0, 3.0]}), &[whole(&vol, "mask")]);
    for (g, w) in outs[0].frames()[0].array("mask").unwrap().as_slice::<f32>().unwrap().iter().zip(&want) {
        assert!((*g as f64 - w).abs() <= 1e-6 * w.max(1.0), "{g} vs {w}");
    }
    let mut h = Harness::new(PLUGIN, "distance_transform", json!({})).unwrap();
    let e = h.process(&padded_chunks(&vol, "mask", 2, 0)[0]).unwrap_err().to_string();
    assert!(e.starts_with("invalid input `mask`: expected the whole volume in one frame (the distance transform's z pass needs whole columns)"), "{e}");
    let e = Harness::new(PLUGIN, "distance_transform", json!({"voxel_size_um": [1.0, 0.0, 1.0]})).err().unwrap();
    assert_eq!(
        e.to_string(),
        "parameter `voxel_size_um`: expected three positive finite lengths [z, y, x] in µm, got [1.0, 0.0, 1.0]"
    );

    let ex = expected();
    let input = load("ws_in_blobs");
    let p = &ex["ws_blobs_params"];
    let mut params = json!({"min_distance": p["min_distance"]});
    if let Some(f) = p["footprint"].as_u64() {
        params["footprint_size"] = json!(f);
    }
    let outs = run("watershed", params, &[whole(&array(&input), "mask")]);
    let got = outs[0].frames()[0].array("mask").unwrap();
    assert!(got.as_slice::<u32>().unwrap() == u32s(&load("ws_blobs")).as_slice(), "watershed labels");
    assert_eq!(outs[1].results()["peaks"].as_u64(), Some(ex["ws_blobs_peaks"].as_array().unwrap().len() as u64));
}

/// The shipped U-Net through the operator equals the model file through
/// the kernel, and an odd extent is padded and cropped (ONNX Runtime
/// needed: `scripts/ensure-onnxruntime.sh`).
#[test]
fn onnx_runs_the_shipped_unet() {
    use plexus_onnx::segment::{segment, OnnxSegmentParams};
    let n = plexus_testkit::load_from(concat!(env!("CARGO_MANIFEST_DIR"), "/../onnx"), "seg_image");
    let img: Vec<f32> = n.f64s().into_iter().map(|v| v as f32).collect();
    let shape = [n.shape[0], n.shape[1], n.shape[2]];
    let file = OnnxSegmentParams {
        model: std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../onnx/models/unet_segment.onnx")),
        tile: vec![24],
        overlap: 8,
        margin: 2,
        ..Default::default()
    };
    let mut model = file.load(1).unwrap_or_else(|e| panic!("{e}"));
    let mut want = vec![0u8; img.len()];
    segment(&mut model, &img, shape, &file, &mut want).unwrap();
    let vol = Array::from_vec(shape.to_vec(), img.clone()).unwrap().with_axes("z y x").unwrap();
    let params = json!({"tile": [24], "overlap": 8, "margin": 2});
    let outs = run("onnx", params.clone(), &[whole(&vol, "image")]);
    assert!(outs[0].frames()[0].array("image").unwrap().as_bytes() == want.as_slice());
    assert_eq!(outs[1].results()["classes"], 3);
    // 23 slices: odd and shorter than the tile, padded to 24 and cropped.
    let plane = shape[1] * shape[2];
    let odd = Array::from_vec(vec![23, shape[1], shape[2]], img[..23 * plane].to_vec()).unwrap();
    let outs = run("onnx", params, &[whole(&odd, "image")]);
    let got = outs[0].frames()[0].array("image").unwrap();
    assert_eq!(got.shape(), &[23, shape[1], shape[2]]);
    let agree = got.as_bytes().iter().zip(&want[..23 * plane]).filter(|(a, b)| a == b).count();
    assert!(agree as f64 >= 0.99 * (23 * plane) as f64, "{agree} of {}", 23 * plane);
}
