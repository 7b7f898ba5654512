//! Reading and writing model files: JSON objects that start with a `format`
//! name and a `version` number.
//!
//! Every failure to load names the file and what is wrong with it, as an
//! error of the `model` parameter:
//!
//! | problem | message after ``parameter `model`: `` |
//! |---|---|
//! | unreadable | ``cannot read `PATH`: OS ERROR`` |
//! | not JSON | ``cannot load `PATH`: not valid JSON (SERDE ERROR)`` |
//! | no `format` | ``expected a loadable model file, got `PATH` (not a plexus-learner model (no `format` field))`` |
//! | other model | ``expected a loadable model file, got `PATH` (it holds a `FOUND` model, expected `WANTED`)`` |
//! | other version | ``cannot load `PATH`: it is version V of `FORMAT`; this plugin reads version 1`` |
//! | bad field | ``cannot load `PATH`: WHAT`` |
//!
//! Writing goes to `PATH.partial`, then renames over `PATH`, so a reader
//! never sees half a model.

use std::path::Path;

use plexus_plugin_api::PluginError;
use serde_json::Value;

/// The version of every model format this plugin writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// An error of the `model` parameter about the file at `path`.
pub fn bad_model(path: &str, what: impl std::fmt::Display) -> PluginError {
    PluginError::bad_parameter("model", "a loadable model file", format!("`{path}` ({what})"))
}

/// Reads `path` and checks that it is a version-1 model of `format`.
pub fn read_model(path: &str, format: &str) -> Result<Value, PluginError> {
    if path.is_empty() {
        return Err(PluginError::bad_parameter("model", "the path of a saved model", "\"\""));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| PluginError::bad_parameter("model", "a readable model file", format!("`{path}` ({e})")))?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| bad_model(path, format!("not valid JSON ({e})")))?;
    let found = match v.get("format").and_then(Value::as_str) {
        Some(f) => f,
        None => return Err(bad_model(path, "not a plexus-learner model (no `format` field)")),
    };
    if found != format {
        return Err(bad_model(path, format!("it holds a `{found}` model, expected `{format}`")));
    }
    match v.get("version").and_then(Value::as_u64) {
        Some(FORMAT_VERSION) => Ok(v),
        Some(other) => Err(bad_model(
            path,
            format!("it is version {other} of `{format}`; this plugin reads version {FORMAT_VERSION}"),
        )),
        None => Err(bad_model(path, "no integer `version` field")),
    }
}

/// Writes `model` as pretty JSON to `path`, through `path.partial`.
pub fn write_model(path: &str, model: &Value) -> Result<(), PluginError> {
    let fail = |e: std::io::Error| PluginError::failed(format!("cannot write model `{path}`: {e}"));
    let mut text = serde_json::to_string_pretty(model).expect("a JSON value serialises");
    text.push('\n');
    let partial = format!("{path}.partial");
    std::fs::write(&partial, text).map_err(fail)?;
    std::fs::rename(&partial, Path::new(path)).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        fail(e)
    })
}
