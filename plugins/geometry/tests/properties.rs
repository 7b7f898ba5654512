//! Properties over seeded random images and kernels: shapes preserved, the
//! identity kernel returns its input, convolution is correlation with the
//! flipped kernel, the separable path equals the general one, and results do
//! not depend on the thread count.

mod common;

use common::{frame, max_abs_diff, Rng};
use plexus_geometry::filter::{correlate2d_reference, correlate2d_vec, Anchor, Kernel, Path};
use plexus_geometry::options::Mode;
use plexus_geometry::PLUGIN;
use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::{Array, DType};
use serde_json::json;

const MODES: [Mode; 4] = [Mode::Reflect, Mode::Constant, Mode::Nearest, Mode::Mirror];
const MODE_NAMES: [&str; 4] = ["reflect", "constant", "nearest", "mirror"];

fn image(rng: &mut Rng, h: usize, w: usize) -> Vec<f32> {
    (0..h * w).map(|_| rng.next_f64() as f32).collect()
}

fn kernel(rng: &mut Rng, kh: usize, kw: usize) -> Kernel {
    Kernel::new(kh, kw, (0..kh * kw).map(|_| rng.next_f64() * 2.0 - 1.0).collect())
}

#[test]
fn shape_and_dtype_are_preserved() {
    let mut rng = Rng::new(1);
    for case in 0..20 {
        let (h, w) = (1 + rng.below(40), 1 + rng.below(40));
        let (kh, kw) = (1 + rng.below(6), 1 + rng.below(6));
        let k = kernel(&mut rng, kh, kw);
        let img = Array::from_vec(vec![1, h, w], image(&mut rng, h, w)).unwrap();
        for op in ["convolve", "correlate"] {
            let params = json!({ "kernel": k.weights, "kernel_shape": [kh, kw], "mode": MODE_NAMES[case % 4] });
            let out = check_operator(&PLUGIN, op, params, &[frame(img.clone())]).unwrap();
            let a = out[0].frames()[0].array("image").unwrap();
            assert_eq!(a.shape(), &[1, h, w]);
            assert_eq!(a.dtype(), DType::F32);
        }
    }
}

#[test]
fn identity_kernel_returns_the_input() {
    let mut rng = Rng::new(2);
    for _ in 0..20 {
        let (h, w) = (1 + rng.below(50), 1 + rng.below(90));
        let img = image(&mut rng, h, w);
        let (kh, kw) = (1 + 2 * rng.below(3), 1 + 2 * rng.below(3));
        let mut weights = vec![0.0; kh * kw];
        weights[(kh / 2) * kw + kw / 2] = 1.0;
        let k = Kernel::new(kh, kw, weights);
        for mode in MODES {
            for path in [Path::Auto, Path::General] {
                let out = correlate2d_vec(&img, h, w, &k, Anchor::correlate(kh, kw), mode, 3.0, path, 2).unwrap();
                assert_eq!(out, img);
            }
        }
    }
}

#[test]
fn convolve_is_correlate_with_the_flipped_kernel() {
    let mut rng = Rng::new(3);
    for _ in 0..30 {
        let (h, w) = (2 + rng.below(40), 2 + rng.below(70));
        let (kh, kw) = (1 + rng.below(6), 1 + rng.below(6));
        let k = kernel(&mut rng, kh, kw);
        let img = image(&mut rng, h, w);
        let arr = Array::from_vec(vec![h, w], img.clone()).unwrap();
        let mode = MODE_NAMES[rng.below(4)];
        let run = |op: &str, k: &Kernel| {
            let params = json!({ "kernel": k.weights, "kernel_shape": [kh, kw], "mode": mode, "separable": "off" });
            let out = check_operator(&PLUGIN, op, params, &[frame(arr.clone())]).unwrap();
            out[0].frames()[0].array("image").unwrap().as_slice::<f32>().unwrap().to_vec()
        };
        let conv = run("convolve", &k);
        let corr = run("correlate", &k.flipped());
        // scipy places an even kernel's origin one sample apart for the two:
        // convolve(k)[y, x] == correlate(flip(k))[y + sy, x + sx].
        let (sy, sx) = ((kh + 1) % 2, (kw + 1) % 2);
        if sy == 0 && sx == 0 {
            assert_eq!(conv, corr, "{kh}x{kw}");
        } else {
            for y in 0..h - sy {
                for x in 0..w - sx {
                    assert_eq!(conv[y * w + x], corr[(y + sy) * w + x + sx], "{kh}x{kw} at {y},{x}");
                }
            }
        }
    }
}

