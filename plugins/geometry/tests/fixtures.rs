//! Every operator against reference outputs from scipy, OpenCV, numpy and
//! scikit-image on real images (`tests/fixtures/make_fixtures.py`, and
//! `tests/fixtures/make_conventions.py` for the second conventions of the
//! Sobel magnitude, the spectrum's binning and the weighted perimeter),
//! driven through the plugin ABI by `compliance::check_operator`.
//!
//! Tolerances: f32 convolution ≤ 1e-4 absolute (images in [0, 1]; scipy
//! computes in f64, we in f32); integer kernels on integer images exact;
//! numpy.gradient bit-identical; Sobel magnitude ≤ 1e-5 (f32) and ≤ 1e-12
//! (f64), scipy's unnormalised one 4√2 times that (its values are 4√2
//! times larger); power spectrum ≤ 1e-9 relative; area, perimeter and Euler
//! numbers exact, Crofton perimeter ≤ 1e-9 relative, weighted perimeter
//! ≤ 1e-12 relative (sums of at most ~10^5 weights in f64).

mod common;

use common::{frame, max_abs_diff, npy};
use plexus_geometry::PLUGIN;
use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::{Array, DType, Output};
use serde_json::{json, Value};

const MODES: [&str; 4] = ["reflect", "constant", "nearest", "mirror"];

/// Runs operator `name` on one frame through the compliance harness.
fn run(name: &str, params: Value, input: Array) -> Output {
    let mut outs = check_operator(&PLUGIN, name, params, &[frame(input)]).unwrap();
    outs.swap_remove(0)
}

fn output(name: &str, params: Value, input: Array) -> Array {
    let e = run(name, params, input);
    assert_eq!(e.frames().len(), 1);
    e.frames()[0].array("image").unwrap().clone()
}

fn kernel_params(k: &common::Npy) -> Value {
    json!({ "kernel": k.f64(), "kernel_shape": [k.shape[0], k.shape[1]] })
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

#[test]
fn float_kernels_match_scipy_in_all_modes() {
    let kernels = ["gauss5", "sobel", "rand3x3", "rand4x4", "rand2x5", "rand5x5", "rank1_3x4"];
    let mut worst: f64 = 0.0;
    for img in ["camera", "coins"] {
        let input = npy(&format!("in_{img}_f32")).array();
        let (h, w) = (input.shape()[0], input.shape()[1]);
        for kname in kernels {
            let k = npy(&format!("k_{kname}"));
            let want = npy(&format!("conv_{img}_{kname}")).f64();
            for (o, op) in ["convolve", "correlate"].into_iter().enumerate() {
                for (m, mode) in MODES.into_iter().enumerate() {
                    for separable in ["auto", "off"] {
                        let params =
                            with(kernel_params(&k), json!({ "mode": mode, "cval": 0.25, "separable": separable }));
                        let got = output(op, params, input.clone());
                        assert_eq!(got.dtype(), DType::F32);
                        assert_eq!(got.shape(), &[h, w]);
                        let at = (o * 4 + m) * h * w;
                        let err = max_abs_diff(&got.to_f64_vec(), &want[at..at + h * w]);
                        assert!(err <= 1e-4, "{op} {img} {kname} {mode} {separable}: {err}");
                        worst = worst.max(err);
                    }
                }
            }
        }
    }
    eprintln!("worst f32 difference to scipy: {worst:.2e}");
}

#[test]
fn integer_kernels_on_integer_image_are_exact() {
    let input = npy("in_grains_u8").array();
    let (h, w) = (input.shape()[0], input.shape()[1]);
    for kname in ["isobel", "irand3x3", "irand4x4"] {
        let k = npy(&format!("k_{kname}"));
        let want: Vec<i32> = npy(&format!("conv_grains_{kname}")).typed();
        for (o, op) in ["convolve", "correlate"].into_iter().enumerate() {
            for (m, mode) in MODES.into_iter().enumerate() {
                for separable in ["auto", "off"] {
                    let params = with(kernel_params(&k), json!({ "mode": mode, "cval": 2.0, "separable": separable }));
                    let got = output(op, params, input.clone());
                    assert_eq!(got.dtype(), DType::I32, "{kname}");
                    let at = (o * 4 + m) * h * w;
                    assert_eq!(got.as_slice::<i32>().unwrap(), &want[at..at + h * w], "{op} {kname} {mode}");
                }
            }
        }
    }
}

#[test]
fn builtin_sobel_is_exact_on_integers_and_uses_its_axis() {
    let input = npy("in_grains_u8").array();
    let n = input.len();
    let want: Vec<i32> = npy("conv_grains_isobel").typed();
    for (m, mode) in MODES.into_iter().enumerate() {
        let got = output("convolve", json!({ "filter": "sobel", "mode": mode, "cval": 2.0 }), input.clone());
        assert_eq!(got.as_slice::<i32>().unwrap(), &want[m * n..(m + 1) * n]);
    }
    // axis = y is the transpose: compare on the transposed image.
    let (h, w) = (input.shape()[0], input.shape()[1]);
    let src = input.as_slice::<u8>().unwrap();
    let t: Vec<u8> = (0..w * h).map(|i| src[(i % h) * w + i / h]).collect();
    let gy = output("convolve", json!({ "filter": "sobel", "axis": "y" }), Array::from_vec(vec![w, h], t).unwrap());
    let gy = gy.as_slice::<i32>().unwrap();
    let gy_t: Vec<i32> = (0..h * w).map(|i| gy[(i % w) * h + i / w]).collect();
    assert_eq!(gy_t, &want[..n]);
}

#[test]
fn builtin_float_filters_match_their_kernels() {
    let input = npy("in_camera_f32").array();
    let n = input.len();
    let want = npy("conv_camera_gauss5").f64();
    for (m, mode) in MODES.into_iter().enumerate() {
        let got = output("correlate", json!({ "filter": "gaussian5", "mode": mode, "cval": 0.25 }), input.clone());
        let at = (4 + m) * n;
        assert!(max_abs_diff(&got.to_f64_vec(), &want[at..at + n]) <= 1e-6, "{mode}");
    }
    // identity5 returns the input bit for bit, whatever the mode.
    for mode in MODES {
        let got = output("convolve", json!({ "filter": "identity5", "mode": mode }), input.clone());
        assert_eq!(got.as_bytes(), input.as_bytes());
    }
    // dx under convolve is numpy.gradient's interior central difference.
    let grad = npy("grad_camera_f32_s2_05").f64(); // spacing (2, 0.5)
    let (h, w) = (input.shape()[0], input.shape()[1]);
    let dx = output("convolve", json!({ "filter": "dx" }), input.clone()).to_f64_vec();
    let dy = output("convolve", json!({ "filter": "dy" }), input.clone()).to_f64_vec();
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            assert!((dx[i] / 0.5 - grad[n + i]).abs() < 1e-5);
            assert!((dy[i] / 2.0 - grad[i]).abs() < 1e-5);
        }
    }
}

