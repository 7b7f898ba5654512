//! `remove_stripes`: stripe artefacts in sinograms (ring artefacts in the
//! slices) from detector pixels whose gain differs from their neighbours'.
//!
//! # Parameters ([`RemoveStripesParams`], chosen by `method`)
//!
//! - `method = "sorting"` ([`sorting`]): Vo, Atwood & Drakopoulos 2018,
//!   algorithm 3; `size` (21), `dim` (1).
//! - `method = "filtering"` ([`filtering`]): the same paper, algorithm 2;
//!   `sigma` (3), `size` (21), `dim` (1), `sort` (true).
//! - `method = "wavelet-fft"` ([`wavelet_fft`]): Münch et al. 2009;
//!   `level` (5), `sigma` (1, the damping width algotom calls `size`),
//!   `wavelet` (`db9`), `window` (`gaussian` | `butter`), `sort` (false).
//!
//! The defaults are the published ones as algotom 1.7 uses them
//! (`algotom.prep.removal.remove_stripe_based_*`), which is the reference
//! for every convention here (padding, windows, sort order).
//!
//! # Input and output
//!
//! Sinograms `(rows, angles, cols)` f32, line integrals (after
//! `minus_log`) or normalised intensities; output the same shape. Each
//! sinogram is processed alone: any chunking along `rows` is the same.
//!
//! # References
//!
//! - N. T. Vo, R. C. Atwood and M. Drakopoulos, "Superior techniques for
//!   eliminating ring artifacts in X-ray micro-tomography," *Opt. Express*,
//!   vol. 26, no. 22, pp. 28396–28412, 2018. DOI: 10.1364/OE.26.028396
//! - B. Münch, P. Trtik, F. Marone and M. Stampanoni, "Stripe and ring
//!   artifact removal with combined wavelet–Fourier filtering," *Opt.
//!   Express*, vol. 17, no. 10, pp. 8567–8591, 2009. DOI: 10.1364/OE.17.008567
//! - N. T. Vo, R. C. Atwood and M. Drakopoulos, "Preprocessing techniques
//!   for removing artifacts in synchrotron-based tomographic images,"
//!   *Proc. SPIE* 11113, 111131I, 2019. DOI: 10.1117/12.2530324 (algotom).

pub mod filtering;
pub mod sorting;
pub mod wavelet_fft;

use serde::Deserialize;

use crate::error::{ReconError, Result};
use crate::geometry::SinoShape;
use crate::parallel::for_each_block;

pub use filtering::FilteringParams;
pub use sorting::SortingParams;
pub use wavelet_fft::WaveletFftParams;

/// Parameters of `remove_stripes`: the method and its own parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum RemoveStripesParams {
    /// Sorting-based (algorithm 3 of Vo et al. 2018).
    Sorting(SortingParams),
    /// Filtering-based (algorithm 2 of Vo et al. 2018).
    Filtering(FilteringParams),
    /// Fourier–wavelet (Münch et al. 2009).
    WaveletFft(WaveletFftParams),
}

impl Default for RemoveStripesParams {
    fn default() -> Self {
        RemoveStripesParams::Sorting(SortingParams::default())
    }
}

/// Removes stripes from every sinogram of `sino`.
pub fn remove_stripes(
    sino: &[f32],
    shape: SinoShape,
    params: &RemoveStripesParams,
    threads: usize,
) -> Result<Vec<f32>> {
    shape.check("sinogram", sino)?;
    match params {
        RemoveStripesParams::Sorting(p) => p.check()?,
        RemoveStripesParams::Filtering(p) => p.check()?,
        RemoveStripesParams::WaveletFft(p) => p.check()?,
    }
    let (a, c) = (shape.angles, shape.cols);
    let mut out = vec![0.0; sino.len()];
    for_each_block(&mut out, a * c, threads, |r, o| {
        let s = &sino[r * a * c..(r + 1) * a * c];
        match params {
            RemoveStripesParams::Sorting(p) => sorting::apply(s, a, c, p, o),
            RemoveStripesParams::Filtering(p) => filtering::apply(s, a, c, p, o),
            RemoveStripesParams::WaveletFft(p) => wavelet_fft::apply(s, a, c, p, o),
        }
    });
    Ok(out)
}

/// Checks a median window's `dim` (1: along the detector row; 2: square).
pub(crate) fn check_dim(dim: u8) -> Result<()> {
    match dim {
        1 | 2 => Ok(()),
        d => Err(ReconError::param("dim", "1 or 2", d)),
    }
}

/// The permutation that sorts each column of an `(angles, cols)` sinogram
/// along the angle axis (stable, NaN last): `order[r·cols + c]` is the
/// angle whose value has rank `r` in column `c`.
pub(crate) fn sort_order(s: &[f32], angles: usize, cols: usize) -> Vec<usize> {
    let mut order = vec![0usize; angles * cols];
    let mut idx: Vec<usize> = Vec::with_capacity(angles);
    for c in 0..cols {
        idx.clear();
        idx.extend(0..angles);
        idx.sort_by(|&i, &j| s[i * cols + c].total_cmp(&s[j * cols + c]));
        for (r, &i) in idx.iter().enumerate() {
            order[r * cols + c] = i;
        }
    }
    order
}

/// `sorted[r, c] = s[order[r, c], c]` (algotom's `sort_forward`).
pub(crate) fn sort_forward(s: &[f32], order: &[usize], cols: usize, sorted: &mut [f32]) {
    for (k, v) in sorted.iter_mut().enumerate() {
        *v = s[order[k] * cols + k % cols];
    }
}

/// `out[order[r, c], c] = sorted[r, c]` (algotom's `sort_backward`).
pub(crate) fn sort_backward(sorted: &[f32], order: &[usize], cols: usize, out: &mut [f32]) {
    for (k, v) in sorted.iter().enumerate() {
        out[order[k] * cols + k % cols] = *v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_pick_the_method_by_name() {
        let p: RemoveStripesParams = toml::from_str("method = \"filtering\"\nsigma = 5.0").unwrap();
        assert_eq!(p, RemoveStripesParams::Filtering(FilteringParams { sigma: 5.0, ..FilteringParams::default() }));
        let p: RemoveStripesParams = toml::from_str("method = \"wavelet-fft\"\nwavelet = \"db5\"").unwrap();
        assert!(matches!(p, RemoveStripesParams::WaveletFft(w) if w.wavelet == crate::dwt::Wavelet::Db5));
        let e = toml::from_str::<RemoveStripesParams>("method = \"sorting\"\nsigma = 5.0").unwrap_err().to_string();
        assert!(e.contains("unknown field `sigma`"), "{e}");
    }

    #[test]
    fn sorting_round_trips() {
        let s = [3.0f32, 1.0, 1.0, 2.0, 2.0, 0.0];
        let order = sort_order(&s, 3, 2);
        let mut sorted = [0.0; 6];
        sort_forward(&s, &order, 2, &mut sorted);
        assert_eq!(sorted, [1.0, 0.0, 2.0, 1.0, 3.0, 2.0]);
        let mut back = [0.0; 6];
        sort_backward(&sorted, &order, 2, &mut back);
        assert_eq!(back, s);
    }
}
