//! The plugin's `plugin.toml` as the compliance harness sees it: each
//! operator's parameter table, compared with the parameter struct the code
//! builds the operator from, and regenerated from it on request.
//!
//! `REGENERATE=1 cargo test` rewrites every operator's `[operator.params]`
//! from the structs (keeping everything else of the file, comments
//! included); without it, a disagreement fails the test and says what to
//! run. The host checks the same agreement again when it loads the plugin.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::ComplianceError;
use crate::params::schema::{compare, ParamSpec, ParamType};
use crate::plugin::Plugin;

#[derive(Deserialize)]
struct Loose {
    #[serde(rename = "operator", default)]
    operators: Vec<LooseOperator>,
}

#[derive(Deserialize)]
struct LooseOperator {
    name: String,
    #[serde(default)]
    params: BTreeMap<String, ParamSpec>,
}

/// Each operator's parameter table as `plugin.toml` declares it.
pub(crate) struct Tables {
    pub(crate) path: PathBuf,
    operators: Vec<LooseOperator>,
}

impl Tables {
    /// The table of operator `name`.
    pub(crate) fn of(&self, name: &str) -> Result<&BTreeMap<String, ParamSpec>, ComplianceError> {
        self.operators
            .iter()
            .find(|o| o.name == name)
            .map(|o| &o.params)
            .ok_or_else(|| ComplianceError::NotDeclared { path: self.path.clone(), operator: name.to_string() })
    }
}

fn read(path: &Path) -> Result<(String, Loose), ComplianceError> {
    let bad = |message: String| ComplianceError::Manifest { path: path.to_path_buf(), message };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let loose: Loose = toml::from_str(&text).map_err(|e| bad(e.message().to_string()))?;
    Ok((text, loose))
}

/// Reads `plugin.toml`, checks that it declares exactly the plugin's
/// operators and that every table agrees with its struct (docs included);
/// with `REGENERATE=1` in the environment, first rewrites the tables that
/// do not.
pub(crate) fn check(plugin: &Plugin) -> Result<Tables, ComplianceError> {
    let path = plugin.manifest_path();
    let (text, mut loose) = read(&path)?;
    let mut schemas = Vec::new();
    for op in plugin.operators {
        let schema = (op.schema)().map_err(|error| ComplianceError::Schema { operator: op.name.to_string(), error })?;
        schemas.push((op.name, schema));
    }
    for declared in &loose.operators {
        if !plugin.operators.iter().any(|o| o.name == declared.name) {
            return Err(ComplianceError::NotExported { path, operator: declared.name.clone() });
        }
    }
    let disagreeing = |loose: &Loose| -> Result<Vec<(&'static str, Vec<String>)>, ComplianceError> {
        let mut out = Vec::new();
        for (name, schema) in &schemas {
            let declared = loose
                .operators
                .iter()
                .find(|o| o.name == *name)
                .ok_or_else(|| ComplianceError::NotDeclared { path: path.clone(), operator: name.to_string() })?;
            let mismatches = compare(&declared.params, schema, true);
            if !mismatches.is_empty() {
                out.push((*name, mismatches.iter().map(|m| m.to_string()).collect()));
            }
        }
        Ok(out)
    };
    let mut wrong = disagreeing(&loose)?;
    if !wrong.is_empty() && std::env::var_os("REGENERATE").is_some_and(|v| v == "1") {
        let fresh =
            regenerate(&text, &schemas).map_err(|message| ComplianceError::Manifest { path: path.clone(), message })?;
        std::fs::write(&path, &fresh)
            .map_err(|e| ComplianceError::Manifest { path: path.clone(), message: format!("cannot write: {e}") })?;
        eprintln!("regenerated the parameter tables of `{}`", path.display());
        loose = read(&path)?.1;
        wrong = disagreeing(&loose)?;
    }
    if let Some((operator, mismatches)) = wrong.into_iter().next() {
        return Err(ComplianceError::Disagree { path, operator: operator.to_string(), mismatches });
    }
    Ok(Tables { path, operators: loose.operators })
}

