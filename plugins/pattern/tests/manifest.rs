//! `plugin.toml` agrees with the code: same operators, and every operator
//! builds from the manifest's defaults.

use plexus_pattern::{plexus_new_operator, PLEXUS_OPERATORS};
use plexus_plugin_api::Params;

#[test]
fn manifest_declares_the_exported_operators_and_defaults_build() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")).unwrap();
    let m: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(m["plugin"]["name"].as_str(), Some("pattern"));
    assert_eq!(m["plugin"]["artifact"].as_str(), Some("libplexus_pattern.so"));
    let ops = m["operator"].as_array().unwrap();
    let names: Vec<&str> = ops.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, PLEXUS_OPERATORS);
    for op in ops {
        let mut defaults = serde_json::Map::new();
        for (k, spec) in op["params"].as_table().unwrap() {
            let d = spec.get("default").expect("every parameter has a default");
            defaults.insert(k.clone(), serde_json::to_value(d).unwrap());
        }
        let name = op["name"].as_str().unwrap();
        plexus_new_operator(name, &Params::new(defaults, 1)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
