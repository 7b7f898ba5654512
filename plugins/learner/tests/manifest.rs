//! `plugin.toml` agrees with the code: same operators, and every operator
//! builds from the manifest's defaults (plus a model file for the
//! operators whose `model` parameter is required).

use plexus_learner::PLUGIN;
use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::{Array, ChunkKey, Context, Frame};
use serde_json::json;

#[test]
fn manifest_declares_the_exported_operators_and_defaults_build() {
    let dir = tempfile::tempdir().unwrap();
    let hist = dir.path().join("h.json").to_str().unwrap().to_string();
    let pca = dir.path().join("p.json").to_str().unwrap().to_string();
    let cube = Array::from_fn(vec![4, 4, 3], |i| ((i * 37) % 11) as u8).with_axes("y x band").unwrap();
    let frames = [Frame::new("d", ChunkKey::whole(1)).with_array("image", cube)];
    check_operator(&PLUGIN, "fit_histogram", json!({ "model": hist }), &frames).unwrap();
    check_operator(&PLUGIN, "pca", json!({ "model": pca }), &frames).unwrap();

    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")).unwrap();
    let m: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(m["plugin"]["name"].as_str(), Some("learner"));
    assert_eq!(m["plugin"]["artifact"].as_str(), Some("libplexus_learner.so"));
    let ops = m["operator"].as_array().unwrap();
    let names: Vec<&str> = ops.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, PLUGIN.operator_names().collect::<Vec<_>>());
    for op in ops {
        let name = op["name"].as_str().unwrap();
        let mut values = serde_json::Map::new();
        for (k, spec) in op["params"].as_table().unwrap() {
            match spec.get("default") {
                Some(d) => values.insert(k.clone(), serde_json::to_value(d).unwrap()),
                None => {
                    assert_eq!(k, "model", "{name}: only `model` is required");
                    let path = if name == "score_histogram" { &hist } else { &pca };
                    values.insert(k.clone(), json!(path))
                }
            };
        }
        PLUGIN
            .build(name, &serde_json::Value::Object(values).to_string(), &Context::new(1))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
