//! Tomography scans in the dxchange layout (the APS Data Exchange layout
//! tomopy and dxchange read): `/exchange/data` holds the projections
//! (`angle row col`), `/exchange/data_white` and `/exchange/data_dark` the
//! flat and dark fields (`frame row col`), `/exchange/theta` one angle per
//! projection, in the unit its `units` attribute names (dxchange writes
//! degrees), and `/implements` the string `exchange:measurement:process`.

use std::path::Path;

use h5::types::VarLenUnicode;
use hdf5_metno as h5;
use plexus_plugin_api::{Array, DType};
use serde_json::Value;

use crate::error::IoError;
use crate::hdf5::attrs::{attr_value, write_attr, Attr};
use crate::hdf5::elements::{labelled, read_array};
use crate::hdf5::file::{find, list_datasets, open};
use crate::hdf5::write::{write_array, write_file};
use crate::hdf5::{DXCHANGE_DARK, DXCHANGE_DATA, DXCHANGE_THETA, DXCHANGE_WHITE};

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

/// Checks the shapes of a scan (data `angle row col`, flat and dark fields
/// `frame row col` with the same rows and columns, one f32/f64 angle per
/// projection); `problem(dataset, what)` builds the error.
pub(crate) fn check_scan(
    data: &[usize],
    white: Option<&Array>,
    dark: Option<&Array>,
    theta: Option<&Array>,
    problem: impl Fn(&str, String) -> IoError,
) -> Result<(), IoError> {
    let [angles, rows, cols] = *data else {
        return Err(problem(DXCHANGE_DATA, format!("expected 3 axes (angle row col), found shape {data:?}")));
    };
    for (name, field) in [(DXCHANGE_WHITE, white), (DXCHANGE_DARK, dark)] {
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
    if let Some(t) = theta {
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

/// The small datasets that travel with a scan's projections, labelled:
/// flat fields and dark fields (`frame row col`), angles (`angle`) and the
/// angles' `units` attribute, each when present.
pub(crate) struct Fields {
    pub white: Option<Array>,
    pub dark: Option<Array>,
    pub theta: Option<Array>,
    pub theta_units: Option<String>,
}

/// Reads the flat and dark fields and the angles of the scan in `file`,
/// checked against the projections' shape `data`.
pub(crate) fn read_fields(file: &h5::File, path: &Path, data: &[usize]) -> Result<Fields, IoError> {
    let optional = |name: &str| -> Result<Option<h5::Dataset>, IoError> {
        match find(file, path, name) {
            Ok(ds) => Ok(Some(ds)),
            Err(_) if !file.link_exists(name.trim_start_matches('/')) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let read = |name: &str| -> Result<(Option<Array>, Option<h5::Dataset>), IoError> {
        match optional(name)? {
            Some(ds) => Ok((Some(read_array(path, name, &ds)?), Some(ds))),
            None => Ok((None, None)),
        }
    };
    let (white, _) = read(DXCHANGE_WHITE)?;
    let (dark, _) = read(DXCHANGE_DARK)?;
    let (theta, theta_ds) = read(DXCHANGE_THETA)?;
    let theta_units = theta_ds.as_ref().and_then(|ds| match attr_value(ds, "units") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    });
    check_scan(data, white.as_ref(), dark.as_ref(), theta.as_ref(), |name, what| IoError::dataset(path, name, what))?;
    let relabel = |name: &str, a: Option<Array>, axes: &str| a.map(|a| labelled(path, name, a, axes)).transpose();
    Ok(Fields {
        white: relabel(DXCHANGE_WHITE, white, "frame row col")?,
        dark: relabel(DXCHANGE_DARK, dark, "frame row col")?,
        theta: relabel(DXCHANGE_THETA, theta, "angle")?,
        theta_units,
    })
}

/// Reads a dxchange scan: `/exchange/data` is required, the flat and dark
/// fields and the angles are read when present.
///
/// The shapes are checked: data `angle row col`, flat and dark fields
/// `frame row col` with the same rows and columns, one f32/f64 angle per
/// projection.
pub fn read_dxchange(path: &Path) -> Result<Dxchange, IoError> {
    let file = open(path)?;
    let ds = find(&file, path, DXCHANGE_DATA)?;
    let data = read_array(path, DXCHANGE_DATA, &ds)?;
    let f = read_fields(&file, path, data.shape())?;
    Ok(Dxchange {
        data: labelled(path, DXCHANGE_DATA, data, "angle row col")?,
        white: f.white,
        dark: f.dark,
        theta: f.theta,
        theta_units: f.theta_units,
    })
}

/// Writes `scan` in the dxchange layout, with `/implements` set to
/// `exchange:measurement:process` and `units` on the angles when given.
///
/// Shapes are checked as [`read_dxchange`] checks them, before any file is
/// created.
pub fn write_dxchange(path: &Path, scan: &Dxchange) -> Result<(), IoError> {
    let problem = |name: &str, what| IoError::cannot_write(path, format!("`{name}`: {what}"));
    check_scan(scan.data.shape(), scan.white.as_ref(), scan.dark.as_ref(), scan.theta.as_ref(), problem)?;
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
