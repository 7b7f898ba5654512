//! `remove_stripes` against algotom 1.7 on a sinogram with per-column gain
//! errors and noise (`stripes_in.npy`, 90 angles × 64 columns, values up
//! to ~40).

use plexus_reconstruction::dwt::Wavelet;
use plexus_reconstruction::remove_stripes::{
    remove_stripes, FilteringParams, RemoveStripesParams, SortingParams, WaveletFftParams,
};
use plexus_reconstruction::SinoShape;

use crate::common::{max_abs_diff, npy};

fn run(params: RemoveStripesParams, fixture: &str) -> f32 {
    let (shape, sino) = npy("stripes_in.npy");
    let (_, want) = npy(fixture);
    let got = remove_stripes(&sino, SinoShape::slice(shape[0], shape[1]), &params, 2).unwrap();
    max_abs_diff(&got, &want)
}

/// Sorting picks medians of input values: identical (ties do not occur in
/// the noisy fixture, so numpy's unstable argsort orders like ours).
#[test]
fn sorting_matches_algotom() {
    assert_eq!(run(RemoveStripesParams::Sorting(SortingParams::default()), "stripes_sorting.npy"), 0.0);
}

/// Filtering: to 1e-5 (values ≤ 40: the Gaussian split is computed in f64
/// here and by numpy, then rounded to f32 in both; the sum smooth + sharp
/// rounds once more).
#[test]
fn filtering_matches_algotom() {
    let d = run(RemoveStripesParams::Filtering(FilteringParams::default()), "stripes_filtering.npy");
    assert!(d < 1e-5, "max diff {d}");
}

/// Fourier–wavelet, db9 level 5 (clipped to 2 by the size) and db5 level 2
/// with σ = 2: to 2e-4 (PyWavelets transforms the f32 input in f32,
/// ~1e-6 relative per level; this in f64).
#[test]
fn wavelet_fft_matches_algotom() {
    let d = run(RemoveStripesParams::WaveletFft(WaveletFftParams::default()), "stripes_wavelet_db9.npy");
    assert!(d < 2e-4, "db9: max diff {d}");
    let p = WaveletFftParams { level: 2, sigma: 2.0, wavelet: Wavelet::Db5, ..WaveletFftParams::default() };
    let d = run(RemoveStripesParams::WaveletFft(p), "stripes_wavelet_db5.npy");
    assert!(d < 2e-4, "db5: max diff {d}");
}
