//! The quantify operators through the compliance harness (the ABI adapter
//! the host calls, built from `plugin.toml`'s defaults) on the PoreSpy,
//! scikit-image and scipy fixtures of `fixtures.rs`, whole and in 1, 3 and
//! 7 chunks without a host halo (the operators that need a slice below, or
//! SSIM's window, keep it themselves); and their refusals, asserted exactly.
//!
//! Tolerances: as `fixtures.rs` against the peers (counts, Euler numbers
//! and local thickness exact; areas 1e-5 relative; diffusive tortuosity 3 %;
//! PSNR 1e-9 relative, SSIM 1e-9 absolute); between chunkings every result
//! is bit-identical (integer counts add; float partial sums are kept per
//! slice or layer and summed in order).

#[path = "../../segment/tests/common/mod.rs"]
mod common;

use common::{expected, load, u8s};
use plexus_plugin_api::compliance::{check_operator, Harness};
use plexus_plugin_api::{Array, ChunkKey, Frame, Plugin};
use plexus_testkit::{padded_chunks, Npy};
use serde_json::{json, Map, Value};

const PLUGIN: &Plugin = &plexus_quantify::PLUGIN;

fn array(n: &Npy) -> Array {
    let axes = if n.shape.len() == 3 { "z y x" } else { "y x" };
    n.array().with_axes(axes).unwrap()
}

fn exp_f(key: &str) -> f64 {
    expected()[key].as_f64().unwrap_or_else(|| panic!("{key}"))
}

/// The results of `op` over `k` chunks of `a`; every frame is forwarded.
fn results(op: &str, params: Value, a: &Array, k: usize) -> Map<String, Value> {
    let frames = padded_chunks(a, "mask", k, 0);
    let outs = check_operator(PLUGIN, op, params, &frames).unwrap_or_else(|e| panic!("{e}"));
    assert!(outs[..k].iter().all(|o| o.forwards_input()), "`{op}` forwards its input");
    outs[k].results().clone()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn manifest_declares_the_registered_operators() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")).unwrap();
    let m: toml::Table = text.parse().unwrap();
    assert_eq!(m["plugin"]["artifact"].as_str(), Some("libplexus_quantify.so"));
    let ops = m["operator"].as_array().unwrap();
    let names: Vec<&str> = ops.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, PLUGIN.operator_names().collect::<Vec<_>>());
    assert!(
        ops.iter().all(|o| o["parallel"].as_bool() == Some(false)),
        "every quantify operator reduces across frames"
    );
    assert!(ops.iter().all(|o| o["halo"].as_integer() == Some(0)), "none needs a host halo");
}

#[test]
fn reductions_on_1_3_7_chunks_match_the_peers() {
    let n = load("blobs48");
    let vol = array(&n);
    let solid = Array::from_vec(vec![48, 48, 48], u8s(&n).iter().map(|&v| 1 - v).collect::<Vec<u8>>()).unwrap();
    let mut seen: Vec<Map<String, Value>> = Vec::new();
    for k in [1, 3, 7] {
        let p = results("porosity", json!({}), &vol, k);
        assert_eq!(p["porosity"].as_f64(), Some(exp_f("porosity")));
        for (phase, a) in [("pore", &vol), ("solid", &solid)] {
            for c in [6, 26] {
                let e = results("euler_number", json!({"connectivity": c}), a, k);
                assert_eq!(e["euler_number"], expected()[format!("euler{c}_{phase}")], "{phase} {c}, {k} chunks");
            }
        }
        let c = results("connectivity", json!({"connectivity": 26}), &vol, k);
        assert_eq!(c["phases"], json!([0, 1]));
        assert_eq!(c["components"][1], expected()["components26_pore"], "{k} chunks");
        assert_eq!(c["components"][0], expected()["components26_solid"], "{k} chunks");
        assert_eq!(c["largest_voxels"][1], expected()["largest26_pore"]);
        let mut areas = Map::new();
        for (bname, vs, key) in
            [("open", [1.0, 1.0, 1.0], "area_open_unit"), ("closed", [2.0, 1.0, 0.5], "area_closed_aniso")]
        {
            let r = results("surface_area", json!({"boundary": bname, "voxel_size_um": vs}), &vol, k);
            let a = r["area_um2"].as_f64().unwrap();
            assert!(rel(a, exp_f(key)) <= 1e-5, "{key}: {a}");
            assert_eq!(r["boundary"], bname);
            areas.insert(key.into(), r["area_um2"].clone());
        }
        seen.push(areas);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "areas bit-identical across chunkings: {seen:?}");
}

