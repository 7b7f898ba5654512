//! Element types of HDF5 datasets: which ones plexus reads (the seven of
//! `DType` as stored, in either byte order; int8 widened to i16 and h5py's
//! bool enum to u8), and reading a whole dataset as an [`Array`].

use std::path::Path;

use h5::types::{FloatSize, IntSize, TypeDescriptor as TD};
use hdf5_metno as h5;
use plexus_plugin_api::{Array, DType};

use crate::error::IoError;

/// How a dataset's elements are stored, when plexus reads them.
#[derive(Clone, Copy)]
pub(crate) enum Stored {
    Native(DType),
    /// int8, widened to i16.
    Int8,
    /// h5py's bool enum, read as u8.
    Bool,
}

impl Stored {
    pub(crate) fn of(desc: &TD) -> Option<Stored> {
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

    pub(crate) fn dtype(self) -> DType {
        match self {
            Stored::Native(d) => d,
            Stored::Int8 => DType::I16,
            Stored::Bool => DType::U8,
        }
    }
}

/// The element type as messages show it: `uint16`, `float32`, `compound (3 fields)`.
pub(crate) fn describe(ds: &h5::Dataset) -> Result<TD, h5::Error> {
    ds.dtype()?.to_descriptor()
}

pub(crate) const READABLE: &str = "expected u8, u16, u32, i16, i32, f32 or f64 (int8 and bool are widened)";

/// Deflate, the strongest filter HDF5 files use here, packs at most about
/// 1032 bytes into one; a dataset declaring more than this many times its
/// file's length (and over 1 GiB) is a corrupt header, not data.
const MAX_EXPANSION: u64 = 1100;

/// Refuses a shape whose bytes no file of this length could hold, before
/// anything is allocated for it (the fuzzer's abort on a corrupt shape).
fn check_declared_size(path: &Path, name: &str, shape: &[usize], stored: Stored) -> Result<(), IoError> {
    let element = match stored {
        Stored::Native(d) => d.size() as u64,
        Stored::Int8 => 2,
        Stored::Bool => 1,
    };
    let file_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bytes = shape.iter().try_fold(element, |acc, &n| acc.checked_mul(n as u64));
    match bytes {
        Some(b) if b <= (1 << 30) || b / MAX_EXPANSION <= file_len => Ok(()),
        _ => Err(IoError::dataset(
            path,
            name,
            format!(
                "its shape {shape:?} declares {} bytes, more than a file of {file_len} bytes can hold even compressed: the header is corrupt",
                bytes.map(|b| b.to_string()).unwrap_or_else(|| "more than 2^64".into())
            ),
        )),
    }
}

/// Reads a whole dataset; its axes are the default ones for its rank.
pub(crate) fn read_array(path: &Path, name: &str, ds: &h5::Dataset) -> Result<Array, IoError> {
    let err = |e: h5::Error| IoError::dataset(path, name, format!("cannot read: {e}"));
    let desc = describe(ds).map_err(err)?;
    let stored = Stored::of(&desc)
        .ok_or_else(|| IoError::dataset(path, name, format!("unsupported element type {desc}; {READABLE}")))?;
    let shape = ds.shape();
    check_declared_size(path, name, &shape, stored)?;
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
pub(crate) fn labelled(path: &Path, name: &str, a: Array, axes: &str) -> Result<Array, IoError> {
    a.with_axes(axes).map_err(|e| IoError::dataset(path, name, e.to_string()))
}
