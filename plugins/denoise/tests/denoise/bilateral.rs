//! `bilateral` against scikit-image's bilateral kernel (`_denoise_bilateral`,
//! f64) fed the documented spatial weights (the fixture script says why the
//! public `denoise_bilateral` of 0.26 is not the reference).
//!
//! Tolerance: 1e-5 absolute on [0, 1] images. The arithmetic here is f32;
//! the colour-table index `⌊δ · bins / range⌋` may land one bin apart from
//! the f64 index where `δ · bins / range` is within rounding of an integer,
//! changing that weight by one table step (< 1e-3 relative for 10⁴ bins).

use plexus_denoise::bilateral::{bilateral, BilateralParams};
use plexus_denoise::boundary::Mode;

use crate::common::{input, max_abs_diff, reference};

#[test]
fn planes_match_scikit_image_kernel() {
    let (img, shape) = input("in_camera_noisy");
    let cases = [
        ("bilateral_camera_reflect", 5, 0.1, 1.0, 10000, Mode::Mirror, 0.0),
        ("bilateral_camera_edge_w7", 7, 0.2, 2.0, 1000, Mode::Nearest, 0.0),
        ("bilateral_camera_constant", 5, 0.15, 1.5, 10000, Mode::Constant, 0.2),
    ];
    for (name, win, sc, ss, bins, mode, cval) in cases {
        let p = BilateralParams { win_size: Some(win), sigma_color: Some(sc), sigma_spatial: ss, bins, mode, cval };
        for threads in [1, 2] {
            let mut out = vec![0.0; img.len()];
            bilateral(&img, shape, &p, threads, &mut out).unwrap();
            let d = max_abs_diff(&out, &reference(name));
            assert!(d < 1e-5, "{name}: max |diff| {d:e}");
        }
    }
}
