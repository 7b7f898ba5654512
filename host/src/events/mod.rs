//! Control events: the typed kinds ([`kinds`]), one broadcast bus
//! ([`ControlBus`]) that feeds the event log ([`log`]) and live subscribers
//! (the HTTP event stream and metrics to come).
//!
//! The log never loses an event: it is a lossless subscriber, and a slow
//! disk slows the emitters rather than dropping lines. Live subscribers are
//! bounded: one that falls behind misses events, and the misses are counted
//! ([`Subscription::dropped`]) and reported as `events.dropped` in the log,
//! rather than growing memory without bound.

pub mod kinds;
pub mod log;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub use kinds::{Event, EventKind};
pub use log::{read_events, EventLog, EventQuery};

use crate::bus::{queue, QueueRx, QueueTx, TrySend};

/// Events the log's queue holds before emitters wait for the disk.
const LOG_QUEUE: usize = 65_536;

struct Subscriber {
    name: String,
    tx: QueueTx<Arc<Event>>,
    /// `None` for the lossless log; a live subscriber's miss count.
    dropped: Option<Arc<AtomicU64>>,
    /// Misses already reported in the log.
    reported: u64,
}

/// The broadcast channel of control events. Cloning shares it.
#[derive(Clone, Default)]
pub struct ControlBus {
    subscribers: Arc<Mutex<Vec<Subscriber>>>,
}

/// A live subscriber's end: up to its capacity of events, and the count of
/// those it missed because it was full.
pub struct Subscription {
    /// The events.
    pub rx: QueueRx<Arc<Event>>,
    dropped: Arc<AtomicU64>,
}

impl Subscription {
    /// Events missed so far because the subscriber was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl ControlBus {
    /// A bus with no subscribers.
    pub fn new() -> ControlBus {
        ControlBus::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Subscriber>> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes an event happening now.
    pub fn emit(&self, kind: EventKind) {
        self.publish(Event::now(kind));
    }

    /// Publishes to every subscriber: live ones get it if they have room
    /// (else their miss count grows), lossless ones always, waiting for room
    /// outside the lock. A subscriber that went away is dropped.
    pub fn publish(&self, event: Event) {
        let event = Arc::new(event);
        let mut lossless = Vec::new();
        let mut misses = Vec::new();
        {
            let mut subs = self.lock();
            subs.retain_mut(|s| match &s.dropped {
                None => {
                    lossless.push(s.tx.clone());
                    true
                }
                Some(dropped) => match s.tx.try_send(event.clone()) {
                    Ok(()) => {
                        // Say in the log how many it missed, once it keeps up again.
                        let d = dropped.load(Ordering::Relaxed);
                        if d > s.reported {
                            misses.push((s.name.clone(), d - s.reported));
                            s.reported = d;
                        }
                        true
                    }
                    Err(TrySend::Full(_)) => {
                        dropped.fetch_add(1, Ordering::Relaxed);
                        true
                    }
                    Err(TrySend::Closed(_)) => false,
                },
            });
        }
        for tx in &lossless {
            let _ = tx.send(event.clone());
        }
        for (subscriber, dropped) in misses {
            let report = Arc::new(Event::now(EventKind::EventsDropped { subscriber, dropped }));
            for tx in &lossless {
                let _ = tx.send(report.clone());
            }
        }
    }

    /// A live subscriber named `name` holding at most `capacity` events.
    pub fn subscribe(&self, name: &str, capacity: usize) -> Subscription {
        let (tx, rx) = queue(Some(capacity.max(1)));
        let dropped = Arc::new(AtomicU64::new(0));
        self.lock().push(Subscriber { name: name.to_string(), tx, dropped: Some(dropped.clone()), reported: 0 });
        Subscription { rx, dropped }
    }

    /// A subscriber that gets every event (the log): when it falls
    /// [`LOG_QUEUE`] events behind, emitters wait for it.
    pub fn subscribe_lossless(&self, name: &str) -> QueueRx<Arc<Event>> {
        let (tx, rx) = queue(Some(LOG_QUEUE));
        self.lock().push(Subscriber { name: name.to_string(), tx, dropped: None, reported: 0 });
        rx
    }

    /// Disconnects every subscriber so their loops end once drained.
    pub fn close(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(i: usize) -> EventKind {
        EventKind::StageWarning { pipeline: None, stage: "s".into(), message: i.to_string() }
    }

    #[test]
    fn a_slow_live_subscriber_drops_and_counts_while_the_lossless_one_gets_everything() {
        let bus = ControlBus::new();
        let log = bus.subscribe_lossless("log");
        let live = bus.subscribe("sse", 4);
        for i in 0..100 {
            bus.emit(warning(i));
        }
        assert_eq!(live.rx.iter().take(4).count(), 4);
        assert_eq!(live.dropped(), 96);
        // Once it keeps up again, the log hears how many it missed.
        bus.emit(warning(100));
        bus.close();
        let all: Vec<Arc<Event>> = log.iter().collect();
        assert_eq!(all.iter().filter(|e| matches!(e.kind, EventKind::StageWarning { .. })).count(), 101);
        let missed: Vec<u64> = all
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::EventsDropped { subscriber, dropped } if subscriber == "sse" => Some(*dropped),
                _ => None,
            })
            .collect();
        assert_eq!(missed, vec![96]);
    }
}
