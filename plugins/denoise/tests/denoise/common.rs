//! Fixture loading and comparison helpers.

use plexus_testkit::{load_from, Npy};

/// A fixture of this crate.
pub fn npy(name: &str) -> Npy {
    load_from(env!("CARGO_MANIFEST_DIR"), name)
}

/// A u8 or f32 fixture as f32 (u8 divided by 255 in f32, as numpy does in
/// the fixture script) and its shape as `(z, y, x)`.
pub fn input(name: &str) -> (Vec<f32>, [usize; 3]) {
    let n = npy(name);
    let v: Vec<f32> = match n.descr.as_str() {
        "|u1" | "<u1" => n.data.iter().map(|&b| b as f32 / 255.0).collect(),
        "<f4" => n.f64s().into_iter().map(|v| v as f32).collect(),
        d => panic!("fixture `{name}`: unexpected dtype {d}"),
    };
    (v, shape3(&n.shape))
}

/// A reference output as f64.
pub fn reference(name: &str) -> Vec<f64> {
    npy(name).f64s()
}

/// `(z, y, x)` from a 2-D or 3-D numpy shape.
pub fn shape3(s: &[usize]) -> [usize; 3] {
    match s {
        [y, x] => [1, *y, *x],
        [z, y, x] => [*z, *y, *x],
        _ => panic!("unexpected shape {s:?}"),
    }
}

/// Largest absolute difference.
pub fn max_abs_diff(a: &[f32], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(&a, &b)| (a as f64 - b).abs()).fold(0.0, f64::max)
}

/// PSNR in dB of `a` against `reference` for data range 1 (skimage's
/// `peak_signal_noise_ratio` with `data_range=1`).
pub fn psnr(reference: &[f64], a: &[f64]) -> f64 {
    let mse = reference.iter().zip(a).map(|(r, a)| (r - a).powi(2)).sum::<f64>() / a.len() as f64;
    10.0 * (1.0 / mse).log10()
}

/// The `q`-quantile (0..=1) of `|a - b|`.
pub fn abs_diff_quantile(a: &[f32], b: &[f64], q: f64) -> f64 {
    let mut d: Vec<f64> = a.iter().zip(b).map(|(&a, &b)| (a as f64 - b).abs()).collect();
    d.sort_by(f64::total_cmp);
    d[((d.len() - 1) as f64 * q).round() as usize]
}
