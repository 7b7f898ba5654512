//! `GET /v1/plugins`: the plugin versions serving now (the registry's
//! current version of each name, as `plexus_plugin_mapped` counts them),
//! with their operators.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;

/// `GET /v1/plugins`.
pub async fn list(State(st): State<Arc<AppState>>) -> Json<Value> {
    let mut plugins: Vec<Value> = st
        .registry
        .plugins()
        .iter()
        .map(|p| {
            let m = &p.manifest;
            json!({
                "name": m.plugin.name,
                "version": m.plugin.version.to_string(),
                "kind": m.plugin.kind.to_string(),
                "description": m.plugin.description,
                "sha256": p.sha256,
                "operators": m.operators.iter().map(|o| json!({ "name": o.name, "summary": o.summary })).collect::<Vec<_>>(),
            })
        })
        .collect();
    plugins.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Json(json!({ "plugins": plugins, "generation": st.registry.generation() }))
}
