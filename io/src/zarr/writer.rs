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

use plexus_plugin_api::DType;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use zarrs::array::codec::{BloscCodec, BloscCompressionLevel, BloscCompressor, BloscShuffleMode};
use zarrs::array::{data_type, Array, ArrayBuilder, ArrayBytes, ArraySubset, DataType};
use zarrs::group::GroupBuilder;

use crate::error::IoError;
use crate::stack::partial_path;
use crate::writer::{check_chunk, ChunkWriter, DatasetSpec, WriteStart};
use crate::zarr::ome::{self, Axis, Dataset, Multiscale, Transform};
use crate::zarr::pyramid;
use crate::zarr::reader::ZarrReader;
use crate::zarr::store::{remove_temporaries, AtomicStore};

/// How chunks are compressed (always behind blosc's byte shuffle, which
/// groups the bytes of numbers of the same significance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZarrCodec {
    /// Not compressed: fastest, for scratch stores.
    None,
    /// blosc + LZ4, level 5: GB/s, moderate ratio.
    #[default]
    Lz4,
    /// blosc + Zstandard, level 3: slower, better ratio.
    Zstd,
}

/// Options for writing Zarr.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct ZarrOptions {
    /// Chunk compression.
    pub codec: ZarrCodec,
    /// Shard each chunk into inner chunks of this shape (one length per
    /// axis); `None` shards automatically when a chunk exceeds 16 MiB.
    pub inner_chunk: Option<Vec<usize>>,
    /// Write OME-Zarr metadata when the axes fit NGFF (`z y x`, `y x`,
    /// `t c z y x`, `angle row col`).
    pub ome: bool,
    /// An OME-Zarr dataset larger than this gets a multiscale pyramid:
    /// levels are added until one is no larger.
    pub pyramid_threshold_bytes: u64,
    /// Sync every chunk and the folder to disk before the write returns.
    pub durable: bool,
    /// Write at `path` itself, not `<path>.partial` renamed at the end.
    pub in_place: bool,
}

impl Default for ZarrOptions {
    fn default() -> ZarrOptions {
        ZarrOptions {
            codec: ZarrCodec::Lz4,
            inner_chunk: None,
            ome: true,
            pyramid_threshold_bytes: 64 << 20,
            durable: true,
            in_place: false,
        }
    }
}

impl ZarrOptions {
    /// Options for a run's own spill store: uncompressed, not synced,
    /// written in place, plain (no OME metadata, no pyramid).
    pub fn scratch() -> ZarrOptions {
        ZarrOptions { codec: ZarrCodec::None, ome: false, durable: false, in_place: true, ..ZarrOptions::default() }
    }
}

/// Chunks larger than this are sharded into inner chunks by default.
const SHARD_ABOVE: usize = 16 << 20;
/// Inner chunks of an automatic shard aim at this size.
const INNER_TARGET: usize = 4 << 20;

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

/// The Zarr data type of an element type.
pub(crate) fn data_type_of(dtype: DType) -> DataType {
    match dtype {
        DType::U8 => data_type::uint8(),
        DType::U16 => data_type::uint16(),
        DType::U32 => data_type::uint32(),
        DType::I16 => data_type::int16(),
        DType::I32 => data_type::int32(),
        DType::F32 => data_type::float32(),
        DType::F64 => data_type::float64(),
    }
}

/// The fingerprint stored with a store, to recognise it on resume.
fn fingerprint(spec: &DatasetSpec, options: &ZarrOptions) -> String {
    format!("{} {:?} {:?} {}", spec.fingerprint(), options.codec, options.inner_chunk, options.ome)
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

/// The unit of the space axes, from the metadata.
fn unit(meta: &Map<String, Value>) -> Option<&'static str> {
    (meta.contains_key("voxel_size_um") || meta.contains_key("pixel_size_um")).then_some("micrometer")
}

/// The voxel size along each axis (1 where not given).
pub(crate) fn voxel_size(spec: &DatasetSpec, axes: &[Axis]) -> Vec<f64> {
    let space: Vec<usize> = (0..axes.len()).filter(|&a| axes[a].is_space()).collect();
    let mut v = vec![1.0; axes.len()];
    let given: Vec<f64> = match spec.meta.get("voxel_size_um").or(spec.meta.get("pixel_size_um")) {
        Some(Value::Number(n)) => vec![n.as_f64().unwrap_or(1.0); space.len()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_f64).collect(),
        _ => vec![],
    };
    if given.len() == axes.len() {
        v = given;
    } else if given.len() == space.len() {
        for (a, g) in space.iter().zip(given) {
            v[*a] = g;
        }
    }
    v
}

/// The NGFF dataset of level `k`: voxel size × 2^k on space axes, and the
/// shift of a 2^k-voxel block's centre from its first voxel's.
pub(crate) fn level(spec: &DatasetSpec, axes: &[Axis], k: u32) -> Dataset {
    let voxel = voxel_size(spec, axes);
    let f = f64::from(1u32 << k);
    let scale: Vec<f64> = axes.iter().zip(&voxel).map(|(a, v)| if a.is_space() { v * f } else { *v }).collect();
    let mut transforms = vec![Transform::Scale { scale }];
    if k > 0 {
        let shift =
            axes.iter().zip(&voxel).map(|(a, v)| if a.is_space() { v * (f - 1.0) / 2.0 } else { 0.0 }).collect();
        transforms.push(Transform::Translation { translation: shift });
    }
    Dataset { path: k.to_string(), transforms }
}

