//! [`Hdf5Reader`]: slabs of one HDF5 dataset read by hyperslab, straight
//! into the caller's buffer.
//!
//! Opened on a dxchange scan, it serves `/exchange/data` (`angle row col`)
//! and carries the flat and dark fields and the angles as
//! [`aux`](ChunkReader::aux) arrays (`data_white`, `data_dark`, `theta`),
//! with the angles' unit in the metadata (`theta_units`). Any other
//! dataset is opened by its path ([`Hdf5Reader::open_dataset`]).
//!
//! The slab goes through one `H5Dread` with a hyperslab of the file and
//! the caller's buffer as memory: HDF5 reads uncompressed data directly
//! into it and decompresses chunked data through its own chunk cache,
//! converting byte order and widening int8 on the way.

use std::path::Path;

use h5::{Hyperslab, Selection, SliceOrIndex};
use hdf5_metno as h5;
use plexus_plugin_api::{default_axes, Array, DType};
use serde_json::{Map, Value};

use crate::error::IoError;
use crate::hdf5::dxchange::read_fields;
use crate::hdf5::elements::{describe, Stored, READABLE};
use crate::hdf5::file::{absolute, find, list_datasets, open};
use crate::hdf5::DXCHANGE_DATA;
use crate::source::{check_slab, ChunkReader, SourceInfo};

/// One dataset of an HDF5 file opened for reading slabs along axis 0.
pub struct Hdf5Reader {
    info: SourceInfo,
    /// The dataset's absolute path, for messages.
    name: String,
    ds: h5::Dataset,
    /// The element type in memory: the delivered type (bool for h5py's
    /// enum, whose bytes are u8 0/1).
    memory: h5::Datatype,
    aux: Vec<(String, Array)>,
    // Keeps the file open as long as the dataset is used.
    _file: h5::File,
}

impl std::fmt::Debug for Hdf5Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hdf5Reader").field("info", &self.info).field("name", &self.name).finish_non_exhaustive()
    }
}

impl Hdf5Reader {
    /// Opens dataset `dataset` (`/exchange/data`, `entry/data`) of `path`,
    /// with the default axis labels for its rank (`angle row col` for
    /// `/exchange/data` of three axes).
    pub fn open_dataset(path: &Path, dataset: &str) -> Result<Hdf5Reader, IoError> {
        let file = open(path)?;
        let name = absolute(dataset);
        let ds = find(&file, path, &name)?;
        let reader = Hdf5Reader::build(path, file, name, ds, Map::new())?;
        Ok(reader)
    }

    /// What [`open`](crate::open) gives for an HDF5 file: the projections
    /// of a dxchange scan with its fields as aux arrays, or else the file's
    /// only dataset.
    pub(crate) fn open_default(path: &Path) -> Result<Hdf5Reader, IoError> {
        let file = open(path)?;
        if let Ok(ds) = find(&file, path, DXCHANGE_DATA) {
            let shape = ds.shape();
            if shape.len() != 3 {
                return Hdf5Reader::build(path, file, DXCHANGE_DATA.into(), ds, Map::new());
            }
            let fields = read_fields(&file, path, &shape)?;
            let mut meta = Map::new();
            meta.insert("layout".into(), "dxchange".into());
            if let Some(units) = &fields.theta_units {
                meta.insert("theta_units".into(), Value::String(units.clone()));
            }
            let mut reader = Hdf5Reader::build(path, file, DXCHANGE_DATA.into(), ds, meta)?;
            for (key, field) in [("data_white", fields.white), ("data_dark", fields.dark), ("theta", fields.theta)] {
                if let Some(a) = field {
                    reader.aux.push((key.to_string(), a));
                }
            }
            return Ok(reader);
        }
        let mut all = list_datasets(&file);
        if all.len() != 1 {
            return Err(IoError::dataset(
                path,
                "/",
                format!(
                    "expected `{DXCHANGE_DATA}` or a single dataset, found {} datasets; name one to read it",
                    all.len()
                ),
            ));
        }
        let (name, ds) = all.remove(0);
        Hdf5Reader::build(path, file, name, ds, Map::new())
    }