#[test]
fn opencv_filter2d_border_flags_are_the_scipy_modes() {
    // BORDER_REFLECT = reflect, BORDER_CONSTANT (0) = constant with cval 0,
    // BORDER_REPLICATE = nearest, BORDER_REFLECT_101 = mirror.
    let input = npy("in_camera_f32").array();
    let n = input.len();
    for kname in ["rand4x4", "rand5x5", "rand2x5"] {
        let k = npy(&format!("k_{kname}"));
        // OpenCV was given the kernel rounded to f32.
        let k32: Vec<f64> = k.f64().iter().map(|&v| v as f32 as f64).collect();
        let want = npy(&format!("cv2_camera_{kname}")).f64();
        for (m, mode) in MODES.into_iter().enumerate() {
            let params = json!({ "kernel": k32, "kernel_shape": [k.shape[0], k.shape[1]], "mode": mode });
            let got = output("correlate", params, input.clone());
            let err = max_abs_diff(&got.to_f64_vec(), &want[m * n..(m + 1) * n]);
            assert!(err <= 1e-5, "{kname} {mode}: {err}");
        }
    }
}

#[test]
fn channel_last_images_are_filtered_per_channel() {
    let input = npy("in_ihc_u8").array().with_axes("y x c").unwrap();
    let got = output("correlate", json!({ "filter": "gaussian5", "mode": "mirror" }), input.clone());
    assert_eq!(got.shape(), input.shape());
    assert_eq!(got.axes(), "y x c");
    assert_eq!(got.dtype(), DType::F32);
    // Binomial weights and u8 values: every partial sum is exact in f32.
    assert_eq!(got.to_f64_vec(), npy("corr_ihc_gauss5_mirror").f64());
}

#[test]
fn stacks_are_filtered_plane_by_plane() {
    let a = npy("in_camera_f32");
    let b = npy("in_camera_f32"); // same size plane
    let mut bytes = a.bytes.clone();
    let rev: Vec<f32> = b.typed::<f32>().into_iter().rev().collect();
    bytes.extend(rev.iter().flat_map(|v| v.to_le_bytes()));
    let (h, w) = (a.shape[0], a.shape[1]);
    let stack = Array::from_bytes(DType::F32, vec![2, h, w], &bytes).unwrap();
    let params = json!({ "filter": "gaussian5", "mode": "nearest" });
    let got = output("convolve", params.clone(), stack).to_f64_vec();
    let one = output("convolve", params.clone(), a.array().reshape(vec![1, h, w]).unwrap());
    assert_eq!(one.shape(), &[1, h, w]);
    assert_eq!(&got[..h * w], one.to_f64_vec().as_slice());
    let second = output("convolve", params, Array::from_vec(vec![h, w], rev).unwrap()).to_f64_vec();
    assert_eq!(&got[h * w..], second.as_slice());
}

