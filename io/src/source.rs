//! Chunked reading: [`open`] a dataset once, then read slabs of it along
//! axis 0 on demand, so that no caller needs the whole file in memory.
//!
//! This is the contract between `plexus-io` and the host's sources. A
//! [`ChunkReader`] knows the dataset's shape, element type and axis labels
//! from its headers, and copies the slices `start..start + len` of axis 0
//! into a buffer the caller owns (so the host can reuse buffers from its
//! pool and never faults in fresh pages per chunk).
//!
//! Formats that can seek to a slab (NPY by offset, TIFF by page, strip or
//! tile, HDF5 by hyperslab, Zarr by chunk) implement it directly; any other
//! format is served by [`WholeFile`], which reads the file once and is
//! honest about it ([`ChunkReader::streams`] is `false`, so `plexus check`
//! can say the plan holds the whole input).

use std::path::{Path, PathBuf};

use plexus_plugin_api::{Array, DType, Element};
use serde_json::{Map, Value};

use crate::error::IoError;
use crate::format::{detect, Format};

/// What a dataset is, known before any pixel is read.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    /// The file (or store folder).
    pub path: PathBuf,
    /// Extent of each axis, slowest first.
    pub shape: Vec<usize>,
    /// Element type as delivered (native endianness).
    pub dtype: DType,
    /// Axis labels, space separated (`"z y x"`, `"angle row col"`).
    pub axes: String,
    /// Metadata the format carries (units, voxel size, angles), as JSON.
    pub meta: Map<String, Value>,
}

impl SourceInfo {
    /// Bytes of one slice along axis 0 (the product of the other axes times
    /// the element size; the element size for a 1-D dataset).
    pub fn slice_bytes(&self) -> usize {
        self.shape.iter().skip(1).product::<usize>() * self.dtype.size()
    }

    /// Extent of axis 0 (1 for a 0-dimensional dataset).
    pub fn len(&self) -> usize {
        self.shape.first().copied().unwrap_or(1)
    }

    /// Whether axis 0 is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the whole dataset.
    pub fn total_bytes(&self) -> u64 {
        self.len() as u64 * self.slice_bytes() as u64
    }
}

/// A dataset opened for reading slabs along axis 0.
pub trait ChunkReader: Send {
    /// Shape, element type, axes and metadata, from the headers.
    fn info(&self) -> &SourceInfo;

    /// Copies slices `start..start + len` of axis 0 into `out`, row-major,
    /// native endianness. `out.len()` must be `len * info().slice_bytes()`;
    /// a range outside the dataset or a buffer of another size is an error
    /// naming the file.
    fn read_into(&mut self, start: usize, len: usize, out: &mut [u8]) -> Result<(), IoError>;

    /// Whether reading a slab costs memory in proportion to the slab (true)
    /// or the reader holds the whole dataset (false, [`WholeFile`]).
    fn streams(&self) -> bool {
        true
    }

    /// The run of slices along axis 0 the format stores together (a Zarr
    /// or HDF5 chunk, the rows of a TIFF strip), when there is one: slabs
    /// that start and end on its multiples decode nothing twice.
    fn natural_chunk(&self) -> Option<usize> {
        None
    }

    /// Small arrays that travel with the dataset rather than being cut into
    /// chunks: the flat and dark fields and angles of a dxchange scan
    /// (`data_white`, `data_dark`, `theta`). Empty for most formats.
    fn aux(&self) -> &[(String, Array)] {
        &[]
    }

    /// Slices `start..start + len` of axis 0 as a fresh [`Array`] with the
    /// dataset's axis labels.
    fn read(&mut self, start: usize, len: usize) -> Result<Array, IoError> {
        let info = self.info().clone();
        let mut shape = info.shape.clone();
        if shape.is_empty() {
            shape.push(1);
        }
        shape[0] = len;
        let mut bytes = vec![0u8; len * info.slice_bytes()];
        self.read_into(start, len, &mut bytes)?;
        let array =
            Array::from_bytes(info.dtype, shape, &bytes).map_err(|e| IoError::slab(&info.path, e.to_string()))?;
        if info.shape.is_empty() {
            return Ok(array);
        }
        array.with_axes(&info.axes).map_err(|e| IoError::slab(&info.path, e.to_string()))
    }
}

/// Checks a slab request against the dataset; every reader calls it first.
pub fn check_slab(info: &SourceInfo, start: usize, len: usize, out: usize) -> Result<(), IoError> {
    let end = start.checked_add(len);
    if end.is_none_or(|e| e > info.len()) {
        return Err(IoError::slab(
            &info.path,
            format!("slices {start}..{} of axis 0 lie outside its extent {}", start.saturating_add(len), info.len()),
        ));
    }
    let expected = len * info.slice_bytes();
    if out != expected {
        return Err(IoError::slab(
            &info.path,
            format!("a buffer of {out} bytes cannot hold {len} slice(s) of {} bytes", info.slice_bytes()),
        ));
    }
    Ok(())
}

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

/// Reads every slice of `reader` into one [`Array`] of the dataset's shape
/// and axes (a 0-dimensional dataset gives a 0-dimensional array).
pub(crate) fn read_whole(reader: &mut dyn ChunkReader) -> Result<Array, IoError> {
    fn typed<T: Element>(reader: &mut dyn ChunkReader) -> Result<Array, IoError> {
        let info = reader.info();
        let (path, shape, len) = (info.path.clone(), info.shape.clone(), info.len());
        let n: usize = shape.iter().product();
        let mut v: Vec<T> = Vec::new();
        v.try_reserve_exact(n)
            .map_err(|_| IoError::unsupported(&path, format!("array of {n} elements: not enough memory to hold it")))?;
        v.resize(n, T::zeroed());
        reader.read_into(0, len, bytemuck::cast_slice_mut(&mut v))?;
        let array = Array::from_vec(shape, v).map_err(|e| IoError::slab(&path, e.to_string()))?;
        array.with_axes(&reader.info().axes).map_err(|e| IoError::slab(&path, e.to_string()))
    }
    match reader.info().dtype {
        DType::U8 => typed::<u8>(reader),
        DType::U16 => typed::<u16>(reader),
        DType::U32 => typed::<u32>(reader),
        DType::I16 => typed::<i16>(reader),
        DType::I32 => typed::<i32>(reader),
        DType::F32 => typed::<f32>(reader),
        DType::F64 => typed::<f64>(reader),
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
