//! The `reconstruction` plugin through the real `plexus` binary, in the two
//! sections today's host runs end to end (its projection → sinogram
//! reslice comes with the data-plane work, so the test does that step
//! between the two runs, in memory, the way the host will):
//!
//! 1. `generator.projections` (a 3-D modified Shepp–Logan scan with flats,
//!    darks, Poisson noise, zingers and stripes) → `normalize` →
//!    `remove_zingers` → `minus_log` → `lines.npy` (`angle row col`);
//! 2. the test crops the detector so that the rotation axis sits 3 columns
//!    right of its middle, and writes the sinograms (`row angle col`) as
//!    `sinos.npy`;
//! 3. `sinos.npy` (chunks of 2 rows) → `remove_stripes` → `find_center` →
//!    `fbp` with `center_col = "${center.center_col}"` → `recon.npy`.
//!
//! Checked: the centre `find_center` publishes (sidecar) is within 0.25 px
//! of the true axis, and the slices recover the phantom (rendered by
//! `generator.shepp_logan` in a third run) at a PSNR stated below.

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

/// Phantom pixels along y and x; detector columns before the crop.
const SIZE: usize = 129;
/// Detector rows (volume slices).
const DEPTH: usize = 6;
const ANGLES: usize = 180;
/// Columns cut off the detector's right edge: the axis, at column 64 of
/// 129, is then 3 columns right of the middle of 123.
const CROP: usize = 6;

fn npy(sb: &Sandbox, rel: &str) -> Array {
    plexus_io::read(&sb.path().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn run(sb: &Sandbox, file: &str, text: &str) -> serde_json::Value {
    sb.write(file, text);
    let out = sb.run(&["run", "--json", "--threads", "2", file]);
    assert!(out.status.success(), "{}", show(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&out)))
}

fn sidecar(sb: &Sandbox, rel: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(sb.path().join(rel)).unwrap()).unwrap()
}

#[test]
fn projections_then_sinograms_to_slices_find_the_centre_and_the_phantom() {
    let sb = Sandbox::new();
    run(
        &sb,
        "pre.toml",
        &format!(
            r#"[pipeline]
name = "tomo-projections"

[[stage]]
id = "scan"
use = "generator.projections"
params = {{ dim = "3d", size = {SIZE}, depth = {DEPTH}, n_angles = {ANGLES}, chunk = 16, photons = 5000.0, zinger_fraction = 0.001, stripe_strength = 0.02, flats = 4, darks = 2, seed = 3 }}

[[stage]]
id = "norm"
use = "reconstruction.normalize"

[[stage]]
id = "zingers"
use = "reconstruction.remove_zingers"

[[stage]]
id = "log"
use = "reconstruction.minus_log"

[[output]]
from = "log"
path = "out/lines.npy"
"#
        ),
    );
    let lines = npy(&sb, "out/lines.npy");
    assert_eq!((lines.shape(), lines.axes()), (&[ANGLES, DEPTH, SIZE][..], "angle row col"));
    let scan = &sidecar(&sb, "out/lines.npy.json")["results"]["scan"];
    assert_eq!(scan["center_col"], 64.0);

    // The reslice, and the crop that moves the axis off the middle.
    let cols = SIZE - CROP;
    let l = lines.as_slice::<f32>().unwrap();
    let mut sinos = Vec::with_capacity(DEPTH * ANGLES * cols);
    for r in 0..DEPTH {
        for a in 0..ANGLES {
            let at = (a * DEPTH + r) * SIZE;
            sinos.extend_from_slice(&l[at..at + cols]);
        }
    }
    let sinos = Array::from_vec(vec![DEPTH, ANGLES, cols], sinos).unwrap().with_axes("row angle col").unwrap();
    plexus_io::write(&sb.path().join("sinos.npy"), &sinos).unwrap();

    let report = run(
        &sb,
        "recon.toml",
        r#"[pipeline]
name = "tomo-sinograms"

[input]
path = "sinos.npy"
chunk = 2

[[stage]]
id = "stripes"
use = "reconstruction.remove_stripes"

[[stage]]
id = "center"
use = "reconstruction.find_center"

[[stage]]
id = "recon"
use = "reconstruction.fbp"
params = { center_col = "${center.center_col}" }

[[output]]
from = "recon"
path = "out/recon.npy"
"#,
    );
    assert_eq!(report["chunks"], 3);
    let results = &sidecar(&sb, "out/recon.npy.json")["results"];
    let center = results["center"]["center_col"].as_f64().unwrap();
    let truth = 64.0;
    eprintln!("find_center: {center} (true {truth}), on row {}", results["center"]["row"]);
    assert!((center - truth).abs() <= 0.25, "centre {center} vs {truth}");
    assert_eq!(results["center"]["row"], DEPTH / 2);

    run(
        &sb,
        "phantom.toml",
        &format!(
            "[pipeline]\nname = \"phantom\"\n\n[[stage]]\nid = \"ph\"\nuse = \"generator.shepp_logan\"\nparams = {{ dim = \"3d\", size = {SIZE}, depth = {DEPTH} }}\n\n[[output]]\nfrom = \"ph\"\npath = \"out/phantom.npy\"\n"
        ),
    );
    let phantom = npy(&sb, "out/phantom.npy").to_f64_vec();
    let recon = npy(&sb, "out/recon.npy");
    assert_eq!(recon.shape(), &[DEPTH, cols, cols]);
    let recon = recon.to_f64_vec();
    // The slice grid is centred on the axis: slice pixel (i, j) is phantom
    // pixel (i + 3, j + 3). Values are attenuation per pixel; the phantom's
    // pixel is 2/(SIZE − 1) of its units.
    let per_pixel = 2.0 / (SIZE - 1) as f64;
    let shift = SIZE / 2 - (cols - 1) / 2;
    for (r, want_db) in [(2, 20.0), (3, 20.0)] {
        let mut se = 0.0;
        for i in 0..cols {
            for j in 0..cols {
                let got = recon[(r * cols + i) * cols + j] / per_pixel;
                let want = phantom[(r * SIZE + i + shift) * SIZE + j + shift];
                se += (got - want).powi(2);
            }
        }
        let psnr = 10.0 * (1.0 / (se / (cols * cols) as f64)).log10();
        eprintln!("row {r}: PSNR {psnr:.2} dB against the phantom");
        assert!(psnr >= want_db, "row {r}: {psnr} dB");
    }
}

/// `plexus plugins list` shows the plugin with its twelve operators.
#[test]
fn plugins_list_shows_the_reconstruction_operators() {
    let sb = Sandbox::new();
    let out = sb.run(&["plugins", "list", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let recon = listing["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "reconstruction")
        .unwrap_or_else(|| panic!("no `reconstruction` in {listing}"));
    let ops: Vec<(&str, &str)> = recon["operators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["pattern"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ops,
        [
            ("normalize", "projection"),
            ("minus_log", "frame"),
            ("phase_retrieval", "projection"),
            ("remove_zingers", "projection"),
            ("remove_zingers_sinogram", "sinogram"),
            ("remove_stripes", "sinogram"),
            ("find_center", "sinogram"),
            ("fbp", "sinogram"),
            ("gridrec", "sinogram"),
            ("sirt", "sinogram"),
            ("cgls", "sinogram"),
            ("sart", "sinogram"),
        ]
    );
}