#[test]
fn gradient_matches_numpy_bit_for_bit() {
    let input = npy("in_camera_f32").array();
    let n = input.len();
    let want = npy("grad_camera_f32_s2_05").f64();
    let e = run("gradient", json!({ "spacing": [2.0, 0.5] }), input.clone());
    let f = &e.frames()[0];
    let dy = f.array("image_dy").unwrap();
    let dx = f.array("image_dx").unwrap();
    assert_eq!(dy.dtype(), DType::F32);
    assert_eq!(dy.to_f64_vec(), &want[..n]);
    assert_eq!(dx.to_f64_vec(), &want[n..]);
    let only_x = output("gradient", json!({ "spacing": [2.0, 0.5], "axis": "x" }), input);
    assert_eq!(only_x.to_f64_vec(), &want[n..]);

    let input = npy("in_grains_u8").array();
    let n = input.len();
    let want = npy("grad_grains_u8").f64();
    let e = run("gradient", json!({}), input);
    let f = &e.frames()[0];
    assert_eq!(f.array("image_dy").unwrap().dtype(), DType::F64);
    assert_eq!(f.array("image_dy").unwrap().to_f64_vec(), &want[..n]);
    assert_eq!(f.array("image_dx").unwrap().to_f64_vec(), &want[n..]);
}

#[test]
fn sobel_magnitude_matches_skimage() {
    let input = npy("in_camera_f32").array();
    let got = output("gradient", json!({ "output": "sobel_magnitude" }), input.clone());
    assert_eq!(got.dtype(), DType::F32);
    let err = max_abs_diff(&got.to_f64_vec(), &npy("sobel_camera_f32").f64());
    assert!(err <= 1e-5, "{err}");
    let got = output("gradient", json!({ "output": "sobel_magnitude", "mode": "constant", "cval": 0.5 }), input);
    let err = max_abs_diff(&got.to_f64_vec(), &npy("sobel_camera_f32_constant").f64());
    assert!(err <= 1e-5, "{err}");
    // u8: skimage rescales by 1/255 (img_as_float), we keep native values.
    let got = output("gradient", json!({ "output": "sobel_magnitude" }), npy("in_grains_u8").array());
    assert_eq!(got.dtype(), DType::F64);
    let scaled: Vec<f64> = got.to_f64_vec().iter().map(|v| v / 255.0).collect();
    let err = max_abs_diff(&scaled, &npy("sobel_grains_u8").f64());
    assert!(err <= 1e-12, "{err}");
}

#[test]
fn sobel_hypot_matches_scipy() {
    let tol = 4.0 * std::f64::consts::SQRT_2;
    let input = npy("in_camera_f32").array();
    let got = output("gradient", json!({ "output": "sobel-hypot" }), input.clone());
    assert_eq!(got.dtype(), DType::F32);
    let err = max_abs_diff(&got.to_f64_vec(), &npy("sobel_hypot_camera_f32").f64());
    assert!(err <= 1e-5 * tol, "{err}");
    let got = output("gradient", json!({ "output": "sobel-hypot", "mode": "constant", "cval": 0.5 }), input);
    let err = max_abs_diff(&got.to_f64_vec(), &npy("sobel_hypot_camera_f32_constant").f64());
    assert!(err <= 1e-5 * tol, "{err}");
    // u8 computed in f64: scipy on the image converted to float64, values
    // up to a few thousand, so 1e-12 relative.
    let got = output("gradient", json!({ "output": "sobel-hypot" }), npy("in_grains_u8").array());
    assert_eq!(got.dtype(), DType::F64);
    let err = max_abs_diff(&got.to_f64_vec(), &npy("sobel_hypot_grains_u8").f64());
    assert!(err <= 1e-12 * 255.0 * tol, "{err}");
}

#[test]
fn power_spectrum_floor_binning_matches_numpy() {
    for (img, want) in [("in_ps_camera_u8", "ps_floor_camera"), ("in_ps_coins_u8", "ps_floor_coins")] {
        let got = output("power_spectrum", json!({ "binning": "floor" }), npy(img).array());
        let want = npy(want).f64();
        // floor gives one bin fewer than rint where the corner's radius
        // rounds up: 64x48 has |f| = 40 at the corner (both 41 bins), 45x63
        // has sqrt(22^2 + 31^2) = 38.01 (both 39 bins).
        assert_eq!(got.shape(), &[want.len()]);
        for (k, (g, w)) in got.to_f64_vec().iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 1e-9 * w.abs(), "{img} bin {k}: {g} vs {w}");
        }
    }
}

