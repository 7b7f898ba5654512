//! Operator parameters, declared once: a Rust struct per operator.
//!
//! An operator's parameters are a plain struct deriving serde's
//! `Deserialize` and `Serialize` (the second gives the defaults back),
//! documented with doc comments, with enums written
//! `#[serde(rename_all = "kebab-case")]` and units in field names
//! (`pixel_size_um`). What a struct cannot say — a one-line doc for users
//! and a range — sits beside it in [`Params::TABLE`]:
//!
//! ```
//! use plexus_plugin_api::{Param, Params};
//! use serde::{Deserialize, Serialize};
//!
//! /// Parameters of `blur`.
//! #[derive(Debug, Clone, Deserialize, Serialize)]
//! #[serde(default, deny_unknown_fields)]
//! pub struct BlurParams {
//!     /// Gaussian sigma in pixels.
//!     pub sigma_px: f64,
//!     /// How the image is extended past its edges.
//!     pub mode: Mode,
//! }
//!
//! #[derive(Debug, Clone, Copy, Deserialize, Serialize)]
//! #[serde(rename_all = "kebab-case")]
//! pub enum Mode { Reflect, Nearest }
//!
//! impl Default for BlurParams {
//!     fn default() -> Self { BlurParams { sigma_px: 1.0, mode: Mode::Reflect } }
//! }
//!
//! impl Params for BlurParams {
//!     const TABLE: &'static [Param] = &[
//!         Param::new("sigma_px", "Gaussian sigma in pixels").min(0.0),
//!         Param::new("mode", "boundary: reflect or nearest"),
//!     ];
//! }
//!
//! let schema = plexus_plugin_api::schema_of::<BlurParams>().unwrap();
//! assert_eq!(schema[0].0, "sigma_px");
//! assert_eq!(schema[1].1.one_of.as_deref(), Some(&["reflect".to_string(), "nearest".to_string()][..]));
//! ```
//!
//! [`schema_of`] reads the manifest's parameter table off the struct (see
//! [`record`](self) for how), so `plugin.toml` can be generated from it
//! (`REGENERATE=1 cargo test` with the compliance harness) and is checked
//! against it: by the plugin's own compliance test, and again by the host
//! when it loads the plugin. The host validates pipelines from the manifest
//! alone, without running plugin code, and hands the operator a JSON object
//! with every default filled in; [`decode`] turns it into the struct.

mod record;
pub mod schema;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::PluginError;
use record::Shape;
use schema::{check_value, Mismatch, ParamSpec, ParamType};

/// A parameter struct: what an operator is built from.
pub trait Params: DeserializeOwned + Serialize + 'static {
    /// One-line docs and ranges, by field name; fields not listed have
    /// neither. Unsigned integer fields get `min = 0` on their own.
    const TABLE: &'static [Param] = &[];
}

/// What a parameter struct cannot say about one of its fields.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    /// The field.
    pub name: &'static str,
    /// One line for users (`plexus plugins list`, the manifest's `doc`).
    pub doc: &'static str,
    /// Smallest allowed value (numbers and each list element).
    pub min: Option<f64>,
    /// Largest allowed value.
    pub max: Option<f64>,
}

impl Param {
    /// The field `name`, documented by `doc`.
    pub const fn new(name: &'static str, doc: &'static str) -> Param {
        Param { name, doc, min: None, max: None }
    }

    /// Values below `min` are refused.
    pub const fn min(mut self, min: f64) -> Param {
        self.min = Some(min);
        self
    }

    /// Values above `max` are refused.
    pub const fn max(mut self, max: f64) -> Param {
        self.max = Some(max);
        self
    }
}

/// The parameters of an operator that takes none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

impl Params for NoParams {}

