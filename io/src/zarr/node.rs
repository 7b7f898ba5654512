//! What a Zarr path holds, from its metadata files alone: an array (v3
//! `zarr.json` with `node_type` `array`, or v2 `.zarray`), a group, or an
//! OME-Zarr image (a group with multiscale metadata, whose first level is
//! the full-resolution array).

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::IoError;
use crate::zarr::ome::{self, Multiscale};

/// A node of a Zarr hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// An array, Zarr version 2 or 3.
    Array { version: u8 },
    /// A group with OME multiscale metadata (the first image).
    Image(Multiscale),
    /// A group without images: its member names, for messages.
    Group,
}

/// Reads the metadata of the node at `dir`; `store` is the store's root,
/// named in errors.
pub(crate) fn probe(store: &Path, dir: &Path) -> Result<Node, IoError> {
    let v3 = dir.join("zarr.json");
    if v3.is_file() {
        let meta = read_json(&v3)?;
        return match meta.get("node_type").and_then(Value::as_str) {
            Some("array") => Ok(Node::Array { version: 3 }),
            Some("group") => {
                let attrs = meta.get("attributes").and_then(Value::as_object).cloned().unwrap_or_default();
                Ok(image_or_group(&attrs))
            }
            other => Err(IoError::malformed(
                &v3,
                None,
                format!(
                    "expected `node_type` \"array\" or \"group\", found {}",
                    other.map_or("none".into(), |s| format!("{s:?}"))
                ),
            )),
        };
    }
    if dir.join(".zarray").is_file() {
        return Ok(Node::Array { version: 2 });
    }
    if dir.join(".zgroup").is_file() {
        let attrs_file = dir.join(".zattrs");
        let attrs = if attrs_file.is_file() { read_json(&attrs_file)? } else { Map::new() };
        return Ok(image_or_group(&attrs));
    }
    Err(IoError::WrongFormat {
        file: store.display().to_string(),
        expected: "Zarr",
        found: format!("`{}` holds no `zarr.json`, `.zarray` or `.zgroup`", dir.display()),
    })
}

fn image_or_group(attrs: &Map<String, Value>) -> Node {
    match ome::parse(attrs) {
        Some(mut images) if !images.is_empty() && !images[0].datasets.is_empty() => Node::Image(images.remove(0)),
        _ => Node::Group,
    }
}

/// A metadata file as a JSON object.
pub(crate) fn read_json(file: &Path) -> Result<Map<String, Value>, IoError> {
    let text = std::fs::read_to_string(file).map_err(|e| IoError::os(file, "read", e))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(IoError::malformed(file, Some(0), "expected a JSON object")),
        Err(e) => {
            // serde_json counts lines and columns; turn them into a byte offset.
            let offset = text.lines().take(e.line().saturating_sub(1)).map(|l| l.len() + 1).sum::<usize>()
                + e.column().saturating_sub(1);
            Err(IoError::malformed(file, Some(offset as u64), format!("bad JSON: {e}")))
        }
    }
}
