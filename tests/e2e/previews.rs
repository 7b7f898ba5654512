//! Previews and sweeps: `[input] preview` runs a pipeline on a subset along
//! each axis (the angles of a scan included); `--sweep` and `[[sweep]]` run
//! it once per value of a parameter, one output per value or one stacked
//! output with the values in its sidecar — the way a rotation centre is
//! tuned on a few slices.

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

fn volume() -> Array {
    Array::from_fn(vec![40, 64, 64], |i| ((i * 7919) % 1009) as f32)
}

/// `volume()[z0::10][8:40][::2]`, as numpy would slice it.
fn expected_preview() -> Vec<f64> {
    let v = volume().to_f64_vec();
    let mut out = Vec::new();
    for z in (0..40).step_by(10) {
        for y in 8..40 {
            for x in (0..64).step_by(2) {
                out.push(v[(z * 64 + y) * 64 + x]);
            }
        }
    }
    out
}

fn pipeline(preview: &str) -> String {
    format!("[pipeline]\nname = \"pv\"\n\n[input]\npath = \"vol.npy\"\npreview = {preview}\n\n[[stage]]\nid = \"pass\"\nuse = \"faulty.pass\"\n\n[[output]]\nfrom = \"pass\"\npath = \"out.npy\"\n")
}

#[test]
fn a_preview_runs_on_the_subset_by_position_or_by_label() {
    let sb = Sandbox::new();
    sb.pack("faulty", "libtest_faulty.so", &sb.plugins().join("faulty"));
    plexus_io::write(&sb.path().join("vol.npy"), &volume()).unwrap();
    for preview in [r#"["0:40:10", "8:40", "::2"]"#, r#"{ z = "::10", y = "8:-24", x = "0:64:2" }"#] {
        sb.write("p.toml", &pipeline(preview));
        let out = sb.run(&["run", "--json", "p.toml"]);
        assert!(out.status.success(), "{preview}: {}", show(&out));
        let got = plexus_io::read(&sb.path().join("out.npy")).unwrap();
        assert_eq!(got.shape(), &[4, 32, 32], "{preview}");
        assert_eq!(got.to_f64_vec(), expected_preview(), "{preview}");
    }
    sb.write("p.toml", &pipeline(r#"{ angle = "0:4" }"#));
    let out = sb.run(&["run", "p.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("caused by: `preview`: the dataset has no axis `angle` (its axes are `z y x`)"), "{err}");
    sb.write("p.toml", &pipeline(r#"["0:x"]"#));
    let out = sb.run(&["check", "p.toml"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("key `input.preview`: [0]: expected `start:stop:step` (Python slice, e.g. `0:720:4`), got `0:x`"),
        "{err}"
    );
}

#[cfg(feature = "hdf5")]
#[test]
fn a_preview_of_a_scan_keeps_the_angles_and_fields_of_what_it_keeps() {
    let sb = Sandbox::new();
    sb.pack("faulty", "libtest_faulty.so", &sb.plugins().join("faulty"));
    let scan = plexus_io::Dxchange {
        data: Array::from_fn(vec![12, 4, 6], |i| i as u16).with_axes("angle row col").unwrap(),
        white: Some(Array::from_fn(vec![2, 4, 6], |i| 1000 + i as u16).with_axes("frame row col").unwrap()),
        dark: None,
        theta: Some(Array::from_fn(vec![12], |i| i as f64 * 15.0).with_axes("angle").unwrap()),
        theta_units: Some("degrees".into()),
    };
    plexus_io::write_dxchange(&sb.path().join("scan.h5"), &scan).unwrap();
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"pv\"\n\n[input]\npath = \"scan.h5\"\nchunk = 4\npreview = { angle = \"0:12:3\", col = \"1:5\" }\n\n[[stage]]\nid = \"pass\"\nuse = \"faulty.pass\"\n\n[[output]]\nfrom = \"pass\"\npath = \"proj.npy\"\n\n[[output]]\nfrom = \"pass\"\narray = \"theta\"\npath = \"theta.npy\"\n\n[[output]]\nfrom = \"pass\"\narray = \"data_white\"\npath = \"flat.npy\"\n",
    );
    let out = sb.run(&["run", "--json", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let proj = plexus_io::read(&sb.path().join("proj.npy")).unwrap();
    assert_eq!(proj.shape(), &[4, 4, 4]);
    let want: Vec<f64> = [0usize, 3, 6, 9]
        .iter()
        .flat_map(|&a| (0..4).flat_map(move |r| (1..5).map(move |c| (a * 24 + r * 6 + c) as f64)))
        .collect();
    assert_eq!(proj.to_f64_vec(), want);
    assert_eq!(plexus_io::read(&sb.path().join("theta.npy")).unwrap().to_f64_vec(), vec![0.0, 45.0, 90.0, 135.0]);
    let flat = plexus_io::read(&sb.path().join("flat.npy")).unwrap();
    assert_eq!(flat.shape(), &[2, 4, 4]);
    assert_eq!(flat.to_f64_vec()[..4], [1001.0, 1002.0, 1003.0, 1004.0]);
}

const ZSCORE: &str = "[pipeline]\nname = \"sw\"\n\n[input]\npath = \"vol.npy\"\npreview = [\"0:40:10\"]\n\n[[stage]]\nid = \"z\"\nuse = \"anomaly.zscore\"\n\n[[output]]\nfrom = \"z\"\npath = \"mask.npy\"\n";

#[test]
fn a_sweep_writes_one_output_per_value_from_one_read() {
    let sb = Sandbox::new();
    plexus_io::write(&sb.path().join("vol.npy"), &volume()).unwrap();
    sb.write("p.toml", ZSCORE);
    let out = sb.run(&["run", "--json", "--sweep", "z.k=0.5:1.5:0.5", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sweep"]["values"], serde_json::json!([0.5, 1.0, 1.5]));
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    let bytes = 4 * 64 * 64 * 4;
    for r in runs {
        assert_eq!(r["progress"]["bytes_total"], bytes, "one read of the preview for every value: {r}");
    }
    for (k, name) in [(0.5, "mask_k-0.5.npy"), (1.0, "mask_k-1.0.npy"), (1.5, "mask_k-1.5.npy")] {
        let swept = plexus_io::read(&sb.path().join(name)).unwrap();
        let alone = sb.run(&["run", "--quiet", "--set", &format!("z.k={k}"), "p.toml"]);
        assert!(alone.status.success(), "{}", show(&alone));
        let single = plexus_io::read(&sb.path().join("mask.npy")).unwrap();
        assert_eq!(swept.shape(), &[4, 64, 64]);
        assert!(swept.as_bytes() == single.as_bytes(), "k = {k}: the swept output differs from a run with --set");
    }
    assert_eq!(sb.events_of("pipeline.started").iter().filter(|e| e["pipeline"] == "sw[k=1.0]").count(), 1);
}

#[test]
fn a_sweep_section_stacks_its_outputs_with_the_values_in_the_sidecar() {
    let sb = Sandbox::new();
    plexus_io::write(&sb.path().join("vol.npy"), &volume()).unwrap();
    sb.write(
        "p.toml",
        &format!("{ZSCORE}\n[[sweep]]\nstage = \"z\"\nparam = \"k\"\nvalues = [1.0, 2.0]\noutput = \"stacked\"\n"),
    );
    let out = sb.run(&["run", "--json", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let stacked = plexus_io::read(&sb.path().join("mask.npy")).unwrap();
    assert_eq!(stacked.shape(), &[2, 4, 64, 64]);
    let side: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path().join("mask.npy.json")).unwrap()).unwrap();
    assert_eq!(side["sweep"]["values"], serde_json::json!([1.0, 2.0]));
    assert_eq!(side["sweep"]["param"], "k");
    let per_value = 4 * 64 * 64;
    for (i, k) in [1.0, 2.0].iter().enumerate() {
        let alone = sb.run(&["run", "--quiet", "--sweep-output", "each", "--sweep", &format!("z.k={k:.1}"), "p.toml"]);
        assert!(alone.status.success(), "{}", show(&alone));
        let single = plexus_io::read(&sb.path().join(format!("mask_k-{k:.1}.npy"))).unwrap();
        assert!(stacked.as_bytes()[i * per_value..(i + 1) * per_value] == *single.as_bytes(), "value {k}");
    }
    // A value the manifest refuses names the stage and parameter.
    let out = sb.run(&["run", "--sweep", "z.k=-1:1:1", "p.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stage `z`, key `params.k`: expected at least 0, got -1"), "{err}");
}
