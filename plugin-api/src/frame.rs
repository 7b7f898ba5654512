//! Frames: what travels on the bus between stages.
//!
//! A frame belongs to a dataset, covers one chunk of it along the chunked
//! axis ([`ChunkKey`]), and carries named arrays plus a JSON metadata map
//! (units, pixel size, angles, scalars). [`Frame`] is the owned form a plugin
//! emits; [`FrameView`] is the borrowed form a plugin receives.

use std::cell::OnceCell;
use std::sync::OnceLock;

#[cfg(not(target_arch = "wasm32"))]
use abi_stable::StableAbi;
use serde_json::{Map, Value};

use crate::array::{Array, ArrayView};
use crate::dtype::DType;
use crate::error::PluginError;
#[cfg(not(target_arch = "wasm32"))]
use crate::ffi::{FfiArray, FfiArrayRef, FfiBuffer, FfiFrame, FfiFrameRef};

/// The borrowed frame a [`FrameView`] wraps: the native ABI's on native
/// targets, the guest's own on wasm32 (filled from the host's imports).
#[cfg(not(target_arch = "wasm32"))]
mod raw {
    pub(crate) type FrameRef<'a> = crate::ffi::FfiFrameRef<'a>;
    pub(crate) type ArrayRef<'a> = crate::ffi::FfiArrayRef<'a>;
    pub(crate) fn dataset<'a>(f: &FrameRef<'a>) -> &'a str {
        f.dataset.as_str()
    }
    pub(crate) fn arrays<'a>(f: &FrameRef<'a>) -> &'a [ArrayRef<'a>] {
        f.arrays.as_slice()
    }
    pub(crate) fn meta<'a>(f: &FrameRef<'a>) -> &'a str {
        f.meta_json.as_str()
    }
    pub(crate) fn name<'a>(a: &ArrayRef<'a>) -> &'a str {
        a.name.as_str()
    }
    pub(crate) fn shape<'a>(a: &ArrayRef<'a>) -> &'a [usize] {
        a.shape.as_slice()
    }
    pub(crate) fn axes<'a>(a: &ArrayRef<'a>) -> &'a str {
        a.axes.as_str()
    }
    pub(crate) fn data<'a>(a: &ArrayRef<'a>) -> &'a [u8] {
        a.data.as_slice()
    }
}

#[cfg(target_arch = "wasm32")]
mod raw {
    pub(crate) type FrameRef<'a> = crate::guest::GuestFrameRef<'a>;
    pub(crate) type ArrayRef<'a> = crate::guest::GuestArrayRef<'a>;
    pub(crate) fn dataset<'a>(f: &FrameRef<'a>) -> &'a str {
        f.dataset
    }
    pub(crate) fn arrays<'a>(f: &FrameRef<'a>) -> &'a [ArrayRef<'a>] {
        f.arrays
    }
    pub(crate) fn meta<'a>(f: &FrameRef<'a>) -> &'a str {
        f.meta_json
    }
    pub(crate) fn name<'a>(a: &ArrayRef<'a>) -> &'a str {
        a.name
    }
    pub(crate) fn shape<'a>(a: &ArrayRef<'a>) -> &'a [usize] {
        a.shape
    }
    pub(crate) fn axes<'a>(a: &ArrayRef<'a>) -> &'a str {
        a.axes
    }
    pub(crate) fn data<'a>(a: &ArrayRef<'a>) -> &'a [u8] {
        a.data
    }
}

/// Where a frame lies in its dataset along the chunked axis.
#[repr(C)]
#[cfg_attr(not(target_arch = "wasm32"), derive(StableAbi))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ChunkKey {
    /// Index of the chunked axis in the dataset's shape (0 = slowest).
    pub axis: u32,
    /// First index along that axis covered by this frame.
    pub offset: u64,
    /// Number of indices covered.
    pub length: u64,
    /// Full extent of the axis; 0 for an unbounded stream.
    pub extent: u64,
}

impl ChunkKey {
    /// A frame that is the whole dataset.
    pub fn whole(extent: u64) -> ChunkKey {
        ChunkKey { axis: 0, offset: 0, length: extent, extent }
    }

    /// Entry `index` of an unbounded stream of single frames.
    pub fn stream(index: u64) -> ChunkKey {
        ChunkKey { axis: 0, offset: index, length: 1, extent: 0 }
    }
}

/// An owned frame. Cloning shares the array memory.
#[derive(Clone, Debug, Default)]
pub struct Frame {
    dataset: String,
    key: ChunkKey,
    arrays: Vec<(String, Array)>,
    meta: Map<String, Value>,
    meta_json: OnceLock<String>,
}

impl Frame {
    /// An empty frame of `dataset` at `key`.
    pub fn new(dataset: impl Into<String>, key: ChunkKey) -> Frame {
        Frame { dataset: dataset.into(), key, ..Frame::default() }
    }

