//! Halos: an operator that declares `halo = h` receives each chunk with up
//! to `h` neighbour slices on each side (fewer at the ends of the dataset),
//! and the host trims what it emits back to the chunk.
//!
//! The padded frame's key covers the padded range; its metadata says what
//! was added: `"halo": {"before": b, "after": a}`. Every array of the frame
//! whose first axis is the chunk's length is padded; outputs whose first
//! axis is the padded length are trimmed, and get the chunk's own key back.
//! An operator whose support is at most `h` slices therefore gives, on every
//! chunk, exactly the slices it would give on the whole volume.
//!
//! [`window`] pads on the way into the stage (a node on the edge, holding
//! back each chunk until the next one has arrived); a reslice pads as it
//! reads from its store; [`trim`] runs in the stage on what the operator
//! emitted.

use std::collections::VecDeque;
use std::sync::Arc;

use plexus_plugin_api::{Array, ChunkKey, Frame};
use serde_json::{json, Value};

use crate::bus::{Envelope, Outlet};

/// What a padded frame carries beyond its chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Halo {
    /// Slices added before.
    pub before: usize,
    /// Slices added after.
    pub after: usize,
}

impl Halo {
    /// The halo a frame says it carries.
    pub fn of(frame: &Frame) -> Option<Halo> {
        let h = frame.meta().get("halo")?;
        Some(Halo { before: h.get("before")?.as_u64()? as usize, after: h.get("after")?.as_u64()? as usize })
    }

    fn meta(self) -> Value {
        json!({ "before": self.before, "after": self.after })
    }
}

/// Rows `start..start + len` of axis 0 of `a`, copied.
pub fn rows(a: &Array, start: usize, len: usize) -> Array {
    let row = a.as_bytes().len() / a.shape().first().copied().unwrap_or(1).max(1);
    let mut shape = a.shape().to_vec();
    shape[0] = len;
    let out = Array::from_bytes(a.dtype(), shape, &a.as_bytes()[start * row..(start + len) * row]);
    out.and_then(|o| o.with_axes(a.axes())).expect("rows of a consistent array")
}

