//! [`ZarrWriter`]: a Zarr v3 store written chunk by chunk, in any order,
//! each chunk atomically.
//!
//! The array's chunk grid is the writer's: `[chunk, rest of the shape]`,
//! so every [`write_bytes`](ChunkWriter::write_bytes) is one chunk file
//! (or, when a chunk is large, one shard of smaller inner chunks, so that
//! readers such as napari can fetch parts of it). Chunk files are written
//! through [`AtomicStore`]: a chunk file that exists is complete, which is
//! how a resumed writer knows what is done.
//!
//! Datasets whose axes fit NGFF's rules become an OME-Zarr image: the
//! store's root is a group with `ome` multiscale metadata and the data is
//! its level `0`; at [`finish`](ChunkWriter::finish), a dataset larger than
//! [`ZarrOptions::pyramid_threshold_bytes`] gets levels `1`, `2`, … of 2×
//! mean downsampling (see `pyramid`). Others are a plain array at the root.
//! Either way the spec's axis labels are the array's `dimension_names` and
//! its metadata is kept under the `plexus` attribute.
//!
//! The store is written as the folder `<path>.partial` and renamed to
//! `<path>` when finished, replacing an earlier store there — unless
//! [`ZarrOptions::in_place`] (a run's spill store, read back while it is
//! written and removed afterwards).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use zarrs::array::{Array, ArrayBytes, ArraySubset};
use zarrs::group::GroupBuilder;

use crate::error::IoError;
use crate::partial::partial_path;
use crate::writer::{check_chunk, ChunkWriter, DatasetSpec, WriteStart};
use crate::zarr::layout::{build_array, fingerprint, image, level, unit, ZarrOptions};
use crate::zarr::ome::{self, Axis, Multiscale};
use crate::zarr::pyramid;
use crate::zarr::reader::ZarrReader;
use crate::zarr::store::{remove_temporaries, AtomicStore};

/// A Zarr store being written chunk by chunk.
pub struct ZarrWriter {
    path: PathBuf,
    /// The folder written: `<path>.partial`, or `path` in place.
    root: PathBuf,
    spec: DatasetSpec,
    options: ZarrOptions,
    start: WriteStart,
    array: Array<AtomicStore>,
    /// The array's path in the store: `/0` in an image, else `/`.
    node: String,
    /// NGFF axes when the store is an image.
    axes: Option<Vec<Axis>>,
    written: Vec<bool>,
}

impl std::fmt::Debug for ZarrWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZarrWriter").field("path", &self.path).field("spec", &self.spec).finish_non_exhaustive()
    }
}

impl ZarrWriter {
    /// Creates the store (re-opening `<path>.partial` — or `path` itself
    /// when in place — when `resume` and it holds the same dataset).
    /// [`create_writer`](crate::create_writer) calls this for `.zarr`
    /// paths; call it directly to keep the concrete type (for
    /// [`reader`](ZarrWriter::reader)).
    pub fn create(path: &Path, spec: DatasetSpec, options: &ZarrOptions, resume: bool) -> Result<ZarrWriter, IoError> {
        spec.check(path)?;
        let root = if options.in_place { path.to_path_buf() } else { partial_path(path) };
        let axes = if options.ome { ome::axes_for(&spec.axes, unit(&spec.meta)) } else { None };
        let node = if axes.is_some() { "/0".to_string() } else { "/".to_string() };
        let print = fingerprint(&spec, options);
        let mut start = WriteStart::New;
        if root.exists() {
            let why =
                if !resume { Some("resuming was not asked".to_string()) } else { same_store(&root, &node, &print) };
            match why {
                Some(why) => {
                    fs::remove_dir_all(&root).map_err(|e| IoError::os(&root, "remove the stale partial store", e))?;
                    start = WriteStart::Discarded { partial: root.clone(), why };
                }
                None => {
                    remove_temporaries(&root).map_err(|e| IoError::os(&root, "remove stale temporaries", e))?;
                    start = WriteStart::Resumed { chunks: 0 };
                }
            }
        }
        let store = Arc::new(
            AtomicStore::new(&root, options.durable).map_err(|e| IoError::cannot_write(path, format!("Zarr: {e}")))?,
        );
        let zerr = |e: &dyn std::fmt::Display| IoError::cannot_write(path, format!("Zarr: {e}"));
        let array = build_array(path, &spec, options, &print)?.build(store.clone(), &node).map_err(|e| zerr(&e))?;
        let mut written = vec![false; spec.chunks()];
        if let WriteStart::Resumed { chunks } = &mut start {
            for (i, w) in written.iter_mut().enumerate() {
                let key = array.chunk_key(&chunk_indices(&spec, i));
                *w = store.file_of(&key).is_file();
            }
            *chunks = written.iter().filter(|&&w| w).count();
        } else {
            fs::create_dir_all(&root).map_err(|e| IoError::os(&root, "create", e))?;
            array.store_metadata().map_err(|e| zerr(&e))?;
            if let Some(axes) = &axes {
                // The image's group, listing level 0; finish adds the others.
                let levels = vec![level(&spec, axes, 0)];
                store_group(&store, &image(&spec, axes, levels)).map_err(|e| zerr(&e))?;
            }
        }
        Ok(ZarrWriter {
            path: path.to_path_buf(),
            root,
            spec,
            options: options.clone(),
            start,
            array,
            node,
            axes,
            written,
        })
    }

