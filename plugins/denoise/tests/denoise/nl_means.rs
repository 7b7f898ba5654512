//! `nl_means` against scikit-image's `denoise_nl_means` (f64), fast and
//! classic modes, with and without `sigma`, 2-D and 3-D.
//!
//! Tolerances: PSNR against the clean image within 0.01 dB of scikit-image's
//! (the issue asks 0.2 dB); pixelwise, the 99.9th percentile of |diff| under
//! 1e-5 and the maximum under 1e-4 on [0, 1] images (measured: ≤ 1e-5). The
//! weights are the same function (same box, same cut-off, same `fast_exp`),
//! computed here in f32 against scikit-image's f64: rounding could move a
//! pair across the `D > 5` cut-off, shifting that voxel by its weight share
//! (`e⁻⁵ · 0.97 / Σw`) times the value difference; the maximum bounds that.

use plexus_denoise::axes::Dims;
use plexus_denoise::nl_means::{nl_means, NlMeansMethod, NlMeansParams};

use crate::common::{abs_diff_quantile, input, max_abs_diff, psnr, reference};

fn check(noisy: &str, clean: &str, want: &str, params: NlMeansParams) {
    let (img, shape) = input(noisy);
    let (truth, _) = input(clean);
    let truth: Vec<f64> = truth.iter().map(|&v| v as f64).collect();
    let want = reference(want);
    for threads in [1, 3] {
        let mut out = vec![0.0; img.len()];
        nl_means(&img, shape, &params, threads, &mut out).unwrap();
        let got: Vec<f64> = out.iter().map(|&v| v as f64).collect();
        let (ours, theirs) = (psnr(&truth, &got), psnr(&truth, &want));
        assert!((ours - theirs).abs() < 0.01, "PSNR {ours:.4} vs scikit-image {theirs:.4}");
        let (q, d) = (abs_diff_quantile(&out, &want, 0.999), max_abs_diff(&out, &want));
        assert!(q < 1e-5 && d < 1e-4, "99.9 % |diff| {q:e}, max {d:e}");
        eprintln!("PSNR {ours:.4} dB vs {theirs:.4} dB, max |diff| {d:.2e}");
    }
}

fn planes(patch_size: usize, patch_distance: usize, h: f64, sigma: f64, method: NlMeansMethod) -> NlMeansParams {
    NlMeansParams { patch_size, patch_distance, h, sigma, method, dims: Dims::Planes }
}

#[test]
fn fast_planes_match_scikit_image() {
    check("in_camera_noisy", "in_camera", "nlm_camera_fast", planes(7, 11, 0.08, 0.0, NlMeansMethod::Fast));
    check("in_camera_noisy", "in_camera", "nlm_camera_fast_sigma", planes(5, 6, 0.06, 0.08, NlMeansMethod::Fast));
}

#[test]
fn classic_planes_match_scikit_image() {
    check("in_camera_noisy", "in_camera", "nlm_camera_classic_sigma", planes(5, 4, 0.05, 0.08, NlMeansMethod::Classic));
}

#[test]
fn volumes_match_scikit_image() {
    let p = NlMeansParams { patch_size: 3, patch_distance: 3, h: 0.05, sigma: 0.06, ..Default::default() };
    check("in_vol_noisy", "in_vol", "nlm_vol_fast_sigma", p);
    let p = NlMeansParams {
        patch_size: 3,
        patch_distance: 2,
        h: 0.08,
        method: NlMeansMethod::Classic,
        ..Default::default()
    };
    check("in_vol_noisy", "in_vol", "nlm_vol_classic", p);
}