/// Why a struct's parameter table cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// The type does not deserialize as a struct with named fields.
    #[error("`{type_name}` is not a parameter struct (a struct with named fields)")]
    NotAStruct {
        /// The Rust type.
        type_name: &'static str,
    },
    /// A field has a type a manifest cannot describe.
    #[error(
        "`{type_name}` field `{field}` is {what}; parameters are numbers, booleans, strings, unit enums, lists of numbers or options of these"
    )]
    Unsupported {
        /// The Rust type.
        type_name: &'static str,
        /// The field.
        field: String,
        /// What it is.
        what: String,
    },
    /// `TABLE` names a field the struct does not have.
    #[error("`{type_name}::TABLE` names `{name}`, which is not a field (fields: {fields})")]
    UnknownTableEntry {
        /// The Rust type.
        type_name: &'static str,
        /// The name in the table.
        name: &'static str,
        /// The fields, formatted.
        fields: String,
    },
    /// The struct's default lies outside the range its table declares.
    #[error("`{type_name}` field `{field}`: its default {mismatch}")]
    BadDefault {
        /// The Rust type.
        type_name: &'static str,
        /// The field.
        field: String,
        /// How it fails.
        mismatch: Mismatch,
    },
    /// The struct could not be built from its defaults or serialised back.
    #[error("`{type_name}`: {message}")]
    Defaults {
        /// The Rust type.
        type_name: &'static str,
        /// What serde said.
        message: String,
    },
}

/// A stand-in value of `shape` that its `Deserialize` accepts.
fn sample(shape: &Shape) -> Value {
    match shape {
        Shape::Bool => false.into(),
        Shape::Int { .. } => 0.into(),
        Shape::Float => 0.0.into(),
        Shape::Str => "".into(),
        Shape::Choice(v) => v.first().copied().unwrap_or("").into(),
        Shape::List(_) => Value::Array(Vec::new()),
        Shape::Optional(_) | Shape::Unsupported(_) => Value::Null,
    }
}

/// The manifest type of a shape, and whether its numbers are unsigned.
fn param_type(shape: &Shape) -> Result<(ParamType, bool, Option<Vec<String>>), String> {
    Ok(match shape {
        Shape::Bool => (ParamType::Bool, false, None),
        Shape::Int { unsigned } => (ParamType::Int, *unsigned, None),
        Shape::Float => (ParamType::Float, false, None),
        Shape::Str => (ParamType::String, false, None),
        Shape::Choice(v) => (ParamType::String, false, Some(v.iter().map(|s| s.to_string()).collect())),
        Shape::List(inner) => match inner.as_ref() {
            Shape::Int { unsigned } => (ParamType::IntList, *unsigned, None),
            Shape::Float => (ParamType::FloatList, false, None),
            other => return Err(format!("a list of {}", describe(other))),
        },
        Shape::Optional(inner) => return Err(format!("an option of {}", describe(inner))),
        Shape::Unsupported(what) => return Err(what.to_string()),
    })
}

fn describe(shape: &Shape) -> String {
    match shape {
        Shape::Bool => "booleans".into(),
        Shape::Int { .. } => "integers".into(),
        Shape::Float => "numbers".into(),
        Shape::Str => "strings".into(),
        Shape::Choice(_) => "enums".into(),
        Shape::List(_) => "lists".into(),
        Shape::Optional(_) => "options".into(),
        Shape::Unsupported(what) => what.to_string(),
    }
}

