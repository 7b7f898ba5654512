//! The demo pipeline's numbers against numpy/scipy/scikit-image
//! (`tests/fixtures/make_demo_expectations.py`).

use plexus_e2e::{repo, show, Sandbox};
use serde_json::Value;

#[test]
fn demo_matches_peer_libraries() {
    let sb = Sandbox::new();
    let out = sb.run(&["demo", "--out", "demo"]);
    assert!(out.status.success(), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("stats.mean = "), "the summary prints results:\n{stdout}");

    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("tests/fixtures/demo_expectations.json")).unwrap())
            .unwrap();
    let sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path().join("demo/out/smoothed.tif.json")).unwrap()).unwrap();
    let results = &sidecar["results"];

    // Statistics: f64 accumulation of 65,536 u8 values; 1e-12 relative covers
    // summation-order differences with numpy's pairwise sum.
    let stats = &results["stats"];
    for key in ["mean", "std"] {
        let (got, want) = (stats[key].as_f64().unwrap(), expected["stats"][key].as_f64().unwrap());
        assert!(((got - want) / want).abs() < 1e-12, "{key}: {got} vs numpy {want}");
    }
    assert_eq!(stats["min"], expected["stats"]["min"]);
    assert_eq!(stats["max"], expected["stats"]["max"]);
    assert_eq!(stats["count"], expected["stats"]["count"]);

    // Histogram counts are exact; edges match numpy's.
    assert_eq!(results["histogram"]["counts"], expected["histogram"]["counts"]);
    assert_eq!(results["histogram"]["edges"], expected["histogram"]["edges"]);

    // Minkowski functionals of the smoothed image: binomial weights are
    // exact in binary floating point, so areas and Euler numbers are exact.
    for key in ["area", "euler4", "euler8"] {
        assert_eq!(results["shape"][key], expected["minkowski"][key], "{key}");
    }

    // The smoothed image itself, read back from the written TIFF.
    let smooth = plexus_io::read(&sb.path().join("demo/out/smoothed.tif")).unwrap();
    assert_eq!(smooth.shape(), &[256, 256]);
    let v = smooth.to_f64_vec();
    for c in expected["smooth"]["checks"].as_array().unwrap() {
        let (y, x, want) = (c[0].as_u64().unwrap() as usize, c[1].as_u64().unwrap() as usize, c[2].as_f64().unwrap());
        assert!((v[y * 256 + x] - want).abs() <= 1e-4, "smoothed[{y}, {x}] = {} vs scipy {want}", v[y * 256 + x]);
    }
    let sum: f64 = v.iter().sum();
    let want_sum = expected["smooth"]["sum"].as_f64().unwrap();
    assert!((sum - want_sum).abs() / want_sum < 1e-6, "sum {sum} vs {want_sum}");

    // Sobel edges, the other branch of the fan-out.
    let edges = plexus_io::read(&sb.path().join("demo/out/edges.tif")).unwrap().to_f64_vec();
    let max = edges.iter().cloned().fold(f64::MIN, f64::max);
    let want_max = expected["edges"]["max"].as_f64().unwrap();
    assert!((max - want_max).abs() < 1e-3 * want_max, "sobel max {max} vs skimage {want_max}");

    // Plots, drawn from the results and the spectrum stage's frame.
    for plot in ["histogram.png", "power_spectrum.png"] {
        let png = plexus_io::read(&sb.path().join("demo/out").join(plot)).unwrap();
        assert_eq!(png.shape(), &[500, 800, 3], "{plot}");
    }
    assert_eq!(sb.events_of("plot.written").len(), 2);

    // Provenance names every stage's plugin, version and sha256.
    let stages = sidecar["provenance"]["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 6);
    for s in stages {
        let v = &s["plugin_versions"][0];
        assert_eq!(v["sha256"].as_str().unwrap().len(), 64, "{s}");
    }
}
