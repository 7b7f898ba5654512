//! Which reader a path gets: [`open`] picks it by format (NPY, TIFF, HDF5,
//! Zarr stream; PNG is read whole into a [`WholeFile`]), [`open_dataset`]
//! by format and dataset name.

use std::path::Path;

use plexus_plugin_api::Array;
use serde_json::Map;

use crate::error::IoError;
use crate::format::{detect, Format};
use crate::source::{check_slab, ChunkReader, SourceInfo};

/// Serves chunks of a dataset read whole: the fallback for formats (or
/// layouts, such as compressed PNG) that cannot read a slab on its own.
pub struct WholeFile {
    info: SourceInfo,
    array: Array,
}

impl WholeFile {
    /// Reads `path` whole with [`read`](crate::read).
    pub fn open(path: &Path) -> Result<WholeFile, IoError> {
        let array = crate::read(path)?;
        Ok(WholeFile::from_array(path, array))
    }

    /// Serves an array already in memory.
    pub fn from_array(path: &Path, array: Array) -> WholeFile {
        let info = SourceInfo {
            path: path.to_path_buf(),
            shape: array.shape().to_vec(),
            dtype: array.dtype(),
            axes: array.axes().to_string(),
            meta: Map::new(),
        };
        WholeFile { info, array }
    }
}

impl ChunkReader for WholeFile {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read_into(&mut self, start: usize, len: usize, out: &mut [u8]) -> Result<(), IoError> {
        check_slab(&self.info, start, len, out.len())?;
        let row = self.info.slice_bytes();
        out.copy_from_slice(&self.array.as_bytes()[start * row..(start + len) * row]);
        Ok(())
    }

    fn streams(&self) -> bool {
        false
    }
}

/// Opens `path` for chunked reading, choosing the format as
/// [`read`](crate::read) does: NPY by offset, TIFF by pages, strips or
/// tiles, HDF5 by hyperslab (feature `hdf5`: a dxchange scan's
/// `/exchange/data` with its flat and dark fields and angles as
/// [`aux`](ChunkReader::aux) arrays, or the file's only dataset); PNG is
/// read whole ([`WholeFile`]).
pub fn open(path: &Path) -> Result<Box<dyn ChunkReader>, IoError> {
    let (format, len) = detect(path)?;
    Ok(match format {
        Format::Npy => Box::new(crate::npy::NpyReader::open(path, len)?),
        Format::Tiff => Box::new(crate::tiff::TiffReader::open(path, len)?),
        #[cfg(feature = "hdf5")]
        Format::Hdf5 => Box::new(crate::hdf5::Hdf5Reader::open_default(path)?),
        Format::Zarr => Box::new(crate::zarr::ZarrReader::open(path)?),
        _ => Box::new(WholeFile::open(path)?),
    })
}

/// Opens the dataset `dataset` of `path` for chunked reading: an HDF5
/// dataset by its path (`/entry/data`; feature `hdf5`), a Zarr array or
/// OME-Zarr level by its path in the store (`1`, `labels/cells/0`). An
/// empty name is [`open`]; other formats hold one dataset and refuse a
/// name.
pub fn open_dataset(path: &Path, dataset: &str) -> Result<Box<dyn ChunkReader>, IoError> {
    if dataset.trim_matches('/').is_empty() {
        return open(path);
    }
    let (format, _) = detect(path)?;
    match format {
        #[cfg(feature = "hdf5")]
        Format::Hdf5 => Ok(Box::new(crate::hdf5::Hdf5Reader::open_dataset(path, dataset)?)),
        Format::Zarr => Ok(Box::new(crate::zarr::ZarrReader::open_array(path, dataset)?)),
        #[cfg(not(feature = "hdf5"))]
        Format::Hdf5 => Err(IoError::unsupported(path, "HDF5 file: plexus-io was built without its `hdf5` feature")),
        other => Err(IoError::unsupported(
            path,
            format!("dataset `{dataset}` in a {other} file: it holds one dataset; name datasets of HDF5 files and arrays of Zarr stores"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack() -> WholeFile {
        let a = Array::from_fn(vec![4, 2, 3], |i| i as u16).with_axes("z y x").unwrap();
        WholeFile::from_array(Path::new("stack.npy"), a)
    }

    #[test]
    fn reads_a_slab_with_labels() {
        let mut r = stack();
        assert_eq!(r.info().slice_bytes(), 12);
        let a = r.read(1, 2).unwrap();
        assert_eq!(a.shape(), &[2, 2, 3]);
        assert_eq!(a.axes(), "z y x");
        assert_eq!(a.as_slice::<u16>().unwrap()[0], 6);
    }

    #[test]
    fn refuses_a_range_outside_the_dataset() {
        let mut r = stack();
        let mut buf = vec![0u8; 24];
        let err = r.read_into(3, 2, &mut buf).unwrap_err().to_string();
        assert!(err.contains("slices 3..5 of axis 0 lie outside its extent 4"), "{err}");
        let err = r.read_into(0, 1, &mut buf).unwrap_err().to_string();
        assert!(err.contains("a buffer of 24 bytes cannot hold 1 slice(s) of 12 bytes"), "{err}");
    }
}
