//! HDF5, with the `hdf5` feature: one array from any dataset
//! ([`read_hdf5`]), tomography scans in the dxchange layout
//! ([`read_dxchange`], [`write_dxchange`]) and image sets ([`ImageSet`],
//! [`write_image_set`]).
//!
//! **dxchange** (the APS Data Exchange layout tomopy and dxchange read):
//! `/exchange/data` holds the projections (`angle row col`),
//! `/exchange/data_white` and `/exchange/data_dark` the flat and dark fields
//! (`frame row col`), `/exchange/theta` one angle per projection, in the unit
//! its `units` attribute names (dxchange writes degrees), and `/implements` the
//! string `exchange:measurement:process`.
//!
//! **Image sets**: the root holds datasets named `0`, `1`, … `n-1`, nothing
//! else, each one image (`y x`, or `y x band` when the last of three axes has
//! at most 4 elements) with its attributes. Images may differ in shape and
//! type. [`ImageSet::split_at`] and [`ImageSet::odd_even`] give index views.
//!
//! **Element types**: u8, u16, u32, i16, i32, f32 and f64 read as they are
//! (any byte order), int8 widens to i16 and bool (h5py's enum) to u8;
//! 64-bit integers, strings and compounds are refused with the dataset named.
//!
//! **Attributes ↔ JSON**: integers become JSON integers, floats JSON numbers
//! (NaN and infinities `null`), bools booleans, strings (fixed or variable
//! length) strings; arrays become nested JSON arrays. Types JSON cannot hold
//! (compounds, references) read as `null`. Writing takes the same forms
//! back: a number, bool or string, or a flat array of one of them.
//!
//! Files are written to `<path>.partial` and renamed when complete, as every
//! writer in this crate does.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use h5::types::{FixedAscii, FixedUnicode, FloatSize, IntSize, TypeDescriptor as TD, VarLenAscii, VarLenUnicode};
use hdf5_metno as h5;
use plexus_plugin_api::{default_axes, Array, DType};
use serde_json::{Map, Value};

use crate::error::IoError;
use crate::format::{check_magic, Format};
use crate::inspect::DatasetInfo;
use crate::stack::partial_path;

/// The attributes of one HDF5 object, as JSON values by name.
pub type Attributes = Map<String, Value>;

/// Datasets of a dxchange file.
pub const DXCHANGE_DATA: &str = "/exchange/data";
/// Flat fields of a dxchange file.
pub const DXCHANGE_WHITE: &str = "/exchange/data_white";
/// Dark fields of a dxchange file.
pub const DXCHANGE_DARK: &str = "/exchange/data_dark";
/// Angles of a dxchange file.
pub const DXCHANGE_THETA: &str = "/exchange/theta";

/// Nesting deeper than this is not followed when listing datasets (hard
/// links can make cycles).
const MAX_DEPTH: usize = 32;
/// Dataset names shown in a "not found" message.
const MAX_LISTED: usize = 8;

// ---------------------------------------------------------------- opening

/// Opens `path` for reading after checking its signature, so that a text
/// file named `.h5` is reported as such.
fn open(path: &Path) -> Result<h5::File, IoError> {
    let mut file = crate::format::open_regular(path)?;
    let mut head = Vec::with_capacity(16);
    (&mut file).take(16).read_to_end(&mut head).map_err(|e| IoError::os(path, "read", e))?;
    check_magic(path, Format::Hdf5, &head)?;
    drop(file);
    h5::File::open(path).map_err(|e| IoError::malformed(path, None, format!("cannot open as HDF5: {e}")))
}

/// `name` as an absolute path: `exchange/data` → `/exchange/data`.
fn absolute(name: &str) -> String {
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    format!("/{}", parts.join("/"))
}