#[test]
fn pore_size_and_tortuosity_of_whole_volumes() {
    let n = load("blobs48_lt");
    let vol = array(&n);
    let frame = Frame::new("d", ChunkKey::whole(48)).with_array("mask", vol.clone());
    let outs =
        check_operator(PLUGIN, "pore_size", json!({"voxel_size_um": 2.5}), std::slice::from_ref(&frame)).unwrap();
    let radii = outs[0].frames()[0].array("mask").unwrap();
    let want: Vec<f32> = u8s(&load("local_thickness")).iter().map(|&v| v as f32 * 2.5).collect();
    assert!(radii.as_slice::<f32>().unwrap() == want.as_slice(), "PoreSpy's local thickness, in µm");
    let r = outs[1].results();
    assert!(rel(r["mean_radius_um"].as_f64().unwrap(), exp_f("lt_mean") * 2.5) <= 1e-12);
    let fractions: f64 = r["volume_fraction"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).sum();
    assert!((fractions - 1.0).abs() < 1e-12);
    assert_eq!(r["radius_um"].as_array().unwrap().len(), r["voxels"].as_array().unwrap().len());
    let mut h = Harness::new(PLUGIN, "pore_size", json!({})).unwrap();
    let e = h.process(&padded_chunks(&vol, "mask", 3, 0)[1]).unwrap_err().to_string();
    assert!(e.starts_with("invalid input `mask`: expected the whole volume in one frame (local thickness spheres reach across the volume), got slices 16..32 of 48"), "{e}");

    let t = load("blobs40_tau");
    let frame = Frame::new("d", ChunkKey::whole(40)).with_array("mask", array(&t));
    let outs = check_operator(PLUGIN, "tortuosity", json!({}), std::slice::from_ref(&frame)).unwrap();
    let r = outs[1].results();
    assert!(rel(r["tortuosity"].as_f64().unwrap(), exp_f("tau_fd_axis0")) <= 0.03);
    assert_eq!(r["effective_porosity"].as_f64(), Some(exp_f("tau_fd_eps_axis0")));
    assert_eq!((r["kind"].clone(), r["axis"].clone()), (json!("diffusive"), json!(0)));
    let outs = check_operator(PLUGIN, "tortuosity", json!({"kind": "geometric"}), &[frame]).unwrap();
    assert!(rel(outs[1].results()["tortuosity"].as_f64().unwrap(), exp_f("tau_geo_axis0")) <= 1e-9);
}

/// Frames of `k` chunks, each holding the chunk of `test` as `in0` and of
/// `reference` as `in1`, as the host zips two inputs.
fn pairs(test: &Array, reference: &Array, k: usize) -> Vec<Frame> {
    let a = padded_chunks(test, "in0", k, 0);
    let b = padded_chunks(reference, "in1", k, 0);
    a.into_iter().zip(b).map(|(fa, fb)| fa.with_array("in1", fb.array("in1").unwrap().clone())).collect()
}

#[test]
fn metrics_score_the_first_input_against_the_second() {
    let (r, t) = (array(&load("cam")), array(&load("cam_noisy")));
    let frame = Frame::new("d", ChunkKey::whole(1)).with_array("in0", t).with_array("in1", r);
    let outs = check_operator(PLUGIN, "metrics", json!({}), &[frame]).unwrap();
    let m = outs[1].results();
    assert!(rel(m["psnr_db"].as_f64().unwrap(), exp_f("psnr_cam")) <= 1e-9);
    assert!((m["ssim"].as_f64().unwrap() - exp_f("ssim_cam")).abs() <= 1e-9);
    assert_eq!(m["ssim_data_range"], 255.0);

    let (r, t) = (array(&load("vol_ref")), array(&load("vol_test")));
    let mut seen = Vec::new();
    for k in [1, 3, 7] {
        let outs = check_operator(PLUGIN, "metrics", json!({"data_range": 1.0}), &pairs(&t, &r, k)).unwrap();
        let m = outs[k].results().clone();
        assert!((m["ssim"].as_f64().unwrap() - exp_f("ssim_vol")).abs() <= 1e-9, "{k} chunks");
        assert!(rel(m["psnr_db"].as_f64().unwrap(), exp_f("psnr_vol")) <= 1e-9, "{k} chunks");
        seen.push(m);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "bit-identical across chunkings");

    let mut h = Harness::new(PLUGIN, "metrics", json!({"data_range": 1.0})).unwrap();
    let one = padded_chunks(&t, "in0", 1, 0);
    assert_eq!(
        h.process(&one[0]).unwrap_err().to_string(),
        "invalid input: expected two arrays: the image scored and its reference (list two `inputs` for the stage), got 1 array(s)"
    );
    let mut h = Harness::new(PLUGIN, "metrics", json!({})).unwrap();
    h.process(&pairs(&t, &r, 1)[0]).unwrap_err();
    let e = Harness::new(PLUGIN, "metrics", json!({"win_size": 4})).err().unwrap();
    assert_eq!(e.to_string(), "parameter `win_size`: expected an odd number, at least 3, got 4");
}

#[test]
fn refusals_name_what_is_wrong() {
    let vol = array(&load("blobs48"));
    let frames = padded_chunks(&vol, "mask", 3, 0);
    let mut h = Harness::new(PLUGIN, "euler_number", json!({})).unwrap();
    h.process(&frames[0]).unwrap();
    assert_eq!(
        h.process(&frames[2]).unwrap_err().to_string(),
        "invalid input `mask`: expected the chunk starting at z 16 (chunks in z order), got the chunk starting at z 32"
    );
    let mut h = Harness::new(PLUGIN, "surface_area", json!({})).unwrap();
    h.process(&frames[0]).unwrap();
    assert_eq!(
        h.finish().unwrap_err().to_string(),
        "invalid input: expected chunks covering the volume's 48 slices, got a stream that ended at slice 16"
    );
    let e = Harness::new(PLUGIN, "euler_number", json!({"connectivity": 18})).err().unwrap();
    assert_eq!(e.to_string(), "parameter `connectivity`: expected 6 or 26 for the 3-D Euler number, got 18");
    let e = Harness::new(PLUGIN, "surface_area", json!({"voxel_size_um": [1.0, 2.0]})).err().unwrap();
    assert_eq!(
        e.to_string(),
        "parameter `voxel_size_um`: expected three positive finite lengths [z, y, x] in µm, got [1.0, 2.0]"
    );
    let f = Frame::new("d", ChunkKey::whole(1)).with_array("mask", Array::zeros::<f32>(vec![4, 4]));
    let mut h = Harness::new(PLUGIN, "porosity", json!({})).unwrap();
    assert_eq!(
        h.process(&f).unwrap_err().to_string(),
        "invalid input `mask`: expected a phase image of `u8`, `u16` or `u32`, got `f32`"
    );
}
