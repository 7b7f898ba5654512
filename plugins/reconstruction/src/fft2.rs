//! In-place 2-D complex FFTs of row-major planes (rows, then columns
//! through a transpose), for Paganin's filter, Vo's centre metric and
//! gridrec.

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

use crate::parallel::for_each_block;

/// Forward or inverse (unnormalised) 2-D transforms of `h × w` planes.
pub struct Fft2 {
    h: usize,
    w: usize,
    rows: Arc<dyn Fft<f64>>,
    cols: Arc<dyn Fft<f64>>,
}

impl Fft2 {
    /// Plans an `h × w` transform in one direction.
    pub fn new(h: usize, w: usize, inverse: bool) -> Fft2 {
        let mut p = FftPlanner::new();
        let (rows, cols) = if inverse {
            (p.plan_fft_inverse(w), p.plan_fft_inverse(h))
        } else {
            (p.plan_fft_forward(w), p.plan_fft_forward(h))
        };
        Fft2 { h, w, rows, cols }
    }

    /// Transforms `data` (`h × w`) in place; `scratch` holds `h × w` too.
    pub fn process(&self, data: &mut [Complex<f64>], scratch: &mut Vec<Complex<f64>>, threads: usize) {
        let (h, w) = (self.h, self.w);
        for_each_block(data, w * 16, threads, |_, b| self.rows.process(b));
        scratch.resize(h * w, Complex::new(0.0, 0.0));
        transpose(data, scratch, h, w);
        for_each_block(scratch, h * 16, threads, |_, b| self.cols.process(b));
        transpose(scratch, data, w, h);
    }
}

/// `dst (w × h) = srcᵀ` for `src` of `h × w`.
pub fn transpose<T: Copy>(src: &[T], dst: &mut [T], h: usize, w: usize) {
    const B: usize = 32;
    for i0 in (0..h).step_by(B) {
        for j0 in (0..w).step_by(B) {
            for i in i0..(i0 + B).min(h) {
                for j in j0..(j0 + B).min(w) {
                    dst[j * h + i] = src[i * w + j];
                }
            }
        }
    }
}

/// `numpy.fft.fftshift` index: the unshifted bin shown at shifted index `k`
/// of `n`, i.e. `out[k] = in[(k − n/2) mod n]`.
pub fn unshifted(k: usize, n: usize) -> usize {
    (k + n - n / 2) % n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_undoes_forward() {
        let (h, w) = (6, 10);
        let x: Vec<Complex<f64>> = (0..h * w).map(|k| Complex::new((k % 7) as f64, (k % 3) as f64)).collect();
        let mut y = x.clone();
        let mut s = Vec::new();
        Fft2::new(h, w, false).process(&mut y, &mut s, 2);
        Fft2::new(h, w, true).process(&mut y, &mut s, 2);
        for (a, b) in x.iter().zip(&y) {
            assert!((a - b / (h * w) as f64).norm() < 1e-12);
        }
        assert_eq!((0..5).map(|k| unshifted(k, 5)).collect::<Vec<_>>(), vec![3, 4, 0, 1, 2]);
        assert_eq!((0..4).map(|k| unshifted(k, 4)).collect::<Vec<_>>(), vec![2, 3, 0, 1]);
    }
}
