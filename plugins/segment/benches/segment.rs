//! Criterion benchmarks of the segment kernels on a procedural blobby
//! 256³ u8 volume (sums of sines; the 512³ peer comparison is
//! `plugins/quantify/benches/compare.py`):
//!
//! - `otsu_256`: histogram + Otsu threshold + mask;
//! - `label26_256/{1,2}t`: 26-connected labels of the mask;
//! - `edt_f32_256/{1,2}t`: exact Euclidean distance transform of the mask.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use plexus_segment::distance_transform::distance_transform;
use plexus_segment::label::label;
use plexus_segment::threshold::{apply, otsu, Histogram};
use plexus_segment::{Connectivity, Shape};

/// A blobby volume: a product of sines at three incommensurate frequencies.
pub fn volume(n: usize) -> Vec<u8> {
    let f = |i: usize, a: f64, p: f64| (i as f64 * a + p).sin();
    let mut v = Vec::with_capacity(n * n * n);
    for z in 0..n {
        for y in 0..n {
            for x in 0..n {
                let s =
                    f(x, 0.21, 0.3) * f(y, 0.17, 1.1) * f(z, 0.13, 2.0) + 0.4 * f(x + y, 0.11, 0.7) * f(z, 0.29, 0.1);
                v.push((127.5 + 90.0 * s).clamp(0.0, 255.0) as u8);
            }
        }
    }
    v
}

fn benches(c: &mut Criterion) {
    let n = 256;
    let s = Shape::new(n, n, n);
    let vol = volume(n);
    let mut mask = vec![0u8; vol.len()];
    let mut g = c.benchmark_group("segment");
    g.sample_size(10);
    g.bench_function("otsu_256", |b| {
        b.iter(|| {
            let t = otsu(&Histogram::of(black_box(&vol), 256).unwrap()).unwrap();
            apply(&vol, &[t], &mut mask);
        })
    });
    for threads in [1, 2] {
        g.bench_function(BenchmarkId::new("label26_256", format!("{threads}t")), |b| {
            b.iter(|| label(black_box(&mask), s, Connectivity::TwentySix, threads).unwrap())
        });
        g.bench_function(BenchmarkId::new("edt_f32_256", format!("{threads}t")), |b| {
            b.iter(|| distance_transform::<f32>(black_box(&mask), s, [1.0; 3], threads).unwrap())
        });
    }
    g.finish();
}

criterion_group!(segment, benches);
criterion_main!(segment);
