//! `gaussian` against `scipy.ndimage.gaussian_filter` (f32 in, f32 out).
//!
//! Tolerance: 2e-6 absolute on images in [0, 1]. scipy accumulates each 1-D
//! pass in f64 and rounds to f32 between passes; the kernel here accumulates
//! in f32, so each output differs by a few f32 ulps (~6e-8 at 1.0) per pass.

use plexus_denoise::axes::Dims;
use plexus_denoise::boundary::Mode;
use plexus_denoise::gaussian::{gaussian, GaussianParams};

use crate::common::{input, max_abs_diff, reference};

const TOL: f64 = 2e-6;

#[test]
fn planes_match_scipy_in_every_mode() {
    let (img, shape) = input("in_camera");
    let modes = [
        ("reflect", Mode::Reflect),
        ("constant", Mode::Constant),
        ("nearest", Mode::Nearest),
        ("mirror", Mode::Mirror),
    ];
    for (name, mode) in modes {
        let p = GaussianParams { sigma: vec![1.5, 2.0], mode, cval: 0.25, dims: Dims::Planes, ..Default::default() };
        let mut out = vec![0.0; img.len()];
        gaussian(&img, shape, &p, 2, &mut out).unwrap();
        let d = max_abs_diff(&out, &reference(&format!("gaussian_camera_{name}")));
        assert!(d <= TOL, "mode {name}: max |diff| {d:e}");
    }
}

#[test]
fn volumes_match_scipy_with_per_axis_sigma() {
    let (vol, shape) = input("in_vol");
    let cases = [
        ("gaussian_vol_reflect", vec![1.0, 1.5, 0.8], Mode::Reflect, 0.0, 4.0),
        ("gaussian_vol_constant", vec![0.6, 1.2, 2.0], Mode::Constant, 0.3, 3.0),
    ];
    for (name, sigma, mode, cval, truncate) in cases {
        let p = GaussianParams { sigma, mode, cval, truncate, dims: Dims::Volume };
        for threads in [1, 3] {
            let mut out = vec![0.0; vol.len()];
            gaussian(&vol, shape, &p, threads, &mut out).unwrap();
            let d = max_abs_diff(&out, &reference(name));
            assert!(d <= TOL, "{name}, {threads} threads: max |diff| {d:e}");
        }
    }
}

#[test]
fn parameters_parse_from_a_pipeline_table() {
    let p: GaussianParams = serde_json::from_str(r#"{"sigma": [0.5, 2, 2], "mode": "mirror", "truncate": 3}"#).unwrap();
    assert_eq!(p.sigma, vec![0.5, 2.0, 2.0]);
    assert_eq!(p.radius().unwrap(), [2, 6, 6]);
    let e = serde_json::from_str::<GaussianParams>(r#"{"sigmas": 1}"#).unwrap_err().to_string();
    assert!(
        e.starts_with("unknown field `sigmas`, expected one of `sigma`, `truncate`, `mode`, `cval`, `dims`"),
        "{e}"
    );
}
