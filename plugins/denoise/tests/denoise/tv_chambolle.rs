//! `tv_chambolle` against scikit-image's `denoise_tv_chambolle` (f64).
//!
//! Tolerances: PSNR against the clean image within 0.01 dB of scikit-image's
//! (the issue asks 0.2 dB); pixelwise ≤ 2e-5 absolute on [0, 1] images
//! (measured ≤ 1e-6). The kernel runs in f32 with the energy in f64, so f32
//! rounding drifts the result slightly over the iterations; were the energy
//! test to stop one iteration apart from the f64 run, pixels would move by
//! ~1e-4 and this test would say so.

use plexus_denoise::axes::Dims;
use plexus_denoise::tv_chambolle::{tv_chambolle, TvChambolleParams};

use crate::common::{input, max_abs_diff, psnr, reference};

fn check(noisy: &str, clean: &str, want: &str, params: TvChambolleParams) {
    let (img, shape) = input(noisy);
    let (truth, _) = input(clean);
    let truth: Vec<f64> = truth.iter().map(|&v| v as f64).collect();
    let want = reference(want);
    for threads in [1, 2] {
        let mut out = vec![0.0; img.len()];
        tv_chambolle(&img, shape, &params, threads, &mut out).unwrap();
        let got: Vec<f64> = out.iter().map(|&v| v as f64).collect();
        let (ours, theirs) = (psnr(&truth, &got), psnr(&truth, &want));
        assert!((ours - theirs).abs() < 0.01, "PSNR {ours:.4} vs scikit-image {theirs:.4}");
        let d = max_abs_diff(&out, &want);
        assert!(d < 2e-5, "max |diff| {d:e}");
        eprintln!("PSNR {ours:.4} dB vs {theirs:.4} dB, max |diff| {d:.2e}");
    }
}

#[test]
fn planes_match_scikit_image() {
    let p = TvChambolleParams { dims: Dims::Planes, ..Default::default() };
    check("in_camera_noisy", "in_camera", "tv_camera_w0.1", p);
    let p = TvChambolleParams { weight: 0.3, eps: 1e-4, max_num_iter: 300, dims: Dims::Planes };
    check("in_camera_noisy", "in_camera", "tv_camera_w0.3_eps1e-4", p);
}

#[test]
fn volumes_match_scikit_image() {
    let p = TvChambolleParams { weight: 0.08, ..Default::default() };
    check("in_vol_noisy", "in_vol", "tv_vol_w0.08", p);
}
