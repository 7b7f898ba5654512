//! Chunk invariance: the volume cut along z into 1, 3 and 7 chunks, each run
//! with the halo its parameters declare (clipped at the volume's ends), the
//! halo trimmed, gives exactly the whole-volume result (bit for bit: each
//! core voxel sees the same values through the same arithmetic).

use plexus_denoise::axes::{Dims, Shape};
use plexus_denoise::bilateral::{bilateral, BilateralParams};
use plexus_denoise::boundary::Mode;
use plexus_denoise::gaussian::{gaussian, GaussianParams};
use plexus_denoise::median::{median, MedianParams};
use plexus_denoise::nl_means::{nl_means, NlMeansMethod, NlMeansParams};
use plexus_denoise::tv_chambolle::{tv_chambolle, TvChambolleParams};

use crate::common::input;

type Kernel<'a> = dyn Fn(&[f32], Shape, &mut [f32]) + 'a;

/// Runs `kernel` on `chunks` z slabs of `vol`, each grown by `halo`.
fn chunked(vol: &[f32], shape: Shape, chunks: usize, halo: usize, kernel: &Kernel) -> Vec<f32> {
    let [nz, ny, nx] = shape;
    let plane = ny * nx;
    let mut out = vec![f32::NAN; vol.len()];
    for c in 0..chunks {
        let (a, b) = (c * nz / chunks, (c + 1) * nz / chunks);
        let (lo, hi) = (a.saturating_sub(halo), (b + halo).min(nz));
        let mut slab = vec![0.0; (hi - lo) * plane];
        kernel(&vol[lo * plane..hi * plane], [hi - lo, ny, nx], &mut slab);
        out[a * plane..b * plane].copy_from_slice(&slab[(a - lo) * plane..(b - lo) * plane]);
    }
    out
}

fn assert_invariant(name: &str, halo: usize, kernel: &Kernel) {
    let (vol, shape) = input("in_vol_noisy");
    let whole = chunked(&vol, shape, 1, 0, kernel);
    for chunks in [3, 7] {
        let got = chunked(&vol, shape, chunks, halo, kernel);
        let same = got.iter().zip(&whole).all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "{name}: {chunks} chunks with halo {halo} differ from the whole volume");
    }
}

#[test]
fn gaussian_is_chunk_invariant() {
    for mode in [Mode::Reflect, Mode::Constant] {
        let p = GaussianParams { sigma: vec![1.2, 0.8, 1.0], mode, cval: 0.2, ..Default::default() };
        let halo = p.radius().unwrap()[0];
        let kernel = |v: &[f32], s: Shape, o: &mut [f32]| gaussian(v, s, &p, 2, o).unwrap();
        assert_invariant("gaussian", halo, &kernel);
        // and the test can tell: one slice of halo short, chunk edges show
        let (vol, shape) = input("in_vol_noisy");
        assert_ne!(chunked(&vol, shape, 3, halo - 1, &kernel), chunked(&vol, shape, 1, 0, &kernel));
    }
}

#[test]
fn median_is_chunk_invariant() {
    for size in [vec![3], vec![4, 3, 2]] {
        let p = MedianParams { size, mode: Mode::Mirror, ..Default::default() };
        assert_invariant("median", p.halo().unwrap(), &|v, s, o| median(v, s, &p, 2, o).unwrap());
    }
}

#[test]
fn nl_means_is_chunk_invariant() {
    for method in [NlMeansMethod::Fast, NlMeansMethod::Classic] {
        let p = NlMeansParams { patch_size: 3, patch_distance: 2, h: 0.08, sigma: 0.05, method, dims: Dims::Volume };
        assert_invariant("nl_means", p.halo(), &|v, s, o| nl_means(v, s, &p, 2, o).unwrap());
    }
    let p = NlMeansParams { patch_size: 5, patch_distance: 3, h: 0.08, dims: Dims::Planes, ..Default::default() };
    assert_eq!(p.halo(), 0);
    assert_invariant("nl_means planes", 0, &|v, s, o| nl_means(v, s, &p, 2, o).unwrap());
}

#[test]
fn tv_chambolle_is_chunk_invariant_for_a_fixed_iteration_count() {
    // eps = 0: a fixed number of iterations, each spreading one voxel
    let p = TvChambolleParams { weight: 0.1, eps: 0.0, max_num_iter: 4, dims: Dims::Volume };
    assert_eq!(p.halo(), 4);
    assert_invariant("tv_chambolle", p.halo(), &|v, s, o| {
        tv_chambolle(v, s, &p, 2, o).unwrap();
    });
    let p = TvChambolleParams { dims: Dims::Planes, ..Default::default() };
    assert_invariant("tv_chambolle planes", p.halo(), &|v, s, o| {
        tv_chambolle(v, s, &p, 2, o).unwrap();
    });
}

#[test]
fn bilateral_is_chunk_invariant() {
    // plane by plane, statistics per plane: no halo
    let p = BilateralParams { sigma_color: None, mode: Mode::Reflect, ..Default::default() };
    assert_invariant("bilateral", 0, &|v, s, o| bilateral(v, s, &p, 2, o).unwrap());
}