#[test]
fn separable_path_equals_general_path() {
    let mut rng = Rng::new(4);
    for _ in 0..30 {
        let (h, w) = (1 + rng.below(60), 1 + rng.below(150));
        let (kh, kw) = (1 + rng.below(7), 1 + rng.below(7));
        let col: Vec<f64> = (0..kh).map(|_| rng.next_f64() - 0.5).collect();
        let row: Vec<f64> = (0..kw).map(|_| rng.next_f64() - 0.5).collect();
        let k = Kernel::outer(&col, &row);
        let img = image(&mut rng, h, w);
        for mode in MODES {
            let a = Anchor::correlate(kh, kw);
            let sep = correlate2d_vec(&img, h, w, &k, a, mode, 0.7, Path::Separable, 1);
            let Ok(sep) = sep else { continue }; // rounding made the product not exactly rank 1
            let gen = correlate2d_vec(&img, h, w, &k, a, mode, 0.7, Path::General, 1).unwrap();
            let to64 = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
            assert!(max_abs_diff(&to64(&sep), &to64(&gen)) < 1e-5, "{h}x{w} {kh}x{kw} {mode:?}");
        }
    }
    // Integer kernels on integer values: both paths exact and equal.
    for _ in 0..10 {
        let (h, w) = (5 + rng.below(40), 5 + rng.below(40));
        let col: Vec<f64> = (0..3).map(|_| rng.below(7) as f64 - 3.0).collect();
        let row: Vec<f64> = (0..5).map(|_| rng.below(7) as f64 - 3.0).collect();
        let k = Kernel::outer(&col, &row);
        let img: Vec<f64> = (0..h * w).map(|_| rng.below(65536) as f64).collect();
        for mode in MODES {
            let a = Anchor::convolve(3, 5);
            let sep = correlate2d_vec(&img, h, w, &k, a, mode, 5.0, Path::Auto, 1).unwrap();
            let gen = correlate2d_vec(&img, h, w, &k, a, mode, 5.0, Path::General, 1).unwrap();
            assert_eq!(sep, gen);
            assert_eq!(gen, correlate2d_reference(&img, h, w, &k, a, mode, 5.0));
        }
    }
}

#[test]
fn thread_count_does_not_change_results() {
    let mut rng = Rng::new(5);
    let (h, w) = (301, 517);
    let img = image(&mut rng, h, w);
    for (kh, kw) in [(5, 5), (3, 7), (4, 4)] {
        let k = kernel(&mut rng, kh, kw);
        let sep = Kernel::outer(&[0.25, 0.5, 0.25], &[1.0, -3.0, 0.5, 2.0]);
        for mode in MODES {
            for k in [&k, &sep] {
                let a = Anchor::correlate(k.kh, k.kw);
                let one = correlate2d_vec(&img, h, w, k, a, mode, 0.0, Path::Auto, 1).unwrap();
                for threads in [2, 3, 8] {
                    assert_eq!(one, correlate2d_vec(&img, h, w, k, a, mode, 0.0, Path::Auto, threads).unwrap());
                }
                let want =
                    correlate2d_reference(&img.iter().map(|&v| v as f64).collect::<Vec<_>>(), h, w, k, a, mode, 0.0);
                let got: Vec<f64> = one.iter().map(|&v| v as f64).collect();
                assert!(max_abs_diff(&got, &want) < 1e-5);
            }
        }
    }
}

#[test]
fn minkowski_is_additive_over_planes() {
    let mut rng = Rng::new(6);
    let (h, w) = (30, 41);
    let a: Vec<u8> = (0..h * w).map(|_| rng.below(256) as u8).collect();
    let b: Vec<u8> = (0..h * w).map(|_| rng.below(256) as u8).collect();
    let params = json!({ "thresholds": [64.0, 128.0, 200.0] });
    let run = |v: Vec<u8>, shape: Vec<usize>| {
        let out =
            check_operator(&PLUGIN, "minkowski", params.clone(), &[frame(Array::from_vec(shape, v).unwrap())]).unwrap();
        out.last().unwrap().results().clone()
    };
    let ra = run(a.clone(), vec![h, w]);
    let rb = run(b.clone(), vec![h, w]);
    let both = run([a, b].concat(), vec![2, h, w]);
    for key in ["area", "perimeter", "euler4", "euler8"] {
        for t in 0..3 {
            let v = |r: &serde_json::Map<String, serde_json::Value>| r[key][t].as_i64().unwrap();
            assert_eq!(v(&both), v(&ra) + v(&rb), "{key}");
        }
    }
}
