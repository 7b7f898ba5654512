//! 256-bin histogram of a 4096 × 4096 u16 image, the case `peers.py` times
//! with `numpy.histogram(bins=256, range=(0, 65536))` and `numpy.bincount`.
//!
//! The image is the one `peers.py` writes (camera upscaled to 4096², scaled
//! to 16 bits, fixed-seed noise), read from `$PLEXUS_BENCH_IMAGE`; without
//! it, a synthetic image of the same size (smooth ramp plus hashed noise) is
//! used and the bench says so. Run everything with
//! `python3 plugins/pattern/benches/peers.py`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use plexus_pattern::histogram::{histogram_generic, histogram_u16, histogram_u16_via_lut, lut_16, Binning};
use plexus_pattern::kernels::count_u16;

const SIDE: usize = 4096;

fn image() -> Vec<u16> {
    if let Ok(path) = std::env::var("PLEXUS_BENCH_IMAGE") {
        let npy = common::parse(&std::fs::read(&path).expect("read PLEXUS_BENCH_IMAGE")).expect("npy");
        assert_eq!((npy.descr.as_str(), npy.shape.as_slice()), ("<u2", &[SIDE, SIDE][..]), "{path}");
        return npy.data.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
    }
    eprintln!("PLEXUS_BENCH_IMAGE unset: using a synthetic 4096² u16 image");
    (0..SIDE * SIDE)
        .map(|i| {
            let (y, x) = (i / SIDE, i % SIDE);
            let h = (i as u32).wrapping_mul(2654435761) >> 22; // 0..1023
            ((y * 8 + x * 4) as u32 + h) as u16
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let data = image();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let binning = Binning::new(256, 0.0, 65536.0).unwrap();
    let lut = lut_16(&binning, false);
    let mut g = c.benchmark_group("hist_u16_4096sq_256bins");
    g.throughput(Throughput::Elements(data.len() as u64));
    g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    g.bench_function("by_value_1thread", |b| b.iter(|| histogram_u16(black_box(&data), 1, &binning, 1)));
    g.bench_function("by_value_all_threads", |b| b.iter(|| histogram_u16(black_box(&data), 1, &binning, threads)));
    g.bench_function("via_lut_1thread", |b| b.iter(|| histogram_u16_via_lut(black_box(&data), 1, &lut, 256, 1)));
    g.bench_function("per_element_f64_1thread", |b| {
        b.iter(|| histogram_generic(black_box(&data), 1, &binning, 1, |v| v as f64))
    });
    g.bench_function("bincount_1thread", |b| b.iter(|| count_u16(black_box(&data), 1, 1)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
