//! `median` against `scipy.ndimage.median_filter`: exact (the median is one
//! of the input values, and the inputs are the same f32 values).

use plexus_denoise::axes::Dims;
use plexus_denoise::boundary::Mode;
use plexus_denoise::median::{median, MedianParams};

use crate::common::{input, max_abs_diff, reference};

#[test]
fn planes_match_scipy_for_odd_and_even_windows() {
    let (img, shape) = input("in_grains");
    let cases = [
        ("median_grains_3_reflect", vec![3], Mode::Reflect, 0.0),
        ("median_grains_4x5_mirror", vec![4, 5], Mode::Mirror, 0.0),
        ("median_grains_5_constant", vec![5], Mode::Constant, 0.5),
    ];
    for (name, size, mode, cval) in cases {
        let p = MedianParams { size, mode, cval, dims: Dims::Planes };
        let mut out = vec![0.0; img.len()];
        median(&img, shape, &p, 2, &mut out).unwrap();
        assert_eq!(max_abs_diff(&out, &reference(name)), 0.0, "{name}");
    }
}

#[test]
fn volumes_match_scipy() {
    let (vol, shape) = input("in_vol");
    let cases =
        [("median_vol_3_reflect", vec![3], Mode::Reflect), ("median_vol_2x3x4_nearest", vec![2, 3, 4], Mode::Nearest)];
    for (name, size, mode) in cases {
        let p = MedianParams { size, mode, cval: 0.0, dims: Dims::Volume };
        let mut out = vec![0.0; vol.len()];
        median(&vol, shape, &p, 3, &mut out).unwrap();
        assert_eq!(max_abs_diff(&out, &reference(name)), 0.0, "{name}");
    }
}
