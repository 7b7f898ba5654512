//! Errors of the plugin contract. Messages are lowercase and name the thing
//! in backticks; they are API and asserted exactly in tests.

use crate::dtype::DType;

/// A malformed array: wrong length, dtype or axis labels.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArrayError {
    /// The element count does not match the shape.
    #[error("shape {shape:?} holds {expected} elements, got {got}")]
    ShapeMismatch {
        /// The shape asked for.
        shape: Vec<usize>,
        /// Its number of elements.
        expected: usize,
        /// The number supplied.
        got: usize,
    },
    /// The byte count does not match shape and dtype.
    #[error("shape {shape:?} of `{dtype}` needs {expected} bytes, got {got}")]
    ByteLength {
        /// Element type.
        dtype: DType,
        /// The shape asked for.
        shape: Vec<usize>,
        /// Bytes needed.
        expected: usize,
        /// Bytes supplied.
        got: usize,
    },
    /// Typed access with the wrong element type.
    #[error("expected elements of `{expected}`, found `{found}`")]
    DTypeMismatch {
        /// The type asked for.
        expected: DType,
        /// The array's type.
        found: DType,
    },
    /// A shape whose byte size overflows `usize`.
    #[error("shape {shape:?} of `{dtype}` has more bytes than memory can address")]
    TooLarge {
        /// Element type.
        dtype: DType,
        /// The shape asked for.
        shape: Vec<usize>,
    },
    /// Memory handed over is not aligned for its element type.
    #[error("memory of `{dtype}` elements is not aligned")]
    Misaligned {
        /// Element type.
        dtype: DType,
    },
    /// Axis labels do not match the rank.
    #[error("axis labels `{axes}` name {} axes, the array has {ndim}", axes.split_whitespace().count())]
    AxesMismatch {
        /// The labels given.
        axes: String,
        /// The array's rank.
        ndim: usize,
    },
}

/// What went wrong inside an operator, as the host reports it.
///
/// Each variant carries the data a user or a program needs (which
/// parameter, which array, which deadline); the message is built from it
/// and is API. New variants may be added in a minor version, so match with
/// a wildcard arm. Errors cross the plugin boundary as JSON of this enum
/// (`{"kind": "bad_parameter", ...}`); a kind this host does not know
/// arrives as [`PluginError::Failed`] with that kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PluginError {
    /// A parameter has a value the operator cannot use.
    #[error("parameter `{name}`: expected {expected}{}", got_part(got))]
    BadParameter {
        /// The parameter.
        name: String,
        /// What it should have been (`at least 0`, `a rank-1 kernel`).
        expected: String,
        /// What it was; empty when there is nothing to show.
        got: String,
    },
    /// The input frame does not fit the operator (dtype, shape, a missing
    /// array, content the method cannot handle).
    #[error("invalid input{}: expected {expected}{}", array_part(array), got_part(got))]
    BadInput {
        /// The array concerned; empty for the frame as a whole.
        array: String,
        /// What the operator needs (`elements of `f32``, `a 2-D image`).
        expected: String,
        /// What it got; empty when there is nothing to show.
        got: String,
    },
    /// The plugin does not offer this operator.
    #[error("unknown operator `{name}`")]
    UnknownOperator {
        /// The name asked for.
        name: String,
    },
    /// The operator does not support a requested capability (e.g. restore).
    #[error("unsupported: {what}")]
    Unsupported {
        /// What it does not do.
        what: String,
    },
    /// A wasm guest trapped (`unreachable`, a division by zero, …).
    #[error("wasm guest `{guest}` trapped: {trap}; the instance was replaced")]
    Trap {
        /// `plugin.operator`.
        guest: String,
        /// wasmtime's description of the trap.
        trap: String,
    },
    /// A wasm guest ran past its per-call deadline and was interrupted.
    #[error(
        "wasm guest `{guest}` exceeded its deadline of {deadline_ms} ms per call and was interrupted; the instance was replaced"
    )]
    Timeout {
        /// `plugin.operator`.
        guest: String,
        /// The deadline in force.
        deadline_ms: u64,
    },
    /// A wasm guest asked for more memory than its sandbox allows.
    #[error(
        "wasm guest `{guest}` hit the sandbox's memory cap of {cap_mib} MiB (it asked for {asked_mib} MiB); the instance was replaced"
    )]
    MemoryCap {
        /// `plugin.operator`.
        guest: String,
        /// The cap in force.
        cap_mib: u64,
        /// What it asked for.
        asked_mib: u64,
    },
    /// A wasm guest broke the sandbox's rules: a pointer outside its
    /// memory, an output larger than it, a malformed record.
    #[error("wasm guest `{guest}` {fault}; the instance was replaced")]
    GuestFault {
        /// `plugin.operator`.
        guest: String,
        /// What it did.
        fault: String,
    },
    /// The operator panicked; the panic was caught on the plugin side.
    #[error("operator panicked: {message}{}", if *instance_replaced { " (wasm instance replaced)" } else { "" })]
    Panic {
        /// The panic's message.
        message: String,
        /// A wasm guest cannot unwind: its instance was replaced.
        #[serde(default)]
        instance_replaced: bool,
    },
    /// A failure the plugin defines: `kind` is its short, machine-readable
    /// name (`"failed"` unless the plugin says otherwise).
    #[error("{message}")]
    Failed {
        /// The plugin's name for the failure, for events and programs.
        #[serde(rename = "failure", default = "failed_kind")]
        kind: String,
        /// What went wrong.
        message: String,
    },
}