#[test]
fn weighted_perimeter_matches_skimage() {
    for name in ["grains", "coins"] {
        let table = npy(&format!("mkw_{name}"));
        let rows = table.f64();
        let nt = table.shape[0];
        let col = |c: usize| (0..nt).map(|i| rows[i * 3 + c]).collect::<Vec<f64>>();
        let input = frame(npy(&format!("in_mk_{name}_u8")).array());
        let outs = check_operator(&PLUGIN, "minkowski", json!({ "thresholds": col(0) }), &[input]).unwrap();
        let r = outs[1].results();
        let get = |k: &str| r[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<f64>>();
        for (key, c) in [("perimeter_weighted4", 1), ("perimeter_weighted8", 2)] {
            for (g, w) in get(key).iter().zip(col(c)) {
                assert!((g - w).abs() <= 1e-12 * w, "{name} {key} {g} vs skimage {w}");
            }
        }
    }
}

#[test]
fn power_spectrum_matches_numpy() {
    for (img, want) in [("in_ps_camera_u8", "ps_camera"), ("in_ps_coins_u8", "ps_coins")] {
        let got = output("power_spectrum", json!({}), npy(img).array());
        let want = npy(want).f64();
        assert_eq!(got.shape(), &[want.len()]);
        assert_eq!(got.axes(), "radius");
        for (k, (g, w)) in got.to_f64_vec().iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 1e-9 * w.abs(), "{img} bin {k}: {g} vs {w}");
        }
    }
}

#[test]
fn minkowski_matches_skimage() {
    for name in ["grains", "coins"] {
        let table = npy(&format!("mk_{name}"));
        let rows = table.f64();
        let nt = table.shape[0];
        let col = |c: usize| (0..nt).map(|i| rows[i * 6 + c]).collect::<Vec<f64>>();
        let input = frame(npy(&format!("in_mk_{name}_u8")).array());
        let outs = check_operator(&PLUGIN, "minkowski", json!({ "thresholds": col(0) }), &[input]).unwrap();
        // `process` forwards the image; `finish` publishes the totals.
        assert!(outs[0].forwards_input() && outs[0].results().is_empty());
        let r = outs[1].results();
        let get = |k: &str| r[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<f64>>();
        assert_eq!(get("thresholds"), col(0));
        assert_eq!(get("area"), col(1), "{name} area");
        assert_eq!(get("perimeter"), col(2), "{name} perimeter");
        assert_eq!(get("euler4"), col(4), "{name} euler4");
        assert_eq!(get("euler8"), col(5), "{name} euler8");
        for (g, w) in get("perimeter_crofton").iter().zip(col(3)) {
            assert!((g - w).abs() <= 1e-9 * w, "{name} crofton {g} vs {w}");
        }
    }
}

#[test]
fn options_fail_with_clear_messages() {
    let err = |op: &str, p: Value| match PLUGIN.build(op, &p.to_string(), &plexus_plugin_api::Context::new(1)) {
        Ok(_) => panic!("{op} accepted {p}"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        err("convolve", json!({ "filter": "gaussian5", "mode": "wrap" })),
        "parameter `mode`: expected one of reflect, constant, nearest, mirror, got `wrap`"
    );
    assert_eq!(
        err("correlate", json!({ "filter": "box" })),
        "parameter `filter`: expected one of custom, identity5, dx, dy, sobel, gaussian5, got `box`"
    );
    assert_eq!(
        err("convolve", json!({})),
        "parameter `kernel`: expected a row-major list of weights when `filter` is `custom`, got []"
    );
    assert_eq!(
        err("convolve", json!({ "kernel": [1, 2, 3], "kernel_shape": [2, 2] })),
        "parameter `kernel_shape`: expected the shape of `kernel`'s 3 weights, got [2, 2], which needs 4"
    );
    assert_eq!(
        err("convolve", json!({ "kernel": [1, 2, 3, 4], "kernel_shape": [2, 2], "separable": "on" })),
        "parameter `separable`: expected `auto` or `off` for a kernel that is not rank 1, got `on`"
    );
    assert_eq!(
        err("gradient", json!({ "output": "laplace" })),
        "parameter `output`: expected one of central, sobel_magnitude, sobel-hypot, got `laplace`"
    );
    assert_eq!(
        err("power_spectrum", json!({ "binning": "ceil" })),
        "parameter `binning`: expected one of round, floor, got `ceil`"
    );
    assert_eq!(
        err("minkowski", json!({ "thresholds": [] })),
        "parameter `thresholds`: expected at least one threshold, got []"
    );
}
