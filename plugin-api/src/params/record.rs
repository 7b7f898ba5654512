//! A recording [`Deserializer`]: it reads the shape of a parameter struct
//! off its `Deserialize` impl without any value — field names from
//! `deserialize_struct`, each field's type from the `deserialize_*` call its
//! impl makes, enum choices from `deserialize_enum` — so no derive macro
//! beyond serde's own is needed to know a struct's parameters.
//!
//! Every probe ends with the [`Stop`] error once it has recorded what it
//! came for; only the record is used.

use std::cell::RefCell;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

/// What a field's `Deserialize` impl asked for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Shape {
    Bool,
    Int {
        unsigned: bool,
    },
    Float,
    Str,
    /// A unit-variant enum; the names as serde writes them (after `rename_all`).
    Choice(&'static [&'static str]),
    List(Box<Shape>),
    Optional(Box<Shape>),
    /// Anything a manifest cannot describe (maps, nested structs, …).
    Unsupported(&'static str),
}

/// Ends a probe.
#[derive(Debug)]
pub(crate) struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probe finished")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Stop
    }
}

/// The field names of struct `P`, in declaration order; `None` when `P`
/// does not deserialize as a struct.
pub(crate) fn field_names<P: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let out = RefCell::new(None);
    let _ = P::deserialize(Fields { out: &out });
    out.into_inner()
}

/// What field `field` of struct `P` asks for.
pub(crate) fn field_shape<P: DeserializeOwned>(field: &'static str) -> Shape {
    let rec = RefCell::new(None);
    let _ = P::deserialize(OneField { field, rec: &rec });
    rec.into_inner().unwrap_or(Shape::Unsupported("a value the probe could not read"))
}

struct Fields<'r> {
    out: &'r RefCell<Option<&'static [&'static str]>>,
}

impl<'de> Deserializer<'de> for Fields<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Stop> {
        *self.out.borrow_mut() = Some(fields);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// Deserializes the struct from a map holding only `field`, whose value is
/// a [`Probe`].
struct OneField<'r> {
    field: &'static str,
    rec: &'r RefCell<Option<Shape>>,
}

impl<'de> Deserializer<'de> for OneField<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Stop> {
        v.visit_map(OneFieldMap { key: Some(self.field), rec: self.rec })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct OneFieldMap<'r> {
    key: Option<&'static str>,
    rec: &'r RefCell<Option<Shape>>,
}

impl<'de> MapAccess<'de> for OneFieldMap<'_> {
    type Error = Stop;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Stop> {
        match self.key.take() {
            Some(k) => seed.deserialize(k.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Stop> {
        seed.deserialize(Probe { rec: self.rec })
    }
}

/// Records the first `deserialize_*` call made of it.
struct Probe<'r> {
    rec: &'r RefCell<Option<Shape>>,
}

impl Probe<'_> {
    fn set<T>(self, shape: Shape) -> Result<T, Stop> {
        *self.rec.borrow_mut() = Some(shape);
        Err(Stop)
    }

    /// The shape an inner value (a list element, an option's content) asks for.
    fn inner(f: impl FnOnce(Probe<'_>) -> Result<(), Stop>) -> Shape {
        let rec = RefCell::new(None);
        let _ = f(Probe { rec: &rec });
        rec.into_inner().unwrap_or(Shape::Unsupported("a value the probe could not read"))
    }
}

macro_rules! record {
    ($($method:ident => $shape:expr),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Stop> {
            self.set($shape)
        })*
    };
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Stop;

    record! {
        deserialize_any => Shape::Unsupported("a self-describing value"),
        deserialize_bool => Shape::Bool,
        deserialize_i8 => Shape::Int { unsigned: false },
        deserialize_i16 => Shape::Int { unsigned: false },
        deserialize_i32 => Shape::Int { unsigned: false },
        deserialize_i64 => Shape::Int { unsigned: false },
        deserialize_i128 => Shape::Int { unsigned: false },
        deserialize_u8 => Shape::Int { unsigned: true },
        deserialize_u16 => Shape::Int { unsigned: true },
        deserialize_u32 => Shape::Int { unsigned: true },
        deserialize_u64 => Shape::Int { unsigned: true },
        deserialize_u128 => Shape::Int { unsigned: true },
        deserialize_f32 => Shape::Float,
        deserialize_f64 => Shape::Float,
        deserialize_char => Shape::Str,
        deserialize_str => Shape::Str,
        deserialize_string => Shape::Str,
        deserialize_bytes => Shape::Unsupported("bytes"),
        deserialize_byte_buf => Shape::Unsupported("bytes"),
        deserialize_unit => Shape::Unsupported("a unit value"),
        deserialize_map => Shape::Unsupported("a map"),
        deserialize_identifier => Shape::Unsupported("an identifier"),
        deserialize_ignored_any => Shape::Unsupported("an ignored value"),
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        let inner = Probe::inner(|p| v.visit_some(p).map(drop));
        self.set(Shape::Optional(Box::new(inner)))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Stop> {
        let inner = Probe::inner(|p| v.visit_seq(OneElement { probe: Some(p) }).map(drop));
        self.set(Shape::List(Box::new(inner)))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Stop> {
        self.deserialize_seq(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, Stop> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Stop> {
        self.set(Shape::Choice(variants))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, _v: V) -> Result<V::Value, Stop> {
        self.set(Shape::Unsupported("a unit struct"))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        _v: V,
    ) -> Result<V::Value, Stop> {
        self.set(Shape::Unsupported("a tuple struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Stop> {
        self.set(Shape::Unsupported("a nested struct"))
    }
}

struct OneElement<'r> {
    probe: Option<Probe<'r>>,
}

impl<'de> SeqAccess<'de> for OneElement<'_> {
    type Error = Stop;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Stop> {
        match self.probe.take() {
            Some(p) => seed.deserialize(p).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(dead_code)]
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "kebab-case")]
    enum Mode {
        Reflect,
        NearestEdge,
    }

    #[allow(dead_code)]
    #[derive(serde::Deserialize)]
    struct P {
        sigma: f64,
        size: u32,
        offset: i16,
        on: bool,
        name: String,
        mode: Mode,
        shape: Vec<usize>,
        weights: [f32; 2],
        center: Option<f64>,
        nested: std::collections::BTreeMap<String, f64>,
    }

    #[test]
    fn reads_fields_and_their_shapes() {
        let names = field_names::<P>().unwrap();
        assert_eq!(names, ["sigma", "size", "offset", "on", "name", "mode", "shape", "weights", "center", "nested"]);
        let shapes: Vec<Shape> = names.iter().map(|n| field_shape::<P>(n)).collect();
        assert_eq!(
            shapes,
            [
                Shape::Float,
                Shape::Int { unsigned: true },
                Shape::Int { unsigned: false },
                Shape::Bool,
                Shape::Str,
                Shape::Choice(&["reflect", "nearest-edge"]),
                Shape::List(Box::new(Shape::Int { unsigned: true })),
                Shape::List(Box::new(Shape::Float)),
                Shape::Optional(Box::new(Shape::Float)),
                Shape::Unsupported("a map"),
            ]
        );
        assert_eq!(field_names::<f64>(), None);
    }
}
