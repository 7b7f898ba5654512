//! `plugin.toml` agrees with the code: the same operators, patterns and
//! `parallel` flags that say what each operator does, and every operator
//! builds from the manifest's defaults and passes the compliance check on
//! frames of its pattern.

use serde_json::{Map, Value};

use super::{frames, no_meta, run, stack};
use crate::common::sinogram;

fn manifest() -> toml::Table {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")).unwrap();
    text.parse().unwrap()
}

fn operators() -> Vec<toml::Table> {
    manifest()["operator"].as_array().unwrap().iter().map(|o| o.as_table().unwrap().clone()).collect()
}

#[test]
fn operators_match_registration() {
    let m = manifest();
    assert_eq!(m["plugin"]["name"].as_str(), Some("reconstruction"));
    assert_eq!(m["plugin"]["artifact"].as_str(), Some("libplexus_reconstruction.so"));
    let names: Vec<String> = operators().iter().map(|o| o["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, plexus_reconstruction::PLUGIN.operator_names().collect::<Vec<_>>());
}

/// Patterns as the operators read their frames, and `parallel` only where
/// an operator keeps nothing from one frame to the next (normalize keeps
/// its flat field, find_center its centre, the iterative methods their
/// residuals); no operator needs a halo.
#[test]
fn patterns_and_parallel_flags_are_truthful() {
    let want = [
        ("normalize", "projection", false),
        ("minus_log", "frame", true),
        ("phase_retrieval", "projection", true),
        ("remove_zingers", "projection", true),
        ("remove_zingers_sinogram", "sinogram", true),
        ("remove_stripes", "sinogram", true),
        ("find_center", "sinogram", false),
        ("fbp", "sinogram", true),
        ("gridrec", "sinogram", true),
        ("sirt", "sinogram", false),
        ("cgls", "sinogram", false),
        ("sart", "sinogram", false),
    ];
    let ops = operators();
    assert_eq!(ops.len(), want.len());
    for (op, (name, pattern, parallel)) in ops.iter().zip(want) {
        assert_eq!(op["name"].as_str(), Some(name));
        assert_eq!(op["pattern"].as_str(), Some(pattern), "{name}");
        assert_eq!(op["parallel"].as_bool(), Some(parallel), "{name}");
        assert_eq!(op["halo"].as_integer(), Some(0), "{name}");
        assert!(op["memory"].as_float().unwrap() >= 1.0, "{name}");
    }
}

/// Every operator, built from the manifest's defaults (the harness fills
/// them in as the host does), on three chunks of data of its pattern:
/// projections `(6, 2, 17)` of a flat-fielded scan, or sinograms
/// `(3, 24, 17)` of the phantom.
#[test]
fn every_operator_runs_with_manifest_defaults() {
    let (na, cols) = (24usize, 17usize);
    let sino: Vec<f32> =
        (0..3).flat_map(|_| sinogram(cols, cols, &plexus_reconstruction::geometry::half_turn_deg(na), 8.0)).collect();
    let sinos = frames(&stack(sino, [3, na, cols], "row angle col"), 3, no_meta);
    let raw: Vec<f32> = (0..6 * 2 * cols).map(|k| 100.0 + 900.0 * (1.0 - (k % cols) as f32 / cols as f32)).collect();
    let mut projections = frames(&stack(raw, [6, 2, cols], "angle row col"), 3, no_meta);
    projections[0] = projections[0]
        .clone()
        .with_array("white", super::stack(vec![1100.0; 2 * 2 * cols], [2, 2, cols], "frame row col"))
        .with_array("dark", super::stack(vec![100.0; 2 * cols], [1, 2, cols], "frame row col"));
    for op in operators() {
        let name = op["name"].as_str().unwrap();
        let mut params = Map::new();
        if let Some(table) = op.get("params").and_then(|p| p.as_table()) {
            for (key, spec) in table {
                if let Some(default) = spec.get("default") {
                    params.insert(key.clone(), serde_json::to_value(default).unwrap());
                }
            }
        }
        let input = match op["pattern"].as_str().unwrap() {
            "projection" => &projections,
            _ => &sinos,
        };
        let outs = run(name, Value::Object(params), input);
        assert_eq!(outs.len(), 4, "{name}");
        if name != "find_center" {
            assert!(outs[..3].iter().all(|e| e.frames().len() == 1), "`{name}` emits one frame per frame");
        }
    }
}
