//! The output buffer pool, through the public API. A test binary of its
//! own with one test: the pool is process-wide, so nothing else may take
//! from it or retain it meanwhile.

use plexus_plugin_api::pool::{self, max_idle_bytes, MIN_POOLED_BYTES};
use plexus_plugin_api::{Array, ArrayBuf, DType};

fn address(a: &Array) -> usize {
    a.as_bytes().as_ptr() as usize
}

#[test]
fn buffers_are_reused_bounded_and_released() {
    assert_eq!(pool::stats(), pool::PoolStats::default(), "nothing happened yet");
    // Not retained: a large array is allocated and freed as usual.
    let bytes = vec![7u8; 3 << 20];
    drop(Array::from_bytes(DType::U8, vec![3 << 20], &bytes).unwrap());
    assert_eq!(pool::stats().idle_buffers, 0);

    let guard = pool::retain();
    let before = pool::stats();
    let a = Array::from_bytes(DType::U8, vec![3 << 20], &bytes).unwrap();
    assert_eq!(a.as_bytes(), &bytes[..]);
    let first = address(&a);
    drop(a);
    assert_eq!(pool::stats().idle_buffers, 1);
    // The same size comes back, a little smaller too, through ArrayBuf; its
    // elements are written before use, whatever they held.
    let mut b = ArrayBuf::<u8>::new(vec![(3 << 20) - 4096]);
    b.as_mut_slice().fill(1);
    let b = b.into_array();
    assert_eq!(address(&b), first, "reused");
    assert!(b.as_bytes().iter().all(|&v| v == 1));
    drop(b);
    // Much smaller: not that buffer (it would waste more than an eighth).
    let c = Array::from_fn(vec![MIN_POOLED_BYTES / 4], |i| i as f32);
    assert_ne!(address(&c), first);
    assert_eq!(c.as_slice::<f32>().unwrap()[5], 5.0);
    drop(c);
    // Below the threshold nothing is pooled.
    drop(Array::from_fn(vec![1000], |i| i as f64));
    let s = pool::stats();
    assert_eq!((s.fresh - before.fresh, s.reused - before.reused), (2, 1));
    assert_eq!(s.idle_buffers, 2);
    assert!(s.idle_bytes <= max_idle_bytes());

    // Nothing retains the pool any more: everything idle is freed, and
    // buffers coming back now are freed at once.
    drop(guard);
    assert_eq!((pool::stats().idle_buffers, pool::stats().idle_bytes), (0, 0));
    drop(Array::from_bytes(DType::U8, vec![2 << 20], &bytes[..2 << 20]).unwrap());
    assert_eq!(pool::stats().idle_buffers, 0);
}
