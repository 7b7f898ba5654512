//! The centre sweep of `examples/tomo-center.toml` as one command: on a
//! one-row preview of the simulated scan of `examples/tomo-scan.toml`
//! (dxchange HDF5, axis at column 66.2), `find_center` scores a slice per
//! candidate centre and the `[[sweep]]` writes `fbp`'s slice per centre,
//! stacked, with one plot of the entropy against the centre (sharpness,
//! the mean squared gradient, rose monotonically with the centre on this
//! noisy scan: 69.7 at the edge of the range for a true 66.2).
//!
//! Checked: one slice per centre value, in the sweep's order; each slice's
//! entropy, computed here from the written slice (64-bin histogram over
//! the reconstruction circle), equals the metric `find_center` published
//! for that candidate — the slices and the plot
//! describe the same reconstructions; the lowest-entropy candidate and the
//! sub-pixel centre are next to the true axis; the plot is drawn once
//! (its stage does not depend on the swept one), not once per value.

use plexus_e2e::{repo, show, Sandbox};

const N: usize = 128;

/// The entropy `find_center` computes (written again here, in its f32
/// arithmetic): a 64-bin histogram of the pixels inside the circle of
/// radius `(n − 1)/2` over `[lo, hi]`, the central candidate's min–max
/// widened by 10 %, and `−Σ p log2 p`.
fn inside(n: usize) -> Vec<usize> {
    let c = (n as f64 - 1.0) / 2.0;
    (0..n * n).filter(|k| ((k % n) as f64 - c).powi(2) + ((k / n) as f64 - c).powi(2) <= c * c).collect()
}

fn entropy(img: &[f32], pixels: &[usize], lo: f32, hi: f32) -> f64 {
    let mut hist = [0u64; 64];
    let scale = 64.0 / (hi - lo).max(f32::MIN_POSITIVE);
    for &k in pixels {
        hist[(((img[k] - lo) * scale) as isize).clamp(0, 63) as usize] += 1;
    }
    let total = pixels.len() as f64;
    -hist.iter().filter(|&&c| c > 0).map(|&c| (c as f64 / total) * (c as f64 / total).log2()).sum::<f64>()
}

#[test]
fn a_centre_sweep_writes_a_slice_per_centre_and_one_metric_plot() {
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
    // reconstruction at candidate k: the same f32 FBP code and filter and
    // the same f32 binning, so the entropies agree to f64 summation order.
    let v = stack.into_vec::<f32>().unwrap();
    let pixels = inside(N);
    let mid = &v[metric.len() / 2 * N * N..(metric.len() / 2 + 1) * N * N];
    let (lo, hi) = pixels.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &k| (a.min(mid[k]), b.max(mid[k])));
    let pad = 0.1 * (hi - lo);
    for (k, m) in metric.iter().enumerate() {
        let got = entropy(&v[k * N * N..(k + 1) * N * N], &pixels, lo - pad, hi + pad);
        assert!((got - m).abs() <= 1e-9 * m.abs(), "centre {}: entropy {got} vs find_center's {m}", values[k]);
    }
    let truth = 66.2;
    let best = (0..metric.len()).fold(0, |b, i| if metric[i] < metric[b] { i } else { b });
    assert!(
        (candidates[best] - truth).abs() <= 0.5,
        "lowest entropy at {} (true {truth}): {metric:?}",
        candidates[best]
    );
    let center = score["center_col"].as_f64().unwrap();
    eprintln!("centre sweep: lowest entropy at {}, refined {center:.3} (true {truth})", candidates[best]);
    assert!((center - truth).abs() <= 0.25, "refined centre {center} vs {truth}");

    let png = plexus_io::read(&sb.path().join("out/center-entropy.png")).unwrap();
    assert_eq!(png.shape(), &[500, 800, 3]);
    let plots: Vec<_> = sb.events_of("plot.written");
    assert_eq!(plots.len(), 1, "the plot of an upstream stage is drawn once: {plots:?}");
}