/// Trims one emitted frame of a padded input back to the chunk: arrays whose
/// first axis is the padded length lose the halo, the key becomes the
/// chunk's, and the `halo` metadata goes.
pub fn trim(frame: &Frame, halo: Halo, padded: ChunkKey) -> Frame {
    let length = padded.length as usize;
    let inner = length.saturating_sub(halo.before + halo.after);
    let key = ChunkKey { offset: padded.offset + halo.before as u64, length: inner as u64, ..padded };
    let mut out = Frame::new(frame.dataset(), if frame.key() == padded { key } else { frame.key() });
    for (name, a) in frame.arrays() {
        let a = if a.shape().first() == Some(&length) && a.shape().len() > 1 {
            rows(a, halo.before, inner)
        } else {
            a.clone()
        };
        out.insert(name.clone(), a);
    }
    for (k, v) in frame.meta() {
        if k != "halo" {
            out.meta_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// Pads every array of `parts` (consecutive chunks, in order) that covers
/// its chunk, over `start..end` of the dataset, around the chunk `main`.
fn padded(parts: &VecDeque<Envelope>, main: &Envelope, start: u64, end: u64) -> Frame {
    let key = main.frame.key();
    let halo = Halo { before: (key.offset - start) as usize, after: (end - key.offset - key.length) as usize };
    let mut frame = Frame::new(main.frame.dataset(), ChunkKey { offset: start, length: end - start, ..key });
    for (name, a) in main.frame.arrays() {
        if a.shape().first().copied() != Some(key.length as usize) || a.shape().len() < 2 {
            frame.insert(name.clone(), a.clone());
            continue;
        }
        let row = a.as_bytes().len() / key.length.max(1) as usize;
        let mut bytes = Vec::with_capacity((end - start) as usize * row);
        for p in parts {
            let k = p.frame.key();
            let (from, to) = (k.offset.max(start), (k.offset + k.length).min(end));
            if from >= to {
                continue;
            }
            let Ok(src) = p.frame.array(name) else { continue };
            let lo = (from - k.offset) as usize * row;
            bytes.extend_from_slice(&src.as_bytes()[lo..lo + (to - from) as usize * row]);
        }
        let mut shape = a.shape().to_vec();
        shape[0] = (end - start) as usize;
        match Array::from_bytes(a.dtype(), shape, &bytes).and_then(|p| p.with_axes(a.axes())) {
            Ok(p) => frame.insert(name.clone(), p),
            Err(e) => tracing::error!("cannot pad array `{name}`: {e}"),
        }
    }
    for (k, v) in main.frame.meta() {
        frame.meta_mut().insert(k.clone(), v.clone());
    }
    frame.meta_mut().insert("halo".into(), halo.meta());
    frame
}

/// What later chunks may need of a chunk already sent: its last `h` slices,
/// copied, without its permit.
fn tail(env: &Envelope, h: usize) -> Envelope {
    let key = env.frame.key();
    let t = h.min(key.length as usize);
    let start = key.length as usize - t;
    let mut frame =
        Frame::new(env.frame.dataset(), ChunkKey { offset: key.offset + start as u64, length: t as u64, ..key });
    for (name, a) in env.frame.arrays() {
        if a.shape().first() == Some(&(key.length as usize)) && a.shape().len() > 1 {
            frame.insert(name.clone(), rows(a, start, t));
        }
    }
    Envelope { seq: env.seq, frame: Arc::new(frame), permit: None }
}

/// The node on an edge into a stage with a halo of `h`: receives chunks in
/// order, and sends each one padded with its neighbours as soon as the
/// chunks after it cover its halo (or the stream ends). A padded frame takes
/// its chunk's permit with it; what later chunks still need of a sent chunk
/// (its last `h` slices) is kept as a copy without a permit, so the window
/// itself holds the permit of at most the chunks not yet sent: the budget
/// must admit two chunks at once ([`Schedule`](super::schedule::Schedule)
/// sees to it).
pub fn window(input: impl Iterator<Item = Envelope>, outlet: &Outlet, h: usize) {
    let h = h as u64;
    let mut held: VecDeque<Envelope> = VecDeque::new();
    let mut next = 0; // index in `held` of the next chunk to send
    let mut seq = 0;
    let mut send = |held: &VecDeque<Envelope>, i: usize, closed: bool| -> bool {
        let main = &held[i];
        let key = main.frame.key();
        let received_end = held.back().map(|e| e.frame.key().offset + e.frame.key().length).unwrap_or(0);
        let extent = if key.extent > 0 { key.extent } else { u64::MAX };
        let end = (key.offset + key.length + h).min(extent);
        if end > received_end && !closed {
            return false;
        }
        let end = end.min(received_end);
        let start = key.offset.saturating_sub(h).max(held.front().map(|e| e.frame.key().offset).unwrap_or(0));
        let frame = padded(held, main, start, end);
        let _ = outlet.send(Envelope { seq, frame: Arc::new(frame), permit: main.permit.clone() });
        seq += 1;
        true
    };
    for env in input {
        held.push_back(env);
        while next < held.len() && send(&held, next, false) {
            held[next] = tail(&held[next], h as usize);
            next += 1;
        }
        // Let go of chunks no longer within reach of the next one.
        while next > 0 {
            let keep_from = held.get(next).map(|e| e.frame.key().offset.saturating_sub(h)).unwrap_or(u64::MAX);
            let front = held.front().map(|e| e.frame.key()).expect("non-empty");
            if front.offset + front.length > keep_from {
                break;
            }
            held.pop_front();
            next -= 1;
        }
    }
    while next < held.len() {
        send(&held, next, true);
        next += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::edge;

    fn chunk(offset: u64, len: usize, extent: u64) -> Envelope {
        let a = Array::from_fn(vec![len, 2], |i| (offset as usize * 2 + i) as u16).with_axes("z x").unwrap();
        let key = ChunkKey { axis: 0, offset, length: len as u64, extent };
        Envelope { seq: 0, frame: Arc::new(Frame::new("d", key).with_array("image", a)), permit: None }
    }

    #[test]
    fn chunks_are_padded_with_their_neighbours_and_trimmed_back() {
        let (tx, rx) = edge(16);
        let (out_tx, out_rx) = edge(16);
        let up = Outlet::new(vec![tx]);
        // Chunks of 1, 2 and 1 slices of a 4-slice volume, halo 2.
        for (o, l) in [(0, 1), (1, 2), (3, 1)] {
            assert!(up.send(chunk(o, l, 4)).is_ok());
        }
        drop(up);
        window(rx.iter(), &Outlet::new(vec![out_tx]), 2);
        let got: Vec<Envelope> = out_rx.iter().collect();
        let keys: Vec<(u64, u64)> = got.iter().map(|e| (e.frame.key().offset, e.frame.key().length)).collect();
        assert_eq!(keys, vec![(0, 3), (0, 4), (1, 3)]);
        let halos: Vec<Halo> = got.iter().map(|e| Halo::of(&e.frame).unwrap()).collect();
        assert_eq!(halos[1], Halo { before: 1, after: 1 });
        // The padded array is the volume's slices 0..4.
        let whole: Vec<u16> = (0..8).collect();
        assert_eq!(got[1].frame.first().unwrap().as_slice::<u16>().unwrap(), &whole[..]);
        // Trimming gives back the chunk.
        let t = trim(&got[1].frame, halos[1], got[1].frame.key());
        assert_eq!((t.key().offset, t.key().length), (1, 2));
        assert_eq!(t.first().unwrap().as_slice::<u16>().unwrap(), &whole[2..6]);
        assert!(t.meta().get("halo").is_none());
    }
}
