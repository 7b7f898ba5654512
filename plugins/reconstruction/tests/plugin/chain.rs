//! The tomography chain in-process, stage by stage through the plugin as
//! the host will run it: a simulated raw scan (flats, darks, Poisson
//! noise, zingers, stripes, an axis 1.3 px off the middle) as projection
//! chunks through `normalize → remove_zingers → minus_log`, resliced here
//! (the host's job in the next step), then `remove_stripes → find_center →
//! fbp` with the centre `find_center` published. The slices are those of
//! the same kernels called directly, the centre is within 0.25 px of the
//! truth and the PSNR against the phantom at least 20 dB (the kernel
//! test's bound for this scan, `recon::scan::raw_scan_to_slice`).

use plexus_plugin_api::{Frame, Output};
use plexus_reconstruction::fbp::{fbp, FbpParams};
use plexus_reconstruction::find_center::{self, find_center};
use plexus_reconstruction::geometry::half_turn_deg;
use plexus_reconstruction::minus_log::{minus_log_in_place, MinusLogParams};
use plexus_reconstruction::normalize::{normalize, NormalizeParams};
use plexus_reconstruction::remove_stripes::{self, remove_stripes};
use plexus_reconstruction::remove_zingers::{remove_zingers, RemoveZingersParams, ZingerAxis};
use plexus_reconstruction::SinoShape;
use serde_json::json;

use super::{emitted, frames, run, stack};
use crate::common::{phantom, psnr};
use crate::recon::scan::simulate;

/// Attenuation per pixel of phantom intensity 1 in `simulate`.
const MU: f32 = 0.05;

fn outputs(outs: &[Output]) -> Vec<Frame> {
    outs.iter().flat_map(|e| e.frames().iter().cloned()).collect()
}

#[test]
fn raw_scan_through_the_operators_is_the_kernel_chain() {
    let (n, cols, truth, na) = (129usize, 139usize, 70.3, 180usize);
    let angles = half_turn_deg(na);
    let scan = simulate(n, cols, &angles, truth, 2000.0, 0.02, 0.001);

    let a = angles.clone();
    let mut raw = frames(
        &stack(scan.raw.clone(), [na, 1, cols], "angle row col"),
        7,
        move |o, l| json!({ "theta_deg": a[o..o + l] }),
    );
    raw[0] = raw[0]
        .clone()
        .with_array("white", stack(scan.flats.clone(), [5, 1, cols], "frame row col"))
        .with_array("dark", stack(scan.darks.clone(), [3, 1, cols], "frame row col"));
    let t = outputs(&run("normalize", json!({}), &raw));
    let t = outputs(&run("remove_zingers", json!({ "threshold": 0.1 }), &t));
    let lines = outputs(&run("minus_log", json!({}), &t));

    // The reslice: one detector row, so the sinogram holds the same values
    // in the same order; its angles are every chunk's, in order.
    let line_values: Vec<f32> =
        lines.iter().flat_map(|f| f.array("data").unwrap().as_slice::<f32>().unwrap().to_vec()).collect();
    let theta: Vec<f64> = lines
        .iter()
        .flat_map(|f| f.meta()["theta_deg"].as_array().unwrap().clone())
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(theta, angles);
    let sino =
        frames(&stack(line_values, [1, na, cols], "row angle col"), 1, move |_, _| json!({ "theta_deg": theta }));
    let sino = outputs(&run("remove_stripes", json!({}), &sino));
    let found = run("find_center", json!({}), &sino);
    let center = found.last().unwrap().results()["center_col"].as_f64().unwrap();
    assert!((center - truth).abs() <= 0.25, "centre {center} vs {truth}");
    // find_center forwards its input: fbp reads the same frames.
    assert!(found[..sino.len()].iter().all(|e| e.forwards_input() && e.frames().is_empty()));
    let slices = emitted(&run("fbp", json!({ "center_col": center, "output_size": n }), &sino));

    // The same kernels, called directly.
    let shape = SinoShape::slice(na, cols);
    let k = normalize(&scan.raw, &scan.flats, &scan.darks, cols, &NormalizeParams::default(), 1).unwrap();
    let mut k = remove_zingers(&k, [na, 1, cols], ZingerAxis::Plane, &RemoveZingersParams::default(), 1).unwrap();
    minus_log_in_place(&mut k, &MinusLogParams::default(), 1).unwrap();
    let k = remove_stripes(&k, shape, &remove_stripes::MethodParams::default(), 1).unwrap();
    let c = find_center(&k, shape, &angles, &find_center::MethodParams::default(), 1).unwrap().center_col;
    assert_eq!(c, center);
    let params = FbpParams { center_col: Some(c), output_size: Some(n), ..FbpParams::default() };
    let want = fbp(&k, shape, &angles, &params, 1).unwrap();
    assert!(slices == want, "the operators' slice is the kernels'");
    let p = psnr(&slices.iter().map(|v| v / MU).collect::<Vec<_>>(), &phantom(n));
    eprintln!("chain through the operators: centre {center:.3} (true {truth}), PSNR {p:.2} dB");
    assert!(p >= 20.0, "{p} dB");
}
