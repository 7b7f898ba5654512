//! `generator.projections` into `scan.h5`: the host's HDF5 sink gathers the
//! projection chunks and writes a dxchange scan (`/exchange/data`,
//! `data_white`, `data_dark`, `theta` in degrees), read back here.
//!
//! The pipeline scans the `disc` phantom without noise, so every count has
//! a closed form: `flat · exp(−2√(r² − s²)) + dark` (the default pixel size
//! makes the exponent μ·L in phantom units).
//!
//! Which checks run depends on how things were built. A `plexus` without
//! HDF5 must refuse the pipeline, naming the feature. With HDF5 (what
//! `./plexus.sh test` builds, `--features plexus-host/hdf5`) the file is
//! read back with `plexus_io::read` (`/exchange/data`) and
//! `plexus_io::inspect` (every dataset's shape), which work whenever
//! `plexus-io` was built with its `hdf5` feature (Cargo unifies it across
//! the workspace); with this crate's own `hdf5` feature also
//! `plexus_io::read_dxchange`, with the angles and their `units`.

use plexus_e2e::{show, Sandbox};

const SIZE: usize = 33;
const ANGLES: usize = 12;
const FLAT: f64 = 1000.0;
const DARK: f64 = 10.0;

fn expected() -> Vec<f64> {
    let mut v = Vec::new();
    for _ in 0..ANGLES {
        for c in 0..SIZE {
            let s = c as f64 * 2.0 / (SIZE - 1) as f64 - 1.0;
            let l = 2.0 * (0.25 - s * s).max(0.0).sqrt();
            v.push(FLAT * (-l).exp() + DARK);
        }
    }
    v
}

/// `./plexus.sh` exports `PLEXUS_EXPECT_HDF5=1` when it built with HDF5:
/// then a check skipped for want of HDF5 is a failure.
fn expect_hdf5() -> bool {
    std::env::var("PLEXUS_EXPECT_HDF5").is_ok_and(|v| v == "1")
}

fn assert_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-6 * w, "element {i}: {g} != {w}");
    }
}

#[test]
fn projections_are_written_as_a_dxchange_scan() {
    let sb = Sandbox::new();
    sb.write(
        "scan.toml",
        &format!(
            "[pipeline]\nname = \"scan\"\n\n[[stage]]\nid = \"scan\"\nuse = \"generator.projections\"\nparams = {{ phantom = \"disc\", size = {SIZE}, n_angles = {ANGLES}, chunk = 5, flat = {FLAT}, dark = {DARK}, flats = 2 }}\n\n[[output]]\nfrom = \"scan\"\npath = \"out/scan.h5\"\n"
        ),
    );
    let out = sb.run(&["run", "--json", "scan.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.contains("built without HDF5 support") {
        assert!(!expect_hdf5(), "PLEXUS_EXPECT_HDF5=1 but plexus was built without HDF5: {}", show(&out));
        assert!(stderr.contains("--features plexus-host/hdf5"), "{}", show(&out));
        eprintln!("plexus was built without HDF5: checked that it refuses `.h5` outputs, nothing more");
        return;
    }
    assert!(out.status.success(), "{}", show(&out));
    let scan = sb.path().join("out/scan.h5");
    let sidecar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path().join("out/scan.h5.json")).unwrap()).unwrap();
    assert_eq!(sidecar["output"]["shape"], serde_json::json!([ANGLES, 1, SIZE]));
    assert_eq!(sidecar["output"]["frames"], 3);
    let angles: Vec<f64> = (0..ANGLES).map(|i| 180.0 * i as f64 / ANGLES as f64).collect();
    assert_eq!(sidecar["results"]["scan"]["angles_deg"], serde_json::json!(angles));

    match plexus_io::read(&scan) {
        Ok(data) => {
            assert_eq!((data.shape(), data.dtype().to_string().as_str()), (&[ANGLES, 1, SIZE][..], "f32"));
            assert_close(&data.to_f64_vec(), &expected());
            let info = plexus_io::inspect(&scan).unwrap();
            let shape = |p: &str| info.datasets.iter().find(|d| d.path == p).map(|d| d.shape.clone());
            assert_eq!(shape("/exchange/data_white"), Some(vec![2, 1, SIZE]));
            assert_eq!(shape("/exchange/data_dark"), Some(vec![1, 1, SIZE]));
            assert_eq!(shape("/exchange/theta"), Some(vec![ANGLES]));
            let theta = info.datasets.iter().find(|d| d.path == "/exchange/theta").unwrap();
            assert_eq!(theta.attributes, 1, "`units` on the angles");
        }
        Err(e) => {
            assert!(!expect_hdf5(), "PLEXUS_EXPECT_HDF5=1 but this test binary's plexus-io reads no HDF5: {e}");
            eprintln!("this test binary's plexus-io reads no HDF5 ({e}): file checks skipped")
        }
    }
    assert!(!expect_hdf5() || cfg!(feature = "hdf5"), "PLEXUS_EXPECT_HDF5=1 but plexus-e2e was built without `hdf5`");

    #[cfg(feature = "hdf5")]
    {
        let d = plexus_io::read_dxchange(&scan).unwrap();
        assert_eq!(d.data.axes(), "angle row col");
        assert_close(&d.data.to_f64_vec(), &expected());
        let white = d.white.unwrap();
        assert_eq!(white.shape(), &[2, 1, SIZE]);
        assert!(white.to_f64_vec().iter().all(|&w| w == FLAT + DARK));
        let dark = d.dark.unwrap();
        assert_eq!(dark.shape(), &[1, 1, SIZE]);
        assert!(dark.to_f64_vec().iter().all(|&v| v == DARK));
        assert_eq!(d.theta.unwrap().to_f64_vec(), angles);
        assert_eq!(d.theta_units.as_deref(), Some("degrees"));
    }
}

/// An `.h5` output of frames that are not projections fails with the reason.
#[test]
fn an_h5_output_needs_projections() {
    let sb = Sandbox::new();
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"notscan\"\n\n[[stage]]\nid = \"img\"\nuse = \"generator.shepp_logan\"\nparams = { size = 16 }\n\n[[output]]\nfrom = \"img\"\npath = \"img.h5\"\n",
    );
    let out = sb.run(&["run", "p.toml"]);
    assert!(!out.status.success(), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("built without HDF5 support") || stderr.contains("needs projections `data` (angle row col)"),
        "{}",
        show(&out)
    );
    assert!(!sb.path().join("img.h5").exists());
}
