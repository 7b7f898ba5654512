//! `phase_retrieval` against TomoPy's `retrieve_phase` (≥ 1.15),
//! transcribed with numpy in the fixture script.

use plexus_reconstruction::phase_retrieval::{phase_retrieval, PhaseOutput, PhaseRetrievalParams};

use crate::common::{max_abs_diff, npy, peers};

/// Both outputs to 1e-5 of values ≤ 1 (transmission) and 1e-5 relative
/// (β-thickness, ~1e-10 cm): TomoPy builds its filter in f32, this in f64.
#[test]
fn paganin_matches_tomopy() {
    let peer = &peers()["paganin"];
    let (shape, data) = npy("paganin_in.npy");
    let mut params = PhaseRetrievalParams {
        pixel_size_cm: peer["pixel_size_cm"].as_f64().unwrap(),
        distance_cm: peer["distance_cm"].as_f64().unwrap(),
        energy_kev: peer["energy_kev"].as_f64().unwrap(),
        delta_over_beta: peer["delta_over_beta"].as_f64().unwrap(),
        ..PhaseRetrievalParams::default()
    };
    let shape = [shape[0], shape[1], shape[2]];
    let (_, want) = npy("paganin_transmission.npy");
    let got = phase_retrieval(&data, shape, &params, 2).unwrap();
    let d = max_abs_diff(&got, &want);
    assert!(d < 1e-5, "transmission: max diff {d}");
    params.output = PhaseOutput::BetaThickness;
    let (_, want) = npy("paganin_thickness.npy");
    let got = phase_retrieval(&data, shape, &params, 2).unwrap();
    let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let d = max_abs_diff(&got, &want) / scale;
    assert!(d < 1e-5, "beta-thickness: max relative diff {d}");
    let e = phase_retrieval(&data, shape, &PhaseRetrievalParams { energy_kev: 0.0, ..params }, 1).unwrap_err();
    assert_eq!(e.to_string(), "`energy_kev` must be a finite number > 0, got 0");
}
