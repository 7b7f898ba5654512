//! `plugin.toml` agrees with the code: the same operators, each parameter
//! table generated from (and checked against) its struct, and every
//! operator builds from the manifest's defaults.

use plexus_pattern::PLUGIN;
use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::{Array, ChunkKey, Frame};
use serde_json::json;

#[test]
fn manifest_declares_the_exported_operators_and_defaults_build() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.toml")).unwrap();
    let m: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(m["plugin"]["name"].as_str(), Some("pattern"));
    assert_eq!(m["plugin"]["artifact"].as_str(), Some("libplexus_pattern.so"));
    let ops = m["operator"].as_array().unwrap();
    let names: Vec<&str> = ops.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, PLUGIN.operator_names().collect::<Vec<_>>());
    let frames = [Frame::new("d", ChunkKey::whole(1)).with_array("image", Array::zeros::<u8>(vec![4, 4]))];
    for name in names {
        check_operator(&PLUGIN, name, json!({}), &frames).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
