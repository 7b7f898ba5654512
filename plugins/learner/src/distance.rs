//! Distances between two histograms over the same bins.
//!
//! `p` is the histogram being scored, `q` the reference (the model); both
//! are normalised to sum 1 over the bins (values outside the range and NaN
//! take no part).
//!
//! - **Chi-square** (symmetric form): `Σ (p_i - q_i)² / (p_i + q_i)` over the
//!   bins where `p_i + q_i > 0`; 0 for equal histograms, 2 for disjoint ones.
//!   This is the χ² histogram distance of Puzicha et al. (1997) and Pele &
//!   Werman, "The Quadratic-Chi Histogram Distance Family" (ECCV 2010), without
//!   their factor ½ (so it equals `2 ×` theirs).
//! - **KL divergence** `D(p ‖ q) = Σ p'_i ln(p'_i / q'_i)` in nats, with
//!   `p' = (p + ε) / Σ(p + ε)` and likewise `q'`: `scipy.stats.entropy(p + ε, q + ε)`.
//!   With `ε = 0` a bin where `p > 0 = q` makes it infinite (published as `null`).
//! - **Wasserstein-1** in intensity units: the earth mover's distance between
//!   the two histograms as point masses at the bin centres,
//!   `Σ_{i < n-1} |P_i - Q_i| (c_{i+1} - c_i)` with `P`, `Q` the cumulative
//!   sums: `scipy.stats.wasserstein_distance(c, c, p_counts, q_counts)`.

/// Counts normalised to sum 1 (all zeros if the total is 0).
pub fn normalise(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return vec![0.0; counts.len()];
    }
    counts.iter().map(|&c| c as f64 / total as f64).collect()
}

/// Symmetric chi-square `Σ (p - q)² / (p + q)` over non-empty bins.
pub fn chi_square(p: &[f64], q: &[f64]) -> f64 {
    p.iter().zip(q).filter(|(a, b)| *a + *b > 0.0).map(|(a, b)| (a - b) * (a - b) / (a + b)).sum()
}

/// `D(p ‖ q)` in nats after adding `eps` to every bin and renormalising.
pub fn kl_divergence(p: &[f64], q: &[f64], eps: f64) -> f64 {
    let sp: f64 = p.iter().map(|v| v + eps).sum();
    let sq: f64 = q.iter().map(|v| v + eps).sum();
    let mut d = 0.0;
    for (a, b) in p.iter().zip(q) {
        let a = (a + eps) / sp;
        let b = (b + eps) / sq;
        if a > 0.0 {
            d += if b > 0.0 { a * (a / b).ln() } else { f64::INFINITY };
        }
    }
    d
}

/// Wasserstein-1 distance between counts `u` and `v` placed at `centres`
/// (ascending). `None` when either histogram is empty.
pub fn wasserstein(centres: &[f64], u: &[u64], v: &[u64]) -> Option<f64> {
    let (tu, tv) = (u.iter().sum::<u64>() as f64, v.iter().sum::<u64>() as f64);
    if tu == 0.0 || tv == 0.0 {
        return None;
    }
    let (mut cu, mut cv, mut d) = (0.0f64, 0.0f64, 0.0f64);
    for i in 0..centres.len().saturating_sub(1) {
        cu += u[i] as f64;
        cv += v[i] as f64;
        d += (cu / tu - cv / tv).abs() * (centres[i + 1] - centres[i]);
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_of_simple_histograms() {
        let p = [0.5, 0.5, 0.0];
        let q = [0.0, 0.5, 0.5];
        assert_eq!(chi_square(&p, &p), 0.0);
        assert_eq!(chi_square(&p, &q), 1.0);
        assert_eq!(chi_square(&[1.0, 0.0], &[0.0, 1.0]), 2.0);
        assert_eq!(kl_divergence(&p, &q, 0.0), f64::INFINITY);
        assert!(
            (kl_divergence(&[0.5, 0.5], &[0.25, 0.75], 0.0) - (0.5 * 2f64.ln() + 0.5 * (2.0f64 / 3.0).ln())).abs()
                < 1e-15
        );
        // Moving all mass by one bin of width 2 costs 2.
        assert_eq!(wasserstein(&[1.0, 3.0, 5.0], &[4, 0, 0], &[0, 2, 0]), Some(2.0));
        assert_eq!(wasserstein(&[1.0, 3.0], &[0, 0], &[0, 2]), None);
    }
}
