//! `fit_histogram` and `score_histogram` against numpy/scipy on crops of
//! real images: counts exact, p/mean/std ≤ 1e-12 absolute, chi-square and
//! KL ≤ 1e-10 relative, Wasserstein ≤ 1e-9 relative (scipy's
//! `wasserstein_distance` on bin centres weighted by counts). Same results
//! for 1, 3 and 7 chunks; fit → save → load → score round trip; exact
//! errors for bad model files.

mod common;

use common::{chunks, close, expected, f64s, load, u64s};
use plexus_learner::PLUGIN;
use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::{Context, Frame, Output};
use serde_json::{json, Map, Value};

fn run(op: &str, params: Value, frames: &[Frame]) -> Vec<Output> {
    let outs = check_operator(&PLUGIN, op, params, frames).unwrap();
    for o in &outs[..frames.len()] {
        assert!(o.forwards_input(), "{op}: every input frame is forwarded");
        assert!(o.frames().is_empty() && o.results().is_empty());
    }
    outs
}

fn results(op: &str, params: Value, frames: &[Frame]) -> Map<String, Value> {
    run(op, params, frames).last().unwrap().results().clone()
}

fn stack(name: &str) -> plexus_plugin_api::Array {
    load(&format!("in_{name}")).array()
}

fn tmp_model(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).to_str().unwrap().to_string()
}

