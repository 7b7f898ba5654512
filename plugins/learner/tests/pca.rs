//! `pca` and `pca_project` against `sklearn.decomposition.PCA(svd_solver="full")`
//! (scikit-learn 1.9.1) on real cubes: ihc.png (3 bands, u8) and 8 bands
//! derived from camera(). Tolerances: explained-variance ratio ≤ 1e-10
//! absolute, explained variance / singular values / mean ≤ 1e-10 relative,
//! components ≤ 1e-9 after sklearn's sign convention, projections ≤ 1e-9
//! relative to the data scale. 1, 3 and 7 chunks agree to 1e-12.

mod common;

use common::{chunks, close, expected, f64s, load};
use plexus_learner::PLUGIN;
use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::{Array, ChunkKey, Context, Frame};
use serde_json::{json, Map, Value};

fn cube(name: &str) -> Array {
    load(&format!("in_{name}")).array().with_axes("y x band").unwrap()
}

fn fit(params: Value, frames: &[Frame]) -> Map<String, Value> {
    let outs = check_operator(&PLUGIN, "pca", params, frames).unwrap();
    for o in &outs[..frames.len()] {
        assert!(o.forwards_input() && o.frames().is_empty() && o.results().is_empty());
    }
    outs.last().unwrap().results().clone()
}

fn check_against_sklearn(r: &Map<String, Value>, e: &Value, what: &str) {
    close(
        &f64s(&r["explained_variance_ratio"]),
        &f64s(&e["explained_variance_ratio"]),
        1e-10,
        &format!("{what}: ratio"),
    );
    let rel = |a: &[f64], b: &[f64], tol: f64, w: &str| {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= tol * y.abs().max(1e-300), "{what}: {w}[{i}] {x} vs sklearn {y}");
        }
        assert_eq!(a.len(), b.len());
    };
    rel(&f64s(&r["explained_variance"]), &f64s(&e["explained_variance"]), 1e-10, "explained_variance");
    rel(&f64s(&r["singular_values"]), &f64s(&e["singular_values"]), 1e-10, "singular_values");
    rel(&f64s(&r["mean"]), &f64s(&e["mean"]), 1e-12, "mean");
    let ev0 = f64s(&e["explained_variance"])[0];
    assert!((r["noise_variance"].as_f64().unwrap() - e["noise_variance"].as_f64().unwrap()).abs() <= 1e-10 * ev0);
    let (got, want) = (r["components"].as_array().unwrap(), e["components"].as_array().unwrap());
    assert_eq!(got.len(), want.len(), "{what}: k");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(&f64s(g), &f64s(w), 1e-9, &format!("{what}: component {i}"));
    }
    assert_eq!(r["n_samples"], e["n_samples"]);
}

