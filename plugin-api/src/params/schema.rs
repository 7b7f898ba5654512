//! The parameter schema of `plugin.toml` (`[operator.params]`): what a
//! parameter's type, default, range and choices are, how a value is checked
//! against it, and how two schemas are compared.
//!
//! The same [`ParamSpec`] describes a parameter twice over: read from a
//! manifest (what the host validates pipelines against, without running
//! plugin code) and derived from the operator's parameter struct
//! ([`schema_of`](super::schema_of)). [`compare`] says where the two
//! disagree, so the manifest and the code can never drift apart unnoticed.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The type of an operator parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// A signed integer.
    Int,
    /// A number.
    Float,
    /// `true` or `false`.
    Bool,
    /// A string, optionally restricted by `one_of`.
    String,
    /// A list of integers.
    IntList,
    /// A list of numbers.
    FloatList,
}

impl ParamType {
    /// How the type is named to users.
    pub fn describe(self) -> &'static str {
        match self {
            ParamType::Int => "an integer",
            ParamType::Float => "a number",
            ParamType::Bool => "true or false",
            ParamType::String => "a string",
            ParamType::IntList => "a list of integers",
            ParamType::FloatList => "a list of numbers",
        }
    }

    /// The name written in manifests (`int_list`).
    pub fn name(self) -> &'static str {
        match self {
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::Bool => "bool",
            ParamType::String => "string",
            ParamType::IntList => "int_list",
            ParamType::FloatList => "float_list",
        }
    }
}

/// One declared parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    /// Its type.
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// Default value; without one (and without `optional`) the parameter is
    /// required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// May be left out without a default: the operator then decides (an
    /// `Option` field of the parameter struct).
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
    /// Smallest allowed value (numbers and each list element).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed value (numbers and each list element).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Allowed strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<String>>,
    /// One line for `plexus plugins list` and error hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ParamSpec {
    /// A parameter of type `ty` with nothing else said.
    pub fn of(ty: ParamType) -> ParamSpec {
        ParamSpec { ty, default: None, optional: false, min: None, max: None, one_of: None, doc: None }
    }

    /// Whether a pipeline must give it.
    pub fn is_required(&self) -> bool {
        self.default.is_none() && !self.optional
    }
}

/// What a value should have been, and what it was: `expected at least 0,
/// got -1`. Its text is API (the host prints it after the stage and key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, got {got}")]
pub struct Mismatch {
    /// What was expected (`at least 0`, `one of a, b`).
    pub expected: String,
    /// What was given.
    pub got: String,
}

/// Checks one value against its spec.
pub fn check_value(spec: &ParamSpec, v: &Value) -> Result<(), Mismatch> {
    let range = |x: f64| -> Result<(), Mismatch> {
        if let Some(min) = spec.min {
            if x < min {
                return Err(Mismatch { expected: format!("at least {min}"), got: x.to_string() });
            }
        }
        if let Some(max) = spec.max {
            if x > max {
                return Err(Mismatch { expected: format!("at most {max}"), got: x.to_string() });
            }
        }
        Ok(())
    };
    let wrong = || Mismatch { expected: spec.ty.describe().to_string(), got: format!("`{v}`") };
    match spec.ty {
        ParamType::Int => range(v.as_i64().ok_or_else(wrong)? as f64),
        ParamType::Float => range(v.as_f64().ok_or_else(wrong)?),
        ParamType::Bool => v.as_bool().map(|_| ()).ok_or_else(wrong),
        ParamType::String => {
            let s = v.as_str().ok_or_else(wrong)?;
            match &spec.one_of {
                Some(choices) if !choices.iter().any(|c| c == s) => {
                    Err(Mismatch { expected: format!("one of {}", choices.join(", ")), got: format!("`{s}`") })
                }
                _ => Ok(()),
            }
        }
        ParamType::IntList | ParamType::FloatList => {
            let items = v.as_array().ok_or_else(wrong)?;
            for item in items {
                let x = if spec.ty == ParamType::IntList { item.as_i64().map(|i| i as f64) } else { item.as_f64() };
                range(x.ok_or_else(wrong)?)?;
            }
            Ok(())
        }
    }
}

/// One problem with the parameters a pipeline gives an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamProblem {
    /// The parameter.
    pub param: String,
    /// What is wrong.
    pub message: String,
}

