//! Frames: what travels on the bus between stages.
//!
//! A frame belongs to a dataset, covers one chunk of it along the chunked
//! axis ([`ChunkKey`]), and carries named arrays plus a JSON metadata map
//! (units, pixel size, angles, scalars). [`Frame`] is the owned form a plugin
//! emits; [`FrameView`] is the borrowed form a plugin receives.

use std::cell::OnceCell;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::array::{Array, ArrayView};
use crate::error::PluginError;

/// Where a frame lies in its dataset along the chunked axis.
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

    /// The dataset and the named arrays, taken apart (for transports).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn into_parts(self) -> (String, Vec<(String, Array)>) {
        (self.dataset, self.arrays)
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
        self.arrays.first().map(|(_, a)| a).ok_or_else(no_array)
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
}

/// Parses a metadata JSON object as it crossed the boundary; empty means none.
pub(crate) fn parse_meta(json: &str) -> Result<Map<String, Value>, PluginError> {
    if json.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(json) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(PluginError::bad_input(
            "",
            "frame metadata (`meta_json`) as a JSON object",
            format!("`{}`", truncate(&other.to_string(), 60)),
        )),
        Err(e) => Err(PluginError::bad_input(
            "",
            "frame metadata (`meta_json`) as a JSON object",
            format!("invalid JSON ({e})"),
        )),
    }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

pub(crate) fn missing_array<'a>(name: &str, present: impl Iterator<Item = &'a str>) -> PluginError {
    let present: Vec<String> = present.map(|n| format!("`{n}`")).collect();
    let present = if present.is_empty() { "no array".to_string() } else { format!("arrays {}", present.join(", ")) };
    PluginError::bad_input(name, "an array of that name in the frame", present)
}

fn no_array() -> PluginError {
    PluginError::bad_input("", "a frame holding an array", "an empty frame")
}

/// A borrowed input frame, pointing into host memory.
///
/// Transports build it from what crossed the boundary (the native ABI's
/// lent frame, or what a wasm guest pulled from the host); the operator
/// sees the same type either way.
pub struct FrameView<'a> {
    dataset: &'a str,
    key: ChunkKey,
    seq: u64,
    arrays: &'a [(&'a str, ArrayView<'a>)],
    meta_json: &'a str,
    meta: OnceCell<Result<Map<String, Value>, PluginError>>,
}

impl<'a> FrameView<'a> {
    /// A view of `arrays` with metadata `meta_json` (a JSON object, or
    /// empty for none), as entry `seq` of its stream.
    #[inline]
    pub(crate) fn from_parts(
        dataset: &'a str,
        key: ChunkKey,
        seq: u64,
        arrays: &'a [(&'a str, ArrayView<'a>)],
        meta_json: &'a str,
    ) -> FrameView<'a> {
        FrameView { dataset, key, seq, arrays, meta_json, meta: OnceCell::new() }
    }

    /// The dataset this frame belongs to.
    pub fn dataset(&self) -> &'a str {
        self.dataset
    }

    /// Where this frame lies in its dataset.
    pub fn key(&self) -> ChunkKey {
        self.key
    }

    /// Position of this frame in the stream a stage receives, from 0.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Number of arrays.
    pub fn len(&self) -> usize {
        self.arrays.len()
    }

    /// Whether the frame holds no array (a source operator's tick).
    pub fn is_empty(&self) -> bool {
        self.arrays.is_empty()
    }

    /// The named arrays in order.
    pub fn arrays(&self) -> impl Iterator<Item = (&'a str, ArrayView<'a>)> + 'a {
        self.arrays.iter().copied()
    }

    /// The array `name`, or an error that lists the arrays present.
    pub fn array(&self, name: &str) -> Result<ArrayView<'a>, PluginError> {
        self.arrays
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| missing_array(name, self.arrays.iter().map(|(n, _)| *n)))
    }

    /// The first array and its name, which single-array operators take as
    /// their input.
    pub fn first(&self) -> Result<(&'a str, ArrayView<'a>), PluginError> {
        self.arrays.first().copied().ok_or_else(no_array)
    }

    /// Metadata, parsed on first use; malformed metadata is an error that
    /// says so (it never reads as empty).
    pub fn meta(&self) -> Result<&Map<String, Value>, PluginError> {
        self.meta.get_or_init(|| parse_meta(self.meta_json)).as_ref().map_err(Clone::clone)
    }

    /// Copies into an owned frame.
    pub fn to_frame(&self) -> Result<Frame, PluginError> {
        let mut f = Frame::new(self.dataset(), self.key());
        for (name, a) in self.arrays() {
            f.insert(name, a.to_owned());
        }
        f.meta = self.meta()?.clone();
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;

    #[test]
    fn missing_array_lists_present_ones() {
        let f = Frame::new("d", ChunkKey::whole(1)).with_array("a", Array::zeros::<u8>(vec![1]));
        assert_eq!(
            f.array("b").unwrap_err().to_string(),
            "invalid input `b`: expected an array of that name in the frame, got arrays `a`"
        );
    }

    #[test]
    fn malformed_metadata_is_an_error_not_empty() {
        let a = Array::zeros::<u8>(vec![2]);
        let arrays = [("x", a.view())];
        let view = FrameView::from_parts("d", ChunkKey::whole(1), 0, &arrays, "[1, 2]");
        assert_eq!(
            view.meta().unwrap_err().to_string(),
            "invalid input: expected frame metadata (`meta_json`) as a JSON object, got `[1,2]`"
        );
        let view = FrameView::from_parts("d", ChunkKey::whole(1), 0, &arrays, "{\"unit\": ");
        assert!(view
            .meta()
            .unwrap_err()
            .to_string()
            .starts_with("invalid input: expected frame metadata (`meta_json`) as a JSON object, got invalid JSON ("));
        let view = FrameView::from_parts("d", ChunkKey::whole(1), 0, &arrays, "");
        assert!(view.meta().unwrap().is_empty());
        assert_eq!(view.array("x").unwrap().dtype(), DType::U8);
    }
}
