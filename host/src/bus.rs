//! The data plane's plumbing: bounded edges between stages, fan-out without
//! copying, and the queues every other part of the host uses. This is the
//! only file that names the channel crate; everything else sees [`Inlet`],
//! [`Outlet`], [`QueueTx`] and [`QueueRx`].
//!
//! Every edge is a bounded queue, so a slow stage slows its producers instead
//! of filling memory. A frame travels as an [`Envelope`] holding an
//! `Arc<Frame>`: handing it to several consumers clones the `Arc`, never the
//! pixels. Delivery on an edge is in send order; stages keep stream order by
//! sequence number.

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender, TryRecvError, TrySendError};
use plexus_plugin_api::Frame;

use crate::budget::Permit;

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

/// The sending end of one edge.
pub struct EdgeTx(Sender<Envelope>);

/// The receiving end of one edge (cloning it makes several consumers take
/// turns on the same edge, as the instances of a parallel stage do).
#[derive(Clone)]
pub struct Inlet(Receiver<Envelope>);

/// What waiting on an [`Inlet`] gave.
pub enum Recv {
    /// A frame.
    Frame(Envelope),
    /// Nothing yet.
    Timeout,
    /// The producer has gone and the edge is drained.
    Closed,
}

impl Inlet {
    /// The next frame, waiting for it; `None` once the edge is closed and
    /// drained.
    pub fn recv(&self) -> Option<Envelope> {
        self.0.recv().ok()
    }

    /// The next frame, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Recv {
        match self.0.recv_timeout(timeout) {
            Ok(env) => Recv::Frame(env),
            Err(RecvTimeoutError::Timeout) => Recv::Timeout,
            Err(RecvTimeoutError::Disconnected) => Recv::Closed,
        }
    }

    /// Every frame until the edge closes.
    pub fn iter(&self) -> impl Iterator<Item = Envelope> + '_ {
        self.0.iter()
    }

    /// Receives and drops everything until the edge closes, so a producer
    /// is never blocked by a consumer that gave up.
    pub fn drain(&self) {
        for _ in self.0.iter() {}
    }
}

/// The sending side of one stage: every downstream edge.
#[derive(Default)]
pub struct Outlet {
    edges: Vec<Sender<Envelope>>,
}

impl Outlet {
    /// An outlet feeding `edges`.
    pub fn new(edges: Vec<EdgeTx>) -> Outlet {
        Outlet { edges: edges.into_iter().map(|e| e.0).collect() }
    }

    /// Hands `env` to every consumer (the frame is shared, not copied),
    /// blocking while a consumer's queue is full. Fails, giving the
    /// envelope back, only when every consumer has gone away.
    pub fn send(&self, env: Envelope) -> Result<(), Envelope> {
        let mut delivered = self.edges.is_empty();
        if let Some((last, rest)) = self.edges.split_last() {
            for tx in rest {
                delivered |= tx.send(env.clone()).is_ok();
            }
            if let Err(e) = last.send(env) {
                if !delivered {
                    return Err(e.0);
                }
            }
        }
        Ok(())
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
pub fn edge(capacity: usize) -> (EdgeTx, Inlet) {
    let (tx, rx) = bounded(capacity.max(1));
    (EdgeTx(tx), Inlet(rx))
}

/// The sending end of a [`queue`].
pub struct QueueTx<T>(Sender<T>);

impl<T> Clone for QueueTx<T> {
    fn clone(&self) -> Self {
        QueueTx(self.0.clone())
    }
}

/// Why [`QueueTx::try_send`] did not deliver.
#[derive(Debug, PartialEq, Eq)]
pub enum TrySend<T> {
    /// The queue is full (a bounded queue with a slow consumer).
    Full(T),
    /// The receiver has gone.
    Closed(T),
}

impl<T> QueueTx<T> {
    /// Sends, waiting while a bounded queue is full; gives the item back if
    /// the receiver has gone.
    pub fn send(&self, item: T) -> Result<(), T> {
        self.0.send(item).map_err(|e| e.0)
    }

    /// Sends without waiting.
    pub fn try_send(&self, item: T) -> Result<(), TrySend<T>> {
        self.0.try_send(item).map_err(|e| match e {
            TrySendError::Full(t) => TrySend::Full(t),
            TrySendError::Disconnected(t) => TrySend::Closed(t),
        })
    }
}

/// The receiving end of a [`queue`].
pub struct QueueRx<T>(Receiver<T>);

impl<T> Clone for QueueRx<T> {
    fn clone(&self) -> Self {
        QueueRx(self.0.clone())
    }
}

impl<T> QueueRx<T> {
    /// The next item, waiting; `None` once every sender has gone and the
    /// queue is drained.
    pub fn recv(&self) -> Option<T> {
        self.0.recv().ok()
    }

    /// The next item if one is waiting; `Err(true)` when the queue is
    /// closed and drained, `Err(false)` when it is merely empty.
    pub fn try_recv(&self) -> Result<T, bool> {
        self.0.try_recv().map_err(|e| e == TryRecvError::Disconnected)
    }

    /// The next item, waiting at most `timeout`; `Err(true)` when closed.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, bool> {
        self.0.recv_timeout(timeout).map_err(|e| e == RecvTimeoutError::Disconnected)
    }

    /// Every item until the queue closes.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.0.iter()
    }
}

impl<T> IntoIterator for QueueRx<T> {
    type Item = T;
    type IntoIter = crossbeam_channel::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A queue holding at most `capacity` items, or any number for `None`.
pub fn queue<T>(capacity: Option<usize>) -> (QueueTx<T>, QueueRx<T>) {
    let (tx, rx) = match capacity {
        Some(c) => bounded(c),
        None => unbounded(),
    };
    (QueueTx(tx), QueueRx(rx))
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
        assert!(out.send(Envelope { seq: 0, frame: frame.clone(), permit: None }).is_ok());
        let a = a_rx.recv().unwrap();
        let b = b_rx.recv().unwrap();
        assert!(Arc::ptr_eq(&a.frame, &frame) && Arc::ptr_eq(&b.frame, &frame));
    }

    #[test]
    fn edges_are_bounded_and_ordered() {
        let (tx, rx) = edge(3);
        let frame = Arc::new(Frame::default());
        for seq in 0..3 {
            assert!(tx.0.try_send(Envelope { seq, frame: frame.clone(), permit: None }).is_ok());
        }
        assert!(tx.0.try_send(Envelope { seq: 3, frame, permit: None }).is_err());
        drop(tx);
        let seqs: Vec<u64> = rx.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![0, 1, 2]);
    }

    #[test]
    fn send_fails_only_when_every_consumer_has_gone() {
        let (a_tx, a_rx) = edge(1);
        let (b_tx, b_rx) = edge(1);
        let out = Outlet::new(vec![a_tx, b_tx]);
        drop(b_rx);
        let env = || Envelope { seq: 0, frame: Arc::new(Frame::default()), permit: None };
        assert!(out.send(env()).is_ok(), "one consumer is left");
        drop(a_rx);
        assert!(out.send(env()).is_err());
    }

    #[test]
    fn queues_report_full_and_closed() {
        let (tx, rx) = queue::<u32>(Some(1));
        assert_eq!(tx.try_send(1), Ok(()));
        assert_eq!(tx.try_send(2), Err(TrySend::Full(2)));
        assert_eq!(rx.recv(), Some(1));
        drop(rx);
        assert_eq!(tx.try_send(3), Err(TrySend::Closed(3)));
    }
}