    /// A frame with the same dataset and key as `input` and no arrays.
    pub fn like(input: &FrameView<'_>) -> Frame {
        Frame::new(input.dataset(), input.key())
    }

    /// Adds (or replaces) the array `name`.
    pub fn with_array(mut self, name: impl Into<String>, array: Array) -> Frame {
        self.insert(name, array);
        self
    }

    /// Adds (or replaces) the array `name`.
    pub fn insert(&mut self, name: impl Into<String>, array: Array) {
        let name = name.into();
        match self.arrays.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = array,
            None => self.arrays.push((name, array)),
        }
    }

    /// Sets a metadata entry.
    pub fn with_meta(mut self, key: impl Into<String>, value: impl Into<Value>) -> Frame {
        self.meta_mut().insert(key.into(), value.into());
        self
    }

    /// The dataset this frame belongs to.
    pub fn dataset(&self) -> &str {
        &self.dataset
    }

    /// Where this frame lies in its dataset.
    pub fn key(&self) -> ChunkKey {
        self.key
    }

    /// Moves the frame to another place in its dataset.
    pub fn set_key(&mut self, key: ChunkKey) {
        self.key = key;
    }

    /// The named arrays in insertion order.
    pub fn arrays(&self) -> &[(String, Array)] {
        &self.arrays
    }

    /// The array `name`, or an error that lists the arrays present.
    pub fn array(&self, name: &str) -> Result<&Array, PluginError> {
        self.arrays
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a)
            .ok_or_else(|| missing_array(name, self.arrays.iter().map(|(n, _)| n.as_str())))
    }

    /// The first array, which single-array operators take as their input.
    pub fn first(&self) -> Result<&Array, PluginError> {
        self.arrays.first().map(|(_, a)| a).ok_or_else(|| PluginError::input("frame holds no array"))
    }

    /// Metadata (units, pixel size, angles, scalars).
    pub fn meta(&self) -> &Map<String, Value> {
        &self.meta
    }

    /// Mutable metadata.
    pub fn meta_mut(&mut self) -> &mut Map<String, Value> {
        self.meta_json = OnceLock::new();
        &mut self.meta
    }

    /// Metadata serialised as a JSON object, computed once.
    pub fn meta_json(&self) -> &str {
        self.meta_json.get_or_init(|| Value::Object(self.meta.clone()).to_string())
    }

    /// Lends this frame across the boundary as `seq` of its stream, without
    /// copying any array, for the duration of `f`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_ffi<R>(&self, seq: u64, f: impl FnOnce(FfiFrameRef<'_>) -> R) -> R {
        let arrays: Vec<FfiArrayRef<'_>> = self
            .arrays
            .iter()
            .map(|(name, a)| FfiArrayRef {
                name: name.as_str().into(),
                dtype: a.dtype() as u8,
                shape: a.shape().into(),
                axes: a.axes().into(),
                data: a.as_bytes().into(),
            })
            .collect();
        f(FfiFrameRef {
            dataset: self.dataset.as_str().into(),
            key: self.key,
            seq,
            arrays: arrays.as_slice().into(),
            meta_json: self.meta_json().into(),
        })
    }

    /// Converts into the ABI form, sharing array memory.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn into_ffi(self) -> FfiFrame {
        let meta_json = self.meta_json().to_string();
        FfiFrame {
            dataset: self.dataset.into(),
            key: self.key,
            arrays: self
                .arrays
                .into_iter()
                .map(|(name, a)| FfiArray {
                    name: name.into(),
                    dtype: a.dtype() as u8,
                    shape: a.shape().to_vec().into(),
                    axes: a.axes().into(),
                    data: FfiBuffer::share(&a),
                })
                .collect(),
            meta_json: meta_json.into(),
        }
    }

    /// Takes ownership of a frame that crossed the boundary, without copying
    /// array memory. Fails on a malformed array or metadata.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_ffi(f: FfiFrame) -> Result<Frame, PluginError> {
        let meta = parse_meta(&f.meta_json)?;
        let mut frame = Frame::new(f.dataset.as_str(), f.key);
        frame.meta = meta;
        for a in f.arrays.into_vec() {
            let dtype = DType::from_code(a.dtype)
                .ok_or_else(|| PluginError::input(format!("array `{}` has unknown dtype code {}", a.name, a.dtype)))?;
            let array = Array::from_foreign(dtype, a.shape.into_vec(), a.axes.into_string(), a.data)
                .map_err(|e| PluginError::input(format!("array `{}`: {e}", a.name)))?;
            frame.arrays.push((a.name.into_string(), array));
        }
        Ok(frame)
    }
}

fn parse_meta(json: &str) -> Result<Map<String, Value>, PluginError> {
    if json.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(json) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(PluginError::input("frame metadata is not a JSON object")),
        Err(e) => Err(PluginError::input(format!("frame metadata is not valid JSON: {e}"))),
    }
}