/// The dataset at `name`, or an error saying what is there instead.
fn find(file: &h5::File, path: &Path, name: &str) -> Result<h5::Dataset, IoError> {
    let abs = absolute(name);
    let parts: Vec<&str> = abs.split('/').filter(|p| !p.is_empty()).collect();
    let Some((last, groups)) = parts.split_last() else {
        return Err(IoError::dataset(path, &abs, "is the root group, expected a dataset"));
    };
    let mut group: h5::Group = (**file).clone();
    let mut here = String::new();
    for part in groups {
        here = format!("{here}/{part}");
        if !group.link_exists(part) {
            return Err(not_found(file, path, &abs));
        }
        match group.loc_type_by_name(part) {
            Ok(h5::LocationType::Group) => {}
            Ok(_) => return Err(IoError::dataset(path, &abs, format!("not found: `{here}` is not a group"))),
            Err(e) => return Err(IoError::dataset(path, &abs, format!("cannot open `{here}`: {e}"))),
        }
        group = group.group(part).map_err(|e| IoError::dataset(path, &abs, format!("cannot open `{here}`: {e}")))?;
    }
    if !group.link_exists(last) {
        return Err(not_found(file, path, &abs));
    }
    match group.loc_type_by_name(last) {
        Ok(h5::LocationType::Dataset) => {
            group.dataset(last).map_err(|e| IoError::dataset(path, &abs, format!("cannot open: {e}")))
        }
        Ok(h5::LocationType::Group) => Err(IoError::dataset(path, &abs, "is a group, expected a dataset")),
        Ok(_) => Err(IoError::dataset(path, &abs, "is a named datatype, expected a dataset")),
        Err(e) => Err(IoError::dataset(path, &abs, format!("cannot open: {e}"))),
    }
}

fn not_found(file: &h5::File, path: &Path, abs: &str) -> IoError {
    let names: Vec<String> = list_datasets(file).into_iter().map(|(n, _)| n).collect();
    let holds = match names.len() {
        0 => "the file holds no datasets".to_string(),
        n => {
            let shown: Vec<String> = names.iter().take(MAX_LISTED).map(|n| format!("`{n}`")).collect();
            let more = if n > MAX_LISTED { format!(", … ({n} in all)") } else { String::new() };
            format!("the file holds {}{more}", shown.join(", "))
        }
    };
    IoError::dataset(path, abs, format!("not found; {holds}"))
}

