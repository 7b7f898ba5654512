//! Shapes and the parallel-beam geometry every kernel shares: the
//! detector coordinate, the rotation centre and the reconstruction grid.
//! The conventions are written once in `docs/CONVENTIONS.md`
//! ("Tomography"); this module is their code.
//!
//! - A projection stack is `(angle, row, col)`; a sinogram stack is
//!   `(row, angle, col)`; one sinogram is `(angle, col)`.
//! - Detector column `c` (pixel centres at integers) sees the ray
//!   `x cos θ + y sin θ = c − center_col`, in pixels.
//! - The default `center_col` is `(cols − 1) / 2`, the middle of the
//!   detector (ASTRA's convention and `generator.projections`'); scikit-image
//!   puts the axis at `cols // 2`, so for even `cols` its sinograms need
//!   `center_col = cols / 2`.
//! - Slice pixel `(i, j)` of an `n × n` reconstruction is at
//!   `x = j − (n − 1)/2`, `y = (n − 1)/2 − i` (row 0 at the top, `y` up),
//!   the rotation axis at its centre.

use crate::error::{ReconError, Result};

/// A stack of sinograms `(rows, angles, cols)`; one sinogram has `rows = 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinoShape {
    /// Detector rows (slices).
    pub rows: usize,
    /// Projection angles.
    pub angles: usize,
    /// Detector columns.
    pub cols: usize,
}

impl SinoShape {
    /// One `(angles, cols)` sinogram.
    pub fn slice(angles: usize, cols: usize) -> SinoShape {
        SinoShape { rows: 1, angles, cols }
    }

    /// Values in one sinogram.
    pub fn slice_len(&self) -> usize {
        self.angles * self.cols
    }

    /// Values in the stack.
    pub fn len(&self) -> usize {
        self.rows * self.slice_len()
    }

    /// True when any axis is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks `data` holds this shape and that no axis is empty.
    pub fn check(&self, what: &'static str, data: &[f32]) -> Result<()> {
        if self.angles == 0 {
            return Err(ReconError::Empty { what: "angle axis" });
        }
        if self.cols == 0 {
            return Err(ReconError::Empty { what: "col axis" });
        }
        ReconError::check_len(what, data.len(), &[self.rows, self.angles, self.cols])
    }
}

/// The rotation centre a kernel uses: `center_col` if given, else the
/// middle of the detector, `(cols − 1)/2`.
pub fn center_or_default(center_col: Option<f64>, cols: usize) -> Result<f64> {
    match center_col {
        None => Ok((cols as f64 - 1.0) / 2.0),
        Some(c) if c.is_finite() => Ok(c),
        Some(c) => Err(ReconError::param("center_col", "a finite column index", c)),
    }
}

/// The angles in radians, checked against the data's angle axis.
pub fn angles_rad(angles_deg: &[f64], expected: usize) -> Result<Vec<f64>> {
    if angles_deg.len() != expected {
        return Err(ReconError::Angles { got: angles_deg.len(), expected });
    }
    if let Some(bad) = angles_deg.iter().find(|a| !a.is_finite()) {
        return Err(ReconError::param("angles_deg", "finite angles", bad));
    }
    Ok(angles_deg.iter().map(|a| a.to_radians()).collect())
}

/// `n` angles evenly over `[0, 180)` degrees, the usual half-turn scan.
pub fn half_turn_deg(n: usize) -> Vec<f64> {
    (0..n).map(|i| 180.0 * i as f64 / n as f64).collect()
}

/// The reconstruction grid: `n × n` pixels centred on the rotation axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// Pixels along each side.
    pub n: usize,
}

impl Grid {
    /// `x` of column `j`.
    pub fn x(&self, j: usize) -> f64 {
        j as f64 - (self.n as f64 - 1.0) / 2.0
    }

    /// `y` of row `i` (up is positive).
    pub fn y(&self, i: usize) -> f64 {
        (self.n as f64 - 1.0) / 2.0 - i as f64
    }

    /// Radius of the inscribed circle, `(n − 1)/2`: the reconstruction
    /// circle of `circle_mask` (scikit-image's `n // 2` for odd `n`).
    pub fn radius(&self) -> f64 {
        (self.n as f64 - 1.0) / 2.0
    }

    /// The columns `[j0, j1)` of row `i` inside the reconstruction circle.
    pub fn circle_span(&self, i: usize) -> (usize, usize) {
        let r = self.radius();
        let y = self.y(i);
        let h2 = r * r - y * y;
        if h2 < 0.0 {
            return (0, 0);
        }
        let c = (self.n as f64 - 1.0) / 2.0;
        let h = h2.sqrt();
        // A tiny slack keeps pixels exactly on the circle inside.
        let j0 = (c - h - 1e-9).ceil().max(0.0) as usize;
        let j1 = ((c + h + 1e-9).floor() as usize + 1).min(self.n);
        (j0, j1.max(j0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_span_matches_the_squared_distance_test() {
        for n in [1usize, 2, 7, 8, 129] {
            let g = Grid { n };
            let r2 = g.radius() * g.radius();
            for i in 0..n {
                let (j0, j1) = g.circle_span(i);
                for j in 0..n {
                    let inside = g.x(j).powi(2) + g.y(i).powi(2) <= r2;
                    assert_eq!(inside, (j0..j1).contains(&j), "n {n} i {i} j {j}");
                }
            }
        }
    }

    #[test]
    fn errors_name_the_parameter() {
        assert_eq!(angles_rad(&[0.0], 2).unwrap_err().to_string(), "`angles_deg` has 1 angles, the data has 2");
        assert_eq!(
            center_or_default(Some(f64::NAN), 4).unwrap_err().to_string(),
            "`center_col` must be a finite column index, got NaN"
        );
        assert_eq!(
            SinoShape::slice(2, 3).check("sinogram", &[0.0; 5]).unwrap_err().to_string(),
            "`sinogram` holds 5 values, expected 6 for shape [1, 2, 3]"
        );
    }
}