/// Checks `given` against the operator's parameter table `params`,
/// collecting every problem, and returns the full parameter object with
/// defaults filled in (optional parameters left out stay out).
///
/// Values for which `is_deferred` returns true (references to another
/// stage's results) are accepted as they are, to be checked when resolved.
pub fn validate_params<'a>(
    params: impl IntoIterator<Item = (&'a String, &'a ParamSpec)> + Clone,
    given: &Map<String, Value>,
    is_deferred: impl Fn(&Value) -> bool,
) -> Result<Map<String, Value>, Vec<ParamProblem>> {
    let find = |name: &str| params.clone().into_iter().find(|(n, _)| n.as_str() == name).map(|(_, s)| s);
    let mut problems = Vec::new();
    let mut out = Map::new();
    for (name, v) in given {
        match find(name) {
            None => problems.push(ParamProblem {
                param: name.clone(),
                message: unknown_param_message(params.clone().into_iter().map(|(n, _)| n)),
            }),
            Some(spec) if !is_deferred(v) => {
                if let Err(m) = check_value(spec, v) {
                    problems.push(ParamProblem { param: name.clone(), message: m.to_string() });
                }
            }
            Some(_) => {}
        }
        out.insert(name.clone(), v.clone());
    }
    for (name, spec) in params {
        if out.contains_key(name) {
            continue;
        }
        match &spec.default {
            Some(d) => {
                out.insert(name.clone(), d.clone());
            }
            None if spec.optional => {}
            None => problems
                .push(ParamProblem { param: name.clone(), message: format!("is required ({})", spec.ty.describe()) }),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn unknown_param_message<'a>(known: impl Iterator<Item = &'a String>) -> String {
    let known: Vec<String> = known.map(|k| format!("`{k}`")).collect();
    if known.is_empty() {
        "is not a parameter of this operator (it takes none)".to_string()
    } else {
        format!("is not a parameter of this operator (it takes {})", known.join(", "))
    }
}

/// One way a manifest's parameter table and an operator's parameter struct
/// disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaMismatch {
    /// The parameter.
    pub param: String,
    /// What differs: `presence`, `type`, `default`, `optional`, `min`,
    /// `max`, `one_of` or `doc`.
    pub aspect: &'static str,
    /// What the manifest says.
    pub manifest: String,
    /// What the parameter struct says.
    pub code: String,
}

impl std::fmt::Display for SchemaMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.aspect == "presence" {
            return write!(
                f,
                "parameter `{}`: the manifest {}, the parameter struct {}",
                self.param, self.manifest, self.code
            );
        }
        write!(
            f,
            "parameter `{}`: the manifest says {} {}, the parameter struct says {}",
            self.param, self.aspect, self.manifest, self.code
        )
    }
}

/// Whether two parameter values are the same (numbers compare by value, so
/// a manifest's `0` and a struct's `0.0` agree).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b)),
        _ => a == b,
    }
}

fn show_num(v: &Option<f64>) -> String {
    v.map_or_else(|| "none".to_string(), |x| x.to_string())
}

fn show_choices(v: &Option<Vec<String>>) -> String {
    v.as_ref().map_or_else(|| "none".to_string(), |c| format!("[{}]", c.join(", ")))
}

fn show_doc(v: &Option<String>) -> String {
    v.as_ref().map_or_else(|| "none".to_string(), |d| format!("{d:?}"))
}

fn show_value(v: &Option<Value>) -> String {
    match v {
        Some(v) => format!("`{v}`"),
        None => "none".to_string(),
    }
}

