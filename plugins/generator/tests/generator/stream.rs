//! `stream`: counter content (the host's hot-reload test relies on it),
//! unbounded streams and deadline pacing.

use std::time::{Duration, Instant};

use plexus_plugin_api::compliance::Harness;
use plexus_plugin_api::{ChunkKey, DType};
use serde_json::json;

use super::{frames, run, ticks};

#[test]
fn counter_frames_are_1x1_f64_holding_their_index() {
    let outs = run("stream", json!({"count": 5}), 6);
    let fs = frames(&outs);
    assert_eq!(fs.len(), 5);
    for (i, f) in fs.iter().enumerate() {
        let a = f.array("image").unwrap();
        assert_eq!((a.dtype(), a.shape()), (DType::F64, &[1usize, 1][..]));
        assert_eq!(a.as_slice::<f64>().unwrap(), &[i as f64]);
        assert_eq!(f.key(), ChunkKey { axis: 0, offset: i as u64, length: 1, extent: 5 });
    }
    assert!(outs[4].is_end_of_stream());
}

#[test]
fn count_zero_streams_without_end() {
    let outs = run("stream", json!({}), 50);
    let fs = frames(&outs);
    assert_eq!(fs.len(), 50);
    assert!(outs.iter().all(|e| !e.is_end_of_stream()));
    assert_eq!(fs[49].key(), ChunkKey::stream(49));
}

/// A reloaded stream continues numbering where the old one stopped.
#[test]
fn reload_continues_the_count() {
    let new = &plexus_generator::PLUGIN;
    let mut old = Harness::new(new, "stream", json!({"count": 10})).unwrap();
    let tick = &ticks(1)[0];
    for _ in 0..4 {
        old.process(tick).unwrap();
    }
    let mut fresh = Harness::new(new, "stream", json!({"count": 10})).unwrap();
    fresh.restore(&old.snapshot().unwrap().unwrap()).unwrap();
    let out = fresh.process(tick).unwrap();
    assert_eq!(out.frames()[0].array("image").unwrap().as_slice::<f64>().unwrap(), &[4.0]);
}

/// 11 frames at 50 Hz with a consumer that spends 10 ms per frame: with a
/// deadline clock the last frame is due at 200 ms and the run takes about
/// 210 ms; sleeping 1/rate per frame would take 11 × 30 = 330 ms. The
/// bounds leave 90 ms for a loaded machine.
#[test]
fn pacing_uses_a_deadline_clock() {
    let mut h = Harness::new(&plexus_generator::PLUGIN, "stream", json!({"rate_hz": 50.0, "count": 11})).unwrap();
    let tick = &ticks(1)[0];
    let t0 = Instant::now();
    let mut times = Vec::new();
    for _ in 0..11 {
        h.process(tick).unwrap();
        times.push(t0.elapsed());
        std::thread::sleep(Duration::from_millis(10));
    }
    let last = times[10];
    assert!(last >= Duration::from_millis(195), "last frame after {last:?}");
    assert!(last < Duration::from_millis(290), "last frame after {last:?}: the rate drifts");
}
