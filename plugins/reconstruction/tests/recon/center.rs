//! `find_center`: Vo's method against algotom's `find_center_vo` on the
//! same sinogram, and every method within 0.25 px of a known sub-pixel
//! axis.

use plexus_reconstruction::find_center::{find_center, CorrelationParams, FindCenterParams, SweepParams, VoParams};
use plexus_reconstruction::geometry::half_turn_deg;
use plexus_reconstruction::SinoShape;

use crate::common::{check_sum, peers, sinogram, sinogram_f64};

/// The phantom (129 px) on a 139-column detector, axis at column 71.3
/// (2.3 px right of the middle): algotom finds 71.5 on its 0.25 grid; so
/// must Vo's method here (same grid, same metric), and the true axis is
/// within 0.25 px.
#[test]
fn vo_matches_algotom_and_the_true_axis() {
    let peer = &peers()["center"];
    let (cols, truth) = (139, peer["true_center"].as_f64().unwrap());
    let angles = half_turn_deg(180);
    let s = sinogram_f64(129, cols, &angles, truth);
    check_sum(&s, peer);
    let s: Vec<f32> = s.iter().map(|&v| v as f32).collect();
    let est = find_center(&s, SinoShape::slice(180, cols), &angles, &FindCenterParams::default(), 2).unwrap();
    let algotom = peer["algotom_vo"].as_f64().unwrap();
    assert_eq!(est.center_col, algotom, "plexus {} vs algotom {algotom}", est.center_col);
    assert!((est.center_col - truth).abs() <= 0.25);
    assert_eq!(est.candidates.len(), 33);
}

/// 0°/180° correlation on 181 angles over [0°, 180°] and the entropy
/// sweep: both within 0.25 px of axes at 64.3 and 61.7 of a 129-column
/// detector (the phantom is 121 px, so it stays in the field).
#[test]
fn correlation_and_sweep_find_sub_pixel_axes() {
    for truth in [64.3, 61.7] {
        let angles: Vec<f64> = (0..181).map(|k| k as f64).collect();
        let s = sinogram(121, 129, &angles, truth);
        let shape = SinoShape::slice(181, 129);
        let c =
            find_center(&s, shape, &angles, &FindCenterParams::Correlation(CorrelationParams::default()), 1).unwrap();
        assert!((c.center_col - truth).abs() <= 0.25, "correlation: {} vs {truth}", c.center_col);
        let angles = half_turn_deg(180);
        let s = sinogram(121, 129, &angles, truth);
        let sweep = SweepParams { start: Some(58.0), stop: Some(68.0), step: 0.5, ..SweepParams::default() };
        let c =
            find_center(&s, SinoShape::slice(180, 129), &angles, &FindCenterParams::Sweep(sweep.clone()), 2).unwrap();
        assert!((c.center_col - truth).abs() <= 0.25, "sweep: {} vs {truth}", c.center_col);
        assert_eq!(c.metric.len(), 21);
        let (again, slices) =
            plexus_reconstruction::find_center::sweep::sweep(&s, SinoShape::slice(180, 129), &angles, &sweep, 1)
                .unwrap();
        assert_eq!((again, slices.len(), slices[0].len()), (c.clone(), 21, 129 * 129));
        let vo = find_center(&s, SinoShape::slice(180, 129), &angles, &FindCenterParams::Vo(VoParams::default()), 2)
            .unwrap();
        assert!((vo.center_col - truth).abs() <= 0.25, "vo: {} vs {truth}", vo.center_col);
    }
}

#[test]
fn correlation_needs_the_opposite_projection() {
    let angles = half_turn_deg(90);
    let s = sinogram(31, 33, &angles, 16.0);
    let e = find_center(
        &s,
        SinoShape::slice(90, 33),
        &angles,
        &FindCenterParams::Correlation(CorrelationParams::default()),
        1,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "`angles_deg` must be a projection 180° from the first (for `method = \"correlation\"`), got nearest 2.000° from it"
    );
}
