//! `scipy.ndimage.gaussian_filter` on 2-D f64 planes: a sampled Gaussian
//! of radius `⌊4σ + 0.5⌋`, normalised to sum 1, correlated along each axis
//! in turn with the `reflect` boundary (`d c b a | a b c d | d c b a`).
//! Used by Vo's centre search, which smooths the sinogram this way.

use crate::median::reflect;

/// The normalised kernel of `scipy.ndimage.gaussian_filter1d(truncate=4)`.
pub fn kernel(sigma: f64) -> Vec<f64> {
    let r = (4.0 * sigma + 0.5) as isize;
    let w: Vec<f64> = (-r..=r).map(|x| (-0.5 * (x * x) as f64 / (sigma * sigma)).exp()).collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|v| v / s).collect()
}

/// Smooths the `h × w` plane `p` with `(sigma_rows, sigma_cols)`; a zero
/// sigma leaves that axis alone.
pub fn gaussian_filter(p: &[f64], h: usize, w: usize, sigma_rows: f64, sigma_cols: f64) -> Vec<f64> {
    let mut out = p.to_vec();
    if sigma_rows > 0.0 {
        let k = kernel(sigma_rows);
        let r = (k.len() / 2) as isize;
        let src = out.clone();
        for y in 0..h as isize {
            for x in 0..w {
                out[y as usize * w + x] =
                    k.iter().enumerate().map(|(t, kv)| kv * src[reflect(y + t as isize - r, h) * w + x]).sum();
            }
        }
    }
    if sigma_cols > 0.0 {
        let k = kernel(sigma_cols);
        let r = (k.len() / 2) as isize;
        let mut line = vec![0.0; w];
        for y in 0..h {
            line.copy_from_slice(&out[y * w..(y + 1) * w]);
            for x in 0..w as isize {
                out[y * w + x as usize] =
                    k.iter().enumerate().map(|(t, kv)| kv * line[reflect(x + t as isize - r, w)]).sum();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scipy's kernel for σ = 1: radius 4, centre tap `1/Σ_{|x|≤4} e^{−x²/2}`
    /// = 0.3989434693… (`gaussian_filter1d` of a unit impulse).
    #[test]
    fn kernel_is_scipys() {
        let k = kernel(1.0);
        assert_eq!(k.len(), 9);
        assert!((k[4] - 0.398_943_469_356).abs() < 1e-11, "{}", k[4]);
        assert!((k.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert_eq!(kernel(3.0).len(), 25);
    }
}
