//! `fbp` against scikit-image's `iradon` (pixel by pixel and PSNR) and
//! ASTRA's CPU `FBP` (PSNR).

use plexus_reconstruction::fbp::{fbp, FbpParams};
use plexus_reconstruction::fourier_filter::Filter;
use plexus_reconstruction::geometry::half_turn_deg;
use plexus_reconstruction::SinoShape;

use crate::common::{check_sum, max_abs_diff, npy, peers, phantom, psnr, sinogram_f64};

const FILTERS: [(&str, Filter); 5] = [
    ("ramp", Filter::Ramp),
    ("shepp-logan", Filter::SheppLogan),
    ("cosine", Filter::Cosine),
    ("hamming", Filter::Hamming),
    ("hann", Filter::Hann),
];

/// Same filter, same padding, same interpolation as `iradon(circle=True)`:
/// the slices agree to 2e-4 (values up to ~1.1; scikit-image computes in
/// f64, this in f32 with FFT rounding ~1e-6 relative per projection and
/// 90 angles summed).
#[test]
fn fbp_matches_skimage_iradon_pixel_by_pixel() {
    let peer = &peers()["fbp65"];
    let angles = half_turn_deg(90);
    let sino = sinogram_f64(65, 65, &angles, 32.0);
    check_sum(&sino, peer);
    let sino: Vec<f32> = sino.iter().map(|&v| v as f32).collect();
    for (name, filter) in [("ramp", Filter::Ramp), ("hamming", Filter::Hamming)] {
        let (shape, want) = npy(&format!("fbp65_skimage_{name}.npy"));
        assert_eq!(shape, vec![65, 65]);
        let params = FbpParams { filter, ..FbpParams::default() };
        let got = fbp(&sino, SinoShape::slice(90, 65), &angles, &params, 2).unwrap();
        let d = max_abs_diff(&got, &want);
        assert!(d < 2e-4, "{name}: max |plexus − skimage| = {d}");
    }
}

/// PSNR against the phantom (129², 180 angles): at least scikit-image's
/// for every filter (to 0.01 dB of f32 rounding) and within 0.5 dB of
/// ASTRA's CPU FBP with the same filter and circle mask.
#[test]
fn fbp_psnr_matches_skimage_and_astra() {
    let peer = &peers()["fbp"];
    let angles = half_turn_deg(180);
    let sino = sinogram_f64(129, 129, &angles, 64.0);
    check_sum(&sino, peer);
    let sino: Vec<f32> = sino.iter().map(|&v| v as f32).collect();
    let ph = phantom(129);
    for (name, filter) in FILTERS {
        let params = FbpParams { filter, ..FbpParams::default() };
        let img = fbp(&sino, SinoShape::slice(180, 129), &angles, &params, 0).unwrap();
        let got = psnr(&img, &ph);
        let sk = peer["skimage_psnr"][name].as_f64().unwrap();
        let astra = peer["astra_psnr"][name].as_f64().unwrap();
        eprintln!("fbp {name}: plexus {got:.3} dB, skimage {sk:.3}, astra {astra:.3}");
        assert!(got >= sk - 0.01, "{name}: {got} dB < skimage's {sk}");
        assert!((got - astra).abs() < 0.5, "{name}: {got} dB vs astra's {astra}");
    }
}

/// The centre convention: a sinogram whose axis sits at column 64.5 of 130
/// is reconstructed sharp only with `center_col = 64.5`; half a pixel off
/// costs several dB (the "about 8 dB").
#[test]
fn half_pixel_centre_error_costs_psnr() {
    let angles = half_turn_deg(180);
    let sino: Vec<f32> = sinogram_f64(129, 130, &angles, 64.5).iter().map(|&v| v as f32).collect();
    let ph = phantom(129);
    let run = |c: f64| {
        let params = FbpParams { center_col: Some(c), output_size: Some(129), ..FbpParams::default() };
        psnr(&fbp(&sino, SinoShape::slice(180, 130), &angles, &params, 0).unwrap(), &ph)
    };
    let (right, off) = (run(64.5), run(65.0));
    eprintln!("centre 64.5: {right:.2} dB, 65.0: {off:.2} dB");
    assert!(right - off > 3.0, "{right} vs {off}");
}

/// gridrec of the 129² phantom (180 angles) per filter: PSNR at least
/// FBP's minus 0.3 dB and at most 1 dB above (both evaluate the same
/// filtered sum; FBP's linear interpolation along the detector blurs a
/// little more than gridrec's kernel, so gridrec may score higher), hence
/// at least scikit-image's `iradon` minus 0.3 dB.
#[test]
fn gridrec_agrees_with_fbp() {
    use plexus_reconstruction::gridrec::{gridrec, GridrecParams};
    let peer = &peers()["fbp"];
    let angles = half_turn_deg(180);
    let sino: Vec<f32> = sinogram_f64(129, 129, &angles, 64.0).iter().map(|&v| v as f32).collect();
    let ph = phantom(129);
    for (name, filter) in FILTERS {
        let g = gridrec(
            &sino,
            SinoShape::slice(180, 129),
            &angles,
            &GridrecParams { filter, ..GridrecParams::default() },
            2,
        )
        .unwrap();
        let f =
            fbp(&sino, SinoShape::slice(180, 129), &angles, &FbpParams { filter, ..FbpParams::default() }, 2).unwrap();
        let (pg, pf) = (psnr(&g, &ph), psnr(&f, &ph));
        let sk = peer["skimage_psnr"][name].as_f64().unwrap();
        eprintln!("gridrec {name}: {pg:.3} dB, fbp {pf:.3}, skimage {sk:.3}, max |g − f| {}", max_abs_diff(&g, &f));
        assert!(pg > pf - 0.3 && pg < pf + 1.0, "{name}: gridrec {pg} vs fbp {pf}");
        assert!(pg > sk - 0.3);
    }
    // Even sizes land on the same grid as fbp (the half-pixel phase ramp).
    let sino: Vec<f32> = sinogram_f64(128, 128, &angles, 63.5).iter().map(|&v| v as f32).collect();
    let g = gridrec(&sino, SinoShape::slice(180, 128), &angles, &GridrecParams::default(), 2).unwrap();
    let f = fbp(&sino, SinoShape::slice(180, 128), &angles, &FbpParams::default(), 2).unwrap();
    let ph = phantom(128);
    let (pg, pf) = (psnr(&g, &ph), psnr(&f, &ph));
    eprintln!("even size: gridrec {pg:.3} dB, fbp {pf:.3}");
    assert!(pg > pf - 0.3 && pg < pf + 1.0);
}
