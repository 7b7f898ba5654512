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
    assert!(
        rel(&r["pores"]["threshold"], &want["threshold"]) <= 1e-4,
        "{} vs {}",
        r["pores"]["threshold"],
        want["threshold"]
    );
    assert_eq!(r["label"]["count"], want["count"]);
    assert_eq!(r["label"]["sizes"], want["sizes"]);
    assert_eq!(r["label"]["merges"], json!([]), "one chunk: the labels are final");
    assert_eq!(r["porosity"]["porosity"], want["porosity"]);
    assert_eq!(r["porosity"]["phase_voxels"], want["pore_voxels"]);
    assert_eq!(r["euler"]["euler_number"], want["euler26"]);
    assert!(rel(&r["area"]["area_um2"], &want["area_open_um2"]) <= 1e-5, "{}", r["area"]["area_um2"]);
    assert!(rel(&r["psd"]["mean_radius_um"], &want["mean_radius_um"]) <= 1e-12);
    assert_eq!(r["psd"]["radius_um"], want["radius_um"]);
    for (g, w) in
        r["psd"]["volume_fraction"].as_array().unwrap().iter().zip(want["volume_fraction"].as_array().unwrap())
    {
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
        serde_json::from_str(&std::fs::read_to_string(sb.path().join("out/local_thickness.npy.json")).unwrap())
            .unwrap();
    assert_eq!(sidecar["results"]["area"]["area_um2"], r["area"]["area_um2"]);
    assert_eq!(sidecar["results"]["psd"]["mean_radius_um"], r["psd"]["mean_radius_um"]);
    let stages = sidecar["provenance"]["stages"].as_array().unwrap();
    assert!(stages.iter().any(|s| s["use"] == "quantify.pore_size"), "{sidecar}");
    assert!(
        stages.iter().all(|s| s["plugin_versions"][0]["sha256"].as_str().is_some_and(|h| h.len() == 64)),
        "{sidecar}"
    );
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
        (
            "segment",
            &[
                "threshold",
                "otsu",
                "label",
                "relabel",
                "remove_small_objects",
                "morphology",
                "distance_transform",
                "watershed",
                "onnx",
            ],
        ),
        (
            "quantify",
            &["porosity", "euler_number", "surface_area", "pore_size", "tortuosity", "connectivity", "metrics"],
        ),
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

/// Every reduction the chunked chain has, and the labels: 3-D Gaussians
/// (4- and 2-slice halos from the host), PSNR/SSIM of one against the
/// other, Otsu over merged histograms, labels merged across chunk faces.
/// `pore_size` and `tortuosity` take whole volumes only (balls and paths
/// reach across the volume) and are not here.
fn reductions(input: &str, chunk: Option<usize>) -> String {
    let chunk = chunk.map(|c| format!("chunk = {c}\n")).unwrap_or_default();
    format!(
        r#"
[pipeline]
name = "porous-reductions"

[input]
path = "{input}"
{chunk}
[[stage]]
id = "raw"
use = "trend.running_stats"

[[stage]]
id = "smooth"
use = "denoise.gaussian"
params = {{ sigma = [1.0] }}
inputs = ["raw"]

[[stage]]
id = "narrow"
use = "denoise.gaussian"
params = {{ sigma = [0.6] }}
inputs = ["raw"]

[[stage]]
id = "score"
use = "quantify.metrics"
inputs = ["smooth", "narrow"]
params = {{ data_range = 255.0 }}

[[stage]]
id = "stats"
use = "trend.running_stats"
inputs = ["smooth"]

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
id = "porosity"
use = "quantify.porosity"
inputs = ["pores"]

[[stage]]
id = "euler26"
use = "quantify.euler_number"
inputs = ["pores"]

[[stage]]
id = "euler6"
use = "quantify.euler_number"
inputs = ["pores"]
params = {{ connectivity = 6 }}

[[stage]]
id = "open"
use = "quantify.surface_area"
inputs = ["pores"]
params = {{ voxel_size_um = [2.0, 2.0, 2.0] }}

[[stage]]
id = "closed"
use = "quantify.surface_area"
inputs = ["pores"]
params = {{ boundary = "closed" }}

[[stage]]
id = "phases26"
use = "quantify.connectivity"
inputs = ["pores"]
params = {{ connectivity = 26 }}

[[stage]]
id = "phases6"
use = "quantify.connectivity"
inputs = ["pores"]
params = {{ connectivity = 6 }}

[[output]]
from = "final"
path = "out/labels.npy"
"#
    )
}

/// The results every chunking must agree on, one per stage.
/// (`stats` is `trend`'s: only its exact min and max, Otsu's range, count;
/// its mean and variance are merged per chunk and may move by an ulp.)
const REDUCED: [&str; 10] =
    ["score", "otsu", "porosity", "euler26", "euler6", "open", "closed", "phases26", "phases6", "label"];

#[test]
fn one_three_and_seven_chunks_give_identical_reductions_and_labels() {
    let sb = sandbox_with_input();
    let mut runs = Vec::new();
    // 32 slices: chunks of 32 (one), 11 (11 + 11 + 10) and 5 (six of 5 and 2).
    for (chunk, chunks) in [(32, 1), (11, 3), (5, 7)] {
        sb.write("p.toml", &reductions("porous_noisy.npy", Some(chunk)));
        let report = run(&sb, "p.toml");
        assert_eq!(report["chunks"], chunks, "{report}");
        let labels = std::fs::read(sb.path().join("out/labels.npy")).unwrap();
        runs.push((chunk, report, labels));
    }
    let (_, one, one_labels) = &runs[0];
    // The one-chunk run is the peers' chain on this input (first test):
    // the same smoothing, threshold and hence mask.
    let want = expectations();
    assert_eq!(one["results"]["euler26"]["euler_number"], want["euler26"]);
    assert_eq!(one["results"]["euler6"]["euler_number"], want["euler6"]);
    assert_eq!(one["results"]["porosity"]["phase_voxels"], want["pore_voxels"]);
    assert!(one["results"]["label"]["merges"].as_array().unwrap().is_empty());
    for (chunk, report, labels) in &runs[1..] {
        for stage in REDUCED {
            let (a, b) = (&one["results"][stage], &report["results"][stage]);
            if stage == "label" {
                assert_eq!((&a["count"], &a["sizes"]), (&b["count"], &b["sizes"]), "chunk {chunk}: `label`");
                assert!(!b["merges"].as_array().unwrap().is_empty(), "chunk {chunk}: components cross the faces");
            } else {
                assert_eq!(a, b, "chunk {chunk}: `{stage}`");
            }
        }
        let (a, b) = (&one["results"]["stats"], &report["results"]["stats"]);
        assert_eq!((&a["min"], &a["max"]), (&b["min"], &b["max"]), "chunk {chunk}: `stats`");
        assert!(labels == one_labels, "chunk {chunk}: labels differ from one chunk's");
    }
}

/// A simulated scan reconstructed slice by slice, then the chain of
/// [`reductions`]: the projection → sinogram reslice goes through memory
/// with a large budget and through a spill file with a small one (the slabs
/// read back from it are sized from the budget); every reduction and the
/// labels must agree.
fn scanned(memory: &str) -> String {
    let chain = reductions("unused", None);
    let chain = &chain[chain.find("[[stage]]\nid = \"raw\"").unwrap()..];
    format!(
        r#"
[pipeline]
name = "porous-scan-{memory}"

[[stage]]
id = "scan"
use = "generator.projections"
params = {{ dim = "3d", size = 48, depth = 40, n_angles = 96, chunk = 8, photons = 2000.0, seed = 5 }}

[[stage]]
id = "norm"
use = "reconstruction.normalize"

[[stage]]
id = "log"
use = "reconstruction.minus_log"

[[stage]]
id = "recon"
use = "reconstruction.fbp"

{chain}"#
    )
    // Attenuation in 1/cm, of order 1 (the phantom's densest ellipse is 2).
    .replace("data_range = 255.0", "data_range = 2.0")
}

#[test]
fn a_spilled_reslice_gives_the_in_memory_reductions_and_labels() {
    let sb = Sandbox::new();
    sb.write("memory.toml", &scanned("memory"));
    sb.write("disk.toml", &scanned("disk"));
    let memory = sb.run(&["run", "--json", "--memory", "2GiB", "memory.toml"]);
    assert!(memory.status.success(), "{}", show(&memory));
    let memory: Value = serde_json::from_slice(&memory.stdout).unwrap();
    let memory_labels = std::fs::read(sb.path().join("out/labels.npy")).unwrap();
    let disk = sb.run(&["run", "--json", "--memory", SMALL, "disk.toml"]);
    assert!(disk.status.success(), "{}", show(&disk));
    let disk: Value = serde_json::from_slice(&disk.stdout).unwrap();
    let disk_labels = std::fs::read(sb.path().join("out/labels.npy")).unwrap();
    // A source's stack size is known only once it runs: the runs say where it went.
    let stores: Vec<String> =
        sb.events_of("section.resliced").iter().map(|e| e["store"].as_str().unwrap().to_string()).collect();
    assert_eq!(stores, ["memory", "disk"]);
    // The stages that wait for a whole-stream result (`otsu` for the
    // minimum and maximum, `pores` for the threshold, `final` for the
    // merges) parked what they received on disk in the small budget: before
    // that, their buffered frames held every permit and the run deadlocked.
    let mut parked: Vec<String> =
        sb.events_of("stage.parked").iter().map(|e| e["stage"].as_str().unwrap().to_string()).collect();
    parked.sort();
    assert_eq!(parked, ["final", "otsu", "pores"]);

    let pores = memory["results"]["porosity"]["phase_voxels"].as_u64().unwrap();
    assert!(pores > 0 && pores < 40 * 48 * 48, "a phantom with two phases: {memory}");
    for stage in REDUCED {
        let (a, b) = (&memory["results"][stage], &disk["results"][stage]);
        if stage == "label" {
            assert_eq!((&a["count"], &a["sizes"]), (&b["count"], &b["sizes"]), "`label`");
        } else {
            assert_eq!(a, b, "`{stage}`");
        }
    }
    assert!(memory_labels == disk_labels, "labels after a spilled reslice differ from the in-memory ones");
}

/// A budget under twice the 96 × 40 × 48 f32 projection stack (1.4 MiB),
/// so its reslice goes to disk.
const SMALL: &str = "1MiB";