/// The image metadata for `levels`.
fn image(spec: &DatasetSpec, axes: &[Axis], levels: Vec<Dataset>) -> Multiscale {
    let mut metadata = Map::new();
    metadata.insert(
        "description".into(),
        "2× mean downsampling of the space axes; a block cut by the edge averages the voxels it holds".into(),
    );
    metadata.insert("method".into(), "plexus_io::zarr::pyramid".into());
    Multiscale {
        name: spec.meta.get("name").and_then(Value::as_str).map(str::to_string),
        version: None,
        axes: axes.to_vec(),
        datasets: levels,
        method: Some("mean".into()),
        metadata: Some(metadata),
    }
}

fn store_group(store: &Arc<AtomicStore>, image: &Multiscale) -> Result<(), String> {
    let group =
        GroupBuilder::new().attributes(ome::attributes(image)).build(store.clone(), "/").map_err(|e| e.to_string())?;
    group.store_metadata().map_err(|e| e.to_string())
}

/// The builder of the data array (also used for pyramid levels).
pub(crate) fn build_array(
    path: &Path,
    spec: &DatasetSpec,
    options: &ZarrOptions,
    print: &str,
) -> Result<ArrayBuilder, IoError> {
    let shape: Vec<u64> = spec.shape.iter().map(|&d| d as u64).collect();
    let inner = inner_chunk(path, spec, options)?;
    let mut b = ArrayBuilder::new(shape, chunk_shape(spec), data_type_of(spec.dtype), fill_zero(spec.dtype));
    if let Some(codec) = blosc(options.codec, spec.dtype.size()) {
        b.bytes_to_bytes_codecs(vec![Arc::new(codec)]);
    }
    if let Some(inner) = inner {
        b.subchunk_shape(inner);
    }
    let names: Vec<String> = spec.axes.split_whitespace().map(str::to_string).collect();
    if names.len() == spec.shape.len() && !names.is_empty() {
        b.dimension_names(Some(names));
    }
    let mut attrs = Map::new();
    attrs.insert("plexus".into(), json!({ "fingerprint": print, "axes": spec.axes, "meta": spec.meta }));
    b.attributes(attrs);
    Ok(b)
}

/// Inner chunks of an automatic shard: one slice deep, the other axes cut
/// (largest first) into ever smaller divisors of their length until the
/// inner chunk holds at most 4 MiB — sharding needs inner chunks that
/// divide the shard.
fn auto_inner(chunk: &[u64], dtype: DType) -> Vec<usize> {
    let mut inner: Vec<usize> = chunk.iter().map(|&c| c as usize).collect();
    if let Some(first) = inner.first_mut() {
        *first = 1;
    }
    while inner.iter().product::<usize>() * dtype.size() > INNER_TARGET {
        let Some((a, _)) = inner.iter().enumerate().skip(1).filter(|(_, &n)| n > 1).max_by_key(|(_, &n)| n) else {
            break;
        };
        let n = chunk[a] as usize;
        inner[a] = (1..inner[a]).rev().find(|d| n.is_multiple_of(*d)).unwrap_or(1);
    }
    inner
}

/// The inner chunk shape of a sharded chunk, checked against the chunk.
fn inner_chunk(path: &Path, spec: &DatasetSpec, options: &ZarrOptions) -> Result<Option<Vec<u64>>, IoError> {
    let chunk = chunk_shape(spec);
    let bytes = chunk.iter().product::<u64>() as usize * spec.dtype.size();
    let Some(inner) =
        options.inner_chunk.clone().or_else(|| (bytes > SHARD_ABOVE).then(|| auto_inner(&chunk, spec.dtype)))
    else {
        return Ok(None);
    };
    let fits = inner.len() == chunk.len() && inner.iter().zip(&chunk).all(|(&i, &c)| i > 0 && c % i as u64 == 0);
    if !fits {
        return Err(IoError::cannot_write(
            path,
            format!("inner chunks {inner:?} in chunks {chunk:?}: each inner length must divide its chunk's"),
        ));
    }
    Ok(Some(inner.iter().map(|&i| i as u64).collect()))
}

/// The chunk (or shard) shape: `[chunk, rest of the shape]`.
fn chunk_shape(spec: &DatasetSpec) -> Vec<u64> {
    let mut chunk: Vec<u64> = spec.shape.iter().map(|&d| d.max(1) as u64).collect();
    if let Some(first) = chunk.first_mut() {
        *first = spec.chunk.min(spec.len().max(1)) as u64;
    }
    chunk
}

fn fill_zero(dtype: DType) -> zarrs::array::FillValue {
    zarrs::array::FillValue::new(vec![0u8; dtype.size()])
}

fn blosc(codec: ZarrCodec, typesize: usize) -> Option<BloscCodec> {
    let (cname, level) = match codec {
        ZarrCodec::None => return None,
        ZarrCodec::Lz4 => (BloscCompressor::LZ4, 5),
        ZarrCodec::Zstd => (BloscCompressor::Zstd, 3),
    };
    let level = BloscCompressionLevel::try_from(level).ok()?;
    BloscCodec::new(cname, level, None, BloscShuffleMode::Shuffle, Some(typesize)).ok()
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
