//! The 2-D modified Shepp–Logan phantom as ellipses, and the exact chord a
//! line cuts through an ellipse: what `generator.projections` simulates
//! scans with and the reconstruction tests check against, in one place so
//! that neither plugin links the other (two plugin crates linked into one
//! binary would both define the plugin root-module symbol).
//!
//! Conventions as `generator.shepp_logan`: coordinates span `[−1, 1]`, `x`
//! along columns, `y` upwards; the line `x cos θ + y sin θ = s`.
//!
//! # References
//!
//! - L. A. Shepp and B. F. Logan, "The Fourier reconstruction of a head
//!   section," *IEEE Trans. Nucl. Sci.*, vol. 21, no. 3, pp. 21–43, 1974.
//!   DOI: 10.1109/TNS.1974.6499235
//! - P. A. Toft, "The Radon transform — theory and implementation,"
//!   Ph.D. thesis, Technical University of Denmark, 1996, pp. 199–201.
//! - A. C. Kak and M. Slaney, *Principles of Computerized Tomographic
//!   Imaging*, IEEE Press, 1988, ch. 3 (projections of an ellipse, eq. 3.4).

/// One ellipse of the 2-D phantom.
#[derive(Debug, Clone, Copy)]
pub struct Ellipse {
    /// Additive intensity.
    pub intensity: f64,
    /// Semi-axis along the ellipse's own `x′`.
    pub a: f64,
    /// Semi-axis along `y′`.
    pub b: f64,
    /// Centre `x`.
    pub x0: f64,
    /// Centre `y`.
    pub y0: f64,
    /// Counter-clockwise rotation in degrees.
    pub phi_deg: f64,
}

const fn ellipse(intensity: f64, a: f64, b: f64, x0: f64, y0: f64, phi_deg: f64) -> Ellipse {
    Ellipse { intensity, a, b, x0, y0, phi_deg }
}

/// The modified Shepp–Logan phantom (Toft 1996, table B.3).
pub const MODIFIED_SHEPP_LOGAN: [Ellipse; 10] = [
    ellipse(1.0, 0.69, 0.92, 0.0, 0.0, 0.0),
    ellipse(-0.8, 0.6624, 0.874, 0.0, -0.0184, 0.0),
    ellipse(-0.2, 0.11, 0.31, 0.22, 0.0, -18.0),
    ellipse(-0.2, 0.16, 0.41, -0.22, 0.0, 18.0),
    ellipse(0.1, 0.21, 0.25, 0.0, 0.35, 0.0),
    ellipse(0.1, 0.046, 0.046, 0.0, 0.1, 0.0),
    ellipse(0.1, 0.046, 0.046, 0.0, -0.1, 0.0),
    ellipse(0.1, 0.046, 0.023, -0.08, -0.605, 0.0),
    ellipse(0.1, 0.023, 0.023, 0.0, -0.606, 0.0),
    ellipse(0.1, 0.023, 0.046, 0.06, -0.605, 0.0),
];

/// Chord length of the line `x cos θ + y sin θ = s` through ellipse `e`
/// (Kak & Slaney's closed form), `cos`/`sin` of `θ` given.
pub fn ellipse_chord(e: &Ellipse, s: f64, cos: f64, sin: f64) -> f64 {
    let (sp, cp) = e.phi_deg.to_radians().sin_cos();
    let c = cos * cp + sin * sp; // cos(θ − φ)
    let d = sin * cp - cos * sp; // sin(θ − φ)
    let a2 = (e.a * c).powi(2) + (e.b * d).powi(2);
    let s1 = s - (e.x0 * cos + e.y0 * sin);
    let rem = a2 - s1 * s1;
    if rem <= 0.0 {
        0.0
    } else {
        2.0 * e.a * e.b * rem.sqrt() / a2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A circle of radius r: the chord at distance s from its centre is
    /// 2√(r² − s²) at every angle.
    #[test]
    fn chord_of_a_circle_is_closed_form() {
        let e = ellipse(1.0, 0.5, 0.5, 0.1, -0.2, 30.0);
        for t in [0.0f64, 0.7, 2.0] {
            let (sin, cos) = t.sin_cos();
            let centre = 0.1 * cos - 0.2 * sin;
            for s in [-0.3, 0.0, 0.45] {
                let want = 2.0 * (0.25f64 - s * s).sqrt();
                assert!((ellipse_chord(&e, centre + s, cos, sin) - want).abs() < 1e-12);
            }
            assert_eq!(ellipse_chord(&e, centre + 0.6, cos, sin), 0.0);
        }
    }
}
