//! Criterion benches of the reconstruction kernels at the sizes of the
//! issue's speed goals: FBP and gridrec of 512 detector pixels × 720 angles
//! → 512², SIRT and CGLS iterations on the same. The peers (scikit-image,
//! ASTRA CPU) are timed by `benches/peers.py` in the same run.
//!
//! `PLEXUS_RECON_THREADS` sets the thread budget (default: every core);
//! `PLEXUS_RECON_ISA=generic|avx2` forces an inner-loop path.

use criterion::{criterion_group, criterion_main, Criterion};
use plexus_reconstruction::cgls::{cgls, CglsParams};
use plexus_reconstruction::fbp::{fbp_into, FbpParams};
use plexus_reconstruction::fourier_filter::Filter;
use plexus_reconstruction::geometry::half_turn_deg;
use plexus_reconstruction::gridrec::{gridrec, GridrecParams};
use plexus_reconstruction::sirt::{sirt, SirtParams};
use plexus_reconstruction::SinoShape;

const COLS: usize = 512;
const ANGLES: usize = 720;

fn threads() -> usize {
    std::env::var("PLEXUS_RECON_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// A disc of radius 200 px, `2√(r² − s²)` at every angle (values do not
/// change the timings; `peers.py` times the Shepp–Logan sinogram).
fn sinogram() -> Vec<f32> {
    let c = (COLS as f64 - 1.0) / 2.0;
    let one: Vec<f32> = (0..COLS)
        .map(|k| {
            let s = k as f64 - c;
            if s.abs() < 200.0 {
                (2.0 * (200.0f64.powi(2) - s * s).sqrt()) as f32
            } else {
                0.0
            }
        })
        .collect();
    (0..ANGLES).flat_map(|_| one.iter().copied()).collect()
}

fn bench(c: &mut Criterion) {
    let sino = sinogram();
    let angles = half_turn_deg(ANGLES);
    let shape = SinoShape::slice(ANGLES, COLS);
    let mut out = vec![0.0f32; COLS * COLS];
    let mut g = c.benchmark_group("512x720");
    g.sample_size(10);
    let fbp_params = FbpParams { filter: Filter::Ramp, ..FbpParams::default() };
    g.bench_function("fbp ramp", |b| {
        b.iter(|| fbp_into(&sino, shape, &angles, &fbp_params, threads(), &mut out).unwrap())
    });
    let full = FbpParams { circle_mask: false, ..fbp_params.clone() };
    g.bench_function("fbp ramp, no circle mask", |b| {
        b.iter(|| fbp_into(&sino, shape, &angles, &full, threads(), &mut out).unwrap())
    });
    let gp = GridrecParams { filter: Filter::Ramp, ..GridrecParams::default() };
    g.bench_function("gridrec ramp", |b| b.iter(|| gridrec(&sino, shape, &angles, &gp, threads()).unwrap()));
    let sp = SirtParams { iterations: 10, ..SirtParams::default() };
    g.bench_function("sirt 10 iterations", |b| b.iter(|| sirt(&sino, shape, &angles, &sp, threads()).unwrap()));
    let cp = CglsParams { iterations: 10, ..CglsParams::default() };
    g.bench_function("cgls 10 iterations", |b| b.iter(|| cgls(&sino, shape, &angles, &cp, threads()).unwrap()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
