//! From a noisy scan of a porous sample to porosity, pore sizes, surface
//! area and Euler number with the real binary and the built-in `denoise`,
//! `segment` and `quantify` plugins, checked against scipy, scikit-image
//! and PoreSpy on the same input (`tests/fixtures/make_porous_expectations.py`
//! wrote the input and the expectations).
//!
//! Tolerances: the peers' chain is reproduced to its arithmetic except the
//! Gaussian, which sums in f32 here (a few ulps from scipy's); the script
//! asserts that no smoothed value lies within 1e-3 of the threshold or a
//! histogram bin edge, so the mask is the peers' exactly and every count
//! (labels, sizes, Euler numbers, porosity, local thickness) must be equal.
//! The threshold itself is a bin centre computed from the smoothed range:
//! 1e-4 relative. The marching-cubes area: 1e-5 relative (as the kernel's
//! own fixture test).
//!
//! A second pipeline streams the same volume in chunks of 8 slices through
//! the operators that merge across chunks (Otsu's histogram with the range
//! from `trend.running_stats`, labels with `relabel`, the reductions) and
//! must give exactly what one chunk gives.

use plexus_e2e::{repo, show, Sandbox};
use serde_json::{json, Value};

fn expectations() -> Value {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/porous_expectations.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn sandbox_with_input() -> Sandbox {
    let sb = Sandbox::new();
    std::fs::copy(repo().join("tests/fixtures/porous_noisy.npy"), sb.path().join("porous_noisy.npy")).unwrap();
    sb
}

fn run(sb: &Sandbox, pipeline: &str) -> Value {
    let out = sb.run(&["run", "--json", pipeline]);
    assert!(out.status.success(), "{}", show(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn rel(a: &Value, b: &Value) -> f64 {
    let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
    (a - b).abs() / b.abs()
}

const WHOLE: &str = r#"
[pipeline]
name = "porous"

[input]
path = "porous_noisy.npy"
chunk = 32

[[stage]]
id = "smooth"
use = "denoise.gaussian"
params = { sigma = [1.0] }

[[stage]]
id = "pores"
use = "segment.threshold"

[[stage]]
id = "label"
use = "segment.label"

[[stage]]
id = "porosity"
use = "quantify.porosity"
inputs = ["pores"]

[[stage]]
id = "euler"
use = "quantify.euler_number"
inputs = ["pores"]

[[stage]]
id = "area"
use = "quantify.surface_area"
inputs = ["pores"]
params = { voxel_size_um = [2.0, 2.0, 2.0] }

[[stage]]
id = "psd"
use = "quantify.pore_size"
inputs = ["pores"]
params = { voxel_size_um = 2.0 }

[[stage]]
id = "phases"
use = "quantify.connectivity"
inputs = ["pores"]

[[output]]
from = "label"
path = "out/labels.npy"

[[output]]
from = "psd"
path = "out/local_thickness.npy"

[[plot]]
from = "psd"
kind = "series"
y = ["volume_fraction", "cumulative_fraction"]
x = "radius_um"
path = "out/pore_size_distribution.png"
"#;

#[test]
fn porous_scan_denoised_segmented_and_quantified_as_the_peers() {
    let want = expectations();
    let sb = sandbox_with_input();
    sb.write("porous.toml", WHOLE);
    let report = run(&sb, "porous.toml");
    let r = &report["results"];
    assert!(rel(&r["pores"]["threshold"], &want["threshold"]) <= 1e-4, "{} vs {}", r["pores"]["threshold"], want["threshold"]);
    assert_eq!(r["label"]["count"], want["count"]);
    assert_eq!(r["label"]["sizes"], want["sizes"]);
    assert_eq!(r["label"]["merges"], json!([]), "one chunk: the labels are final");
    assert_eq!(r["porosity"]["porosity"], want["porosity"]);
    assert_eq!(r["porosity"]["phase_voxels"], want["pore_voxels"]);
    assert_eq!(r["euler"]["euler_number"], want["euler26"]);
    assert!(rel(&r["area"]["area_um2"], &want["area_open_um2"]) <= 1e-5, "{}", r["area"]["area_um2"]);
    assert!(rel(&r["psd"]["mean_radius_um"], &want["mean_radius_um"]) <= 1e-12);
    assert_eq!(r["psd"]["radius_um"], want["radius_um"]);
    for (g, w) in r["psd"]["volume_fraction"].as_array().unwrap().iter().zip(want["volume_fraction"].as_array().unwrap()) {
        assert!(rel(g, w) <= 1e-12, "{g} vs {w}");
    }
    assert_eq!(r["phases"]["components"], want["components"]);

    // The outputs, their sidecars (results with units, provenance) and the plot.
    let labels = plexus_io::read(&sb.path().join("out/labels.npy")).unwrap();
    assert_eq!((labels.shape(), labels.dtype().to_string().as_str()), (&[32usize, 32, 32][..], "u32"));
    let max = labels.as_slice::<u32>().unwrap().iter().copied().max().unwrap();
    assert_eq!(max as u64, want["count"].as_u64().unwrap());
    let lt = plexus_io::read(&sb.path().join("out/local_thickness.npy")).unwrap();
    assert_eq!(lt.dtype().to_string(), "f32");
    let sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path().join("out/local_thickness.npy.json")).unwrap()).unwrap();
    assert_eq!(sidecar["results"]["area"]["area_um2"], r["area"]["area_um2"]);
    assert_eq!(sidecar["results"]["psd"]["mean_radius_um"], r["psd"]["mean_radius_um"]);
    let stages = sidecar["provenance"]["stages"].as_array().unwrap();
    assert!(stages.iter().any(|s| s["plugin"] == "quantify"), "{sidecar}");
    let png = plexus_io::read(&sb.path().join("out/pore_size_distribution.png")).unwrap();
    assert_eq!(png.shape().len(), 3, "an RGB plot");
    assert!(report["plots"].as_array().unwrap().iter().all(|p| p["error"].is_null()), "{report}");
}

/// The chunked pipeline: planes filtered one by one (no halo needed),
/// statistics for Otsu's float range, the threshold measured over every
/// chunk and applied by a later stage, labels merged across chunks.
fn streamed(chunk: usize) -> String {
    format!(
        r#"
[pipeline]
name = "porous-streamed"

[input]
path = "porous_noisy.npy"
chunk = {chunk}

[[stage]]
id = "smooth"
use = "denoise.gaussian"
params = {{ sigma = [1.0], dims = "planes" }}

[[stage]]
id = "stats"
use = "trend.running_stats"

[[stage]]
id = "otsu"
use = "segment.otsu"
params = {{ min = "${{stats.min}}", max = "${{stats.max}}" }}

[[stage]]
id = "pores"
use = "segment.threshold"
params = {{ method = "fixed", value = "${{otsu.threshold}}" }}

[[stage]]
id = "label"
use = "segment.label"
params = {{ connectivity = 26 }}

[[stage]]
id = "final"
use = "segment.relabel"
params = {{ merges = "${{label.merges}}" }}

[[stage]]
id = "euler"
use = "quantify.euler_number"
inputs = ["pores"]

[[stage]]
id = "area"
use = "quantify.surface_area"
inputs = ["pores"]
params = {{ boundary = "closed" }}

[[stage]]
id = "phases"
use = "quantify.connectivity"
inputs = ["pores"]
params = {{ connectivity = 26 }}

[[output]]
from = "final"
path = "out/labels.npy"
"#
    )
}

#[test]
fn streamed_in_chunks_equals_one_chunk() {
    let sb = sandbox_with_input();
    sb.write("one.toml", &streamed(32));
    sb.write("eight.toml", &streamed(8));
    let one = run(&sb, "one.toml");
    let one_labels = std::fs::read(sb.path().join("out/labels.npy")).unwrap();
    let eight = run(&sb, "eight.toml");
    let eight_labels = std::fs::read(sb.path().join("out/labels.npy")).unwrap();
    assert_eq!(eight["chunks"], 4, "{eight}");
    for stage in ["otsu", "euler", "area", "phases"] {
        assert_eq!(eight["results"][stage], one["results"][stage], "`{stage}`");
    }
    let (a, b) = (&one["results"]["label"], &eight["results"]["label"]);
    assert_eq!((&a["count"], &a["sizes"]), (&b["count"], &b["sizes"]));
    assert!(!b["merges"].as_array().unwrap().is_empty(), "components cross the chunk faces");
    assert!(one_labels == eight_labels, "relabelled chunks are scipy's numbering of the whole volume");
}

#[test]
fn the_plugins_are_listed_with_their_operators() {
    let sb = Sandbox::new();
    let out = sb.run(&["plugins", "list", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = list.to_string();
    for (plugin, ops) in [
        ("denoise", &["gaussian", "median", "bilateral", "tv_chambolle", "nl_means", "onnx"][..]),
        ("segment", &["threshold", "otsu", "label", "relabel", "remove_small_objects", "morphology", "distance_transform", "watershed", "onnx"]),
        ("quantify", &["porosity", "euler_number", "surface_area", "pore_size", "tortuosity", "connectivity", "metrics"]),
    ] {
        assert!(text.contains(&format!("\"{plugin}\"")), "`{plugin}` is listed: {text}");
        for op in ops {
            assert!(text.contains(&format!("\"{op}\"")), "`{plugin}.{op}` is listed");
        }
    }
}

/// The ONNX path in the real binary: ONNX Runtime loaded at run time
/// (`PLEXUS_ORT_LIB`, which `./plexus.sh test` exports, or the cache
/// `scripts/ensure-onnxruntime.sh` fills), the shipped model built into the
/// plugin, run over the slices of a volume.
#[test]
fn the_shipped_denoiser_runs_in_the_binary() {
    let sb = sandbox_with_input();
    sb.write(
        "n2n.toml",
        r#"
[pipeline]
name = "n2n"

[input]
path = "porous_noisy.npy"

[[stage]]
id = "n2n"
use = "denoise.onnx"
params = { input_scale = 0.00392156862745098, tile = [32] }

[[output]]
from = "n2n"
path = "out/denoised.npy"
"#,
    );
    run(&sb, "n2n.toml");
    let out = plexus_io::read(&sb.path().join("out/denoised.npy")).unwrap();
    let noisy = plexus_io::read(&sb.path().join("porous_noisy.npy")).unwrap().to_f64_vec();
    let d = out.to_f64_vec();
    assert_eq!(out.shape(), &[32, 32, 32]);
    assert!(d.iter().all(|v| v.is_finite()));
    // A denoiser lowers the voxel-to-voxel variation along x.
    let tv = |v: &[f64]| v.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>();
    assert!(tv(&d) < 0.8 * tv(&noisy), "{} vs {}", tv(&d), tv(&noisy));
}
