//! What every source operator shares: the cursor that says which chunk comes
//! next and when the stream ends, its hot-reload snapshot, and the frame a
//! chunk is wrapped in.
//!
//! Source lifecycle: the host calls `process` with an empty tick frame again
//! and again; each call emits the next chunk. The call that emits the last
//! chunk also calls `end_stream`, and any later call emits nothing and ends
//! the stream again. A snapshot is the cursor position, so a reloaded source
//! continues with the next chunk instead of starting over.

use plexus_plugin_api::{Array, ChunkKey, Frame, FrameView, PluginError};
use serde_json::json;

/// Position in a stream of `total` chunks (`None`: unbounded).
#[derive(Debug, Clone)]
pub struct Cursor {
    operator: &'static str,
    next: u64,
    total: Option<u64>,
}

impl Cursor {
    /// A cursor at the start of a stream of `total` chunks.
    pub fn new(operator: &'static str, total: Option<u64>) -> Cursor {
        Cursor { operator, next: 0, total }
    }

    /// The index of the next chunk, advancing past it; `None` once done.
    pub fn take(&mut self) -> Option<u64> {
        if self.done() {
            return None;
        }
        let i = self.next;
        self.next += 1;
        Some(i)
    }

    /// Index of the chunk the next `take` returns.
    pub fn position(&self) -> u64 {
        self.next
    }

    /// Whether every chunk has been taken.
    pub fn done(&self) -> bool {
        self.total.is_some_and(|t| self.next >= t)
    }

    /// The state handed to a new version on hot reload.
    pub fn snapshot(&self) -> Vec<u8> {
        json!({ "operator": self.operator, "next": self.next }).to_string().into_bytes()
    }

    /// Takes over a position from [`Cursor::snapshot`] of the same operator.
    pub fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        let v: serde_json::Value = serde_json::from_slice(state)
            .map_err(|e| PluginError::failed(format!("`{}`: snapshot is not valid JSON: {e}", self.operator)))?;
        if v["operator"] != self.operator {
            return Err(PluginError::failed(format!(
                "`{}`: snapshot belongs to operator {}",
                self.operator, v["operator"]
            )));
        }
        self.next = v["next"]
            .as_u64()
            .ok_or_else(|| PluginError::failed(format!("`{}`: snapshot has no position `next`", self.operator)))?;
        Ok(())
    }
}

/// The dataset a source's frames belong to: the tick's, or the operator's
/// name when the host leaves it empty.
pub fn dataset(tick: &FrameView<'_>, operator: &str) -> String {
    if tick.dataset().is_empty() {
        operator.to_string()
    } else {
        tick.dataset().to_string()
    }
}

/// A frame holding one chunk of `length` entries at `offset` along axis 0.
pub fn chunk_frame(dataset: String, offset: u64, length: u64, extent: u64, name: &str, array: Array) -> Frame {
    Frame::new(dataset, ChunkKey { axis: 0, offset, length, extent }).with_array(name, array)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_counts_to_total_and_restores() {
        let mut c = Cursor::new("uniform", Some(2));
        assert_eq!(c.take(), Some(0));
        let state = c.snapshot();
        assert_eq!(c.take(), Some(1));
        assert!(c.done());
        assert_eq!(c.take(), None);
        let mut d = Cursor::new("uniform", Some(2));
        d.restore(&state).unwrap();
        assert_eq!(d.take(), Some(1));
        let mut e = Cursor::new("gaussian", Some(2));
        assert_eq!(e.restore(&state).unwrap_err().to_string(), "`gaussian`: snapshot belongs to operator \"uniform\"");
    }

    #[test]
    fn unbounded_cursor_never_ends() {
        let mut c = Cursor::new("stream", None);
        for i in 0..100 {
            assert_eq!(c.take(), Some(i));
        }
        assert!(!c.done());
    }
}
