//! `GET /openapi.json`: an OpenAPI 3.1 document of every route in
//! [`ROUTES`](super::routes::ROUTES), the table the router is built from.

use axum::Json;
use serde_json::{json, Map, Value};

use super::routes::ROUTES;

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let mut op = json!({
            "summary": r.summary,
            "operationId": format!("{} {}", r.method.to_lowercase(), r.path),
            "parameters": params,
            "responses": {
                r.ok: { "description": "success" },
                "default": {
                    "description": "an error",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
                },
            },
        });
        if !r.auth {
            op["security"] = json!([]);
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "plexus", "version": env!("CARGO_PKG_VERSION"), "description": "docs/API.md" },
        "paths": Value::Object(paths),
        "security": [{ "bearer": [] }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": { "type": "string" }, "problems": { "type": "array", "items": { "type": "string" } } },
                },
            },
        },
    })
}

/// `GET /openapi.json`.
pub async fn get() -> Json<Value> {
    Json(document())
}