fn failed_kind() -> String {
    "failed".to_string()
}

fn got_part(got: &str) -> String {
    if got.is_empty() {
        String::new()
    } else {
        format!(", got {got}")
    }
}

fn array_part(array: &str) -> String {
    if array.is_empty() {
        String::new()
    } else {
        format!(" `{array}`")
    }
}

impl PluginError {
    /// A parameter `name` that should have been `expected` and was `got`.
    pub fn bad_parameter(name: impl Into<String>, expected: impl Into<String>, got: impl Into<String>) -> PluginError {
        PluginError::BadParameter { name: name.into(), expected: expected.into(), got: got.into() }
    }

    /// Input array `array` (empty: the frame) that should have been
    /// `expected` and was `got`.
    pub fn bad_input(array: impl Into<String>, expected: impl Into<String>, got: impl Into<String>) -> PluginError {
        PluginError::BadInput { array: array.into(), expected: expected.into(), got: got.into() }
    }

    /// A failure of kind `failed`.
    pub fn failed(message: impl Into<String>) -> PluginError {
        PluginError::Failed { kind: failed_kind(), message: message.into() }
    }

    /// A failure the plugin names itself (`kind`: snake_case, short).
    pub fn failure(kind: impl Into<String>, message: impl Into<String>) -> PluginError {
        PluginError::Failed { kind: kind.into(), message: message.into() }
    }

    /// Something the operator does not do.
    pub fn unsupported(what: impl Into<String>) -> PluginError {
        PluginError::Unsupported { what: what.into() }
    }

    /// A short machine-readable name, for events (`bad_parameter`, `trap`,
    /// or a [`PluginError::Failed`]'s own kind).
    pub fn kind(&self) -> &str {
        match self {
            PluginError::BadParameter { .. } => "bad_parameter",
            PluginError::BadInput { .. } => "bad_input",
            PluginError::UnknownOperator { .. } => "unknown_operator",
            PluginError::Unsupported { .. } => "unsupported",
            PluginError::Trap { .. } => "trap",
            PluginError::Timeout { .. } => "timeout",
            PluginError::MemoryCap { .. } => "memory_cap",
            PluginError::GuestFault { .. } => "guest_fault",
            PluginError::Panic { .. } => "panic",
            PluginError::Failed { kind, .. } => kind,
        }
    }

    /// The error as the JSON it crosses the boundary as.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| format!("{{\"kind\":\"failed\",\"message\":{:?}}}", self.to_string()))
    }

    /// Reads [`PluginError::to_json`]; a kind this version does not know
    /// becomes [`PluginError::Failed`] with that kind and the best message
    /// the fields give.
    pub fn from_json(json: &str) -> PluginError {
        if let Ok(e) = serde_json::from_str::<PluginError>(json) {
            return e;
        }
        let v: serde_json::Value = serde_json::from_str(json).unwrap_or(serde_json::Value::Null);
        let kind = v.get("kind").and_then(|k| k.as_str()).unwrap_or("failed").to_string();
        let message = v
            .get("message")
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| format!("the plugin reported an error this host cannot read: {json}"));
        PluginError::Failed { kind, message }
    }
}

impl From<ArrayError> for PluginError {
    fn from(e: ArrayError) -> Self {
        match e {
            ArrayError::DTypeMismatch { expected, found } => {
                PluginError::bad_input("", format!("elements of `{expected}`"), format!("`{found}`"))
            }
            other => PluginError::failure("array", other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_built_from_the_data() {
        assert_eq!(
            PluginError::bad_parameter("mode", "one of reflect, mirror", "`wrap`").to_string(),
            "parameter `mode`: expected one of reflect, mirror, got `wrap`"
        );
        assert_eq!(
            PluginError::bad_input("image", "a 2-D image `[y, x]`", "shape [5]").to_string(),
            "invalid input `image`: expected a 2-D image `[y, x]`, got shape [5]"
        );
        assert_eq!(PluginError::bad_input("", "an array", "").to_string(), "invalid input: expected an array");
        let t = PluginError::Timeout { guest: "c.loop".into(), deadline_ms: 300 };
        assert_eq!(
            t.to_string(),
            "wasm guest `c.loop` exceeded its deadline of 300 ms per call and was interrupted; the instance was replaced"
        );
        assert_eq!(
            PluginError::Panic { message: "boom".into(), instance_replaced: true }.to_string(),
            "operator panicked: boom (wasm instance replaced)"
        );
    }

    #[test]
    fn json_round_trips_and_unknown_kinds_survive() {
        for e in [
            PluginError::bad_parameter("k", "at least 0", "-1"),
            PluginError::MemoryCap { guest: "g.o".into(), cap_mib: 64, asked_mib: 65 },
            PluginError::failure("model_missing", "no model at `m.json`"),
            PluginError::Panic { message: "p".into(), instance_replaced: false },
        ] {
            assert_eq!(PluginError::from_json(&e.to_json()), e);
        }
        let future = r#"{"kind": "quota", "message": "over quota", "quota": 3}"#;
        let e = PluginError::from_json(future);
        assert_eq!((e.kind(), e.to_string()), ("quota", "over quota".to_string()));
        assert_eq!(PluginError::failed("x").kind(), "failed");
    }
}