/// The parameter table of struct `P`, in field order: what the
/// `[operator.params]` of its manifest must say.
///
/// Field names and types come from `P`'s `Deserialize` impl; defaults from
/// deserializing a map without the field and serialising the result back
/// (a field that cannot be left out is required; an `Option` left out is
/// optional); docs and ranges from [`Params::TABLE`].
pub fn schema_of<P: Params>() -> Result<Vec<(String, ParamSpec)>, SchemaError> {
    let type_name = std::any::type_name::<P>();
    let names = record::field_names::<P>().ok_or(SchemaError::NotAStruct { type_name })?;
    let shapes: Vec<Shape> = names.iter().map(|n| record::field_shape::<P>(n)).collect();
    let samples: Vec<Value> = shapes.iter().map(sample).collect();
    let map_without = |skip: &dyn Fn(usize) -> bool| -> Value {
        Value::Object(
            names
                .iter()
                .zip(&samples)
                .enumerate()
                .filter(|(i, _)| !skip(*i))
                .map(|(_, (n, v))| (n.to_string(), v.clone()))
                .collect(),
        )
    };
    // A field that cannot be left out (all others given) is required.
    let required: Vec<bool> =
        (0..names.len()).map(|i| serde_json::from_value::<P>(map_without(&|j| j == i)).is_err()).collect();
    let built: P = serde_json::from_value(map_without(&|j| !required[j]))
        .map_err(|e| SchemaError::Defaults { type_name, message: format!("cannot be built from its defaults: {e}") })?;
    let back = serde_json::to_value(&built)
        .map_err(|e| SchemaError::Defaults { type_name, message: format!("cannot be serialised: {e}") })?;
    for entry in P::TABLE {
        if !names.contains(&entry.name) {
            return Err(SchemaError::UnknownTableEntry { type_name, name: entry.name, fields: names.join(", ") });
        }
    }
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let optional_field = matches!(shapes[i], Shape::Optional(_));
        let shape = match &shapes[i] {
            Shape::Optional(inner) => inner.as_ref(),
            s => s,
        };
        let (ty, unsigned, one_of) =
            param_type(shape).map_err(|what| SchemaError::Unsupported { type_name, field: name.to_string(), what })?;
        let default = if required[i] { None } else { back.get(*name).filter(|v| !v.is_null()).cloned() };
        let entry = P::TABLE.iter().find(|e| e.name == *name);
        let min = entry.and_then(|e| e.min);
        let min = if unsigned { Some(min.map_or(0.0, |m| m.max(0.0))) } else { min };
        let spec = ParamSpec {
            ty,
            optional: !required[i]
                && default.is_none()
                && (optional_field || back.get(*name).is_none_or(Value::is_null)),
            default,
            min,
            max: entry.and_then(|e| e.max),
            one_of,
            doc: entry.map(|e| e.doc.to_string()).filter(|d| !d.is_empty()),
        };
        if let Some(d) = &spec.default {
            check_value(&spec, d).map_err(|mismatch| SchemaError::BadDefault {
                type_name,
                field: name.to_string(),
                mismatch,
            })?;
        }
        out.push((name.to_string(), spec));
    }
    Ok(out)
}

/// Builds the parameter struct from the JSON object the host passes (every
/// default filled in). A value the struct refuses is a
/// [`PluginError::InvalidParam`] naming the parameter.
pub fn decode<P: Params>(json: &str) -> Result<P, PluginError> {
    let values: Map<String, Value> = if json.trim().is_empty() {
        Map::new()
    } else {
        match serde_json::from_str(json) {
            Ok(Value::Object(m)) => m,
            _ => return Err(PluginError::bad_parameter("", "parameters as a JSON object", json.to_string())),
        }
    };
    decode_map(values)
}

/// [`decode`] from a parsed object. Every value is first checked against
/// the struct's own table (type, range, choices, unknown and missing
/// names), so an operator built without a host — in a test, by another
/// program — gets the checks a pipeline gets.
pub fn decode_map<P: Params>(values: Map<String, Value>) -> Result<P, PluginError> {
    if let Some(e) = explain::<P>(&values) {
        return Err(e);
    }
    serde_json::from_value::<P>(Value::Object(values)).map_err(|e| PluginError::failed(format!("parameters: {e}")))
}

