//! `plugin.toml` agrees with the code: the same operators, and each builds
//! and passes the compliance check with the manifest's defaults.

use serde_json::{Map, Value};

fn manifest() -> toml::Table {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")).unwrap();
    text.parse().unwrap()
}

#[test]
fn operators_match_registration() {
    let m = manifest();
    assert_eq!(m["plugin"]["name"].as_str(), Some("trend"));
    assert_eq!(m["plugin"]["artifact"].as_str(), Some("libplexus_trend.so"));
    let names: Vec<&str> = m["operator"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, plexus_trend::PLUGIN.operator_names().collect::<Vec<_>>());
}

#[test]
fn every_operator_runs_with_manifest_defaults() {
    let frames = super::chunked(&super::grains(), 3);
    for op in manifest()["operator"].as_array().unwrap() {
        let name = op["name"].as_str().unwrap();
        let mut params = Map::new();
        for (key, spec) in op["params"].as_table().unwrap() {
            let default = spec.get("default").expect("every trend parameter has a default");
            params.insert(key.clone(), serde_json::to_value(default).unwrap());
        }
        let outs = super::run(name, Value::Object(params), &frames);
        assert!(outs[..3].iter().all(|e| e.forwards_input() && e.frames().is_empty()), "`{name}` must forward");
        assert!(outs[3].results().contains_key("mean"));
    }
}