fn missing_array<'a>(name: &str, present: impl Iterator<Item = &'a str>) -> PluginError {
    let present: Vec<String> = present.map(|n| format!("`{n}`")).collect();
    let present = if present.is_empty() { "none".to_string() } else { present.join(", ") };
    PluginError::input(format!("frame has no array `{name}` (it has {present})"))
}

/// A borrowed input frame, pointing into host memory.
pub struct FrameView<'a> {
    raw: raw::FrameRef<'a>,
    meta: OnceCell<Map<String, Value>>,
}

impl<'a> FrameView<'a> {
    /// Wraps a frame lent across the boundary.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_ffi(raw: FfiFrameRef<'a>) -> FrameView<'a> {
        FrameView { raw, meta: OnceCell::new() }
    }

    /// Wraps a frame the guest pulled from the host.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn from_guest(raw: raw::FrameRef<'a>) -> FrameView<'a> {
        FrameView { raw, meta: OnceCell::new() }
    }

    /// The dataset this frame belongs to.
    pub fn dataset(&self) -> &'a str {
        raw::dataset(&self.raw)
    }

    /// Where this frame lies in its dataset.
    pub fn key(&self) -> ChunkKey {
        self.raw.key
    }

    /// Position of this frame in the stream a stage receives, from 0.
    pub fn seq(&self) -> u64 {
        self.raw.seq
    }

    /// Number of arrays.
    pub fn len(&self) -> usize {
        raw::arrays(&self.raw).len()
    }

    /// Whether the frame holds no array (a source operator's tick).
    pub fn is_empty(&self) -> bool {
        raw::arrays(&self.raw).is_empty()
    }

    /// The named arrays in order.
    pub fn arrays(&self) -> impl Iterator<Item = (&'a str, ArrayView<'a>)> + 'a {
        raw::arrays(&self.raw).iter().map(|a| (raw::name(a), view_of(a)))
    }

    /// The array `name`, or an error that lists the arrays present.
    pub fn array(&self, name: &str) -> Result<ArrayView<'a>, PluginError> {
        raw::arrays(&self.raw)
            .iter()
            .find(|a| raw::name(a) == name)
            .map(view_of)
            .ok_or_else(|| missing_array(name, self.arrays().map(|(n, _)| n)))
    }

    /// The first array and its name, which single-array operators take as
    /// their input.
    pub fn first(&self) -> Result<(&'a str, ArrayView<'a>), PluginError> {
        self.arrays().next().ok_or_else(|| PluginError::input("frame holds no array"))
    }

    /// Metadata, parsed on first use.
    pub fn meta(&self) -> &Map<String, Value> {
        self.meta.get_or_init(|| parse_meta(raw::meta(&self.raw)).unwrap_or_default())
    }

    /// Copies into an owned frame.
    pub fn to_frame(&self) -> Frame {
        let mut f = Frame::new(self.dataset(), self.key());
        for (name, a) in self.arrays() {
            f.insert(name, a.to_owned());
        }
        f.meta = self.meta().clone();
        f
    }
}

fn view_of<'a>(a: &raw::ArrayRef<'a>) -> ArrayView<'a> {
    ArrayView {
        // The host only lends arrays it built from a valid `DType`.
        dtype: DType::from_code(a.dtype).unwrap_or(DType::U8),
        shape: raw::shape(a),
        axes: raw::axes(a),
        data: raw::data(a),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn lending_does_not_copy() {
        let a = Array::zeros::<f32>(vec![8, 8]);
        let host_ptr = a.as_bytes().as_ptr();
        let f = Frame::new("d", ChunkKey::whole(8)).with_array("image", a);
        let seen = f.with_ffi(0, |raw| FrameView::from_ffi(raw).array("image").unwrap().as_bytes().as_ptr());
        assert_eq!(seen, host_ptr);
    }

    #[test]
    fn round_trip_through_ffi_shares_memory() {
        let a = Array::from_fn(vec![3], |i| i as u16);
        let ptr = a.as_bytes().as_ptr();
        let f = Frame::new("d", ChunkKey::stream(4)).with_array("x", a).with_meta("unit", "mm");
        let back = Frame::from_ffi(f.into_ffi()).unwrap();
        assert_eq!(back.array("x").unwrap().as_bytes().as_ptr(), ptr);
        assert_eq!(back.array("x").unwrap().as_slice::<u16>().unwrap(), &[0, 1, 2]);
        assert_eq!(back.meta()["unit"], "mm");
        assert_eq!(back.key(), ChunkKey::stream(4));
    }

    #[test]
    fn missing_array_lists_present_ones() {
        let f = Frame::new("d", ChunkKey::whole(1)).with_array("a", Array::zeros::<u8>(vec![1]));
        assert_eq!(f.array("b").unwrap_err().to_string(), "invalid input: frame has no array `b` (it has `a`)");
    }
}