/// The first problem of `values` against the struct's own table, if any.
fn explain<P: Params>(values: &Map<String, Value>) -> Option<PluginError> {
    let schema = schema_of::<P>().ok()?;
    for (name, v) in values {
        let Some((_, spec)) = schema.iter().find(|(n, _)| n == name) else {
            let known: Vec<String> = schema.iter().map(|(n, _)| format!("`{n}`")).collect();
            return Some(PluginError::bad_parameter(
                name,
                format!("a parameter of this operator (it takes {})", known.join(", ")),
                "an unknown name",
            ));
        };
        if let Err(m) = check_value(spec, v) {
            return Some(PluginError::bad_parameter(name, m.expected, m.got));
        }
    }
    schema
        .iter()
        .find(|(n, s)| s.is_required() && !values.contains_key(n))
        .map(|(n, s)| PluginError::bad_parameter(n, format!("{} (it is required)", s.ty.describe()), "nothing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
    #[serde(rename_all = "kebab-case")]
    enum Mode {
        Reflect,
        NearestEdge,
    }

    #[derive(Debug, Deserialize, Serialize)]
    #[serde(deny_unknown_fields)]
    struct P {
        threshold: f64,
        #[serde(default = "three")]
        size: u32,
        #[serde(default)]
        mode: Option<Mode>,
        #[serde(default = "shape")]
        shape: Vec<usize>,
        #[serde(default)]
        center: Option<f64>,
    }

    fn three() -> u32 {
        3
    }
    fn shape() -> Vec<usize> {
        vec![4, 4]
    }

    impl Params for P {
        const TABLE: &'static [Param] = &[
            Param::new("threshold", "absolute difference").min(0.0),
            Param::new("size", "window").min(1.0).max(255.0),
        ];
    }

    #[test]
    fn schema_reads_types_defaults_ranges_and_choices() {
        let s = schema_of::<P>().unwrap();
        let names: Vec<&str> = s.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["threshold", "size", "mode", "shape", "center"]);
        let t = &s[0].1;
        assert_eq!((t.ty, t.default.clone(), t.min, t.is_required()), (ParamType::Float, None, Some(0.0), true));
        assert_eq!(t.doc.as_deref(), Some("absolute difference"));
        let size = &s[1].1;
        assert_eq!((size.default.clone(), size.min, size.max), (Some(3.into()), Some(1.0), Some(255.0)));
        let mode = &s[2].1;
        assert_eq!(mode.one_of, Some(vec!["reflect".to_string(), "nearest-edge".to_string()]));
        assert!(mode.optional && mode.default.is_none());
        let shape = &s[3].1;
        assert_eq!(
            (shape.ty, shape.default.clone(), shape.min),
            (ParamType::IntList, Some(serde_json::json!([4, 4])), Some(0.0))
        );
        assert!(s[4].1.optional);
    }

    #[test]
    fn decode_names_the_parameter_it_refuses() {
        let p: P = decode(r#"{"threshold": 2.5, "mode": "nearest-edge"}"#).unwrap();
        assert_eq!((p.threshold, p.size, p.mode), (2.5, 3, Some(Mode::NearestEdge)));
        let e = decode::<P>(r#"{"threshold": 1, "mode": "wrap"}"#).unwrap_err();
        assert_eq!(e.to_string(), "parameter `mode`: expected one of reflect, nearest-edge, got `wrap`");
        let e = decode::<P>(r#"{"size": 3}"#).unwrap_err();
        assert_eq!(e.to_string(), "parameter `threshold`: expected a number (it is required), got nothing");
        let e = decode::<P>(r#"{"threshold": 1, "sise": 3}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter `sise`: expected a parameter of this operator (it takes `threshold`, `size`, `mode`, `shape`, `center`), got an unknown name"
        );
    }

    #[test]
    fn table_entries_must_name_fields_and_defaults_must_fit() {
        #[derive(Deserialize, Serialize, Default)]
        #[serde(default)]
        struct Q {
            k: f64,
        }
        impl Params for Q {
            const TABLE: &'static [Param] = &[Param::new("kk", "")];
        }
        assert_eq!(
            schema_of::<Q>().unwrap_err().to_string(),
            format!("`{}::TABLE` names `kk`, which is not a field (fields: k)", std::any::type_name::<Q>())
        );
        #[derive(Deserialize, Serialize, Default)]
        #[serde(default)]
        struct R {
            k: f64,
        }
        impl Params for R {
            const TABLE: &'static [Param] = &[Param::new("k", "").min(1.0)];
        }
        assert_eq!(
            schema_of::<R>().unwrap_err().to_string(),
            format!("`{}` field `k`: its default expected at least 1, got 0", std::any::type_name::<R>())
        );
        assert_eq!(schema_of::<NoParams>().unwrap(), vec![]);
    }
}
