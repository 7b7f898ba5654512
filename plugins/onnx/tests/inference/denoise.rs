//! `denoise.onnx` with the shipped Noise2Noise model.
//!
//! Tolerances: against Python onnxruntime on the same batch, 1e-5 absolute
//! (same library and graph; the batch here goes through `ort` as a borrowed
//! f32 tensor, so only the execution's own rounding could differ — measured
//! 0). Tiled against one pass, 1e-5: the net has no pooling and a receptive
//! radius of 7, so with a dead margin of 7 every weighted voxel sees the same
//! neighbourhood; convolutions of different tile sizes may pick different
//! kernels in ONNX Runtime, which round differently (~1e-7).

use plexus_onnx::denoise::{denoise, OnnxDenoiseParams};
use plexus_onnx::error::OnnxError;
use plexus_onnx::model::Model;

use crate::common::{f32s, fixture_json, max_abs_diff, model, model_path, psnr};

fn params(tile: usize, overlap: usize, margin: usize, batch: usize) -> OnnxDenoiseParams {
    OnnxDenoiseParams {
        model: model_path("n2n_denoise.onnx"),
        tile: vec![tile],
        overlap,
        margin,
        batch,
        ..Default::default()
    }
}

#[test]
fn matches_python_onnxruntime_on_the_same_batch() {
    let (noisy, shape) = f32s("n2n_noisy");
    let (want, _) = f32s("n2n_ort");
    let shape = [shape[0], shape[1], shape[2]];
    let mut m = model("n2n_denoise.onnx", 2);
    let mut out = vec![0.0; noisy.len()];
    // one tile per slice, both slices in one batch: the tensor Python ran
    denoise(&mut m, &noisy, shape, &params(64, 32, 8, 2), &mut out).unwrap();
    let d = max_abs_diff(&out, &want);
    assert!(d <= 1e-5, "max |diff| vs onnxruntime {d:e}");
}

#[test]
fn gains_what_the_training_script_measured() {
    let (noisy, shape) = f32s("n2n_noisy");
    let (clean, _) = f32s("n2n_clean");
    let shape = [shape[0], shape[1], shape[2]];
    let mut m = model("n2n_denoise.onnx", 1);
    let mut out = vec![0.0; noisy.len()];
    denoise(&mut m, &noisy, shape, &params(64, 32, 8, 1), &mut out).unwrap();
    let want = fixture_json();
    let plane = shape[1] * shape[2];
    for z in 0..shape[0] {
        let s = z * plane..(z + 1) * plane;
        let (before, after) = (psnr(&clean[s.clone()], &noisy[s.clone()]), psnr(&clean[s.clone()], &out[s]));
        let expected = want["n2n_ort_psnr_db"][z].as_f64().unwrap();
        assert!((after - expected).abs() < 0.01, "slice {z}: {after:.3} dB, onnxruntime {expected:.3} dB");
        assert!(after - before > 8.0, "slice {z}: gain {:.2} dB", after - before);
    }
}

#[test]
fn tiles_stitch_to_the_single_pass_result() {
    let (noisy, shape) = f32s("n2n_noisy");
    let shape = [shape[0], shape[1], shape[2]];
    let mut m = model("n2n_denoise.onnx", 2);
    let mut whole = vec![0.0; noisy.len()];
    denoise(&mut m, &noisy, shape, &params(64, 32, 8, 2), &mut whole).unwrap();
    for (tile, overlap, batch) in [(24, 16, 3), (30, 14, 1), (40, 20, 4)] {
        let mut tiled = vec![0.0; noisy.len()];
        denoise(&mut m, &noisy, shape, &params(tile, overlap, 7, batch), &mut tiled).unwrap();
        let d = max_abs_diff(&tiled, &whole);
        assert!(d <= 1e-5, "tile {tile}, overlap {overlap}: max |diff| {d:e}");
    }
    // the margin is what makes it exact: without it, tile edges show
    let mut seams = vec![0.0; noisy.len()];
    denoise(&mut m, &noisy, shape, &params(24, 16, 0, 3), &mut seams).unwrap();
    assert!(max_abs_diff(&seams, &whole) > 1e-3);
}

#[test]
fn slabs_of_a_stream_equal_the_whole_chunk() {
    // the host cuts a volume into z slabs (halo 0 for slices): each slab
    // alone gives the rows of the whole
    let (noisy, shape) = f32s("n2n_noisy");
    let shape = [shape[0], shape[1], shape[2]];
    let p = params(32, 16, 7, 2);
    assert_eq!(p.halo(), 0);
    let mut m = model("n2n_denoise.onnx", 1);
    let mut whole = vec![0.0; noisy.len()];
    denoise(&mut m, &noisy, shape, &p, &mut whole).unwrap();
    let plane = shape[1] * shape[2];
    for z in 0..shape[0] {
        let mut slab = vec![0.0; plane];
        denoise(&mut m, &noisy[z * plane..(z + 1) * plane], [1, shape[1], shape[2]], &p, &mut slab).unwrap();
        assert!(max_abs_diff(&slab, &whole[z * plane..(z + 1) * plane]) <= 1e-5);
    }
}

#[test]
fn bad_inputs_are_errors_that_name_them() {
    let e = Model::load(&model_path("no-such-model.onnx"), 1).unwrap_err();
    assert!(e.to_string().ends_with("no-such-model.onnx`: no such file"), "{e}");
    let mut m = model("n2n_denoise.onnx", 1);
    // An empty `model` is the shipped model, built into the library: the
    // same network as the file, so the same output bit for bit.
    let mut built_in = OnnxDenoiseParams::default().load(1).unwrap();
    assert_eq!(built_in.path().to_str(), Some("n2n_denoise.onnx (shipped with the plugin)"));
    let img: Vec<f32> = (0..24 * 24).map(|i| ((i * 37 % 101) as f32) / 101.0).collect();
    let (mut a, mut b) = (vec![0.0; img.len()], vec![0.0; img.len()]);
    denoise(&mut m, &img, [1, 24, 24], &params(24, 8, 4, 1), &mut a).unwrap();
    denoise(&mut built_in, &img, [1, 24, 24], &params(24, 8, 4, 1), &mut b).unwrap();
    assert_eq!(a, b);
    let e = denoise(&mut m, &[0.0; 10], [1, 4, 4], &params(4, 2, 1, 1), &mut [0.0; 16]).unwrap_err();
    assert_eq!(e, OnnxError::Length { which: "input", shape: [1, 4, 4], got: 10, want: 16 });
    let p = OnnxDenoiseParams { tile: vec![1, 2, 3], ..params(4, 2, 1, 1) };
    assert_eq!(
        denoise(&mut m, &[0.0; 16], [1, 4, 4], &p, &mut [0.0; 16]).unwrap_err().to_string(),
        "parameter `tile`: expected one side or two (y, x) for `slices`, got [1, 2, 3]"
    );
    // a 2-D model fed 3-D patches: onnxruntime's refusal, with the tensor named
    let p = OnnxDenoiseParams { layout: plexus_onnx::Layout::Patches, ..params(4, 2, 1, 1) };
    let e = denoise(&mut m, &[0.0; 16], [1, 4, 4], &p, &mut [0.0; 16]).unwrap_err().to_string();
    assert!(e.contains("inference on a [1, 1, 1, 4, 4] tensor failed"), "{e}");
}
