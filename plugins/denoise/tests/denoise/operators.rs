//! The operators through the compliance harness (the ABI adapter the host
//! calls, built from `plugin.toml`'s defaults): the manifest agrees with
//! the code; each operator on 1, 3 and 7 chunks padded with the halo its
//! parameters need, trimmed and stacked as the host does, gives exactly
//! (bit for bit) the kernel's whole-volume output; the wrap changes nothing
//! against the peer fixtures; and bad input and parameters are refused with
//! the typed errors, asserted exactly.

use plexus_denoise::gaussian::{gaussian, GaussianParams};
use plexus_denoise::median::{median, MedianParams};
use plexus_denoise::nl_means::{nl_means, NlMeansParams};
use plexus_denoise::tv_chambolle::{tv_chambolle, TvChambolleParams};
use plexus_plugin_api::compliance::{check_operator, Harness};
use plexus_plugin_api::{Array, ChunkKey, Frame};
use plexus_testkit::{padded_chunks, stacked};
use serde_json::{json, Value};

use crate::common::{input, max_abs_diff, reference};

const PLUGIN: &plexus_plugin_api::Plugin = &plexus_denoise::PLUGIN;

fn volume(name: &str) -> (Array, Vec<f32>, [usize; 3]) {
    let (v, shape) = input(name);
    (Array::from_vec(shape.to_vec(), v.clone()).unwrap().with_axes("z y x").unwrap(), v, shape)
}

/// The operator's output on `k` chunks with `halo`, as the host stacks it.
fn run_chunked(op: &str, params: Value, vol: &Array, k: usize, halo: usize) -> Vec<f32> {
    let frames = padded_chunks(vol, "image", k, halo);
    let outs = check_operator(PLUGIN, op, params, &frames).unwrap_or_else(|e| panic!("{e}"));
    let out = stacked(&frames, &outs, "image");
    assert_eq!((out.shape(), out.axes()), (vol.shape(), "z y x"));
    out.into_vec::<f32>().unwrap()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn manifest_declares_the_registered_operators() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")).unwrap();
    let m: toml::Table = text.parse().unwrap();
    assert_eq!(m["plugin"]["artifact"].as_str(), Some("libplexus_denoise.so"));
    let names: Vec<&str> = m["operator"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, PLUGIN.operator_names().collect::<Vec<_>>());
    // The declared halos are those the default parameters need.
    let halo = |op: &str| {
        m["operator"].as_array().unwrap().iter().find(|o| o["name"].as_str() == Some(op)).unwrap()["halo"]
            .as_integer()
            .unwrap() as usize
    };
    assert_eq!(halo("gaussian"), GaussianParams::default().radius().unwrap()[0]);
    assert_eq!(halo("median"), MedianParams::default().halo().unwrap());
    assert_eq!(halo("nl_means"), NlMeansParams::default().halo());
    assert_eq!(halo("bilateral"), 0);
}

#[test]
fn filters_on_1_3_7_padded_chunks_equal_the_whole_volume_kernel() {
    let (vol, v, shape) = volume("in_vol_noisy");
    let whole = |f: &dyn Fn(&[f32], &mut [f32])| {
        let mut o = vec![0.0; v.len()];
        f(&v, &mut o);
        o
    };
    let gp = GaussianParams { sigma: vec![1.2, 0.8, 1.0], ..Default::default() };
    let mp = MedianParams { size: vec![4, 3, 2], ..Default::default() };
    let np = NlMeansParams { patch_size: 3, patch_distance: 2, h: 0.08, sigma: 0.05, ..Default::default() };
    let tp = TvChambolleParams { eps: 0.0, max_num_iter: 4, ..Default::default() };
    let cases: Vec<(&str, Value, usize, Vec<f32>)> = vec![
        (
            "gaussian",
            json!({"sigma": [1.2, 0.8, 1.0]}),
            gp.radius().unwrap()[0],
            whole(&|i, o| gaussian(i, shape, &gp, 1, o).unwrap()),
        ),
        ("median", json!({"size": [4, 3, 2]}), mp.halo().unwrap(), whole(&|i, o| median(i, shape, &mp, 1, o).unwrap())),
        (
            "nl_means",
            json!({"patch_size": 3, "patch_distance": 2, "h": 0.08, "sigma": 0.05}),
            np.halo(),
            whole(&|i, o| nl_means(i, shape, &np, 1, o).unwrap()),
        ),
        (
            "tv_chambolle",
            json!({"eps": 0.0, "max_num_iter": 4}),
            4,
            whole(&|i, o| {
                tv_chambolle(i, shape, &tp, 1, o).unwrap();
            }),
        ),
    ];
    for (op, params, halo, want) in cases {
        for k in [1, 3, 7] {
            let got = run_chunked(op, params.clone(), &vol, k, halo);
            assert_eq!(bits(&got), bits(&want), "`{op}` on {k} chunks with halo {halo}");
        }
    }
    // Plane-by-plane filters need no halo at all.
    for (op, params) in [("bilateral", json!({"mode": "reflect"})), ("tv_chambolle", json!({"dims": "planes"}))] {
        let one = run_chunked(op, params.clone(), &vol, 1, 0);
        assert_eq!(bits(&run_chunked(op, params, &vol, 7, 0)), bits(&one), "`{op}` on 7 chunks");
    }
}

