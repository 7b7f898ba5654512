//! Plots written next to the outputs: a histogram with error bars over an
//! image set (learner.fit_histogram's per-bin mean ± std), a time series
//! (trend.time_series), and a model fitted on one set scoring another.

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

#[test]
fn set_histogram_with_error_bars_time_series_and_scoring() {
    let sb = Sandbox::new();
    for (dir, gain) in [("real", 1.0f32), ("fake", 1.5)] {
        let d = sb.path().join(dir);
        std::fs::create_dir_all(&d).unwrap();
        for k in 0..6 {
            let a = Array::from_fn(vec![16, 16], move |i| (((i * 7 + k * 13) % 200) as f32 * gain).min(255.0) as u8);
            plexus_io::write(&d.join(format!("img{k}.png")), &a).unwrap();
        }
    }
    sb.write(
        "fit.toml",
        r#"
[pipeline]
name = "fit"

[input]
path = "real"

[[stage]]
id = "model"
use = "learner.fit_histogram"
params = { bins = 16, model = "model.json" }

[[stage]]
id = "trend"
use = "trend.time_series"
params = { over = "frame" }

[[plot]]
from = "model"
kind = "histogram"
y = ["mean"]
errors = "std"
path = "plots/set_histogram.png"

[[plot]]
from = "trend"
kind = "series"
y = ["mean", "max"]
path = "plots/trend.png"
"#,
    );
    let out = sb.run(&["run", "--json", "fit.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["results"]["model"]["images"], 6);
    for p in ["plots/set_histogram.png", "plots/trend.png"] {
        let png = plexus_io::read(&sb.path().join(p)).unwrap();
        assert_eq!(png.shape().len(), 3, "{p} is an RGB image");
    }
    assert!(report["plots"].as_array().unwrap().iter().all(|p| p["error"].is_null()), "{report}");

    sb.write(
        "score.toml",
        "[pipeline]\nname = \"score\"\n\n[input]\npath = \"fake\"\n\n[[stage]]\nid = \"score\"\nuse = \"learner.score_histogram\"\nparams = { model = \"model.json\" }\n",
    );
    let out = sb.run(&["run", "--json", "score.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = report["results"]["score"]["wasserstein"].as_f64().expect("a Wasserstein distance");
    assert!(w > 1.0, "the brighter set is measurably far from the model: {w}");

    // A plot of a result the stage does not publish fails clearly and counts.
    sb.write(
        "bad.toml",
        "[pipeline]\nname = \"bad\"\n\n[input]\npath = \"real\"\n\n[[stage]]\nid = \"model\"\nuse = \"learner.fit_histogram\"\nparams = { bins = 4 }\n\n[[plot]]\nfrom = \"model\"\nkind = \"histogram\"\ny = [\"nope\"]\npath = \"p.png\"\n",
    );
    let out = sb.run(&["run", "--json", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = report["plots"][0]["error"].as_str().unwrap();
    assert!(err.starts_with("stage `model` published no result `nope` (it published "), "{err}");
}