#[test]
fn matches_sklearn_whatever_the_chunking() {
    let e = expected();
    for (name, input, k) in
        [("ihc", "ihc", 3), ("ihc_k2", "ihc", 2), ("camera8", "camera8", 0), ("camera8_k3", "camera8", 3)]
    {
        let c = cube(input);
        let mut first: Option<Map<String, Value>> = None;
        for n in [1, 3, 7] {
            let r = fit(json!({ "k": k }), &chunks(&c, n));
            check_against_sklearn(&r, &e[format!("pca_{name}")], &format!("{name}, {n} chunks"));
            match &first {
                None => first = Some(r),
                Some(f) => {
                    // Chunking changes only rounding: eigenvalues agree to
                    // 1e-12 of the largest one (Jacobi's absolute accuracy is
                    // relative to the matrix norm), the mean to 1e-12.
                    close(&f64s(&r["mean"]), &f64s(&f["mean"]), 1e-12, &format!("{name}: mean, {n} vs 1 chunks"));
                    for key in ["explained_variance", "singular_values"] {
                        let (a, b) = (f64s(&r[key]), f64s(&f[key]));
                        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                            assert!((x - y).abs() <= 1e-12 * b[0], "{name}: {key}[{i}] {x} vs {y}, {n} vs 1 chunks");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn samples_by_variables_matrix_is_accepted() {
    let e = expected();
    let c = cube("camera8");
    let flat = c.reshape(vec![48 * 48, 8]).unwrap().with_axes("sample variable").unwrap();
    let r = fit(json!({ "k": 3 }), &chunks(&flat, 3));
    check_against_sklearn(&r, &e["pca_camera8_k3"], "camera8 as [n, 8]");
    let err =
        check_operator(&PLUGIN, "pca", json!({}), &chunks(&load("in_camera_real").array(), 1)).unwrap_err().to_string();
    assert!(
        err.contains(
            "expected variables for `pca`: a last axis labelled `band`, `c` or `channel`, or a 2-D [samples, variables] array, got axes `z y x`"
        ),
        "{err}"
    );
}

#[test]
fn save_load_project_matches_sklearn_transform() {
    let dir = tempfile::tempdir().unwrap();
    for (name, input, other, k) in [
        ("ihc", "ihc", cube("ihc_other"), 3),
        ("ihc_k2", "ihc", cube("ihc_other"), 2),
        ("camera8", "camera8", chunks(&cube("camera8"), 3)[0].arrays()[0].1.clone(), 8),
        ("camera8_k3", "camera8", chunks(&cube("camera8"), 3)[0].arrays()[0].1.clone(), 3),
    ] {
        let path = dir.path().join(format!("{name}.json")).to_str().unwrap().to_string();
        let r = fit(json!({ "k": k, "model": path }), &chunks(&cube(input), 3));
        assert_eq!(r["model"], json!(path));
        let want = load(&format!("pca_{name}_proj"));
        let scale = want.f64s().iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for n in [1, 3, 7] {
            let frames = chunks(&other, n);
            let outs = check_operator(&PLUGIN, "pca_project", json!({ "model": path }), &frames).unwrap();
            let mut got = Vec::new();
            for (o, f) in outs.iter().zip(&frames) {
                assert!(!o.forwards_input());
                let out = &o.frames()[0];
                assert_eq!(out.key(), f.key());
                let a = out.array("projection").unwrap();
                assert_eq!(a.axes(), "y x component");
                assert_eq!(a.shape()[2], k);
                got.extend_from_slice(a.as_slice::<f64>().unwrap());
            }
            assert_eq!(got.len(), want.shape.iter().product::<usize>());
            for (i, (g, w)) in got.iter().zip(want.f64s()).enumerate() {
                assert!((g - w).abs() <= 1e-9 * scale, "{name}: projection {i}: {g} vs sklearn {w}");
            }
        }
        // Fewer components than the model holds: the leading columns.
        if k == 3 {
            let outs = check_operator(
                &PLUGIN,
                "pca_project",
                json!({ "model": path, "k": 1, "output": "pc" }),
                &chunks(&other, 1),
            )
            .unwrap();
            let a = outs[0].frames()[0].array("pc").unwrap().as_slice::<f64>().unwrap().to_vec();
            let w = want.f64s();
            for (i, g) in a.iter().enumerate() {
                assert!((g - w[i * 3]).abs() <= 1e-9 * scale);
            }
        }
    }
}

fn ctor_error(op: &str, params: Value) -> String {
    match PLUGIN.build(op, &params.to_string(), &Context::new(1)) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_models_and_inputs_give_exact_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ihc.json").to_str().unwrap().to_string();
    fit(json!({ "k": 2, "model": path }), &chunks(&cube("ihc"), 1));
    let missing = dir.path().join("nope.json").to_str().unwrap().to_string();
    assert_eq!(
        ctor_error("pca_project", json!({ "model": missing })),
        format!("parameter `model`: expected a readable model file, got `{missing}` (No such file or directory (os error 2))")
    );
    assert_eq!(
        ctor_error("pca_project", json!({ "model": path, "k": 3 })),
        format!("parameter `k`: expected at most the 2 components the model `{path}` holds, got 3")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let write = |name: &str, v: &Value| {
        let p = dir.path().join(name).to_str().unwrap().to_string();
        std::fs::write(&p, v.to_string()).unwrap();
        p
    };
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["version"] = json!(7);
    let p = write("v7.json", &v);
    assert_eq!(
        ctor_error("pca_project", json!({ "model": p })),
        format!("parameter `model`: expected a loadable model file, got `{p}` (it is version 7 of `plexus-learner/pca-model`; this plugin reads version 1)")
    );
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["components"][1] = json!([1.0, 0.0]);
    let p = write("comp.json", &v);
    assert_eq!(
        ctor_error("pca_project", json!({ "model": p })),
        format!(
            "parameter `model`: expected a loadable model file, got `{p}` (`components` must be 2 lists of 3 numbers)"
        )
    );
    // A histogram model is not a PCA model.
    let h = dir.path().join("h.json").to_str().unwrap().to_string();
    check_operator(&PLUGIN, "fit_histogram", json!({ "bins": 4, "model": h }), &chunks(&cube("ihc"), 1)).unwrap();
    assert_eq!(
        ctor_error("pca_project", json!({ "model": h })),
        format!("parameter `model`: expected a loadable model file, got `{h}` (it holds a `plexus-learner/histogram-model` model, expected `plexus-learner/pca-model`)")
    );
    // Wrong band count at projection time.
    let err = check_operator(&PLUGIN, "pca_project", json!({ "model": path }), &chunks(&cube("camera8"), 1))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "`pca_project`: frame 0: invalid input: expected 3 variables, as the model `{path}` was fitted on, got 8"
        )
    );
    // Non-finite input, too few samples, k larger than the bands.
    let nan = Array::from_vec(vec![2, 2], vec![1.0, f64::NAN, 2.0, 3.0]).unwrap();
    let err = check_operator(&PLUGIN, "pca", json!({}), &[Frame::new("d", ChunkKey::whole(2)).with_array("x", nan)])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "`pca`: frame 0: invalid input: expected finite values (PCA of other data is undefined), got NaN in sample 0"
    );
    let one = Array::from_vec(vec![1, 2], vec![1.0, 2.0]).unwrap();
    let err =
        check_operator(&PLUGIN, "pca", json!({}), &[Frame::new("d", ChunkKey::whole(1)).with_array("x", one.clone())])
            .unwrap_err()
            .to_string();
    assert_eq!(err, "`pca`: finish: invalid input: expected at least 2 samples over the stream (`pca`), got 1");
    let err =
        check_operator(&PLUGIN, "pca", json!({ "k": 3 }), &[Frame::new("d", ChunkKey::whole(1)).with_array("x", one)])
            .unwrap_err()
            .to_string();
    assert_eq!(err, "`pca`: frame 0: parameter `k`: expected at most the input's 2 variables, got 3");
}

#[test]
fn sign_convention_largest_loading_positive() {
    let r = fit(json!({}), &chunks(&cube("camera8"), 2));
    for c in r["components"].as_array().unwrap() {
        let c = f64s(c);
        let norm: f64 = c.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-13);
        let big = c.iter().cloned().fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
        assert!(big > 0.0, "largest |loading| is positive: {c:?}");
    }
}

/// A large offset (1e7, so raw sums of squares would lose ~9 digits)
/// changes only the mean: the centred merge keeps ratios and components.
#[test]
fn large_offset_does_not_cancel() {
    let e = expected();
    let c = cube("ihc");
    let shifted: Vec<f64> = c.to_f64_vec().iter().map(|v| v + 1e7).collect();
    let s = Array::from_vec(c.shape().to_vec(), shifted).unwrap().with_axes("y x band").unwrap();
    let r = fit(json!({}), &chunks(&s, 7));
    let want = &e["pca_ihc"];
    close(&f64s(&r["explained_variance_ratio"]), &f64s(&want["explained_variance_ratio"]), 1e-9, "ratio");
    for (g, w) in r["components"].as_array().unwrap().iter().zip(want["components"].as_array().unwrap()) {
        close(&f64s(g), &f64s(w), 1e-7, "component");
    }
}