fn check_fit(r: &Map<String, Value>, e: &Value, what: &str) {
    assert_eq!(u64s(&r["counts"]), u64s(&e["counts"]), "{what}: counts exact");
    let (edges, want) = (f64s(&r["edges"]), f64s(&e["edges"]));
    assert!(edges.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "{what}: edges bit for bit");
    close(&f64s(&r["p"]), &f64s(&e["p"]), 1e-15, &format!("{what}: p"));
    close(&f64s(&r["mean"]), &f64s(&e["mean"]), 1e-14, &format!("{what}: mean"));
    close(&f64s(&r["std"]), &f64s(&e["std"]), 1e-12, &format!("{what}: std"));
    assert_eq!(r["images"], e["images"], "{what}: images");
    assert_eq!(r["total"], e["total"], "{what}: total");
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

fn check_score(r: &Value, e: &Value, what: &str) {
    let g = |v: &Value, k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{what}: {k} is {}", v[k]));
    assert!(rel(g(r, "chi2"), g(e, "chi2")) <= 1e-10, "{what}: chi2 {} vs {}", r["chi2"], e["chi2"]);
    assert!(rel(g(r, "kl"), g(e, "kl")) <= 1e-10, "{what}: kl {} vs {}", r["kl"], e["kl"]);
    let (w, we) = (g(r, "wasserstein"), g(e, "wasserstein"));
    assert!(rel(w, we) <= 1e-9, "{what}: wasserstein {w} vs scipy {we}");
}

#[test]
fn fit_matches_numpy_whatever_the_chunking() {
    let e = expected();
    let cases = [
        ("camera_real", json!({ "bins": 256 }), "fit_camera_real"),
        ("camera_real", json!({ "bins": 32, "range": [0.0, 256.0] }), "fit_camera_real_b32"),
        ("moon_f64", json!({ "bins": 50, "range": [0.0, 1.0] }), "fit_moon_f64"),
    ];
    for (input, params, key) in cases {
        let image = stack(input);
        let mut first: Option<Map<String, Value>> = None;
        for n in [1, 3, 7] {
            let r = results("fit_histogram", params.clone(), &chunks(&image, n));
            check_fit(&r, &e[key], &format!("{key}, {n} chunks"));
            match &first {
                None => first = Some(r),
                Some(f) => assert_eq!(&r, f, "{key}: {n} chunks give the same results bit for bit"),
            }
        }
    }
}

#[test]
fn a_two_d_image_in_row_bands_is_one_image() {
    let grains = stack("grains");
    for n in [1, 3, 7] {
        let r = results("fit_histogram", json!({ "bins": 16 }), &chunks(&grains, n));
        assert_eq!(r["images"], 1, "{n} chunks");
        // One image: the spread is zero and the mean is the set histogram.
        assert_eq!(r["mean"], r["p"]);
        assert!(f64s(&r["std"]).iter().all(|&s| s == 0.0));
    }
}

#[test]
fn save_load_score_round_trip_matches_scipy() {
    let e = expected();
    let dir = tempfile::tempdir().unwrap();
    for (fit_input, fit_params, scored) in [
        ("camera_real", json!({ "bins": 256 }), ["camera_real", "camera_noisy", "camera_blur", "grains"].as_slice()),
        ("moon_f64", json!({ "bins": 50, "range": [0.0, 1.0] }), ["moon_f64", "coins_f64"].as_slice()),
    ] {
        let path = tmp_model(&dir, &format!("{fit_input}.json"));
        let mut p = fit_params.clone();
        p["model"] = json!(path);
        let r = results("fit_histogram", p, &chunks(&stack(fit_input), 3));
        assert_eq!(r["model"], json!(path));
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(saved["format"], "plexus-learner/histogram-model");
        assert_eq!(saved["version"], 1);
        assert_eq!(saved["counts"], r["counts"]);
        for &name in scored {
            let data = stack(name);
            for n in [1, 3, 7] {
                let set = results("score_histogram", json!({ "model": path }), &chunks(&data, n));
                check_score(
                    &Value::Object(set.clone()),
                    &e[format!("score_set_{name}")],
                    &format!("{name} set, {n} chunks"),
                );
                assert_eq!(set["total"], e[format!("score_set_{name}")]["total"]);
                let outs = run("score_histogram", json!({ "model": path, "per": "image" }), &chunks(&data, n));
                let per = outs.last().unwrap().results();
                let want = e[format!("score_image_{name}")].as_array().unwrap();
                assert_eq!(per["chi2"].as_array().unwrap().len(), want.len(), "{name}: one score per image");
                for (i, w) in want.iter().enumerate() {
                    let got =
                        json!({ "chi2": per["chi2"][i], "kl": per["kl"][i], "wasserstein": per["wasserstein"][i] });
                    check_score(&got, w, &format!("{name} image {i}, {n} chunks"));
                }
                let events: Vec<&Value> = outs.iter().flat_map(|o| o.events()).collect();
                assert_eq!(events.len(), want.len(), "{name}: one event per image");
                for (i, ev) in events.iter().enumerate() {
                    assert_eq!(ev["kind"], "histogram_score");
                    assert_eq!(ev["image"], i);
                    assert_eq!(ev["chi2"], per["chi2"][i]);
                }
            }
        }
    }
    // The real set scores zero against its own model; the noisy and blurred
    // "generated" sets are farther away.
    let path = tmp_model(&dir, "camera_real.json");
    let score = |name: &str| results("score_histogram", json!({ "model": path }), &chunks(&stack(name), 1));
    let own = score("camera_real");
    assert_eq!(
        (own["chi2"].as_f64(), own["kl"].as_f64(), own["wasserstein"].as_f64()),
        (Some(0.0), Some(0.0), Some(0.0))
    );
    for name in ["camera_noisy", "camera_blur"] {
        assert!(score(name)["wasserstein"].as_f64().unwrap() > 0.0);
    }
}

fn model_error(params: Value) -> String {
    match PLUGIN.build("score_histogram", &params.to_string(), &Context::new(1)) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_model_files_give_exact_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = tmp_model(&dir, "missing.json");
    assert_eq!(
        model_error(json!({ "model": missing })),
        format!("parameter `model`: expected a readable model file, got `{missing}` (No such file or directory (os error 2))")
    );
    assert_eq!(model_error(json!({})), "parameter `model`: expected a string (it is required), got nothing");
    assert_eq!(model_error(json!({ "model": "" })), "parameter `model`: expected the path of a saved model, got \"\"");
    let write = |name: &str, text: &str| {
        let p = tmp_model(&dir, name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let p = write("corrupt.json", "{\"format\": \"plexus-learner/histogram-model\", \"vers");
    assert_eq!(
        model_error(json!({ "model": p })),
        format!(
            "parameter `model`: expected a loadable model file, got `{p}` (not valid JSON (EOF while parsing a string at line 1 column 50))"
        )
    );
    let p = write("noformat.json", "{\"bins\": 3}");
    assert_eq!(
        model_error(json!({ "model": p })),
        format!("parameter `model`: expected a loadable model file, got `{p}` (not a plexus-learner model (no `format` field))")
    );
    let p = write("pca.json", "{\"format\": \"plexus-learner/pca-model\", \"version\": 1}");
    assert_eq!(
        model_error(json!({ "model": p })),
        format!(
            "parameter `model`: expected a loadable model file, got `{p}` (it holds a `plexus-learner/pca-model` \
             model, expected `plexus-learner/histogram-model`)"
        )
    );
    // A real model, then damaged in different ways.
    let good = tmp_model(&dir, "good.json");
    results("fit_histogram", json!({ "bins": 4, "model": good }), &chunks(&stack("grains"), 1));
    let text = std::fs::read_to_string(&good).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["version"] = json!(2);
    let p = write("v2.json", &v.to_string());
    assert_eq!(
        model_error(json!({ "model": p })),
        format!(
            "parameter `model`: expected a loadable model file, got `{p}` (it is version 2 of `plexus-learner/histogram-model`; this \
             plugin reads version 1)"
        )
    );
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v.as_object_mut().unwrap().remove("counts");
    let p = write("nocounts.json", &v.to_string());
    assert_eq!(
        model_error(json!({ "model": p })),
        format!("parameter `model`: expected a loadable model file, got `{p}` (missing field `counts`)")
    );
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["counts"][0] = json!(v["counts"][0].as_u64().unwrap() + 1);
    let p = write("sum.json", &v.to_string());
    let total = v["total"].as_u64().unwrap();
    assert_eq!(
        model_error(json!({ "model": p })),
        format!(
            "parameter `model`: expected a loadable model file, got `{p}` (`counts` sum to {}, but `total` is {total})",
            total + 1
        )
    );
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["edges"] = json!([0.0, 1.0, 2.0]);
    let p = write("edges.json", &v.to_string());
    assert_eq!(
        model_error(json!({ "model": p })),
        format!("parameter `model`: expected a loadable model file, got `{p}` (`edges` has 3 entries, expected bins + 1 = 5)")
    );
    // The undamaged model loads.
    assert!(PLUGIN.build("score_histogram", &json!({ "model": good }).to_string(), &Context::new(1)).is_ok());
}

#[test]
fn float_input_needs_a_range_and_empty_streams_write_no_model() {
    let moon = stack("moon_f64");
    let err = check_operator(&PLUGIN, "fit_histogram", json!({ "bins": 8 }), &chunks(&moon, 1)).unwrap_err();
    assert!(err.to_string().contains("parameter `range`: expected [lo, hi] for `f64` input"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = tmp_model(&dir, "empty.json");
    let err = check_operator(&PLUGIN, "fit_histogram", json!({ "bins": 8, "model": path }), &[]).unwrap_err();
    assert_eq!(err.to_string(), format!("`fit_histogram`: finish: `fit_histogram`: the stream held no frame; not writing an empty model to `{path}`"));
    assert!(!std::path::Path::new(&path).exists());
}