    /// A reader of the store as written so far (chunks not yet written
    /// read as zeros).
    pub fn reader(&self) -> Result<ZarrReader, IoError> {
        ZarrReader::open_array(&self.root, &self.node)
    }

    /// The folder being written.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Chunk-grid indices of chunk `index` along axis 0.
fn chunk_indices(spec: &DatasetSpec, index: usize) -> Vec<u64> {
    let mut v = vec![0u64; spec.shape.len()];
    if let Some(first) = v.first_mut() {
        *first = index as u64;
    }
    v
}

/// Why the store at `root` cannot be resumed, or `None` if it can.
fn same_store(root: &Path, node: &str, print: &str) -> Option<String> {
    let meta = root.join(node.trim_start_matches('/')).join("zarr.json");
    let text = match fs::read_to_string(&meta) {
        Ok(t) => t,
        Err(_) => return Some("it holds no array metadata where this writer puts its data".into()),
    };
    let found = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.pointer("/attributes/plexus/fingerprint").and_then(Value::as_str).map(str::to_string));
    match found {
        Some(f) if f == print => None,
        Some(_) => Some("it holds another dataset (shape, type, axes, chunks or codec differ)".into()),
        None => Some("it was not written by plexus".into()),
    }
}

fn store_group(store: &Arc<AtomicStore>, image: &Multiscale) -> Result<(), String> {
    let group =
        GroupBuilder::new().attributes(ome::attributes(image)).build(store.clone(), "/").map_err(|e| e.to_string())?;
    group.store_metadata().map_err(|e| e.to_string())
}

impl ChunkWriter for ZarrWriter {
    fn spec(&self) -> &DatasetSpec {
        &self.spec
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn start(&self) -> &WriteStart {
        &self.start
    }

    fn any_order(&self) -> bool {
        true
    }

    fn is_written(&self, index: usize) -> bool {
        self.written.get(index).copied().unwrap_or(false)
    }

    fn write_bytes(&mut self, index: usize, bytes: &[u8]) -> Result<(), IoError> {
        check_chunk(&self.path, &self.spec, index, bytes.len())?;
        let slices = self.spec.chunk_slices(index);
        let mut ranges: Vec<std::ops::Range<u64>> = self.spec.shape.iter().map(|&d| 0..d as u64).collect();
        if let Some(first) = ranges.first_mut() {
            *first = slices.start as u64..slices.end as u64;
        }
        self.array.store_array_subset(&ArraySubset::new_with_ranges(&ranges), ArrayBytes::from(bytes)).map_err(
            |e| IoError::Chunk { file: crate::error::shown(&self.path), index, what: format!("cannot be stored: {e}") },
        )?;
        self.written[index] = true;
        Ok(())
    }

    fn sync(&mut self) -> Result<(), IoError> {
        // Durable stores sync every chunk as it is written; scratch stores
        // promise nothing across a power loss.
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<PathBuf, IoError> {
        if let Some(missing) = self.written.iter().position(|w| !w) {
            let left = self.written.iter().filter(|w| !**w).count();
            return Err(IoError::cannot_write(
                &self.path,
                format!(
                    "an unfinished dataset: {left} of {} chunks were never written, the first is chunk {missing}",
                    self.written.len()
                ),
            ));
        }
        if let Some(axes) = &self.axes {
            let store = self.array.storage();
            let levels = pyramid::build(&store, &self.array, &self.spec, axes, &self.options)
                .map_err(|e| IoError::cannot_write(&self.path, format!("the OME-Zarr pyramid: {e}")))?;
            store_group(&store, &image(&self.spec, axes, levels))
                .map_err(|e| IoError::cannot_write(&self.path, format!("Zarr: {e}")))?;
        }
        if self.options.in_place {
            return Ok(self.path);
        }
        drop(self.array);
        if self.path.exists() {
            // A store is a folder, which a rename cannot replace: remove the
            // old one first (the host has checked it is no input).
            let meta = fs::symlink_metadata(&self.path).map_err(|e| IoError::os(&self.path, "replace", e))?;
            let removed = if meta.is_dir() { fs::remove_dir_all(&self.path) } else { fs::remove_file(&self.path) };
            removed.map_err(|e| IoError::os(&self.path, "replace the earlier output", e))?;
        }
        fs::rename(&self.root, &self.path)
            .map_err(|e| IoError::os(&self.path, "rename the finished store into place", e))?;
        Ok(self.path)
    }

    fn abort(self: Box<Self>) {
        let root = self.root.clone();
        drop(self);
        let _ = fs::remove_dir_all(root);
    }
}
