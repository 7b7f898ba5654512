//! `plugin.toml` agrees with the code: the same operators, and each builds
//! and passes the compliance check with the manifest's defaults (what the
//! host passes when a pipeline sets no parameter).

use serde_json::{Map, Value};

fn manifest() -> toml::Table {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")).unwrap();
    text.parse().unwrap()
}

#[test]
fn operators_match_registration() {
    let m = manifest();
    assert_eq!(m["plugin"]["name"].as_str(), Some("generator"));
    assert_eq!(m["plugin"]["artifact"].as_str(), Some("libplexus_generator.so"));
    let names: Vec<&str> = m["operator"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, plexus_generator::PLUGIN.operator_names().collect::<Vec<_>>());
    for op in m["operator"].as_array().unwrap() {
        assert_eq!(op["pattern"].as_str(), Some("source"));
    }
}

#[test]
fn every_operator_runs_with_manifest_defaults() {
    for op in manifest()["operator"].as_array().unwrap() {
        let name = op["name"].as_str().unwrap();
        let mut params = Map::new();
        for (key, spec) in op["params"].as_table().unwrap() {
            let default = spec.get("default").expect("every generator parameter has a default");
            params.insert(key.clone(), serde_json::to_value(default).unwrap());
        }
        let outs = super::run(name, Value::Object(params), 3);
        assert!(!outs[0].frames().is_empty(), "`{name}` emitted nothing on its first tick");
    }
}
