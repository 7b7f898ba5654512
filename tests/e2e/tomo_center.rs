//! The centre sweep of `examples/tomo-center.toml` as one command: on a
//! one-row preview of the simulated scan of `examples/tomo-scan.toml`
//! (dxchange HDF5, axis at column 66.2), `find_center` scores a slice per
//! candidate centre and the `[[sweep]]` writes `fbp`'s slice per centre,
//! stacked, with one plot of the sharpness against the centre.
//!
//! Checked: one slice per centre value, in the sweep's order; each slice's
//! sharpness, computed here from the written slice (mean squared central
//! difference gradient over the reconstruction circle), equals the metric
//! `find_center` published for that candidate — the slices and the plot
//! describe the same reconstructions; the sharpest candidate and the
//! sub-pixel centre are next to the true axis; the plot is drawn once
//! (its stage does not depend on the swept one), not once per value.

use plexus_e2e::{repo, show, Sandbox};

const N: usize = 128;

/// The sharpness `find_center` computes (written again here): the mean
/// over the pixels inside the circle of radius `(n − 1)/2` of `gx² + gy²`,
/// central differences, border pixels contributing 0.
fn sharpness(img: &[f64], n: usize) -> f64 {
    let c = (n as f64 - 1.0) / 2.0;
    let r2 = c * c;
    let (mut sum, mut count) = (0.0, 0usize);
    for i in 0..n {
        for j in 0..n {
            let (y, x) = (i as f64 - c, j as f64 - c);
            if x * x + y * y > r2 {
                continue;
            }
            count += 1;
            if i == 0 || j == 0 || i + 1 == n || j + 1 == n {
                continue;
            }
            let gx = 0.5 * (img[i * n + j + 1] - img[i * n + j - 1]);
            let gy = 0.5 * (img[(i + 1) * n + j] - img[(i - 1) * n + j]);
            sum += gx * gx + gy * gy;
        }
    }
    sum / count as f64
}

#[test]
fn a_centre_sweep_writes_a_slice_per_centre_and_one_sharpness_plot() {
    let sb = Sandbox::new();
    for f in ["tomo-scan.toml", "tomo-center.toml"] {
        sb.write(f, &std::fs::read_to_string(repo().join("examples").join(f)).unwrap());
    }
    let out = sb.run(&["run", "--quiet", "tomo-scan.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let out = sb.run(&["run", "--json", "--threads", "2", "tomo-center.toml"]);
    assert!(out.status.success(), "{}", show(&out));

    let values: Vec<f64> = (0..17).map(|k| 62.2 + 0.5 * k as f64).collect();
    let stack = plexus_io::read(&sb.path().join("out/center-sweep.npy")).unwrap();
    assert_eq!(stack.shape(), &[values.len(), 1, N, N], "one slice per centre");
    let side: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path().join("out/center-sweep.npy.json")).unwrap()).unwrap();
    let swept: Vec<f64> = side["sweep"]["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    for (s, v) in swept.iter().zip(&values) {
        assert!((s - v).abs() < 1e-9, "{swept:?}");
    }
    let score = &side["runs"][0]["results"]["score"];
    let candidates: Vec<f64> = score["candidates"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let metric: Vec<f64> = score["metric"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(candidates, swept, "find_center scored the swept centres");

    // Slice k is the fbp at centre k, scored as find_center scored its own
    // reconstruction at candidate k: the same f32 FBP code and filter, so
    // agreement is to f64 summation order (1e-9 relative).
    let v = stack.to_f64_vec();
    for (k, m) in metric.iter().enumerate() {
        let got = sharpness(&v[k * N * N..(k + 1) * N * N], N);
        assert!((got - m).abs() <= 1e-9 * m.abs(), "centre {}: sharpness {got} vs find_center's {m}", values[k]);
    }
    let truth = 66.2;
    let best = (0..metric.len()).fold(0, |b, i| if metric[i] > metric[b] { i } else { b });
    assert!((candidates[best] - truth).abs() <= 0.5, "sharpest at {} (true {truth}): {metric:?}", candidates[best]);
    let center = score["center_col"].as_f64().unwrap();
    eprintln!("centre sweep: sharpest {} , refined {center:.3} (true {truth})", candidates[best]);
    assert!((center - truth).abs() <= 0.25, "refined centre {center} vs {truth}");

    let png = plexus_io::read(&sb.path().join("out/center-sharpness.png")).unwrap();
    assert_eq!(png.shape(), &[500, 800, 3]);
    let plots: Vec<_> = sb.events_of("plot.written");
    assert_eq!(plots.len(), 1, "the plot of an upstream stage is drawn once: {plots:?}");
}
