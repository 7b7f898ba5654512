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
//! A pipeline writes one flat table ([`RemoveStripesParams`]: a plugin's
//! parameters are numbers, strings and lists); a parameter the chosen
//! method does not take must be left out, and one left out takes the
//! method's own default (`sigma` and `sort` differ between methods).
//! [`RemoveStripesParams::method_params`] gives the typed [`MethodParams`]
//! the kernel takes.
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

use serde::{Deserialize, Serialize};

use crate::error::{ReconError, Result};
use crate::geometry::SinoShape;
use crate::parallel::for_each_block;

use crate::dwt::Wavelet;
pub use filtering::FilteringParams;
pub use sorting::SortingParams;
pub use wavelet_fft::{DampingWindow, WaveletFftParams};

/// The stripe-removal method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Sorting-based (algorithm 3 of Vo et al. 2018).
    #[default]
    Sorting,
    /// Filtering-based (algorithm 2 of Vo et al. 2018).
    Filtering,
    /// Fourier–wavelet (Münch et al. 2009).
    WaveletFft,
}

impl Method {
    /// The name a pipeline writes.
    pub fn name(self) -> &'static str {
        match self {
            Method::Sorting => "sorting",
            Method::Filtering => "filtering",
            Method::WaveletFft => "wavelet-fft",
        }
    }
}

/// Parameters of `remove_stripes`, as a pipeline writes them: the method
/// and, optionally, the parameters that method takes (left out: the
/// method's published default).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoveStripesParams {
    /// The method.
    pub method: Method,
    /// Median window size, odd (`sorting`, `filtering`; 21).
    pub size: Option<usize>,
    /// Median window dimension, 1 or 2 (`sorting`, `filtering`; 1).
    pub dim: Option<u8>,
    /// Gaussian width (`filtering`: 3) or damping width (`wavelet-fft`: 1).
    pub sigma: Option<f64>,
    /// Sort columns first (`filtering`: true; `wavelet-fft`: false).
    pub sort: Option<bool>,
    /// Decomposition levels (`wavelet-fft`; 5).
    pub level: Option<usize>,
    /// The wavelet (`wavelet-fft`; `db9`).
    pub wavelet: Option<Wavelet>,
    /// The damping window (`wavelet-fft`; `gaussian`).
    pub window: Option<DampingWindow>,
}

/// A parameter given to a method that does not take it.
fn not_taken(param: &'static str, method: Method, takes: &'static str, got: impl std::fmt::Display) -> ReconError {
    ReconError::Param {
        param,
        expected: match method {
            Method::Sorting => "left out with method `sorting`",
            Method::Filtering => "left out with method `filtering`",
            Method::WaveletFft => "left out with method `wavelet-fft`",
        },
        got: format!("{got} (it is a parameter of {takes})"),
    }
}

impl RemoveStripesParams {
    /// The typed parameters of the chosen method, defaults filled in; an
    /// error names a parameter the method does not take.
    pub fn method_params(&self) -> Result<MethodParams> {
        let m = self.method;
        let refuse = |given: bool, param: &'static str, takes: &'static str, got: String| {
            if given {
                Err(not_taken(param, m, takes, got))
            } else {
                Ok(())
            }
        };
        let show = |v: Option<String>| v.unwrap_or_default();
        let (wavelet_only, median_only) = (
            [
                (self.level.is_some(), "level", show(self.level.map(|v| v.to_string()))),
                (self.wavelet.is_some(), "wavelet", show(self.wavelet.map(|v| format!("{v:?}").to_lowercase()))),
                (self.window.is_some(), "window", show(self.window.map(|v| format!("{v:?}").to_lowercase()))),
            ],
            [
                (self.size.is_some(), "size", show(self.size.map(|v| v.to_string()))),
                (self.dim.is_some(), "dim", show(self.dim.map(|v| v.to_string()))),
            ],
        );
        let params = match m {
            Method::Sorting => {
                for (given, p, got) in wavelet_only {
                    refuse(given, p, "wavelet-fft", got)?;
                }
                refuse(
                    self.sigma.is_some(),
                    "sigma",
                    "filtering and wavelet-fft",
                    show(self.sigma.map(|v| v.to_string())),
                )?;
                refuse(
                    self.sort.is_some(),
                    "sort",
                    "filtering and wavelet-fft",
                    show(self.sort.map(|v| v.to_string())),
                )?;
                let d = SortingParams::default();
                MethodParams::Sorting(SortingParams {
                    size: self.size.unwrap_or(d.size),
                    dim: self.dim.unwrap_or(d.dim),
                })
            }
            Method::Filtering => {
                for (given, p, got) in wavelet_only {
                    refuse(given, p, "wavelet-fft", got)?;
                }
                let d = FilteringParams::default();
                MethodParams::Filtering(FilteringParams {
                    sigma: self.sigma.unwrap_or(d.sigma),
                    size: self.size.unwrap_or(d.size),
                    dim: self.dim.unwrap_or(d.dim),
                    sort: self.sort.unwrap_or(d.sort),
                })
            }
            Method::WaveletFft => {
                for (given, p, got) in median_only {
                    refuse(given, p, "sorting and filtering", got)?;
                }
                let d = WaveletFftParams::default();
                MethodParams::WaveletFft(WaveletFftParams {
                    level: self.level.unwrap_or(d.level),
                    sigma: self.sigma.unwrap_or(d.sigma),
                    wavelet: self.wavelet.unwrap_or(d.wavelet),
                    window: self.window.unwrap_or(d.window),
                    sort: self.sort.unwrap_or(d.sort),
                })
            }
        };
        params.check()?;
        Ok(params)
    }
}

