//! Zarr: stores read by chunk (v3 and v2) with the `zarrs` crate, written
//! as v3 with OME-Zarr (NGFF 0.5) metadata for images and volumes.
//!
//! - `node`: what a path of a store holds (array, group, OME image).
//! - `ome`: NGFF multiscale metadata, read (0.4, 0.5) and written (0.5).
//! - `reader`: [`ZarrReader`], slabs along axis 0.
//! - `store`: [`AtomicStore`](store::AtomicStore), the filesystem store
//!   whose chunk writes are all-or-nothing.
//! - `writer`: [`ZarrWriter`], chunks in any order, OME-Zarr metadata.
//! - `pyramid`: the multiscale levels of an OME-Zarr image.

mod node;
mod ome;
mod pyramid;
mod reader;
mod store;
mod writer;

use std::path::Path;

use plexus_plugin_api::Array;

pub use reader::ZarrReader;
pub use writer::{ZarrCodec, ZarrOptions, ZarrWriter};

use crate::error::IoError;

/// Reads a whole Zarr array (the full-resolution level of an image).
pub(crate) fn read(path: &Path) -> Result<Array, IoError> {
    let mut reader = ZarrReader::open(path)?;
    crate::source::read_whole(&mut reader)
}

/// What `plexus inspect` says about a store, from its metadata.
#[derive(Debug, Clone, Default)]
pub(crate) struct Description {
    pub variant: String,
    /// Bytes of all the store's files.
    pub bytes: u64,
    pub shape: Vec<usize>,
    pub axes: String,
    pub dtype: Option<plexus_plugin_api::DType>,
    pub stored: String,
    pub codecs: String,
    pub layout: String,
    pub notes: Vec<String>,
    pub problem: Option<String>,
}

/// Describes the store at `path` (its root array, or the full-resolution
/// level of its image) without decoding chunks.
pub(crate) fn describe(path: &Path) -> Result<Description, IoError> {
    use serde_json::Value;
    let mut d = Description { bytes: folder_size(path), ..Default::default() };
    let (version, inner, image) = match node::probe(path, path)? {
        node::Node::Array { version } => (version, String::new(), None),
        node::Node::Image(image) => {
            let level = image.datasets[0].path.clone();
            let version = match node::probe(path, &path.join(&level))? {
                node::Node::Array { version } => version,
                _ => 3,
            };
            (version, level, Some(image))
        }
        node::Node::Group => {
            d.variant = "group".into();
            d.problem = Some("a group without an OME-Zarr image: name one of its arrays".into());
            return Ok(d);
        }
    };
    d.variant = match &image {
        Some(i) => format!(
            "v{version}, OME-Zarr {} image, {} level{}",
            if version == 3 { "0.5" } else { "0.4" },
            i.datasets.len(),
            if i.datasets.len() == 1 { "" } else { "s" }
        ),
        None => format!("v{version} array"),
    };
    let store = std::sync::Arc::new(
        store::AtomicStore::new(path, false).map_err(|e| IoError::malformed(path, None, e.to_string()))?,
    );
    let array = zarrs::array::Array::open(store, &format!("/{inner}"))
        .map_err(|e| IoError::dataset(path, &format!("/{inner}"), format!("cannot open the array: {e}")))?;
    d.shape = array.shape().iter().map(|&n| n as usize).collect();
    d.stored = array.data_type().to_string();
    d.dtype = reader::stored_of(array.data_type()).map(|s| s.dtype());
    let chunk: Vec<String> = array
        .chunk_shape(&vec![0; d.shape.len()])
        .map(|c| c.iter().map(|n| n.get().to_string()).collect())
        .unwrap_or_default();
    d.layout = format!("chunks {}", chunk.join("×"));
    let meta = serde_json::to_value(array.metadata()).unwrap_or(Value::Null);
    let names = |list: Option<&Value>| -> Vec<String> {
        list.and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|c| c.get("name").or(c.get("id")).and_then(Value::as_str).map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut codecs = names(meta.get("codecs"));
    if let Some(shard) = meta
        .get("codecs")
        .and_then(Value::as_array)
        .and_then(|l| l.iter().find(|c| c.get("name").and_then(Value::as_str) == Some("sharding_indexed")))
    {
        let inner_shape = shard.pointer("/configuration/chunk_shape").cloned().unwrap_or(Value::Null);
        d.layout.push_str(&format!(" (shards of inner chunks {inner_shape})"));
        codecs.extend(names(shard.pointer("/configuration/codecs")).into_iter().map(|c| format!("inner {c}")));
    }
    codecs.extend(names(meta.get("filters")));
    if let Some(c) = meta.get("compressor").filter(|c| !c.is_null()) {
        codecs.extend(c.get("id").and_then(Value::as_str).map(String::from));
    }
    d.codecs = if codecs.is_empty() { "none".into() } else { codecs.join(", ") };
    d.axes = match &image {
        Some(i) if i.axes.len() == d.shape.len() => {
            i.axes.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(" ")
        }
        _ => {
            ZarrReader::open_array(path, &inner).map(|r| crate::ChunkReader::info(&r).axes.clone()).unwrap_or_default()
        }
    };
    if let Some(i) = &image {
        for (k, level) in i.datasets.iter().enumerate().skip(1) {
            d.notes.push(format!("level {k}: `{}`", level.path));
        }
    }
    if d.dtype.is_none() {
        d.problem = Some(format!("unsupported element type {}", d.stored));
    }
    Ok(d)
}

/// Bytes of every file under `dir`.
fn folder_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => stack.push(entry.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}
