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
//! format is served by [`WholeFile`](crate::WholeFile), which reads the file
//! once and is honest about it ([`ChunkReader::streams`] is `false`, so
//! `plexus check` can say the plan holds the whole input). Which reader a
//! path gets is decided in `open`.

use std::path::PathBuf;

use plexus_plugin_api::{Array, DType, Element};
use serde_json::{Map, Value};

use crate::error::IoError;

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
    /// or the reader holds the whole dataset (false, [`WholeFile`](crate::WholeFile)).
    fn streams(&self) -> bool {
        true
    }

    /// The run of slices along axis 0 the format stores together (a Zarr
    /// or HDF5 chunk, the rows of a TIFF strip), when there is one: slabs
    /// that start and end on its multiples decode nothing twice.
    fn natural_chunk(&self) -> Option<usize> {
        None
    }

    /// A second, independent reader of the same dataset (its own file
    /// handle and caches), so that several threads can read slabs at once;
    /// `None` where that buys nothing (HDF5, whose library runs one call at
    /// a time, and [`WholeFile`](crate::WholeFile)).
    fn try_clone(&self) -> Result<Option<Box<dyn ChunkReader>>, IoError> {
        Ok(None)
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
