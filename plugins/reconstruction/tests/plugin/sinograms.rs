//! The sinogram-pattern operators that map sinograms to sinograms or
//! slices (`remove_stripes`, `fbp`, `gridrec`): each gives its kernel's
//! values bit for bit on the whole stack whatever the chunking along
//! `row`, reads the angles from the frame's metadata, keeps the chunk
//! axis's label, the key and the metadata, and refuses bad input with the
//! message asserted here.

use plexus_plugin_api::ChunkKey;
use plexus_reconstruction::fbp::{fbp, FbpParams};
use plexus_reconstruction::fourier_filter::Filter;
use plexus_reconstruction::geometry::half_turn_deg;
use plexus_reconstruction::gridrec::{gridrec, GridrecParams};
use plexus_reconstruction::remove_stripes::{remove_stripes, RemoveStripesParams};
use plexus_reconstruction::SinoShape;
use serde_json::{json, Value};

use super::{build_error, emitted, first_frame, frame_error, frames, no_meta, run, stack};
use crate::common::{phantom, psnr};
use crate::recon::chunking;

const ROWS: usize = 7;

/// 7 sinograms of the 33-px phantom at 45 angles, with column gain
/// errors (stripes).
fn sinograms(cols: usize, angles: &[f64]) -> Vec<f32> {
    let s = chunking::stack(cols, angles);
    s.iter().enumerate().map(|(k, v)| v * (1.0 + 0.02 * ((k % cols) as f32 * 2.7).sin())).collect()
}

#[test]
fn remove_stripes_is_the_kernel_for_every_method() {
    let (cols, na) = (33usize, 45usize);
    let s = sinograms(cols, &half_turn_deg(na));
    let shape = SinoShape { rows: ROWS, angles: na, cols };
    for params in [
        json!({}),
        json!({ "method": "filtering", "sigma": 2.0 }),
        json!({ "method": "wavelet-fft", "level": 2, "wavelet": "db5" }),
        json!({ "method": "sorting", "size": 5, "dim": 2 }),
    ] {
        let p: RemoveStripesParams = serde_json::from_value(params.clone()).unwrap();
        let want = remove_stripes(&s, shape, &p.method_params().unwrap(), 1).unwrap();
        assert!(want != s, "{params}: stripes were removed");
        for k in [1, 3, 7] {
            let f = frames(&stack(s.clone(), [ROWS, na, cols], "row angle col"), k, no_meta);
            assert!(emitted(&run("remove_stripes", params.clone(), &f)) == want, "{params}, {k} chunks");
        }
    }
}

#[test]
fn remove_stripes_refuses_a_parameter_of_another_method() {
    assert_eq!(
        build_error("remove_stripes", json!({ "method": "sorting", "sigma": 5.0 })),
        "parameter `sigma`: expected left out with method `sorting`, got 5 (it is a parameter of filtering and wavelet-fft)"
    );
    assert_eq!(
        build_error("remove_stripes", json!({ "method": "wavelet-fft", "size": 21 })),
        "parameter `size`: expected left out with method `wavelet-fft`, got 21 (it is a parameter of sorting and filtering)"
    );
}