#[test]
fn the_wrap_keeps_the_peer_results() {
    // u8 camera in, converted to f32 in the image's own units (0–255): the
    // fixture was made from the image / 255, so scale back. Tolerance as
    // `gaussian.rs`: 2e-6 of the [0, 1] range.
    let (img, v, _) = {
        let (v, shape) = input("in_camera");
        let u8s: Vec<u8> = v.iter().map(|x| (x * 255.0).round() as u8).collect();
        (Array::from_vec(vec![shape[1], shape[2]], u8s).unwrap(), v, shape)
    };
    let frame = Frame::new("d", ChunkKey::whole(1)).with_array("camera", img);
    let params = json!({"sigma": [1.5, 2.0], "mode": "mirror", "cval": 0.25 * 255.0, "dims": "planes"});
    let outs = check_operator(PLUGIN, "gaussian", params, &[frame]).unwrap();
    let out = outs[0].frames()[0].array("camera").unwrap();
    assert_eq!((out.shape(), out.dtype()), (&[64usize, 64][..], plexus_plugin_api::DType::F32));
    let scaled: Vec<f32> = out.as_slice::<f32>().unwrap().iter().map(|x| x / 255.0).collect();
    let d = max_abs_diff(&scaled, &reference("gaussian_camera_mirror"));
    assert!(d <= 2e-6, "max |diff| {d:e}");
    assert_eq!(v.len(), scaled.len());
}

#[test]
fn chunks_short_of_halo_and_bad_parameters_are_refused() {
    let (vol, _, _) = volume("in_vol_noisy");
    // sigma 2 along z needs 8 slices of halo; the manifest's 4 is not enough.
    let tall = Array::from_fn(vec![30, 8, 8], |i| (i % 7) as f32).with_axes("z y x").unwrap();
    let frames = padded_chunks(&tall, "image", 3, 4);
    let mut h = Harness::new(PLUGIN, "gaussian", json!({"sigma": [2.0], "truncate": 4.0})).unwrap();
    let e = h.process(&frames[1]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid input `image`: expected 8 halo slice(s) on each side of a chunk cut inside the volume (the kernel radius floor(truncate sigma_z + 0.5)), got 4 before the chunk at z 10"
    );
    assert_eq!(e.kind(), "bad_input");
    let e = Harness::new(PLUGIN, "gaussian", json!({"sigma": [1.0, 2.0]})).err().unwrap();
    assert_eq!(e.to_string(), "parameter `sigma`: expected one value or three (z, y, x), got [1.0, 2.0]");
    assert_eq!(e.kind(), "bad_parameter");
    let e = Harness::new(PLUGIN, "median", json!({"mode": "wrap"})).err().unwrap();
    assert_eq!(e.to_string(), "parameter `mode`: expected one of reflect, constant, nearest, mirror, got `wrap`");
    // 3-D TV with eps > 0 stops on the whole volume's energy: a chunk is refused.
    let mut h = Harness::new(
        PLUGIN,
        "tv_chambolle",
        json!({"weight": 0.1, "eps": 0.0002, "max_num_iter": 200, "dims": "volume"}),
    )
    .unwrap();
    let e = h.process(&padded_chunks(&vol, "image", 2, 0)[0]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid input `image`: expected the whole volume in one frame (a 3-D TV minimisation with `eps` > 0 stops on the energy of the whole volume; `eps = 0` with a halo of `max_num_iter` slices chunks exactly), got slices 0..5 of 10 (give the input `chunk = 10` or more until the host assembles whole volumes)"
    );
    let rgb = Frame::new("d", ChunkKey::whole(1))
        .with_array("rgb", Array::zeros::<u8>(vec![4, 4, 3]).with_axes("y x band").unwrap());
    let mut h = Harness::new(PLUGIN, "median", json!({})).unwrap();
    assert_eq!(
        h.process(&rgb).unwrap_err().to_string(),
        "invalid input `rgb`: expected a grey-level volume `[z, y, x]` or image `[y, x]`, got shape [4, 4, 3] (axes `y x band`)"
    );
}

#[test]
fn tv_publishes_its_iteration_count() {
    let (vol, _, _) = volume("in_vol_noisy");
    let frames = padded_chunks(&vol, "image", 1, 0);
    let outs = check_operator(PLUGIN, "tv_chambolle", json!({"eps": 0.0, "max_num_iter": 7}), &frames).unwrap();
    assert_eq!(outs.last().unwrap().results()["iterations"], 7);
}

/// The shipped model through the operator equals the model file through the
/// kernel (ONNX Runtime is needed: `scripts/ensure-onnxruntime.sh`).
#[test]
fn onnx_runs_the_shipped_model_on_chunks() {
    let (vol, v, shape) = volume("in_vol_noisy");
    let file = plexus_onnx::denoise::OnnxDenoiseParams {
        model: std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../onnx/models/n2n_denoise.onnx")),
        ..Default::default()
    };
    let mut model = file.load(1).unwrap_or_else(|e| panic!("{e}"));
    let mut want = vec![0.0; v.len()];
    plexus_onnx::denoise::denoise(&mut model, &v, shape, &file, &mut want).unwrap();
    for k in [1, 3] {
        let got = run_chunked("onnx", json!({}), &vol, k, 0);
        assert_eq!(bits(&got), bits(&want), "onnx on {k} chunks");
    }
}
