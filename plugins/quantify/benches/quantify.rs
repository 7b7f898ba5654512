//! Criterion benchmarks of the quantify kernels on procedural blobby
//! volumes (the peer comparison at the sizes is
//! `benches/compare.py`):
//!
//! - `surface_area_128/{1,2}t`: Lewiner marching cubes + area, open;
//! - `euler26_128`: 3-D Euler number;
//! - `tortuosity_64/{1,2}t`: diffusive tortuosity along z.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use plexus_kernels::volume::{Connectivity, Shape};
use plexus_quantify::chunk::ChunkPos;
use plexus_quantify::euler_number::EulerCounts;
use plexus_quantify::surface_area::{surface_area, SurfaceAreaParams};
use plexus_quantify::tortuosity::{tortuosity, TortuosityParams};

/// A blobby 0/1 mask: a product of sines above zero.
fn mask(n: usize) -> Vec<u8> {
    let f = |i: usize, a: f64, p: f64| (i as f64 * a + p).sin();
    let mut v = Vec::with_capacity(n * n * n);
    for z in 0..n {
        for y in 0..n {
            for x in 0..n {
                let s =
                    f(x, 0.21, 0.3) * f(y, 0.17, 1.1) * f(z, 0.13, 2.0) + 0.4 * f(x + y, 0.11, 0.7) * f(z, 0.29, 0.1);
                v.push((s > -0.15) as u8);
            }
        }
    }
    v
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("quantify");
    g.sample_size(10);
    let m128 = mask(128);
    let s128 = Shape::new(128, 128, 128);
    for threads in [1, 2] {
        g.bench_function(BenchmarkId::new("surface_area_128", format!("{threads}t")), |b| {
            b.iter(|| surface_area(black_box(&m128), s128, &SurfaceAreaParams::default(), threads).unwrap())
        });
    }
    g.bench_function("euler26_128", |b| {
        b.iter(|| {
            let mut e = EulerCounts::default();
            e.add(black_box(&m128), s128, ChunkPos::whole(128)).unwrap();
            e.finish(Connectivity::TwentySix).unwrap()
        })
    });
    let m64 = mask(64);
    let s64 = Shape::new(64, 64, 64);
    for threads in [1, 2] {
        g.bench_function(BenchmarkId::new("tortuosity_64", format!("{threads}t")), |b| {
            b.iter(|| tortuosity(black_box(&m64), s64, &TortuosityParams::default(), threads).unwrap())
        });
    }
    g.finish();
}

criterion_group!(quantify, benches);
criterion_main!(quantify);
