//! Criterion benches of the kernels the issue sets speed goals for:
//! `nl_means` (fast mode, 7² patches, distance 11) and `tv_chambolle` (2-D)
//! on a 512 × 512 noisy image, 1 and 2 threads.
//!
//! `benches/peers.py` writes the image (scikit-image's `camera` + fixed-seed
//! noise) and passes it in `PLEXUS_BENCH_IMAGE`; each bench first writes its
//! output beside it (`<name>.out.npy`) so the script can check PSNR against
//! scikit-image's on the same input. Without the variable a synthetic image
//! is used (timings only).

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use plexus_denoise::axes::Dims;
use plexus_denoise::nl_means::{nl_means, NlMeansParams};
use plexus_denoise::tv_chambolle::{tv_chambolle, TvChambolleParams};

const SIDE: usize = 512;

fn image() -> (Vec<f32>, Option<PathBuf>) {
    if let Ok(path) = std::env::var("PLEXUS_BENCH_IMAGE") {
        let npy = plexus_testkit::parse(&std::fs::read(&path).expect("read PLEXUS_BENCH_IMAGE")).expect("npy");
        assert_eq!((npy.descr.as_str(), npy.shape.as_slice()), ("<f4", &[SIDE, SIDE][..]), "{path}");
        let v = npy.data.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        return (v, Some(PathBuf::from(path)));
    }
    let v = (0..SIDE * SIDE)
        .map(|i| ((i % SIDE) as f32 / 64.0).sin() * 0.3 + 0.5 + ((i * 7919) % 101) as f32 / 1000.0)
        .collect();
    (v, None)
}

/// Writes `v` as a little-endian f32 `.npy` of shape `(SIDE, SIDE)`.
fn write_npy(path: &Path, v: &[f32]) {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({SIDE}, {SIDE}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(v.iter().flat_map(|x| x.to_le_bytes()));
    std::fs::write(path, bytes).expect("write bench output");
}

fn benches(c: &mut Criterion) {
    let (img, path) = image();
    let shape = [1, SIDE, SIDE];
    let nlm = NlMeansParams {
        patch_size: 7,
        patch_distance: 11,
        h: 0.064,
        sigma: 0.08,
        dims: Dims::Planes,
        ..Default::default()
    };
    let tv = TvChambolleParams { weight: 0.1, dims: Dims::Planes, ..Default::default() };
    let mut out = vec![0.0f32; img.len()];
    if let Some(p) = &path {
        nl_means(&img, shape, &nlm, 2, &mut out).unwrap();
        write_npy(&p.with_extension("nl_means.out.npy"), &out);
        tv_chambolle(&img, shape, &tv, 2, &mut out).unwrap();
        write_npy(&p.with_extension("tv_chambolle.out.npy"), &out);
    }
    let mut g = c.benchmark_group("denoise_512");
    g.sample_size(10);
    for threads in [1, 2] {
        g.bench_with_input(BenchmarkId::new("nl_means", threads), &threads, |b, &t| {
            b.iter(|| nl_means(&img, shape, &nlm, t, &mut out).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("tv_chambolle", threads), &threads, |b, &t| {
            b.iter(|| tv_chambolle(&img, shape, &tv, t, &mut out).unwrap())
        });
    }
    g.finish();
}

criterion_group!(denoise, benches);
criterion_main!(denoise);