/// Every difference between a manifest's table and the struct's schema, in
/// the struct's field order. `with_docs` also compares the one-line docs
/// (the compliance test does; loading a plugin does not).
pub fn compare<'a>(
    manifest: impl IntoIterator<Item = (&'a String, &'a ParamSpec)> + Clone,
    code: &[(String, ParamSpec)],
    with_docs: bool,
) -> Vec<SchemaMismatch> {
    let mut out = Vec::new();
    let find = |name: &str| manifest.clone().into_iter().find(|(n, _)| n.as_str() == name).map(|(_, s)| s);
    for (name, c) in code {
        let Some(m) = find(name) else {
            out.push(SchemaMismatch {
                param: name.clone(),
                aspect: "presence",
                manifest: "does not declare it".into(),
                code: "has the field".into(),
            });
            continue;
        };
        let mut differ = |aspect: &'static str, manifest: String, code: String| {
            out.push(SchemaMismatch { param: name.clone(), aspect, manifest, code })
        };
        if m.ty != c.ty {
            differ("type", m.ty.name().into(), c.ty.name().into());
        }
        let defaults_agree = match (&m.default, &c.default) {
            (Some(a), Some(b)) => same_value(a, b),
            (None, None) => true,
            _ => false,
        };
        if !defaults_agree {
            differ("default", show_value(&m.default), show_value(&c.default));
        }
        if m.optional != c.optional {
            differ("optional", m.optional.to_string(), c.optional.to_string());
        }
        if m.min != c.min {
            differ("min", show_num(&m.min), show_num(&c.min));
        }
        if m.max != c.max {
            differ("max", show_num(&m.max), show_num(&c.max));
        }
        if m.one_of != c.one_of {
            differ("one_of", show_choices(&m.one_of), show_choices(&c.one_of));
        }
        if with_docs && m.doc != c.doc {
            differ("doc", show_doc(&m.doc), show_doc(&c.doc));
        }
    }
    for (name, _) in manifest {
        if !code.iter().any(|(n, _)| n == name) {
            out.push(SchemaMismatch {
                param: name.clone(),
                aspect: "presence",
                manifest: "declares it".into(),
                code: "has no such field".into(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn table() -> BTreeMap<String, ParamSpec> {
        let ddof =
            ParamSpec { default: Some(0.into()), min: Some(0.0), max: Some(1.0), ..ParamSpec::of(ParamType::Int) };
        let mode = ParamSpec {
            default: Some("a".into()),
            one_of: Some(vec!["a".into(), "b".into()]),
            ..ParamSpec::of(ParamType::String)
        };
        let center = ParamSpec { optional: true, ..ParamSpec::of(ParamType::Float) };
        [("ddof", ddof), ("mode", mode), ("center", center)].into_iter().map(|(n, s)| (n.to_string(), s)).collect()
    }

    #[test]
    fn params_collect_every_problem_and_fill_defaults() {
        let t = table();
        let given: Map<String, Value> = serde_json::from_str(r#"{"ddof": 2, "mod": "x"}"#).unwrap();
        let problems = validate_params(&t, &given, |_| false).unwrap_err();
        assert_eq!(
            problems,
            vec![
                ParamProblem { param: "ddof".into(), message: "expected at most 1, got 2".into() },
                ParamProblem {
                    param: "mod".into(),
                    message: "is not a parameter of this operator (it takes `center`, `ddof`, `mode`)".into()
                },
            ]
        );
        let ok = validate_params(&t, &Map::new(), |_| false).unwrap();
        assert_eq!(ok["mode"], "a");
        assert!(!ok.contains_key("center"), "an optional parameter left out stays out");
        let e = validate_params(&t, &serde_json::from_str(r#"{"mode": "c"}"#).unwrap(), |_| false).unwrap_err();
        assert_eq!(e[0].message, "expected one of a, b, got `c`");
    }

    #[test]
    fn compare_names_what_differs() {
        let t = table();
        let mut code: Vec<(String, ParamSpec)> = t.iter().map(|(n, s)| (n.clone(), s.clone())).collect();
        assert_eq!(compare(&t, &code, true), vec![]);
        // 0 and 0.0 are the same default.
        code[1].1.default = Some(serde_json::json!(0.0));
        assert_eq!(compare(&t, &code, true), vec![]);
        code[1].1.max = None;
        code[2].1.default = Some("b".into());
        code.remove(0);
        code.push(("sigma".into(), ParamSpec::of(ParamType::Float)));
        let d: Vec<String> = compare(&t, &code, true).iter().map(|m| m.to_string()).collect();
        assert_eq!(
            d,
            [
                "parameter `ddof`: the manifest says max 1, the parameter struct says none",
                "parameter `mode`: the manifest says default `\"a\"`, the parameter struct says `\"b\"`",
                "parameter `sigma`: the manifest does not declare it, the parameter struct has the field",
                "parameter `center`: the manifest declares it, the parameter struct has no such field",
            ]
        );
    }
}
