//! The moments kernel on 64 MiB of u16 values: the exact integer path
//! (u8/u16/i16 input) against the two-pass float path it replaced for them
//! (the same values as u32, which still take it).
//!
//!     cargo bench -p plexus-trend --bench moments

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use plexus_plugin_api::Array;
use plexus_trend::moments::per_channel;

fn moments(c: &mut Criterion) {
    let n = 32 << 20;
    let values: Vec<u16> = (0..n).map(|i| (i % 65521) as u16).collect();
    let wide: Vec<u32> = values.iter().map(|&v| v as u32).collect();
    let narrow = Array::from_vec(vec![n], values).unwrap();
    let wide = Array::from_vec(vec![n], wide).unwrap();
    let mut g = c.benchmark_group("moments 32 Mi values");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("u16, exact integer sums", |b| b.iter(|| per_channel(&narrow.view(), 1, 0..n, None)));
    g.bench_function("u32, two-pass float blocks", |b| b.iter(|| per_channel(&wide.view(), 1, 0..n, None)));
    g.finish();
}

criterion_group!(benches, moments);
criterion_main!(benches);
