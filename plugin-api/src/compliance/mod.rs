//! The test every plugin calls (cargo feature `compliance`): it drives an
//! operator through the same ABI adapter the host calls, in-process, built
//! from the defaults its `plugin.toml` declares, and checks the manifest
//! and the code agree.
//!
//! ```ignore
//! use plexus_plugin_api::compliance::check_operator;
//! let outputs = check_operator(&my_plugin::PLUGIN, "scale", json!({ "factor": 3.0 }), &frames)?;
//! ```
//!
//! `REGENERATE=1 cargo test` rewrites the manifest's parameter tables from
//! the parameter structs before checking.

pub mod manifest;

use serde_json::{Map, Value};

use crate::abi::export::{guard, into_ffi_operator};
use crate::abi::native::NativeOperator;
use crate::error::PluginError;
use crate::frame::Frame;
use crate::operator::Output;
use crate::params::schema::{validate_params, ParamProblem};
use crate::params::SchemaError;
use crate::plugin::{Context, Plugin};

/// Why a plugin fails its compliance test.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ComplianceError {
    /// `plugin.toml` cannot be read or parsed.
    #[error("`{}`: {message}", path.display())]
    Manifest {
        /// The manifest.
        path: std::path::PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The plugin exports an operator the manifest does not declare.
    #[error("`{}` declares no operator `{operator}`, which the plugin exports", path.display())]
    NotDeclared {
        /// The manifest.
        path: std::path::PathBuf,
        /// The operator.
        operator: String,
    },
    /// The manifest declares an operator the plugin does not export.
    #[error("`{}` declares operator `{operator}`, which the plugin does not export", path.display())]
    NotExported {
        /// The manifest.
        path: std::path::PathBuf,
        /// The operator.
        operator: String,
    },
    /// An operator's parameter struct cannot be described.
    #[error("operator `{operator}`: {error}")]
    Schema {
        /// The operator.
        operator: String,
        /// Why.
        error: SchemaError,
    },
    /// The manifest's table and the parameter struct disagree.
    #[error(
        "`{}`, operator `{operator}`: {}; regenerate the table from the struct with `REGENERATE=1 cargo test`",
        path.display(),
        mismatches.join("; ")
    )]
    Disagree {
        /// The manifest.
        path: std::path::PathBuf,
        /// The operator.
        operator: String,
        /// Each difference.
        mismatches: Vec<String>,
    },
    /// The parameters the test gives are not valid for the manifest.
    #[error("operator `{operator}`: {}", problems.iter().map(|p| format!("parameter `{}`: {}", p.param, p.message)).collect::<Vec<_>>().join("; "))]
    Params {
        /// The operator.
        operator: String,
        /// Every problem.
        problems: Vec<ParamProblem>,
    },
    /// A call failed.
    #[error("`{operator}`: {call}: {error}")]
    Call {
        /// The operator.
        operator: String,
        /// Which call (`new`, `frame 3`, `finish`, `snapshot`, `restore`).
        call: String,
        /// What it returned.
        error: Box<PluginError>,
    },
    /// Two fresh instances gave different outputs for the same frames.
    #[error("`{operator}`: two fresh instances gave different outputs")]
    NotDeterministic {
        /// The operator.
        operator: String,
    },
    /// A restored instance did not continue as the original did.
    #[error("`{operator}`: an instance restored from a snapshot diverged from the original")]
    SnapshotDiverged {
        /// The operator.
        operator: String,
    },
}

/// One operator instance behind the same vtable the host calls.
pub struct Harness {
    op: NativeOperator,
    seq: u64,
}

impl Harness {
    /// Builds operator `name` of `plugin` from `params` (a JSON object, or
    /// null for none, used as it is: no defaults are filled in) with one
    /// thread.
    pub fn new(plugin: &Plugin, name: &str, params: Value) -> Result<Harness, PluginError> {
        let json = match params {
            Value::Null => "{}".to_string(),
            Value::Object(m) => Value::Object(m).to_string(),
            other => return Err(PluginError::failed(format!("parameters must be a JSON object, got `{other}`"))),
        };
        let op = guard(|| plugin.build(name, &json, &Context::new(1)))?;
        Ok(Harness { op: NativeOperator::from_raw(into_ffi_operator(op)), seq: 0 })
    }

