//! [`ZarrReader`]: slabs of a Zarr array (v3 or v2) decoded chunk by chunk
//! straight into the caller's buffer.
//!
//! Opened on an OME-Zarr image it reads the full-resolution level (the
//! first dataset of the first multiscale), with the image's axis names as
//! labels and the level's voxel size and units in the metadata; a level or
//! any other array is opened by its path inside the store
//! ([`ZarrReader::open_array`]). Chunks missing from the store read as the
//! array's fill value, as Zarr specifies.

use std::path::Path;
use std::sync::Arc;

use plexus_plugin_api::{default_axes, DType};
use serde_json::{Map, Value};
use unsafe_cell_slice::UnsafeCellSlice;
use zarrs::array::data_type as dt;
use zarrs::array::{Array, ArrayBytesFixedDisjointView, ArraySubset, DataType};

use crate::element::{expand_in_place, Stored};
use crate::error::IoError;
use crate::source::{check_slab, ChunkReader, SourceInfo};
use crate::zarr::node::{probe, Node};
use crate::zarr::store::AtomicStore;

/// A Zarr array opened for reading slabs along axis 0.
pub struct ZarrReader {
    info: SourceInfo,
    array: Array<AtomicStore>,
    /// The array's path inside the store, for messages (`/0`).
    node: String,
    stored: Stored,
}

impl std::fmt::Debug for ZarrReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZarrReader").field("info", &self.info).field("node", &self.node).finish_non_exhaustive()
    }
}

/// The stored element type of a Zarr data type, if plexus reads it.
pub(crate) fn stored_of(data_type: &DataType) -> Option<Stored> {
    Some(if data_type.is::<dt::UInt8DataType>() {
        Stored::Native(DType::U8)
    } else if data_type.is::<dt::UInt16DataType>() {
        Stored::Native(DType::U16)
    } else if data_type.is::<dt::UInt32DataType>() {
        Stored::Native(DType::U32)
    } else if data_type.is::<dt::Int16DataType>() {
        Stored::Native(DType::I16)
    } else if data_type.is::<dt::Int32DataType>() {
        Stored::Native(DType::I32)
    } else if data_type.is::<dt::Float32DataType>() {
        Stored::Native(DType::F32)
    } else if data_type.is::<dt::Float64DataType>() {
        Stored::Native(DType::F64)
    } else if data_type.is::<dt::Int8DataType>() {
        Stored::I8
    } else if data_type.is::<dt::BoolDataType>() {
        Stored::Bool
    } else if data_type.is::<dt::Float16DataType>() {
        Stored::F16
    } else {
        return None;
    })
}

impl ZarrReader {
    /// Opens the store at `path`: its root array, or the full-resolution
    /// level of the OME-Zarr image at its root.
    pub(crate) fn open(path: &Path) -> Result<ZarrReader, IoError> {
        ZarrReader::open_array(path, "")
    }

    /// Opens the array (or the full-resolution level of the image) at
    /// `node` inside the store at `path` (`""` or `/` for the root, `0`
    /// for the first level of an OME-Zarr image, `labels/cells/0`).
    pub fn open_array(path: &Path, node: &str) -> Result<ZarrReader, IoError> {
        let node = node.trim_matches('/');
        let dir = if node.is_empty() { path.to_path_buf() } else { path.join(node) };
        match probe(path, &dir)? {
            Node::Array { .. } => ZarrReader::build(path, node, None),
            Node::Image(image) => {
                let level = &image.datasets[0];
                let inner = if node.is_empty() { level.path.clone() } else { format!("{node}/{}", level.path) };
                let mut meta = Map::new();
                let names: Vec<&str> = image.axes.iter().map(|a| a.name.as_str()).collect();
                if let Some(scale) = level.scale() {
                    meta.insert("scale".into(), serde_json::json!(scale));
                }
                let units: Vec<Value> =
                    image.axes.iter().map(|a| a.unit.clone().map_or(Value::Null, Value::String)).collect();
                meta.insert("units".into(), Value::Array(units));
                meta.insert("ome_levels".into(), image.datasets.len().into());
                ZarrReader::build(path, &inner, Some((names.join(" "), meta)))
            }
            Node::Group => Err(IoError::dataset(
                path,
                &format!("/{node}"),
                "is a Zarr group without an OME-Zarr image; name one of its arrays to read it",
            )),
        }
    }

