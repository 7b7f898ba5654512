//! Equal-width bins with `numpy.histogram`'s edge rule.
//!
//! - Edges are `numpy.linspace(lo, hi, bins + 1)`: `edge[i] = i * ((hi - lo) / bins) + lo`
//!   in f64, `edge[bins] = hi`; for f32 input numpy computes in f32, so the
//!   edges are rounded to f32 (values compared against them are unchanged).
//! - Bin `i` holds `edge[i] <= x < edge[i + 1]`; the last bin is closed.
//!   Values outside `[lo, hi]` and NaN fall in no bin.
//! - A value's bin is found from the edges themselves, so counts are exactly
//!   those the published edges imply.

use plexus_plugin_api::{DType, PluginError};

/// Equal-width bins with numpy's edge rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Binning {
    edges: Vec<f64>,
}

impl Binning {
    /// `bins` bins over `[lo, hi]` with f64 edges, as numpy uses for every
    /// input type except f32 (and f16).
    pub fn new(bins: usize, lo: f64, hi: f64) -> Result<Binning, PluginError> {
        Binning::build(bins, lo, hi, false)
    }

    /// The same bins with edges rounded to f32, as numpy uses for f32 input.
    pub fn new_f32(bins: usize, lo: f64, hi: f64) -> Result<Binning, PluginError> {
        Binning::build(bins, lo, hi, true)
    }

    /// The bins numpy uses for input of `dtype`.
    pub fn for_dtype(bins: usize, lo: f64, hi: f64, dtype: DType) -> Result<Binning, PluginError> {
        Binning::build(bins, lo, hi, dtype == DType::F32)
    }

    fn build(bins: usize, lo: f64, hi: f64, f32_edges: bool) -> Result<Binning, PluginError> {
        if bins == 0 {
            return Err(PluginError::bad_parameter("bins", "at least 1", "0"));
        }
        check_range(lo, hi)?;
        let step = (hi - lo) / bins as f64;
        let mut edges: Vec<f64> = (0..=bins).map(|i| i as f64 * step + lo).collect();
        edges[bins] = hi;
        if f32_edges {
            for e in &mut edges {
                *e = *e as f32 as f64;
            }
        }
        Binning::from_edges(edges).map_err(|_| {
            PluginError::bad_parameter(
                "bins",
                format!("few enough bins for each to have a positive width over [{lo}, {hi}]"),
                format!("{bins}"),
            )
        })
    }

    /// Bins with the given edges (at least two, finite, strictly increasing).
    pub fn from_edges(edges: Vec<f64>) -> Result<Binning, String> {
        if edges.len() < 2 {
            return Err(format!("expected at least 2 edges, got {}", edges.len()));
        }
        if edges.iter().any(|e| !e.is_finite()) {
            return Err("edges must be finite".into());
        }
        if edges.windows(2).any(|w| w[0] >= w[1]) {
            return Err("edges must be strictly increasing".into());
        }
        Ok(Binning { edges })
    }

    /// Number of bins.
    pub fn bins(&self) -> usize {
        self.edges.len() - 1
    }

    /// The `bins + 1` edges.
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// Bin centres `(edge[i] + edge[i + 1]) / 2`.
    pub fn centres(&self) -> Vec<f64> {
        self.edges.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
    }

    /// The bin of `x`, or `None` when `x` is outside the range or NaN.
    #[inline]
    pub fn bin_of(&self, x: f64) -> Option<usize> {
        let e = &self.edges;
        let n = e.len() - 1;
        if !(x >= e[0] && x <= e[n]) {
            return None;
        }
        // An arithmetic guess, then corrected against the edges themselves.
        let guess = ((x - e[0]) / (e[n] - e[0]) * n as f64) as usize;
        let mut i = guess.min(n - 1);
        while i > 0 && x < e[i] {
            i -= 1;
        }
        while i < n - 1 && x >= e[i + 1] {
            i += 1;
        }
        Some(i)
    }
}

/// Checks a `range` parameter `[lo, hi]`.
pub fn check_range(lo: f64, hi: f64) -> Result<(), PluginError> {
    if !(lo.is_finite() && hi.is_finite()) {
        return Err(PluginError::bad_parameter("range", "finite bounds", format!("[{lo}, {hi}]")));
    }
    if lo >= hi {
        return Err(PluginError::bad_parameter("range", "lo < hi", format!("[{lo}, {hi}]")));
    }
    Ok(())
}

/// The default range of an integer type, `[min, max + 1]`; `None` for floats.
pub fn dtype_range(dtype: DType) -> Option<(f64, f64)> {
    match dtype {
        DType::U8 => Some((0.0, 256.0)),
        DType::U16 => Some((0.0, 65536.0)),
        DType::I16 => Some((-32768.0, 32768.0)),
        DType::U32 => Some((0.0, 4294967296.0)),
        DType::I32 => Some((-2147483648.0, 2147483648.0)),
        DType::F32 | DType::F64 => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_bin_closed_outside_and_nan_dropped() {
        let b = Binning::new(4, 0.0, 1.0).unwrap();
        assert_eq!(b.bin_of(0.0), Some(0));
        assert_eq!(b.bin_of(0.25), Some(1));
        assert_eq!(b.bin_of(1.0), Some(3));
        assert_eq!(b.bin_of(1.0000001), None);
        assert_eq!(b.bin_of(f64::NAN), None);
        assert_eq!(b.centres(), vec![0.125, 0.375, 0.625, 0.875]);
    }

    #[test]
    fn bad_ranges_and_bins_name_the_parameter() {
        assert_eq!(Binning::new(0, 0.0, 1.0).unwrap_err().to_string(), "parameter `bins`: expected at least 1, got 0");
        assert_eq!(
            Binning::new(4, 1.0, 1.0).unwrap_err().to_string(),
            "parameter `range`: expected lo < hi, got [1, 1]"
        );
        assert!(Binning::new_f32(1000, 1.0, 1.00001).is_err());
        assert_eq!(Binning::from_edges(vec![0.0, 0.0]).unwrap_err(), "edges must be strictly increasing");
    }
}