/// `text` with every operator's parameter table replaced by the one its
/// struct declares; the rest of the file (comments, order, other keys) is
/// kept.
pub fn regenerate(text: &str, schemas: &[(&str, Vec<(String, ParamSpec)>)]) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| e.to_string())?;
    let Some(ops) = doc.get_mut("operator").and_then(|o| o.as_array_of_tables_mut()) else {
        return Err("the manifest declares no `[[operator]]`".to_string());
    };
    for op in ops.iter_mut() {
        let Some(name) = op.get("name").and_then(|n| n.as_str()).map(str::to_string) else { continue };
        let Some((_, schema)) = schemas.iter().find(|(n, _)| *n == name) else { continue };
        let position = op.get("params").and_then(|p| p.as_table()).and_then(|t| t.position());
        op.remove("params");
        if schema.is_empty() {
            continue;
        }
        let mut table = toml_edit::Table::new();
        if let Some(p) = position {
            table.set_position(p);
        }
        for (pname, spec) in schema {
            table.insert(pname, toml_edit::value(inline(spec)));
        }
        op.insert("params", toml_edit::Item::Table(table));
    }
    Ok(doc.to_string())
}

/// One parameter as the inline table manifests write it.
fn inline(spec: &ParamSpec) -> toml_edit::InlineTable {
    let mut t = toml_edit::InlineTable::new();
    t.insert("type", spec.ty.name().into());
    let integer = matches!(spec.ty, ParamType::Int | ParamType::IntList);
    if let Some(d) = &spec.default {
        if let Some(v) = toml_value(d, integer) {
            t.insert("default", v);
        }
    }
    if spec.optional {
        t.insert("optional", true.into());
    }
    for (key, bound) in [("min", spec.min), ("max", spec.max)] {
        if let Some(b) = bound {
            t.insert(key, number(b, integer));
        }
    }
    if let Some(choices) = &spec.one_of {
        t.insert("one_of", toml_edit::Value::Array(choices.iter().map(|c| c.as_str()).collect()));
    }
    if let Some(doc) = &spec.doc {
        t.insert("doc", doc.as_str().into());
    }
    t
}

fn number(x: f64, integer: bool) -> toml_edit::Value {
    if integer && x.fract() == 0.0 && x.abs() < 9.0e15 {
        (x as i64).into()
    } else {
        x.into()
    }
}

fn toml_value(v: &Value, integer: bool) -> Option<toml_edit::Value> {
    Some(match v {
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) if integer => i.into(),
            _ => n.as_f64()?.into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => {
            let mut a = toml_edit::Array::new();
            for item in items {
                a.push(toml_value(item, integer)?);
            }
            toml_edit::Value::Array(a)
        }
        Value::Null | Value::Object(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regenerate_replaces_tables_and_keeps_the_rest() {
        let text = r#"# a comment that stays
[plugin]
name = "p"

[[operator]]
name = "a"
pattern = "frame"
params = { old = { type = "int" } }

[[operator]]
name = "b"
pattern = "frame"

[operator.params]
x = { type = "float", default = 1.0 }

[[operator]]
name = "c"
pattern = "frame"
"#;
        let sigma = ParamSpec {
            default: Some(serde_json::json!(1.5)),
            min: Some(0.0),
            doc: Some("sigma in pixels".into()),
            ..ParamSpec::of(ParamType::Float)
        };
        let size = ParamSpec { default: Some(3.into()), min: Some(1.0), ..ParamSpec::of(ParamType::Int) };
        let mode = ParamSpec {
            default: Some("reflect".into()),
            one_of: Some(vec!["reflect".into(), "mirror".into()]),
            ..ParamSpec::of(ParamType::String)
        };
        let schemas: Vec<(&str, Vec<(String, ParamSpec)>)> = vec![
            ("a", vec![("sigma".into(), sigma), ("size".into(), size)]),
            ("b", vec![("mode".into(), mode)]),
            ("c", vec![]),
        ];
        let out = regenerate(text, &schemas).unwrap();
        assert_eq!(
            out,
            r#"# a comment that stays
[plugin]
name = "p"

[[operator]]
name = "a"
pattern = "frame"

[operator.params]
sigma = { type = "float", default = 1.5, min = 0.0, doc = "sigma in pixels" }
size = { type = "int", default = 3, min = 1 }

[[operator]]
name = "b"
pattern = "frame"

[operator.params]
mode = { type = "string", default = "reflect", one_of = ["reflect", "mirror"] }

[[operator]]
name = "c"
pattern = "frame"
"#
        );
        // Regenerating again changes nothing.
        assert_eq!(regenerate(&out, &schemas).unwrap(), out);
    }
}
