//! What an artifact says about itself when loaded — its operators and, for
//! operators built from a parameter struct, the parameter table read off
//! that struct — and the check that it matches what its manifest declares.
//!
//! The host validates pipelines from the manifest alone; this check is what
//! makes that safe: a plugin whose manifest table disagrees with its code
//! is refused, naming the operator and the parameter.

use plexus_plugin_api::params::schema::{compare, ParamSpec};
use serde::Deserialize;

use crate::error::RejectReason;
use crate::manifest::Manifest;

/// One operator as the artifact describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DescribedOperator {
    /// Its name.
    pub name: String,
    /// Its parameter table, in field order, when the plugin reports one
    /// (C guests and hand-written ABI code may not).
    #[serde(default)]
    pub params: Option<Vec<(String, ParamSpec)>>,
    /// Why its parameter struct cannot be described, if it cannot.
    #[serde(default)]
    pub params_error: Option<String>,
}

impl DescribedOperator {
    /// An operator known by name only.
    pub fn named(name: impl Into<String>) -> DescribedOperator {
        DescribedOperator { name: name.into(), params: None, params_error: None }
    }
}

#[derive(Deserialize)]
struct Described {
    #[serde(default)]
    operators: Vec<Entry>,
}

/// Operators are objects (API 2) or, from older builds, bare names.
#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Full(DescribedOperator),
    Name(String),
}

/// Parses the JSON a native plugin's `describe` returns; `None` when it is
/// not the expected object.
pub fn parse(json: &str) -> Option<Vec<DescribedOperator>> {
    let d: Described = serde_json::from_str(json).ok()?;
    Some(
        d.operators
            .into_iter()
            .map(|e| match e {
                Entry::Full(o) => o,
                Entry::Name(n) => DescribedOperator::named(n),
            })
            .collect(),
    )
}

/// Checks the described operators against the manifest: every declared
/// operator is exported, and every table the artifact reports agrees with
/// the manifest's (type, default, range, choices; docs are not compared).
pub fn check(m: &Manifest, described: &[DescribedOperator]) -> Result<(), RejectReason> {
    for op in &m.operators {
        let Some(d) = described.iter().find(|d| d.name == op.name) else {
            return Err(RejectReason::OperatorMissing {
                operator: op.name.clone(),
                exported: described.iter().map(|e| format!("`{}`", e.name)).collect::<Vec<_>>().join(", "),
            });
        };
        if let Some(message) = &d.params_error {
            return Err(RejectReason::ParamsUnreadable { operator: op.name.clone(), message: message.clone() });
        }
        if let Some(params) = &d.params {
            let mismatches = compare(&op.params, params, false);
            if !mismatches.is_empty() {
                return Err(RejectReason::ParamsMismatch {
                    operator: op.name.clone(),
                    mismatches: mismatches.iter().map(|m| m.to_string()).collect(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_table_that_disagrees_with_the_code_is_refused_naming_the_parameter() {
        let m = Manifest::parse(
            Path::new("p/plugin.toml"),
            r#"
[plugin]
name = "p"
version = "0.1.0"
api = "2"
kind = "native"
artifact = "libp.so"

[[operator]]
name = "blur"
pattern = "frame"
params = { sigma = { type = "float", default = 1.0, min = 0.0 } }
"#,
        )
        .unwrap();
        let good = r#"{"api": 2, "operators": [{"name": "blur", "params": [["sigma", {"type": "float", "default": 1.0, "min": 0.0, "doc": "sigma"}]]}]}"#;
        assert_eq!(check(&m, &parse(good).unwrap()), Ok(()));
        let bad = good.replace("\"default\": 1.0", "\"default\": 2.0");
        let e = check(&m, &parse(&bad).unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "operator `blur`: its parameter table disagrees with the plugin's parameter struct: parameter `sigma`: the manifest says default `1.0`, the parameter struct says `2.0`; regenerate the table (`REGENERATE=1 cargo test` in the plugin's crate)"
        );
        assert_eq!(check(&m, &parse(r#"{"operators": ["blur"]}"#).unwrap()), Ok(()));
        let e = check(&m, &parse(r#"{"operators": ["sharpen"]}"#).unwrap()).unwrap_err();
        assert_eq!(e.kind(), "operator_missing");
    }
}
