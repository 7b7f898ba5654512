//! Shapes and per-axis parameters: every kernel sees a volume `(z, y, x)`,
//! row-major, `x` fastest (`docs/CONVENTIONS.md`). A 2-D image is a volume
//! with `z = 1`; [`Dims`] says whether the kernel runs in 3-D or plane by
//! plane.

use serde::{Deserialize, Serialize};

use crate::error::DenoiseError;

/// `(z, y, x)` extents.
pub type Shape = [usize; 3];

/// Whether a kernel treats its input as one volume or as a stack of planes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dims {
    /// One 3-D volume: neighbourhoods extend along z.
    #[default]
    Volume,
    /// Each z plane is filtered as its own 2-D image (scikit-image's 2-D
    /// functions applied slice by slice).
    Planes,
}

/// A number per filtered axis from a parameter list: one value for every
/// axis, or one per axis, slowest first — `sigma = [1.5]`, `sigma = [0.5,
/// 1.5, 1.5]` (z, y, x) or, for [`Dims::Planes`], `sigma = [1.5, 2.0]`
/// (y, x). Returns the value for each of `(z, y, x)`; z is 0 for
/// [`Dims::Planes`].
pub fn per_axis(name: &'static str, values: &[f64], dims: Dims) -> Result<[f64; 3], DenoiseError> {
    Ok(match (values, dims) {
        ([s], Dims::Volume) => [*s, *s, *s],
        ([s], Dims::Planes) => [0.0, *s, *s],
        ([z, y, x], Dims::Volume) => [*z, *y, *x],
        ([y, x], Dims::Planes) => [0.0, *y, *x],
        (v, Dims::Volume) => return Err(DenoiseError::param(name, "one value or three (z, y, x)", v)),
        (v, Dims::Planes) => return Err(DenoiseError::param(name, "one value or two (y, x) for `planes`", v)),
    })
}

/// A window extent per filtered axis from a parameter list (one for all,
/// or one per axis); z is 1 for [`Dims::Planes`]. Sizes must be at least 1.
pub fn sizes_per_axis(name: &'static str, values: &[usize], dims: Dims) -> Result<[usize; 3], DenoiseError> {
    let v = match (values, dims) {
        ([s], Dims::Volume) => [*s, *s, *s],
        ([s], Dims::Planes) => [1, *s, *s],
        ([z, y, x], Dims::Volume) => [*z, *y, *x],
        ([y, x], Dims::Planes) => [1, *y, *x],
        (v, _) => return Err(DenoiseError::param(name, "one size, or one per filtered axis", v)),
    };
    if v.contains(&0) {
        return Err(DenoiseError::param(name, "sizes of at least 1", v));
    }
    Ok(v)
}

/// Checks that `input` and `output` both hold `shape`'s voxel count and that
/// no axis is empty.
pub fn check(shape: Shape, input: usize, output: usize) -> Result<usize, DenoiseError> {
    let want = shape.iter().product::<usize>();
    if want == 0 {
        return Err(DenoiseError::Empty { shape });
    }
    for (which, got) in [("input", input), ("output", output)] {
        if got != want {
            return Err(DenoiseError::Length { which, shape, got, want });
        }
    }
    Ok(want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_axis_resolves_for_volumes_and_planes() {
        assert_eq!(per_axis("sigma", &[2.0], Dims::Volume).unwrap(), [2.0; 3]);
        assert_eq!(per_axis("sigma", &[2.0], Dims::Planes).unwrap(), [0.0, 2.0, 2.0]);
        assert_eq!(per_axis("sigma", &[1.0, 2.0], Dims::Planes).unwrap(), [0.0, 1.0, 2.0]);
        assert_eq!(
            per_axis("sigma", &[1.0, 2.0], Dims::Volume).unwrap_err().to_string(),
            "parameter `sigma`: expected one value or three (z, y, x), got [1.0, 2.0]"
        );
        assert_eq!(
            sizes_per_axis("size", &[3, 0], Dims::Planes).unwrap_err().to_string(),
            "parameter `size`: expected sizes of at least 1, got [1, 3, 0]"
        );
    }

    #[test]
    fn check_names_the_slice() {
        assert_eq!(check([2, 2, 2], 8, 8), Ok(8));
        assert_eq!(
            check([2, 2, 2], 8, 7).unwrap_err().to_string(),
            "`output` holds 7 values, but shape [2, 2, 2] (z, y, x) needs 8"
        );
        assert_eq!(check([0, 2, 2], 0, 0).unwrap_err().to_string(), "shape [0, 2, 2] (z, y, x) has an empty axis");
    }
}
