//! `segment.onnx` with the shipped 3-D U-Net.
//!
//! Tolerances: logits 1e-4 absolute against Python onnxruntime on the same
//! patch (3-D convolutions sum ~200 products in f32; measured ≤ 1e-6);
//! labels of one pass equal onnxruntime's argmax exactly except where two
//! logits tie to within that rounding (none here). Tiled 3-D runs are not
//! exact for a U-Net: its max-pool makes it equivariant only to even shifts
//! and its receptive field (radius ~10) exceeds the margin; they must agree
//! with the single pass on ≥ 99 % of voxels.

use plexus_onnx::segment::{segment, OnnxSegmentParams};

use crate::common::{f32s, fixture_json, max_abs_diff, model, model_path, npy};

fn params(tile: usize, overlap: usize, margin: usize) -> OnnxSegmentParams {
    OnnxSegmentParams {
        model: model_path("unet_segment.onnx"),
        tile: vec![tile],
        overlap,
        margin,
        batch: 2,
        ..Default::default()
    }
}

#[test]
fn logits_match_python_onnxruntime() {
    let (img, shape) = f32s("seg_image");
    let (want, _) = f32s("seg_patch_logits");
    let n = 16;
    let mut patch = Vec::with_capacity(n * n * n);
    for z in 0..n {
        for y in 0..n {
            patch.extend_from_slice(&img[(z * shape[1] + y) * shape[2]..][..n]);
        }
    }
    let mut m = model("unet_segment.onnx", 2);
    let mut out = Vec::new();
    let got = m.run(&patch, &[1, 1, n, n, n], &mut out).unwrap();
    assert_eq!(got, [1, 3, n, n, n]);
    let d = max_abs_diff(&out, &want);
    assert!(d <= 1e-4, "max |diff| {d:e}");
}

#[test]
fn one_pass_labels_equal_onnxruntimes_and_tiles_nearly_do() {
    let (img, shape) = f32s("seg_image");
    let shape = [shape[0], shape[1], shape[2]];
    let want = npy("seg_ort_labels").data;
    let truth = npy("seg_labels").data;
    let mut m = model("unet_segment.onnx", 2);
    let mut labels = vec![0u8; img.len()];
    assert_eq!(segment(&mut m, &img, shape, &params(24, 8, 2), &mut labels).unwrap(), 3);
    assert_eq!(labels, want);
    let accuracy = labels.iter().zip(&truth).filter(|(a, b)| a == b).count() as f64 / truth.len() as f64;
    let expected = fixture_json()["seg_ort_accuracy"].as_f64().unwrap();
    assert!((accuracy - expected).abs() < 1e-9, "{accuracy} vs {expected}");

    let mut tiled = vec![0u8; img.len()];
    segment(&mut m, &img, shape, &params(16, 8, 2), &mut tiled).unwrap();
    let agree = tiled.iter().zip(&labels).filter(|(a, b)| a == b).count() as f64 / labels.len() as f64;
    assert!(agree >= 0.99, "tiled vs one pass: {agree}");
}

#[test]
fn z_slabs_with_the_declared_halo_nearly_equal_the_whole() {
    let (img, shape) = f32s("seg_image");
    let shape = [shape[0], shape[1], shape[2]];
    let p = params(16, 8, 2);
    let mut m = model("unet_segment.onnx", 1);
    let mut whole = vec![0u8; img.len()];
    segment(&mut m, &img, shape, &p, &mut whole).unwrap();
    let plane = shape[1] * shape[2];
    let halo = p.halo();
    let mut streamed = vec![0u8; img.len()];
    for (a, b) in [(0, 12), (12, 24)] {
        let (lo, hi) = (a - halo.min(a), (b + halo).min(shape[0]));
        let slab = &img[lo * plane..hi * plane];
        let mut out = vec![0u8; slab.len()];
        // a slab thinner than a tile gets a smaller tile along z: 16 fits 14
        segment(&mut m, slab, [hi - lo, shape[1], shape[2]], &p, &mut out).unwrap();
        streamed[a * plane..b * plane].copy_from_slice(&out[(a - lo) * plane..(b - lo) * plane]);
    }
    let agree = streamed.iter().zip(&whole).filter(|(a, b)| a == b).count() as f64 / whole.len() as f64;
    assert!(agree >= 0.99, "slabs vs whole: {agree}");
}
