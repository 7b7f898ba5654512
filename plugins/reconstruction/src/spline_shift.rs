//! Sub-pixel shifts of 1-D lines by cubic B-spline interpolation, as
//! `scipy.ndimage.shift(order=3, prefilter=True)` computes them: the line
//! is turned into B-spline coefficients by the recursive filter of Unser
//! (pole `z = √3 − 2`, mirror boundary), then sampled at `j − shift`.
//! Samples that fall outside `[0, n − 1]` are 0 (scipy's `mode='constant'`).
//!
//! # References
//!
//! - M. Unser, "Splines: a perfect fit for signal and image processing,"
//!   *IEEE Signal Process. Mag.*, vol. 16, no. 6, pp. 22–38, 1999.
//!   DOI: 10.1109/79.799930

// Index loops here spell out the recursive filter term by term.
#![allow(clippy::needless_range_loop)]

/// scipy's `mirror` index (`d c b | a b c d | c b a`).
fn mirror(k: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let p = 2 * n as isize - 2;
    let m = k.rem_euclid(p);
    (if m < n as isize { m } else { p - m }) as usize
}

/// Cubic B-spline coefficients of `x` with mirror-symmetric extension.
pub fn coefficients(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    if n < 2 {
        return x.to_vec();
    }
    let z = 3f64.sqrt() - 2.0;
    let mut c: Vec<f64> = x.iter().map(|v| 6.0 * v).collect();
    // Causal initialisation for the mirror extension (exact sum over one period).
    let zn = z.powi(n as i32 - 1);
    let mut sum = c[0] + zn * c[n - 1];
    let (mut zk, z2n) = (z, zn * zn);
    let mut zback = z2n / z;
    for k in 1..n - 1 {
        sum += (zk + zback) * c[k];
        zk *= z;
        zback /= z;
    }
    c[0] = sum / (1.0 - z2n);
    for k in 1..n {
        c[k] += z * c[k - 1];
    }
    c[n - 1] = (z / (z * z - 1.0)) * (c[n - 1] + z * c[n - 2]);
    for k in (0..n - 1).rev() {
        c[k] = z * (c[k + 1] - c[k]);
    }
    c
}

/// `out[j] = x(j − shift)` by cubic spline interpolation, 0 outside.
pub fn shift_line(x: &[f64], shift: f64, out: &mut [f64]) {
    let n = x.len();
    let c = coefficients(x);
    for (j, o) in out.iter_mut().enumerate() {
        let u = j as f64 - shift;
        if !(0.0..=(n as f64 - 1.0)).contains(&u) {
            *o = 0.0;
            continue;
        }
        let i = u.floor();
        let t = u - i;
        let w = [
            (1.0 - t).powi(3) / 6.0,
            (4.0 - 6.0 * t * t + 3.0 * t.powi(3)) / 6.0,
            (1.0 + 3.0 * t + 3.0 * t * t - 3.0 * t.powi(3)) / 6.0,
            t.powi(3) / 6.0,
        ];
        let i = i as isize;
        *o = (0..4).map(|m| w[m] * c[mirror(i - 1 + m as isize, n)]).sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Interpolating: a shift by a whole number reproduces the samples; a
    /// cubic polynomial is shifted exactly away from the ends (to 1e-7
    /// relative: the mirror boundary's error decays as 0.268^distance).
    #[test]
    fn interpolates_and_reproduces_cubics() {
        let x: Vec<f64> = (0..20).map(|k| ((k * 7) % 5) as f64).collect();
        let mut y = vec![0.0; 20];
        shift_line(&x, 2.0, &mut y);
        for j in 2..20 {
            assert!((y[j] - x[j - 2]).abs() < 1e-9, "{j}");
        }
        let p = |u: f64| 0.1 * u * u * u - u * u + 2.0;
        let x: Vec<f64> = (0..40).map(|k| p(k as f64)).collect();
        let mut y = vec![0.0; 40];
        shift_line(&x, 0.3, &mut y);
        for j in 12..28 {
            assert!(
                (y[j] - p(j as f64 - 0.3)).abs() < 1e-7 * p(j as f64 - 0.3).abs(),
                "{j}: {} vs {}",
                y[j],
                p(j as f64 - 0.3)
            );
        }
    }
}
