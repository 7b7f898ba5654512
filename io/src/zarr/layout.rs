//! How a dataset becomes Zarr arrays: the writer's options
//! ([`ZarrOptions`], [`ZarrCodec`]), the array metadata (chunk or shard
//! shape, codecs, dimension names, the `plexus` attribute with the spec's
//! fingerprint) and the OME-Zarr multiscale metadata of each level (scale
//! and translation from the voxel size). Shared by the writer and the
//! pyramid, so both describe arrays the same way.

use std::path::Path;
use std::sync::Arc;

use plexus_plugin_api::DType;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use zarrs::array::codec::{BloscCodec, BloscCompressionLevel, BloscCompressor, BloscShuffleMode};
use zarrs::array::{data_type, ArrayBuilder, DataType};

use crate::error::IoError;
use crate::writer::DatasetSpec;
use crate::zarr::ome::{Axis, Dataset, Multiscale, Transform};

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
    /// axis); `None` shards automatically when a chunk exceeds 16 MiB and
    /// `auto_shard` is set.
    pub inner_chunk: Option<Vec<usize>>,
    /// Shard large chunks when `inner_chunk` is `None`, so that readers
    /// such as napari fetch parts of them.
    pub auto_shard: bool,
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
            auto_shard: true,
            ome: true,
            pyramid_threshold_bytes: 64 << 20,
            durable: true,
            in_place: false,
        }
    }
}

impl ZarrOptions {
    /// Options for a run's own spill store: uncompressed and unsharded
    /// (so chunk files are raw slices, read back at file speed), not
    /// synced, written in place, plain (no OME metadata, no pyramid).
    pub fn scratch() -> ZarrOptions {
        ZarrOptions {
            codec: ZarrCodec::None,
            auto_shard: false,
            ome: false,
            durable: false,
            in_place: true,
            ..ZarrOptions::default()
        }
    }
}

/// Chunks larger than this are sharded into inner chunks by default.
const SHARD_ABOVE: usize = 16 << 20;
/// Inner chunks of an automatic shard aim at this size.
const INNER_TARGET: usize = 4 << 20;

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
pub(crate) fn fingerprint(spec: &DatasetSpec, options: &ZarrOptions) -> String {
    format!(
        "{} {:?} {:?} {} {}",
        spec.fingerprint(),
        options.codec,
        options.inner_chunk,
        options.auto_shard,
        options.ome
    )
}

/// The unit of the space axes, from the metadata.
pub(crate) fn unit(meta: &Map<String, Value>) -> Option<&'static str> {
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
pub(crate) fn image(spec: &DatasetSpec, axes: &[Axis], levels: Vec<Dataset>) -> Multiscale {
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
pub(crate) fn auto_inner(chunk: &[u64], dtype: DType) -> Vec<usize> {
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
pub(crate) fn inner_chunk(path: &Path, spec: &DatasetSpec, options: &ZarrOptions) -> Result<Option<Vec<u64>>, IoError> {
    let chunk = chunk_shape(spec);
    let bytes = chunk.iter().product::<u64>() as usize * spec.dtype.size();
    let auto = options.auto_shard && bytes > SHARD_ABOVE;
    let Some(inner) = options.inner_chunk.clone().or_else(|| auto.then(|| auto_inner(&chunk, spec.dtype))) else {
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
pub(crate) fn chunk_shape(spec: &DatasetSpec) -> Vec<u64> {
    let mut chunk: Vec<u64> = spec.shape.iter().map(|&d| d.max(1) as u64).collect();
    if let Some(first) = chunk.first_mut() {
        *first = spec.chunk.min(spec.len().max(1)) as u64;
    }
    chunk
}

pub(crate) fn fill_zero(dtype: DType) -> zarrs::array::FillValue {
    zarrs::array::FillValue::new(vec![0u8; dtype.size()])
}

pub(crate) fn blosc(codec: ZarrCodec, typesize: usize) -> Option<BloscCodec> {
    let (cname, level) = match codec {
        ZarrCodec::None => return None,
        ZarrCodec::Lz4 => (BloscCompressor::LZ4, 5),
        ZarrCodec::Zstd => (BloscCompressor::Zstd, 3),
    };
    let level = BloscCompressionLevel::try_from(level).ok()?;
    BloscCodec::new(cname, level, None, BloscShuffleMode::Shuffle, Some(typesize)).ok()
}
