//! Equal-width bins with `numpy.histogram`'s edge rule, and the layout rules
//! (channels, images) shared by the operators.
//!
//! - Edges are `numpy.linspace(lo, hi, bins + 1)`: `edge[i] = i * ((hi - lo) / bins) + lo`
//!   in f64, `edge[bins] = hi`; for f32 input numpy computes in f32, so the
//!   edges are rounded to f32 (values compared against them are unchanged).
//! - Bin `i` holds `edge[i] <= x < edge[i + 1]`; the last bin is closed.
//!   Values outside `[lo, hi]` and NaN fall in no bin (counted apart).
//! - A value's bin is found from the edges themselves, so counts are exactly
//!   those the published edges imply.

use plexus_plugin_api::{ArrayView, DType, CHANNEL_LABELS};

/// Whether the last axis of `axes` is a channel axis.
pub fn has_channel_axis(axes: &str) -> bool {
    axes.split_whitespace().last().is_some_and(|l| CHANNEL_LABELS.contains(&l))
}

pub use plexus_kernels::binning::{check_range, dtype_range, Binning};

/// Bin counts of one stretch of elements, plus those outside the range and NaN.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// One count per bin.
    pub bins: Vec<u64>,
    /// Elements outside `[lo, hi]` (±inf included).
    pub outside: u64,
    /// NaN elements.
    pub nan: u64,
}

impl Counts {
    /// Zero counts for `bins` bins.
    pub fn zeros(bins: usize) -> Counts {
        Counts { bins: vec![0; bins], outside: 0, nan: 0 }
    }

    /// Adds `other` bin by bin.
    pub fn add(&mut self, other: &Counts) {
        for (a, b) in self.bins.iter_mut().zip(&other.bins) {
            *a += b;
        }
        self.outside += other.outside;
        self.nan += other.nan;
    }

    /// Sum of the bin counts (in-range elements).
    pub fn total(&self) -> u64 {
        self.bins.iter().sum()
    }
}

/// Counts elements `[start, end)` of `a` (all channels pooled) into `out`.
/// Integer types of 16 bits or less go through a value → bin table `lut`
/// built by [`lut_for`].
pub fn count_range(a: &ArrayView<'_>, start: usize, end: usize, b: &Binning, lut: Option<&[u32]>, out: &mut Counts) {
    fn generic<T: Copy>(data: &[T], b: &Binning, out: &mut Counts, f: impl Fn(T) -> f64) {
        for &v in data {
            let x = f(v);
            match b.bin_of(x) {
                Some(i) => out.bins[i] += 1,
                None if x.is_nan() => out.nan += 1,
                None => out.outside += 1,
            }
        }
    }
    fn table<T: Copy>(data: &[T], lut: &[u32], out: &mut Counts, idx: impl Fn(T) -> usize) {
        for &v in data {
            match lut[idx(v)] {
                u32::MAX => out.outside += 1,
                i => out.bins[i as usize] += 1,
            }
        }
    }
    let bytes = a.as_bytes();
    match (a.dtype(), lut) {
        (DType::U8, Some(l)) => table(&bytes[start..end], l, out, |v| v as usize),
        (DType::U16, Some(l)) => table(&cast::<u16>(a)[start..end], l, out, |v| v as usize),
        (DType::I16, Some(l)) => table(&cast::<i16>(a)[start..end], l, out, |v| v as u16 as usize),
        (DType::U8, None) => generic(&bytes[start..end], b, out, |v| v as f64),
        (DType::U16, None) => generic(&cast::<u16>(a)[start..end], b, out, |v| v as f64),
        (DType::I16, None) => generic(&cast::<i16>(a)[start..end], b, out, |v| v as f64),
        (DType::U32, _) => generic(&cast::<u32>(a)[start..end], b, out, |v| v as f64),
        (DType::I32, _) => generic(&cast::<i32>(a)[start..end], b, out, |v| v as f64),
        (DType::F32, _) => generic(&cast::<f32>(a)[start..end], b, out, |v| v as f64),
        (DType::F64, _) => generic(&cast::<f64>(a)[start..end], b, out, |v| v),
    }
}

fn cast<'a, T: plexus_plugin_api::Element>(a: &ArrayView<'a>) -> &'a [T] {
    a.as_slice::<T>().expect("dtype matched above; host arrays are aligned")
}

/// The value → bin table (`u32::MAX`: no bin) for u8, u16 and i16 input.
pub fn lut_for(dtype: DType, b: &Binning) -> Option<Vec<u32>> {
    let bin = |v: f64| b.bin_of(v).map_or(u32::MAX, |i| i as u32);
    match dtype {
        DType::U8 => Some((0..256u32).map(|v| bin(v as f64)).collect()),
        DType::U16 => Some((0..65536u32).map(|v| bin(v as f64)).collect()),
        DType::I16 => Some((0..65536u32).map(|p| bin(p as u16 as i16 as f64)).collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_follow_linspace_and_last_bin_is_closed() {
        let b = Binning::new(4, 0.0, 1.0).unwrap();
        assert_eq!(b.edges(), &[0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(b.bin_of(0.25), Some(1));
        assert_eq!(b.bin_of(1.0), Some(3));
        assert_eq!(b.bin_of(1.0000001), None);
        assert_eq!(b.bin_of(f64::NAN), None);
        assert_eq!(b.centres(), vec![0.125, 0.375, 0.625, 0.875]);
    }

    #[test]
    fn bad_edges_are_named() {
        assert_eq!(Binning::from_edges(vec![0.0, 1.0, 1.0]).unwrap_err(), "edges must be strictly increasing");
        assert_eq!(
            Binning::new(4, 1.0, 1.0).unwrap_err().to_string(),
            "parameter `range`: expected lo < hi, got [1, 1]"
        );
    }
}
