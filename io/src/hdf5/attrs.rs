//! HDF5 attributes as JSON. Integers become JSON integers, floats JSON
//! numbers (NaN and infinities `null`), bools booleans, strings (fixed or
//! variable length) strings; arrays become nested JSON arrays. Types JSON
//! cannot hold (compounds, references) read as `null`. Writing takes the
//! same forms back: a number, bool or string, or a flat array of one of
//! them.

use std::path::Path;

use h5::types::{FixedAscii, FixedUnicode, TypeDescriptor as TD, VarLenAscii, VarLenUnicode};
use hdf5_metno as h5;
use serde_json::{Map, Value};

use crate::error::IoError;

/// The attributes of one HDF5 object, as JSON values by name.
pub type Attributes = Map<String, Value>;

/// Reads one attribute as JSON, `None` when absent.
pub(crate) fn attr_value(loc: &h5::Location, name: &str) -> Option<Value> {
    let a = loc.attr(name).ok()?;
    Some(attr_json(&a))
}

pub(crate) fn read_attrs(path: &Path, dataset: &str, loc: &h5::Location) -> Result<Attributes, IoError> {
    let names =
        loc.attr_names().map_err(|e| IoError::dataset(path, dataset, format!("cannot list attributes: {e}")))?;
    let mut map = Attributes::new();
    for name in names {
        let a = loc
            .attr(&name)
            .map_err(|e| IoError::dataset(path, dataset, format!("cannot read attribute `{name}`: {e}")))?;
        map.insert(name, attr_json(&a));
    }
    Ok(map)
}

/// An attribute as JSON; types JSON cannot hold give `null`.
fn attr_json(a: &h5::Attribute) -> Value {
    fn all<T: h5::H5Type>(a: &h5::Attribute, f: impl Fn(T) -> Value) -> Option<Vec<Value>> {
        a.read_raw::<T>().ok().map(|v| v.into_iter().map(f).collect())
    }
    let Ok(desc) = a.dtype().and_then(|t| t.to_descriptor()) else { return Value::Null };
    let flat = match desc {
        TD::Integer(_) => all::<i64>(a, Value::from),
        TD::Unsigned(_) => all::<u64>(a, Value::from),
        TD::Float(_) => all::<f64>(a, Value::from),
        TD::Boolean => all::<bool>(a, Value::from),
        TD::VarLenUnicode => all::<VarLenUnicode>(a, |s| Value::from(s.as_str())),
        TD::VarLenAscii => all::<VarLenAscii>(a, |s| Value::from(s.as_str())),
        TD::FixedAscii(n) if n <= 1024 => all::<FixedAscii<1024>>(a, |s| Value::from(s.as_str())),
        TD::FixedUnicode(n) if n <= 1024 => all::<FixedUnicode<1024>>(a, |s| Value::from(s.as_str())),
        _ => None,
    };
    let Some(flat) = flat else { return Value::Null };
    if a.is_scalar() {
        return flat.into_iter().next().unwrap_or(Value::Null);
    }
    nest(&flat, &a.shape())
}

/// Row-major `flat` as nested arrays of `shape`.
fn nest(flat: &[Value], shape: &[usize]) -> Value {
    match shape {
        [] | [_] => Value::Array(flat.to_vec()),
        [_, rest @ ..] => {
            let step: usize = rest.iter().product();
            if step == 0 {
                return Value::Array(vec![]);
            }
            Value::Array(flat.chunks(step).map(|c| nest(c, rest)).collect())
        }
    }
}

/// An attribute value that HDF5 can store; `bool` says whether it is an array.
#[derive(Debug)]
pub(crate) enum Attr {
    Int(Vec<i64>, bool),
    UInt(Vec<u64>, bool),
    Float(Vec<f64>, bool),
    Bool(Vec<bool>, bool),
    Str(Vec<String>, bool),
}