/// Every dataset reachable from the root, by absolute path, in name order.
fn list_datasets(file: &h5::File) -> Vec<(String, h5::Dataset)> {
    fn walk(group: &h5::Group, prefix: &str, depth: usize, out: &mut Vec<(String, h5::Dataset)>) {
        let Ok(mut names) = group.member_names() else { return };
        names.sort_by(|a, b| crate::batch::natural_cmp(a, b));
        for name in names {
            let full = format!("{prefix}/{name}");
            match group.loc_type_by_name(&name) {
                Ok(h5::LocationType::Dataset) => {
                    if let Ok(ds) = group.dataset(&name) {
                        out.push((full, ds));
                    }
                }
                Ok(h5::LocationType::Group) if depth < MAX_DEPTH => {
                    if let Ok(g) = group.group(&name) {
                        walk(&g, &full, depth + 1, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = vec![];
    walk(file, "", 0, &mut out);
    out
}

// ---------------------------------------------------------------- element types

/// How a dataset's elements are stored, when plexus reads them.
#[derive(Clone, Copy)]
enum Stored {
    Native(DType),
    /// int8, widened to i16.
    Int8,
    /// h5py's bool enum, read as u8.
    Bool,
}

impl Stored {
    fn of(desc: &TD) -> Option<Stored> {
        Some(match desc {
            TD::Unsigned(IntSize::U1) => Stored::Native(DType::U8),
            TD::Unsigned(IntSize::U2) => Stored::Native(DType::U16),
            TD::Unsigned(IntSize::U4) => Stored::Native(DType::U32),
            TD::Integer(IntSize::U1) => Stored::Int8,
            TD::Integer(IntSize::U2) => Stored::Native(DType::I16),
            TD::Integer(IntSize::U4) => Stored::Native(DType::I32),
            TD::Float(FloatSize::U4) => Stored::Native(DType::F32),
            TD::Float(FloatSize::U8) => Stored::Native(DType::F64),
            TD::Boolean => Stored::Bool,
            _ => return None,
        })
    }

    fn dtype(self) -> DType {
        match self {
            Stored::Native(d) => d,
            Stored::Int8 => DType::I16,
            Stored::Bool => DType::U8,
        }
    }
}

/// The element type as messages show it: `uint16`, `float32`, `compound (3 fields)`.
fn describe(ds: &h5::Dataset) -> Result<TD, h5::Error> {
    ds.dtype()?.to_descriptor()
}

const READABLE: &str = "expected u8, u16, u32, i16, i32, f32 or f64 (int8 and bool are widened)";

/// Reads a whole dataset; its axes are the default ones for its rank.
fn read_array(path: &Path, name: &str, ds: &h5::Dataset) -> Result<Array, IoError> {
    let err = |e: h5::Error| IoError::dataset(path, name, format!("cannot read: {e}"));
    let desc = describe(ds).map_err(err)?;
    let stored = Stored::of(&desc)
        .ok_or_else(|| IoError::dataset(path, name, format!("unsupported element type {desc}; {READABLE}")))?;
    let shape = ds.shape();
    macro_rules! raw {
        ($t:ty) => {
            Array::from_vec(shape, ds.read_raw::<$t>().map_err(err)?)
        };
    }
    let a = match stored {
        Stored::Native(DType::U8) => raw!(u8),
        Stored::Native(DType::U16) => raw!(u16),
        Stored::Native(DType::U32) => raw!(u32),
        Stored::Native(DType::I16) | Stored::Int8 => raw!(i16),
        Stored::Native(DType::I32) => raw!(i32),
        Stored::Native(DType::F32) => raw!(f32),
        Stored::Native(DType::F64) => raw!(f64),
        Stored::Bool => {
            let v: Vec<u8> = ds.read_raw::<bool>().map_err(err)?.into_iter().map(u8::from).collect();
            Array::from_vec(shape, v)
        }
    };
    a.map_err(|e| IoError::dataset(path, name, format!("cannot read: {e}")))
}

/// Relabels `a`, or says why the labels do not fit.
fn labelled(path: &Path, name: &str, a: Array, axes: &str) -> Result<Array, IoError> {
    a.with_axes(axes).map_err(|e| IoError::dataset(path, name, e.to_string()))
}

/// Describes every dataset of an open file, for [`inspect`](crate::inspect).
pub(crate) fn describe_datasets(path: &Path) -> Result<Vec<DatasetInfo>, IoError> {
    let file = open(path)?;
    Ok(list_datasets(&file)
        .into_iter()
        .map(|(name, ds)| {
            let desc = describe(&ds).map(|d| d.to_string()).unwrap_or_else(|e| format!("unknown ({e})"));
            let dtype = describe(&ds).ok().as_ref().and_then(Stored::of).map(Stored::dtype);
            DatasetInfo {
                path: name,
                shape: ds.shape(),
                dtype,
                stored: desc,
                attributes: ds.attr_names().map(|n| n.len()).unwrap_or(0),
            }
        })
        .collect())
}

// ---------------------------------------------------------------- read

/// Reads the dataset `dataset` (`/exchange/data`, `exchange/data` or `0`)
/// of the HDF5 file `path`, whatever its extension.
///
/// Errors name the file and the dataset: a missing one lists what the file
/// holds, an unsupported element type says which types are read.
pub fn read_hdf5(path: &Path, dataset: &str) -> Result<Array, IoError> {
    let file = open(path)?;
    let name = absolute(dataset);
    let ds = find(&file, path, &name)?;
    read_array(path, &name, &ds)
}

/// What [`read`](crate::read) returns for an HDF5 file: `/exchange/data`
/// when present, otherwise the only dataset.
pub(crate) fn read_default(path: &Path) -> Result<Array, IoError> {
    let file = open(path)?;
    if let Ok(ds) = find(&file, path, DXCHANGE_DATA) {
        let a = read_array(path, DXCHANGE_DATA, &ds)?;
        return if a.shape().len() == 3 { labelled(path, DXCHANGE_DATA, a, "angle row col") } else { Ok(a) };
    }
    let all = list_datasets(&file);
    match all.as_slice() {
        [(name, ds)] => read_array(path, name, ds),
        _ => Err(IoError::dataset(
            path,
            "/",
            format!(
                "expected `{DXCHANGE_DATA}` or a single dataset, found {} datasets; read one with `read_hdf5`",
                all.len()
            ),
        )),
    }
}

// ---------------------------------------------------------------- dxchange

/// A tomography scan in the dxchange layout.
#[derive(Debug, Clone)]
pub struct Dxchange {
    /// Projections, `angle row col` (`/exchange/data`).
    pub data: Array,
    /// Flat fields, `frame row col` (`/exchange/data_white`), when present.
    pub white: Option<Array>,
    /// Dark fields, `frame row col` (`/exchange/data_dark`), when present.
    pub dark: Option<Array>,
    /// One angle per projection, `angle` (`/exchange/theta`), f32 or f64,
    /// when present.
    pub theta: Option<Array>,
    /// The `units` attribute of `/exchange/theta` (`degrees`, `rad`), when
    /// the file has one; written back by [`write_dxchange`].
    pub theta_units: Option<String>,
}

/// Checks the shapes of a scan; `problem(dataset, what)` builds the error.
fn check_scan(d: &Dxchange, problem: impl Fn(&str, String) -> IoError) -> Result<(), IoError> {
    let [angles, rows, cols] = *d.data.shape() else {
        return Err(problem(
            DXCHANGE_DATA,
            format!("expected 3 axes (angle row col), found shape {:?}", d.data.shape()),
        ));
    };
    for (name, field) in [(DXCHANGE_WHITE, &d.white), (DXCHANGE_DARK, &d.dark)] {
        if let Some(f) = field {
            if f.shape().len() != 3 || f.shape()[1..] != [rows, cols] {
                return Err(problem(
                    name,
                    format!(
                        "expected frames of {rows} × {cols} like `{DXCHANGE_DATA}` (frame row col), found shape {:?}",
                        f.shape()
                    ),
                ));
            }
        }
    }
    if let Some(t) = &d.theta {
        if !matches!(t.dtype(), DType::F32 | DType::F64) {
            return Err(problem(DXCHANGE_THETA, format!("expected f32 or f64 angles, found {}", t.dtype())));
        }
        if t.shape() != [angles] {
            return Err(problem(
                DXCHANGE_THETA,
                format!(
                    "expected {angles} angles, one per projection of `{DXCHANGE_DATA}`, found shape {:?}",
                    t.shape()
                ),
            ));
        }
    }
    Ok(())
}

/// Reads a dxchange scan: `/exchange/data` is required, the flat and dark
/// fields and the angles are read when present.
///
/// The shapes are checked: data `angle row col`, flat and dark fields
/// `frame row col` with the same rows and columns, one f32/f64 angle per
/// projection.
pub fn read_dxchange(path: &Path) -> Result<Dxchange, IoError> {
    let file = open(path)?;
    let optional = |name: &str| -> Result<Option<h5::Dataset>, IoError> {
        match find(&file, path, name) {
            Ok(ds) => Ok(Some(ds)),
            Err(_) if !file.link_exists(name.trim_start_matches('/')) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let ds = find(&file, path, DXCHANGE_DATA)?;
    let data = read_array(path, DXCHANGE_DATA, &ds)?;
    let mut fields = vec![];
    for name in [DXCHANGE_WHITE, DXCHANGE_DARK, DXCHANGE_THETA] {
        fields.push(match optional(name)? {
            Some(ds) => Some((read_array(path, name, &ds)?, ds)),
            None => None,
        });
    }
    let [white, dark, theta] = <[_; 3]>::try_from(fields).expect("three fields");
    let theta_units = theta.as_ref().and_then(|(_, ds)| match attr_value(ds, "units") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    });
    let scan = Dxchange {
        data,
        white: white.map(|(a, _)| a),
        dark: dark.map(|(a, _)| a),
        theta: theta.map(|(a, _)| a),
        theta_units,
    };
    check_scan(&scan, |name, what| IoError::dataset(path, name, what))?;
    let relabel = |name: &str, a: Option<Array>, axes: &str| a.map(|a| labelled(path, name, a, axes)).transpose();
    Ok(Dxchange {
        data: labelled(path, DXCHANGE_DATA, scan.data, "angle row col")?,
        white: relabel(DXCHANGE_WHITE, scan.white, "frame row col")?,
        dark: relabel(DXCHANGE_DARK, scan.dark, "frame row col")?,
        theta: relabel(DXCHANGE_THETA, scan.theta, "angle")?,
        theta_units: scan.theta_units,
    })
}

/// Writes `scan` in the dxchange layout, with `/implements` set to
/// `exchange:measurement:process` and `units` on the angles when given.
///
/// Shapes are checked as [`read_dxchange`] checks them, before any file is
/// created.
pub fn write_dxchange(path: &Path, scan: &Dxchange) -> Result<(), IoError> {
    check_scan(scan, |name, what| IoError::cannot_write(path, format!("`{name}`: {what}")))?;
    write_file(path, |file| {
        let implements: VarLenUnicode = "exchange:measurement:process".parse().map_err(|_| "bad string")?;
        file.new_dataset::<VarLenUnicode>().shape(()).create("implements")?.write_scalar(&implements)?;
        let exchange = file.create_group("exchange")?;
        write_array(&exchange, "data", &scan.data)?;
        if let Some(a) = &scan.white {
            write_array(&exchange, "data_white", a)?;
        }
        if let Some(a) = &scan.dark {
            write_array(&exchange, "data_dark", a)?;
        }
        if let Some(a) = &scan.theta {
            let ds = write_array(&exchange, "theta", a)?;
            if let Some(units) = &scan.theta_units {
                write_attr(&ds, "units", &Attr::Str(vec![units.clone()], false))?;
            }
        }
        Ok(())
    })
}

// ---------------------------------------------------------------- writing

/// Creates `<path>.partial`, lets `body` fill it, closes it and renames it
/// to `path`; the partial file is removed on failure.
fn write_file(path: &Path, body: impl FnOnce(&h5::File) -> h5::Result<()>) -> Result<(), IoError> {
    let partial = partial_path(path);
    // Create it with std first so that a missing folder or a permission
    // problem reads like every other write error of this crate.
    fs::File::create(&partial).map_err(|e| IoError::os(&partial, "create", e))?;
    let result = h5::File::create(&partial).and_then(|file| {
        let r = body(&file);
        r.and(file.close())
    });
    let result = result
        .map_err(|e| IoError::cannot_write(path, format!("HDF5: {e}")))
        .and_then(|_| {
            fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(|e| IoError::os(&partial, "write", e))
        })
        .and_then(|_| {
            fs::rename(&partial, path).map_err(|e| IoError::os(path, "rename the finished file into place", e))
        });
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result
}

fn write_array(group: &h5::Group, name: &str, a: &Array) -> h5::Result<h5::Dataset> {
    macro_rules! put {
        ($t:ty) => {{
            let data = a.as_slice::<$t>().map_err(|e| e.to_string())?;
            let builder = group.new_dataset::<$t>();
            let ds = if a.shape().is_empty() {
                builder.shape(()).create(name)?
            } else {
                builder.shape(a.shape()).create(name)?
            };
            ds.write_raw(data)?;
            ds
        }};
    }
    Ok(match a.dtype() {
        DType::U8 => put!(u8),
        DType::U16 => put!(u16),
        DType::U32 => put!(u32),
        DType::I16 => put!(i16),
        DType::I32 => put!(i32),
        DType::F32 => put!(f32),
        DType::F64 => put!(f64),
    })
}

// ---------------------------------------------------------------- attributes

/// Reads one attribute as JSON, `None` when absent.
fn attr_value(loc: &h5::Location, name: &str) -> Option<Value> {
    let a = loc.attr(name).ok()?;
    Some(attr_json(&a))
}

fn read_attrs(path: &Path, dataset: &str, loc: &h5::Location) -> Result<Attributes, IoError> {
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
enum Attr {
    Int(Vec<i64>, bool),
    UInt(Vec<u64>, bool),
    Float(Vec<f64>, bool),
    Bool(Vec<bool>, bool),
    Str(Vec<String>, bool),
}

impl Attr {
    fn from_json(v: &Value) -> Result<Attr, String> {
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

fn write_attr(loc: &h5::Location, name: &str, value: &Attr) -> h5::Result<()> {
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

// ---------------------------------------------------------------- image sets

/// The axis labels of an image of `shape`.
fn image_axes(shape: &[usize]) -> String {
    match shape {
        [_, _, b] if *b <= 4 => "y x band".into(),
        _ => default_axes(shape.len()),
    }
}

/// The index a root member stands for: `"0"`, `"17"`, not `"017"` or `"a"`.
fn index_of(name: &str) -> Option<usize> {
    let canonical = name == "0" || (!name.starts_with('0') && !name.is_empty());
    if canonical && name.bytes().all(|b| b.is_ascii_digit()) {
        name.parse().ok()
    } else {
        None
    }
}

/// An HDF5 image set: datasets `0` … `n-1` at the root, each an image with
/// attributes.
///
/// ```no_run
/// # fn main() -> Result<(), plexus_io::IoError> {
/// let set = plexus_io::ImageSet::open("crops.h5".as_ref())?;
/// let (train, test) = set.split_at(4);
/// for item in train.iter() {
///     let (image, attrs) = item?;
///     println!("{:?} {}", image.shape(), attrs["label"]);
/// }
/// # let _ = test; Ok(()) }
/// ```
pub struct ImageSet {
    path: PathBuf,
    file: h5::File,
    len: usize,
}

impl std::fmt::Debug for ImageSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageSet").field("path", &self.path).field("len", &self.len).finish_non_exhaustive()
    }
}

impl ImageSet {
    /// Opens `path` and checks the layout: every root member is a dataset
    /// named by its index, and no index from 0 to the largest is missing.
    pub fn open(path: &Path) -> Result<ImageSet, IoError> {
        let file = open(path)?;
        let not_a_set = |what: String| IoError::malformed(path, None, format!("not an image set: {what}"));
        let names = file.member_names().map_err(|e| not_a_set(format!("cannot list the root group: {e}")))?;
        let mut indices = Vec::with_capacity(names.len());
        for name in &names {
            let Some(i) = index_of(name) else {
                return Err(not_a_set(format!("the root holds `{name}`, expected only datasets named `0`, `1`, …")));
            };
            if !matches!(file.loc_type_by_name(name), Ok(h5::LocationType::Dataset)) {
                return Err(not_a_set(format!("`/{name}` is not a dataset")));
            }
            indices.push(i);
        }
        indices.sort_unstable();
        if let Some(missing) = indices.iter().enumerate().find(|(k, i)| *k != **i).map(|(k, _)| k) {
            return Err(not_a_set(format!(
                "`/{missing}` is missing, expected datasets `0` to `{}` without gaps",
                indices.last().copied().unwrap_or(0)
            )));
        }
        Ok(ImageSet { path: path.to_path_buf(), file, len: indices.len() })
    }

    /// The file, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set has no images.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn dataset(&self, i: usize) -> Result<(String, h5::Dataset), IoError> {
        let name = format!("/{i}");
        if i >= self.len {
            return Err(IoError::dataset(
                &self.path,
                &name,
                match self.len {
                    0 => "not found; the image set is empty".to_string(),
                    n => format!("not found; the image set has {n} images, `0` to `{}`", n - 1),
                },
            ));
        }
        let ds = find(&self.file, &self.path, &name)?;
        Ok((name, ds))
    }

    /// Image `i` (`y x` or `y x band`) and its attributes.
    pub fn get(&self, i: usize) -> Result<(Array, Attributes), IoError> {
        let (name, ds) = self.dataset(i)?;
        let a = read_array(&self.path, &name, &ds)?;
        let axes = image_axes(a.shape());
        let a = labelled(&self.path, &name, a, &axes)?;
        Ok((a, read_attrs(&self.path, &name, &ds)?))
    }

    /// The attributes of image `i`, without reading its pixels.
    pub fn attributes(&self, i: usize) -> Result<Attributes, IoError> {
        let (name, ds) = self.dataset(i)?;
        read_attrs(&self.path, &name, &ds)
    }

    /// Every image in index order; an unreadable one is an `Err` naming
    /// its dataset and the others still read.
    pub fn iter(&self) -> impl Iterator<Item = Result<(Array, Attributes), IoError>> + '_ {
        (0..self.len).map(|i| self.get(i))
    }

    /// A view of all images.
    pub fn all(&self) -> ImageSetView<'_> {
        ImageSetView { set: self, indices: (0..self.len).collect() }
    }

    /// The first `n` images and the rest (`n` larger than the set gives
    /// everything and an empty view).
    pub fn split_at(&self, n: usize) -> (ImageSetView<'_>, ImageSetView<'_>) {
        let n = n.min(self.len);
        (
            ImageSetView { set: self, indices: (0..n).collect() },
            ImageSetView { set: self, indices: (n..self.len).collect() },
        )
    }

    /// The images at odd indices (1, 3, …) and at even ones (0, 2, …).
    pub fn odd_even(&self) -> (ImageSetView<'_>, ImageSetView<'_>) {
        let (odd, even) = (0..self.len).partition(|i| i % 2 == 1);
        (ImageSetView { set: self, indices: odd }, ImageSetView { set: self, indices: even })
    }
}

/// A selection of an [`ImageSet`]'s images by index; reads lazily.
#[derive(Debug, Clone)]
pub struct ImageSetView<'a> {
    set: &'a ImageSet,
    indices: Vec<usize>,
}

impl<'a> ImageSetView<'a> {
    /// The indices in the set, in order.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// Number of images in the view.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether the view has no images.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The `k`-th image of the view (image `indices()[k]` of the set).
    pub fn get(&self, k: usize) -> Result<(Array, Attributes), IoError> {
        match self.indices.get(k) {
            Some(&i) => self.set.get(i),
            None => Err(IoError::dataset(
                &self.set.path,
                "/",
                format!("no image {k} in a view of {} images", self.indices.len()),
            )),
        }
    }

    /// The view's images in order.
    pub fn iter(&self) -> impl Iterator<Item = Result<(Array, Attributes), IoError>> + '_ {
        self.indices.iter().map(|&i| self.set.get(i))
    }
}

/// Writes an image set: image `i` becomes dataset `/i` with the attributes
/// `attrs[i]`. `attrs` is either empty (no attributes) or one map per image.
///
/// Attribute values must be numbers, bools, strings or flat arrays of one
/// of them; anything else is refused, naming the image and the attribute,
/// before any file is created.
pub fn write_image_set(path: &Path, images: &[Array], attrs: &[Attributes]) -> Result<(), IoError> {
    if !attrs.is_empty() && attrs.len() != images.len() {
        return Err(IoError::cannot_write(
            path,
            format!("{} images with {} attribute maps: give one map per image, or none", images.len(), attrs.len()),
        ));
    }
    let mut converted = Vec::with_capacity(attrs.len());
    for (i, map) in attrs.iter().enumerate() {
        let mut one = Vec::with_capacity(map.len());
        for (k, v) in map {
            let a = Attr::from_json(v)
                .map_err(|why| IoError::cannot_write(path, format!("attribute `{k}` of image {i}: {why}")))?;
            one.push((k.as_str(), a));
        }
        converted.push(one);
    }
    write_file(path, |file| {
        for (i, image) in images.iter().enumerate() {
            let ds = write_array(file, &i.to_string(), image)?;
            for (k, a) in converted.get(i).map(|c| c.as_slice()).unwrap_or(&[]) {
                write_attr(&ds, k, a)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_are_canonical() {
        assert_eq!(index_of("0"), Some(0));
        assert_eq!(index_of("17"), Some(17));
        assert_eq!(index_of("017"), None);
        assert_eq!(index_of(""), None);
        assert_eq!(index_of("a1"), None);
        assert_eq!(index_of("-1"), None);
    }

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute("exchange/data"), "/exchange/data");
        assert_eq!(absolute("//exchange//data/"), "/exchange/data");
        assert_eq!(absolute("/"), "/");
    }

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
