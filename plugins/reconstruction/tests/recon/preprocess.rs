//! `normalize`, `minus_log` and `remove_zingers` against numpy and scipy.

use plexus_reconstruction::minus_log::{minus_log, MinusLogParams};
use plexus_reconstruction::normalize::{normalize, Average, Invalid, NormalizeParams};
use plexus_reconstruction::remove_zingers::{remove_zingers, RemoveZingersParams, ZingerAxis};

use crate::common::{max_abs_diff, npy};

/// Mean and median flat/dark reduction with a pixel where flat = dark and
/// one where flat < dark (both read 1): numpy's result to 1e-6 relative
/// (f32 division; the means are taken in f64 here, pairwise f32 in numpy).
#[test]
fn normalize_matches_numpy() {
    let (shape, raw) = npy("norm_raw.npy");
    let (_, flats) = npy("norm_flats.npy");
    let (_, darks) = npy("norm_darks.npy");
    let pixels = shape[1] * shape[2];
    for (name, average) in [("mean", Average::Mean), ("median", Average::Median)] {
        let params = NormalizeParams { average, ..NormalizeParams::default() };
        let got = normalize(&raw, &flats, &darks, pixels, &params, 2).unwrap();
        let (_, want) = npy(&format!("norm_{name}.npy"));
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-6 * w.abs().max(1.0), "{name}: {g} vs {w}");
        }
        assert_eq!(got[0], 1.0);
        assert_eq!(got[8], 1.0);
    }
    let nan = NormalizeParams { invalid: Invalid::Nan, cutoff: Some(1.5), ..NormalizeParams::default() };
    let got = normalize(&raw, &flats, &darks, pixels, &nan, 1).unwrap();
    assert!(got[0].is_nan() && got[8].is_nan());
    assert!(got.iter().all(|v| v.is_nan() || *v <= 1.5));
}

#[test]
fn normalize_refuses_bad_shapes() {
    let e = normalize(&[1.0; 6], &[], &[], 6, &NormalizeParams::default(), 1).unwrap_err();
    assert_eq!(e.to_string(), "`flats` is empty");
    let e = normalize(&[1.0; 6], &[1.0; 5], &[], 6, &NormalizeParams::default(), 1).unwrap_err();
    assert_eq!(e.to_string(), "`flats` holds 5 values, expected 6 for shape [1, 6]");
    let e = normalize(&[1.0; 7], &[1.0; 6], &[], 6, &NormalizeParams::default(), 1).unwrap_err();
    assert_eq!(e.to_string(), "`projections` holds 7 values, expected 12 for shape [2, 6]");
}

/// numpy's `−log(maximum(x, 1e-6))` to 1 ulp-ish (1e-6 relative: `ln` of
/// f32 in both, libm vs numpy's SIMD log).
#[test]
fn minus_log_matches_numpy() {
    let (_, x) = npy("minus_log_in.npy");
    let (_, want) = npy("minus_log_out.npy");
    let got = minus_log(&x, &MinusLogParams::default(), 1).unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-6 * w.abs().max(1.0), "{g} vs {w}");
    }
    assert!(minus_log(&[f32::NAN], &MinusLogParams::default(), 1).unwrap()[0].is_nan());
    let e = minus_log(&x, &MinusLogParams { floor: 0.0 }, 1).unwrap_err();
    assert_eq!(e.to_string(), "`floor` must be a finite number > 0, got 0");
}

/// scipy's `median_filter(mode='reflect')` then the threshold: exactly the
/// same values (a median picks an input value; nothing is computed).
#[test]
fn remove_zingers_matches_scipy() {
    let (shape, z) = npy("zingers_in.npy");
    let shape = [shape[0], shape[1], shape[2]];
    let plane = RemoveZingersParams { threshold: 20.0, size: 3, axis: ZingerAxis::Plane };
    let (_, want) = npy("zingers_plane3.npy");
    assert_eq!(max_abs_diff(&remove_zingers(&z, shape, &plane, 2).unwrap(), &want), 0.0);
    let angle = RemoveZingersParams { threshold: 20.0, size: 5, axis: ZingerAxis::Angle };
    let (_, want) = npy("zingers_angle5.npy");
    assert_eq!(max_abs_diff(&remove_zingers(&z, shape, &angle, 2).unwrap(), &want), 0.0);
    let e = remove_zingers(&z, shape, &RemoveZingersParams { size: 2, ..plane }, 1).unwrap_err();
    assert_eq!(e.to_string(), "`size` must be an odd window size ≥ 1, got 2");
}