/// The typed parameters of one method, as the kernel takes them.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum MethodParams {
    /// Sorting-based (algorithm 3 of Vo et al. 2018).
    Sorting(SortingParams),
    /// Filtering-based (algorithm 2 of Vo et al. 2018).
    Filtering(FilteringParams),
    /// Fourier–wavelet (Münch et al. 2009).
    WaveletFft(WaveletFftParams),
}

impl Default for MethodParams {
    fn default() -> Self {
        MethodParams::Sorting(SortingParams::default())
    }
}

impl MethodParams {
    /// Checks the method's parameters.
    pub fn check(&self) -> Result<()> {
        match self {
            MethodParams::Sorting(p) => p.check(),
            MethodParams::Filtering(p) => p.check(),
            MethodParams::WaveletFft(p) => p.check(),
        }
    }
}

/// Removes stripes from every sinogram of `sino`.
pub fn remove_stripes(sino: &[f32], shape: SinoShape, params: &MethodParams, threads: usize) -> Result<Vec<f32>> {
    shape.check("sinogram", sino)?;
    params.check()?;
    let (a, c) = (shape.angles, shape.cols);
    let mut out = vec![0.0; sino.len()];
    for_each_block(&mut out, a * c, threads, |r, o| {
        let s = &sino[r * a * c..(r + 1) * a * c];
        match params {
            MethodParams::Sorting(p) => sorting::apply(s, a, c, p, o),
            MethodParams::Filtering(p) => filtering::apply(s, a, c, p, o),
            MethodParams::WaveletFft(p) => wavelet_fft::apply(s, a, c, p, o),
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
        assert_eq!(
            p.method_params().unwrap(),
            MethodParams::Filtering(FilteringParams { sigma: 5.0, ..FilteringParams::default() })
        );
        let p: RemoveStripesParams = toml::from_str("method = \"wavelet-fft\"\nwavelet = \"db5\"").unwrap();
        assert!(
            matches!(p.method_params().unwrap(), MethodParams::WaveletFft(w) if w.wavelet == Wavelet::Db5 && w.sigma == 1.0)
        );
        let p: RemoveStripesParams = toml::from_str("method = \"sorting\"\nsigma = 5.0").unwrap();
        assert_eq!(
            p.method_params().unwrap_err().to_string(),
            "`sigma` must be left out with method `sorting`, got 5 (it is a parameter of filtering and wavelet-fft)"
        );
        let p = RemoveStripesParams { method: Method::WaveletFft, dim: Some(2), ..Default::default() };
        assert_eq!(
            p.method_params().unwrap_err().to_string(),
            "`dim` must be left out with method `wavelet-fft`, got 2 (it is a parameter of sorting and filtering)"
        );
        assert_eq!(RemoveStripesParams::default().method_params().unwrap(), MethodParams::default());
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