    fn build(path: &Path, node: &str, image: Option<(String, Map<String, Value>)>) -> Result<ZarrReader, IoError> {
        let shown = format!("/{node}");
        let store = AtomicStore::new(path, false).map_err(|e| IoError::dataset(path, &shown, e.to_string()))?;
        let array = Array::open(Arc::new(store), &shown)
            .map_err(|e| IoError::dataset(path, &shown, format!("cannot open the array: {e}")))?;
        let stored = stored_of(array.data_type()).ok_or_else(|| {
            IoError::dataset(
                path,
                &shown,
                format!(
                    "unsupported element type {}; plexus reads uint8, uint16, uint32, int16, int32, float32, float64 (int8, bool and float16 widened)",
                    array.data_type()
                ),
            )
        })?;
        let shape: Vec<usize> = array.shape().iter().map(|&d| d as usize).collect();
        let (axes, mut meta) = match image {
            Some((axes, meta)) if axes.split(' ').count() == shape.len() => (axes, meta),
            _ => {
                // Zarr v3 names dimensions itself; otherwise the defaults.
                let names: Option<Vec<String>> = array.dimension_names().as_ref().map(|d| {
                    d.iter().enumerate().map(|(i, n)| n.as_ref().map_or(format!("d{i}"), |s| s.to_string())).collect()
                });
                let unique = names.as_ref().is_some_and(|n| n.iter().enumerate().all(|(i, a)| !n[..i].contains(a)));
                (if unique { names.unwrap_or_default().join(" ") } else { default_axes(shape.len()) }, Map::new())
            }
        };
        if let Some(Value::Object(plexus)) = array.attributes().get("plexus") {
            // Metadata a Plexus run stored with the array (units, angles).
            for (k, v) in plexus.get("meta").and_then(Value::as_object).into_iter().flatten() {
                meta.entry(k.clone()).or_insert(v.clone());
            }
        }
        meta.insert("array".into(), Value::String(shown.clone()));
        let info = SourceInfo { path: path.to_path_buf(), shape, dtype: stored.dtype(), axes, meta };
        Ok(ZarrReader { info, array, node: shown, stored })
    }

    /// Decodes `subset` into `buf`, which holds exactly its stored bytes.
    fn decode(&self, subset: &ArraySubset, buf: &mut [u8]) -> Result<(), zarrs::array::ArrayError> {
        let shape: Vec<u64> = subset.shape().to_vec();
        let whole = ArraySubset::new_with_shape(shape.clone());
        // SAFETY: this is the only view of `buf` (so no other view
        // overlaps it), it covers the whole buffer, and its length is
        // checked by `new` against the shape times the element size.
        let mut view =
            unsafe { ArrayBytesFixedDisjointView::new(UnsafeCellSlice::new(buf), self.stored.size(), &shape, whole) }
                .map_err(|e| zarrs::array::ArrayError::CodecError(e.into()))?;
        self.array.retrieve_array_subset_into(subset, (&mut view).into())
    }

    /// After a failed slab, finds the first chunk that fails on its own, so
    /// the message names its file.
    fn failing_chunk(&self, subset: &ArraySubset) -> Option<(String, String)> {
        let chunks = self.array.chunks_in_array_subset(subset).ok()??;
        for indices in chunks.indices().iter() {
            if let Err(e) = self.array.retrieve_chunk::<zarrs::array::ArrayBytes<'static>>(&indices) {
                let key = self.array.chunk_key(&indices);
                return Some((key.as_str().to_string(), e.to_string()));
            }
        }
        None
    }
}

impl ChunkReader for ZarrReader {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read_into(&mut self, start: usize, len: usize, out: &mut [u8]) -> Result<(), IoError> {
        check_slab(&self.info, start, len, out.len())?;
        if out.is_empty() {
            return Ok(());
        }
        let mut ranges: Vec<std::ops::Range<u64>> = self.info.shape.iter().map(|&d| 0..d as u64).collect();
        if let Some(first) = ranges.first_mut() {
            *first = start as u64..(start + len) as u64;
        }
        let subset = ArraySubset::new_with_ranges(&ranges);
        // Stored bytes go to the end of `out` and are widened in place.
        let tail = out.len() - out.len() / self.stored.dtype().size() * self.stored.size();
        if let Err(e) = self.decode(&subset, &mut out[tail..]) {
            let path = &self.info.path;
            return Err(match self.failing_chunk(&subset) {
                Some((key, why)) => IoError::malformed(
                    &path.join(&key),
                    None,
                    format!("chunk `{key}` of array `{}` cannot be decoded: {why}", self.node),
                ),
                None => IoError::dataset(path, &self.node, format!("cannot read slices {start}..{}: {e}", start + len)),
            });
        }
        if !self.stored.is_direct(cfg!(target_endian = "big")) {
            expand_in_place(self.stored, cfg!(target_endian = "big"), out);
        }
        Ok(())
    }

    fn natural_chunk(&self) -> Option<usize> {
        let origin = vec![0u64; self.info.shape.len()];
        let shape = self.array.chunk_shape(&origin).ok()?;
        shape.first().map(|d| d.get() as usize)
    }
}