    /// Feeds the next frame of the stream.
    pub fn process(&mut self, frame: &Frame) -> Result<Output, PluginError> {
        let seq = self.seq;
        self.seq += 1;
        self.op.process(frame, seq)
    }

    /// Ends the stream.
    pub fn finish(&mut self) -> Result<Output, PluginError> {
        self.op.finish()
    }

    /// The operator's state, if it offers one.
    pub fn snapshot(&mut self) -> Result<Option<Vec<u8>>, PluginError> {
        self.op.snapshot()
    }

    /// Hands state from a snapshot to this instance.
    pub fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        self.op.restore(state)
    }
}

/// Everything observable about one call, for comparing runs byte for byte.
fn fingerprint(e: &Output) -> Vec<u8> {
    let mut out = Vec::new();
    for f in e.frames() {
        out.extend_from_slice(format!("{}|{:?}|{}|", f.dataset(), f.key(), f.meta_json()).as_bytes());
        for (name, a) in f.arrays() {
            out.extend_from_slice(format!("{name}:{}:{:?}:{}|", a.dtype(), a.shape(), a.axes()).as_bytes());
            out.extend_from_slice(a.as_bytes());
        }
    }
    out.extend_from_slice(Value::Object(e.results().clone()).to_string().as_bytes());
    out.extend_from_slice(format!("{:?}{}{}", e.events(), e.is_end_of_stream(), e.forwards_input()).as_bytes());
    out
}

/// Runs `frames` through operator `name` of `plugin` and checks what every
/// operator must honour:
///
/// - `plugin.toml` (beside the plugin's `Cargo.toml`) declares exactly the
///   plugin's operators, and each parameter table agrees with its struct
///   (name, type, default, range, choices, doc);
/// - the operator is built from the manifest's defaults, overridden by
///   `params` (which must be valid for the manifest), as the host builds it;
/// - no panic escapes, and every output decodes (arrays match their shape);
/// - two fresh instances give byte-identical outputs (determinism);
/// - if the operator offers `snapshot`, a fresh instance restored from a
///   snapshot taken halfway continues exactly as the original did.
///
/// Returns the outputs of each `process` call followed by that of `finish`,
/// for the plugin's own numeric assertions.
pub fn check_operator(
    plugin: &Plugin,
    name: &str,
    params: Value,
    frames: &[Frame],
) -> Result<Vec<Output>, ComplianceError> {
    let tables = manifest::check(plugin)?;
    let given = match params {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => {
            return Err(ComplianceError::Manifest {
                path: tables.path.clone(),
                message: format!("the test's parameters must be a JSON object, got `{other}`"),
            })
        }
    };
    let params = validate_params(tables.of(name)?, &given, |_| false)
        .map_err(|problems| ComplianceError::Params { operator: name.to_string(), problems })?;
    let call = |call: &str, error: PluginError| ComplianceError::Call {
        operator: name.to_string(),
        call: call.to_string(),
        error: Box::new(error),
    };
    let run = |restore_at: Option<usize>| -> Result<Vec<Output>, ComplianceError> {
        let mut h = Harness::new(plugin, name, Value::Object(params.clone())).map_err(|e| call("new", e))?;
        let mut outs = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            if restore_at == Some(i) {
                if let Some(state) = h.snapshot().map_err(|e| call("snapshot", e))? {
                    let mut fresh =
                        Harness::new(plugin, name, Value::Object(params.clone())).map_err(|e| call("new", e))?;
                    fresh.restore(&state).map_err(|e| call("restore", e))?;
                    fresh.seq = h.seq;
                    h = fresh;
                }
            }
            outs.push(h.process(f).map_err(|e| call(&format!("frame {i}"), e))?);
        }
        outs.push(h.finish().map_err(|e| call("finish", e))?);
        Ok(outs)
    };
    let first = run(None)?;
    let prints: Vec<Vec<u8>> = first.iter().map(fingerprint).collect();
    let second: Vec<Vec<u8>> = run(None)?.iter().map(fingerprint).collect();
    if prints != second {
        return Err(ComplianceError::NotDeterministic { operator: name.to_string() });
    }
    if frames.len() >= 2 {
        let resumed: Vec<Vec<u8>> = run(Some(frames.len() / 2))?.iter().map(fingerprint).collect();
        if prints != resumed {
            return Err(ComplianceError::SnapshotDiverged { operator: name.to_string() });
        }
    }
    Ok(first)
}