impl Attr {
    pub(crate) fn from_json(v: &Value) -> Result<Attr, String> {
        let one = |v: &Value| -> Result<Attr, String> {
            Ok(match v {
                Value::Bool(b) => Attr::Bool(vec![*b], false),
                Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => Attr::Int(vec![i], false),
                    (None, Some(u)) => Attr::UInt(vec![u], false),
                    _ => Attr::Float(vec![n.as_f64().unwrap_or(f64::NAN)], false),
                },
                Value::String(s) if s.contains('\0') => {
                    return Err("strings with NUL characters have no HDF5 form".into())
                }
                Value::String(s) => Attr::Str(vec![s.clone()], false),
                Value::Null => return Err("null has no HDF5 form".into()),
                Value::Object(_) => return Err("an object has no HDF5 attribute form".into()),
                Value::Array(_) => return Err("nested arrays are not stored as attributes".into()),
            })
        };
        let Value::Array(items) = v else { return one(v) };
        let mut out: Option<Attr> = None;
        for item in items {
            let next = one(item)?;
            out = Some(match (out, next) {
                (None, n) => n,
                (Some(Attr::Int(mut a, _)), Attr::Int(b, _)) => {
                    a.extend(b);
                    Attr::Int(a, true)
                }
                (Some(Attr::UInt(mut a, _)), Attr::UInt(b, _)) => {
                    a.extend(b);
                    Attr::UInt(a, true)
                }
                // Mixed integers and floats: all floats, as numpy would.
                (
                    Some(a @ (Attr::Int(..) | Attr::UInt(..) | Attr::Float(..))),
                    b @ (Attr::Int(..) | Attr::UInt(..) | Attr::Float(..)),
                ) => {
                    let mut a = a.floats();
                    a.extend(b.floats());
                    Attr::Float(a, true)
                }
                (Some(Attr::Bool(mut a, _)), Attr::Bool(b, _)) => {
                    a.extend(b);
                    Attr::Bool(a, true)
                }
                (Some(Attr::Str(mut a, _)), Attr::Str(b, _)) => {
                    a.extend(b);
                    Attr::Str(a, true)
                }
                _ => return Err("an array mixing numbers, bools and strings has no HDF5 attribute form".into()),
            });
        }
        Ok(match out {
            None => Attr::Float(vec![], true),
            Some(Attr::Int(a, _)) => Attr::Int(a, true),
            Some(Attr::UInt(a, _)) => Attr::UInt(a, true),
            Some(Attr::Float(a, _)) => Attr::Float(a, true),
            Some(Attr::Bool(a, _)) => Attr::Bool(a, true),
            Some(Attr::Str(a, _)) => Attr::Str(a, true),
        })
    }

    fn floats(self) -> Vec<f64> {
        match self {
            Attr::Int(v, _) => v.into_iter().map(|x| x as f64).collect(),
            Attr::UInt(v, _) => v.into_iter().map(|x| x as f64).collect(),
            Attr::Float(v, _) => v,
            _ => vec![],
        }
    }
}

pub(crate) fn write_attr(loc: &h5::Location, name: &str, value: &Attr) -> h5::Result<()> {
    fn put<T: h5::H5Type>(loc: &h5::Location, name: &str, v: &[T], array: bool) -> h5::Result<()> {
        let b = loc.new_attr::<T>();
        let a = if array { b.shape(v.len()).create(name)? } else { b.create(name)? };
        a.write_raw(v)
    }
    match value {
        Attr::Int(v, arr) => put(loc, name, v, *arr),
        Attr::UInt(v, arr) => put(loc, name, v, *arr),
        Attr::Float(v, arr) => put(loc, name, v, *arr),
        Attr::Bool(v, arr) => put(loc, name, v, *arr),
        Attr::Str(v, arr) => {
            let s: Vec<VarLenUnicode> =
                v.iter().map(|s| s.parse::<VarLenUnicode>()).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
            put(loc, name, &s, *arr)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_to_attributes() {
        use serde_json::json;
        assert!(matches!(Attr::from_json(&json!(3)).unwrap(), Attr::Int(v, false) if v == [3]));
        assert!(matches!(Attr::from_json(&json!([1, 2.5])).unwrap(), Attr::Float(v, true) if v == [1.0, 2.5]));
        assert!(matches!(Attr::from_json(&json!([])).unwrap(), Attr::Float(v, true) if v.is_empty()));
        assert!(matches!(Attr::from_json(&json!(["a", "b"])).unwrap(), Attr::Str(v, true) if v.len() == 2));
        assert_eq!(Attr::from_json(&json!(null)).unwrap_err(), "null has no HDF5 form");
        assert_eq!(
            Attr::from_json(&json!([1, "a"])).unwrap_err(),
            "an array mixing numbers, bools and strings has no HDF5 attribute form"
        );
        assert_eq!(Attr::from_json(&json!([[1], [2]])).unwrap_err(), "nested arrays are not stored as attributes");
    }

    #[test]
    fn nesting() {
        let flat: Vec<Value> = (0..6).map(Value::from).collect();
        assert_eq!(nest(&flat, &[2, 3]), serde_json::json!([[0, 1, 2], [3, 4, 5]]));
    }
}
