//! Criterion benchmarks of the geometry kernels on the cases compared with
//! OpenCV and scipy in `benches/peers.py` (`benches/compare.sh` runs both and
//! prints ratios):
//!
//! - `correlate_5x5_f32_4096/{general,separable}/{1,2}t`: a 4096² f32 image,
//!   5×5 kernel (random, rank 5 / binomial, rank 1), mode mirror (OpenCV's
//!   default border), 1 and 2 threads;
//! - `rfft2_2048/{f64,f32}/{1,2}t`: 2-D real FFT of a 2048² image (half
//!   spectrum, transposed layout);
//! - `power_spectrum_2048/1t`: FFT plus radial average.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use plexus_geometry::filter::{correlate2d, Anchor, Kernel, Path};
use plexus_geometry::options::Mode;
use plexus_geometry::spectrum::{radial_average, Binning, Rfft2};

fn image(n: usize) -> Vec<f32> {
    let mut s = 12345u64;
    (0..n * n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

fn bench_correlate(c: &mut Criterion) {
    let n = 4096;
    let img = image(n);
    let mut out = vec![0f32; n * n];
    let random = Kernel::new(5, 5, (0..25).map(|i| ((i * 7919) % 23) as f64 / 23.0 - 0.5).collect());
    let b = [1.0, 4.0, 6.0, 4.0, 1.0].map(|v| v / 16.0);
    let gauss = Kernel::outer(&b, &b);
    let mut g = c.benchmark_group("correlate_5x5_f32_4096");
    g.sample_size(10);
    for threads in [1, 2] {
        for (name, k, path) in [("general", &random, Path::General), ("separable", &gauss, Path::Separable)] {
            g.bench_function(BenchmarkId::new(name, format!("{threads}t")), |bch| {
                bch.iter(|| {
                    correlate2d(
                        black_box(&img),
                        n,
                        n,
                        k,
                        Anchor::correlate(5, 5),
                        Mode::Mirror,
                        0.0,
                        path,
                        threads,
                        &mut out,
                    )
                    .unwrap()
                })
            });
        }
    }
    g.finish();
}

fn bench_fft(c: &mut Criterion) {
    let n = 2048;
    let img32 = image(n);
    let img64: Vec<f64> = img32.iter().map(|&v| v as f64).collect();
    let mut g = c.benchmark_group("rfft2_2048");
    g.sample_size(10);
    for threads in [1, 2] {
        let plan = Rfft2::<f64>::new(n, n);
        let (mut rows, mut half) = (Vec::new(), Vec::new());
        g.bench_function(BenchmarkId::new("f64", format!("{threads}t")), |b| {
            b.iter(|| plan.process(black_box(&img64), threads, &mut rows, &mut half))
        });
        let plan = Rfft2::<f32>::new(n, n);
        let (mut rows, mut half) = (Vec::new(), Vec::new());
        g.bench_function(BenchmarkId::new("f32", format!("{threads}t")), |b| {
            b.iter(|| plan.process(black_box(&img32), threads, &mut rows, &mut half))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("power_spectrum_2048");
    g.sample_size(10);
    let plan = Rfft2::<f64>::new(n, n);
    let (mut rows, mut half) = (Vec::new(), Vec::new());
    g.bench_function("1t", |b| {
        b.iter(|| {
            plan.process(black_box(&img64), 1, &mut rows, &mut half);
            radial_average(&half, n, n, Binning::Round)
        })
    });
    g.finish();
}

criterion_group!(benches, bench_correlate, bench_fft);
criterion_main!(benches);