/// FBP and gridrec through the plugin equal their kernels bit for bit in
/// 1, 3 and 7 chunks; the slices have axes `row y x`, the input's key and
/// metadata; and the angles are the metadata's (`theta_deg` here is a
/// shuffled half turn, which the default would get wrong).
#[test]
fn fbp_and_gridrec_are_their_kernels_whatever_the_chunking() {
    let (cols, na) = (33usize, 45usize);
    let angles = half_turn_deg(na);
    let order: Vec<usize> = (0..na).map(|i| (i * 17) % na).collect();
    let shuffled: Vec<f64> = order.iter().map(|&i| angles[i]).collect();
    let s = chunking::stack(cols, &shuffled);
    let shape = SinoShape { rows: ROWS, angles: na, cols };
    let meta = |_: usize, _: usize| json!({ "theta_deg": shuffled.clone(), "pixel_size_cm": 0.002 });
    let fp = FbpParams { filter: Filter::Hann, center_col: Some(16.25), ..FbpParams::default() };
    let cases: [(&str, Value, Vec<f32>); 2] = [
        ("fbp", json!({ "filter": "hann", "center_col": 16.25 }), fbp(&s, shape, &shuffled, &fp, 1).unwrap()),
        (
            "gridrec",
            json!({ "output_size": 29 }),
            gridrec(&s, shape, &shuffled, &GridrecParams { output_size: Some(29), ..Default::default() }, 1).unwrap(),
        ),
    ];
    for (op, params, want) in cases {
        for k in [1, 3, 7] {
            let f = frames(&stack(s.clone(), [ROWS, na, cols], "row angle col"), k, meta);
            let outs = run(op, params.clone(), &f);
            assert!(emitted(&outs) == want, "{op}: {k} chunks");
            let first = first_frame(&outs);
            let a = first.array("data").unwrap();
            let n = if op == "fbp" { cols } else { 29 };
            assert_eq!((&a.shape()[1..], a.axes()), (&[n, n][..], "row y x"), "{op}");
            assert_eq!(first.key(), ChunkKey { axis: 0, offset: 0, length: (ROWS / k.min(ROWS)) as u64, extent: 7 });
            assert_eq!(first.meta()["pixel_size_cm"], 0.002);
        }
    }
}

/// Without angles in the metadata, a half turn: an NPY stack of sinograms
/// (axes `z y x`) reconstructs the phantom as well as the kernel does
/// (PSNR ≥ 20 dB against the 65-px phantom with 90 angles; the kernel
/// tests hold FBP to scikit-image's iradon).
#[test]
fn fbp_of_an_unlabelled_stack_assumes_a_half_turn() {
    let (n, na) = (65usize, 90usize);
    let one = crate::common::sinogram(n, n, &half_turn_deg(na), 32.0);
    let f = frames(&stack(one.clone(), [1, na, n], "z y x"), 1, no_meta);
    let outs = run("fbp", json!({}), &f);
    let a = first_frame(&outs).array("data").unwrap();
    assert_eq!(a.axes(), "z y x");
    let img = a.as_slice::<f32>().unwrap();
    let want = fbp(&one, SinoShape::slice(na, n), &half_turn_deg(na), &FbpParams::default(), 1).unwrap();
    assert!(img == want.as_slice());
    let p = psnr(img, &phantom(n));
    assert!(p >= 20.0, "{p} dB");
}

#[test]
fn sinogram_operators_refuse_what_they_cannot_read() {
    let (cols, na) = (9usize, 6usize);
    let s = stack(vec![0.0; 2 * na * cols], [2, na, cols], "row angle col");
    let with = |meta: Value| frames(&s, 1, move |_, _| meta.clone());
    assert_eq!(
        frame_error("fbp", json!({}), &with(json!({ "theta_deg": [0.0, 30.0] }))),
        "invalid input: expected metadata `theta_deg` with one angle per index of the angle axis (6), got 2 angles"
    );
    assert_eq!(
        frame_error("fbp", json!({}), &with(json!({ "theta_deg": "0:180" }))),
        "invalid input: expected metadata `theta_deg` as a list of angles, got `\"0:180\"`"
    );
    let projections = stack(vec![0.0; 2 * na * cols], [na, 2, cols], "angle row col");
    assert_eq!(
        frame_error("gridrec", json!({}), &frames(&projections, 1, no_meta)),
        "invalid input `data`: expected sinograms `[rows, angles, cols]` (axes `row angle col`), got axes `angle row col`; sinogram operators need the stack resliced along `row`"
    );
    let flat = plexus_plugin_api::Frame::new("d", ChunkKey::whole(1))
        .with_array("data", plexus_plugin_api::Array::from_vec(vec![4], vec![0.0f32; 4]).unwrap());
    assert_eq!(
        frame_error("fbp", json!({}), &[flat]),
        "invalid input `data`: expected sinograms `[rows, angles, cols]` (axes `row angle col`), got shape [4] (axes `x`)"
    );
    assert_eq!(build_error("fbp", json!({ "output_size": 0 })), "parameter `output_size`: expected at least 1, got 0");
}