    fn build(
        path: &Path,
        file: h5::File,
        name: String,
        ds: h5::Dataset,
        mut meta: Map<String, Value>,
    ) -> Result<Hdf5Reader, IoError> {
        let err = |e: h5::Error| IoError::dataset(path, &name, format!("cannot open: {e}"));
        let desc = describe(&ds).map_err(err)?;
        let stored = Stored::of(&desc)
            .ok_or_else(|| IoError::dataset(path, &name, format!("unsupported element type {desc}; {READABLE}")))?;
        let memory = match stored.dtype() {
            _ if matches!(stored, Stored::Bool) => h5::Datatype::from_type::<bool>(),
            DType::U8 => h5::Datatype::from_type::<u8>(),
            DType::U16 => h5::Datatype::from_type::<u16>(),
            DType::U32 => h5::Datatype::from_type::<u32>(),
            DType::I16 => h5::Datatype::from_type::<i16>(),
            DType::I32 => h5::Datatype::from_type::<i32>(),
            DType::F32 => h5::Datatype::from_type::<f32>(),
            DType::F64 => h5::Datatype::from_type::<f64>(),
        }
        .map_err(err)?;
        let shape = ds.shape();
        let axes = if name == DXCHANGE_DATA && shape.len() == 3 {
            "angle row col".to_string()
        } else {
            default_axes(shape.len())
        };
        meta.insert("dataset".into(), Value::String(name.clone()));
        let info = SourceInfo { path: path.to_path_buf(), shape, dtype: stored.dtype(), axes, meta };
        Ok(Hdf5Reader { info, name, ds, memory, aux: Vec::new(), _file: file })
    }

    fn read_err(&self, start: usize, len: usize, e: impl std::fmt::Display) -> IoError {
        IoError::dataset(&self.info.path, &self.name, format!("cannot read slices {start}..{}: {e}", start + len))
    }
}

impl ChunkReader for Hdf5Reader {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read_into(&mut self, start: usize, len: usize, out: &mut [u8]) -> Result<(), IoError> {
        check_slab(&self.info, start, len, out.len())?;
        if out.is_empty() {
            return Ok(());
        }
        let space = self.ds.space().map_err(|e| self.read_err(start, len, e))?;
        let (file_space, memory_space) = if self.info.shape.is_empty() {
            // A scalar: the whole (one-element) dataspace on both sides.
            (space.clone(), space)
        } else {
            let mut slab: Vec<SliceOrIndex> = vec![(start..start + len).into()];
            slab.extend(self.info.shape[1..].iter().map(|_| SliceOrIndex::from(..)));
            let selected =
                space.select(Selection::from(Hyperslab::from(slab))).map_err(|e| self.read_err(start, len, e))?;
            let mut shape = self.info.shape.clone();
            shape[0] = len;
            let memory = h5::Dataspace::try_new(shape.as_slice()).map_err(|e| self.read_err(start, len, e))?;
            (selected, memory)
        };
        let (ds, ty, ms, fs) = (self.ds.id(), self.memory.id(), memory_space.id(), file_space.id());
        let buf = out.as_mut_ptr();
        // SAFETY: FFI call into the HDF5 C library, under the crate's global
        // HDF5 lock (`sync`). The ids are valid: they belong to objects
        // alive in this scope. `buf` points to `out`, which check_slab
        // sized to exactly `len` slices of the delivered element type, the
        // size of the memory dataspace times the memory type's size, so
        // HDF5 writes only inside `out`.
        let status = h5::sync::sync(|| unsafe {
            hdf5_metno_sys::h5d::H5Dread(ds, ty, ms, fs, hdf5_metno_sys::h5p::H5P_DEFAULT, buf.cast())
        });
        h5::h5check(status).map(|_| ()).map_err(|e| self.read_err(start, len, e))
    }

    fn natural_chunk(&self) -> Option<usize> {
        self.ds.chunk().and_then(|c| c.first().copied())
    }

    fn aux(&self) -> &[(String, Array)] {
        &self.aux
    }
}
