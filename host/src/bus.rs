//! The data plane: bounded edges between stages, fan-out without copying,
//! and the memory budget that caps bytes in flight.
//!
//! Every edge is a bounded queue, so a slow stage slows its producers instead
//! of filling memory. A frame travels as an [`Envelope`] holding an
//! `Arc<Frame>`: handing it to several consumers clones the `Arc`, never the
//! pixels. Delivery on an edge is in send order; stages keep stream order by
//! sequence number.

use std::sync::{Arc, Condvar, Mutex};

use crossbeam_channel::{bounded, Receiver, SendError, Sender};
use plexus_plugin_api::Frame;

/// A frame in flight, with its position in the stream and the share of the
/// memory budget it holds.
#[derive(Clone)]
pub struct Envelope {
    /// Position in the stream of the edge it travels on, from 0.
    pub seq: u64,
    /// The frame, shared.
    pub frame: Arc<Frame>,
    /// Released when the last envelope derived from the same input chunk is
    /// dropped.
    pub permit: Option<Arc<Permit>>,
}

/// The sending side of one stage: every downstream edge.
#[derive(Clone, Default)]
pub struct Outlet {
    edges: Vec<Sender<Envelope>>,
}

impl Outlet {
    /// An outlet feeding `edges`.
    pub fn new(edges: Vec<Sender<Envelope>>) -> Outlet {
        Outlet { edges }
    }

    /// Hands `env` to every consumer (the frame is shared, not copied),
    /// blocking while a consumer's queue is full. Fails only when every
    /// consumer has gone away.
    pub fn send(&self, env: Envelope) -> Result<(), SendError<Envelope>> {
        let mut delivered = self.edges.is_empty();
        if let Some((last, rest)) = self.edges.split_last() {
            for tx in rest {
                delivered |= tx.send(env.clone()).is_ok();
            }
            delivered |= last.send(env.clone()).is_ok();
        }
        if delivered {
            Ok(())
        } else {
            Err(SendError(env))
        }
    }

    /// Number of consumers.
    pub fn len(&self) -> usize {
        self.edges.len()
    }

    /// Whether nobody consumes this stage's output.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }
}

/// A bounded edge of `capacity` frames.
pub fn edge(capacity: usize) -> (Sender<Envelope>, Receiver<Envelope>) {
    bounded(capacity.max(1))
}

/// Caps the bytes of input chunks in flight. One chunk is always admitted
/// when nothing is in flight, so a chunk larger than the budget still runs
/// (alone).
pub struct MemoryBudget {
    limit: usize,
    used: Mutex<usize>,
    freed: Condvar,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget { limit, used: Mutex::new(0), freed: Condvar::new() })
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Blocks until `bytes` fit, then holds them until the permit drops.
    pub fn acquire(self: &Arc<Self>, bytes: usize) -> Arc<Permit> {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used > 0 && *used + bytes > self.limit {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += bytes;
        Arc::new(Permit { budget: self.clone(), bytes })
    }

    /// Bytes currently held.
    pub fn in_use(&self) -> usize {
        *self.used.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A share of a [`MemoryBudget`], returned on drop.
pub struct Permit {
    budget: Arc<MemoryBudget>,
    bytes: usize,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(self.bytes);
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_plugin_api::{Array, ChunkKey};

    #[test]
    fn fan_out_shares_the_frame() {
        let (a_tx, a_rx) = edge(2);
        let (b_tx, b_rx) = edge(2);
        let out = Outlet::new(vec![a_tx, b_tx]);
        let frame = Arc::new(Frame::new("d", ChunkKey::whole(1)).with_array("x", Array::zeros::<f32>(vec![64])));
        out.send(Envelope { seq: 0, frame: frame.clone(), permit: None }).unwrap();
        let a = a_rx.recv().unwrap();
        let b = b_rx.recv().unwrap();
        assert!(Arc::ptr_eq(&a.frame, &frame) && Arc::ptr_eq(&b.frame, &frame));
    }

    #[test]
    fn edges_are_bounded_and_ordered() {
        let (tx, rx) = edge(3);
        let frame = Arc::new(Frame::default());
        for seq in 0..3 {
            tx.try_send(Envelope { seq, frame: frame.clone(), permit: None }).ok().unwrap();
        }
        assert!(tx.try_send(Envelope { seq: 3, frame, permit: None }).is_err());
        let seqs: Vec<u64> = rx.try_iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![0, 1, 2]);
    }

    #[test]
    fn budget_blocks_until_released() {
        let budget = MemoryBudget::new(100);
        let p1 = budget.acquire(60);
        let b2 = budget.clone();
        let t = std::thread::spawn(move || {
            let _p2 = b2.acquire(60);
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(budget.in_use(), 60);
        drop(p1);
        t.join().unwrap();
        assert_eq!(budget.in_use(), 0);
        // A chunk larger than the budget still runs alone.
        let big = budget.acquire(1000);
        assert_eq!(budget.in_use(), 1000);
        drop(big);
    }
}
