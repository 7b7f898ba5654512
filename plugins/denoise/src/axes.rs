//! Shapes and per-axis parameters: every kernel sees a volume `(z, y, x)`,
//! row-major, `x` fastest (`docs/CONVENTIONS.md`). A 2-D image is a volume
//! with `z = 1`; [`Dims`] says whether the kernel runs in 3-D or plane by
//! plane.

use serde::Deserialize;

use crate::error::DenoiseError;

/// `(z, y, x)` extents.
pub type Shape = [usize; 3];

/// Whether a kernel treats its input as one volume or as a stack of planes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dims {
    /// One 3-D volume: neighbourhoods extend along z.
    #[default]
    Volume,
    /// Each z plane is filtered as its own 2-D image (scikit-image's 2-D
    /// functions applied slice by slice).
    Planes,
}

/// A number for every axis, or one for all of them.
///
/// In a pipeline: `sigma = 1.5` or `sigma = [0.5, 1.5, 1.5]` (z, y, x) or,
/// for [`Dims::Planes`], `sigma = [1.5, 2.0]` (y, x).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum PerAxis {
    /// The same value on every filtered axis.
    All(f64),
    /// One value per axis, slowest first.
    Each(Vec<f64>),
}

impl PerAxis {
    /// The value for each of `(z, y, x)`; z is 0 for [`Dims::Planes`].
    pub fn resolve(&self, name: &'static str, dims: Dims) -> Result<[f64; 3], DenoiseError> {
        let v = match (self, dims) {
            (PerAxis::All(s), Dims::Volume) => [*s, *s, *s],
            (PerAxis::All(s), Dims::Planes) => [0.0, *s, *s],
            (PerAxis::Each(v), Dims::Volume) if v.len() == 3 => [v[0], v[1], v[2]],
            (PerAxis::Each(v), Dims::Planes) if v.len() == 2 => [0.0, v[0], v[1]],
            (PerAxis::Each(v), Dims::Volume) => {
                return Err(DenoiseError::param(name, "one value or three (z, y, x)", v))
            }
            (PerAxis::Each(v), Dims::Planes) => {
                return Err(DenoiseError::param(name, "one value or two (y, x) for `planes`", v))
            }
        };
        Ok(v)
    }
}

/// A window extent per axis: one for all, or one per axis.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SizePerAxis {
    /// The same size on every filtered axis.
    All(usize),
    /// One size per axis, slowest first.
    Each(Vec<usize>),
}

impl SizePerAxis {
    /// The size for each of `(z, y, x)`; z is 1 for [`Dims::Planes`].
    pub fn resolve(&self, name: &'static str, dims: Dims) -> Result<[usize; 3], DenoiseError> {
        let v = match (self, dims) {
            (SizePerAxis::All(s), Dims::Volume) => [*s, *s, *s],
            (SizePerAxis::All(s), Dims::Planes) => [1, *s, *s],
            (SizePerAxis::Each(v), Dims::Volume) if v.len() == 3 => [v[0], v[1], v[2]],
            (SizePerAxis::Each(v), Dims::Planes) if v.len() == 2 => [1, v[0], v[1]],
            (SizePerAxis::Each(v), _) => {
                return Err(DenoiseError::param(name, "one size, or one per filtered axis", v))
            }
        };
        if v.contains(&0) {
            return Err(DenoiseError::param(name, "sizes of at least 1", v));
        }
        Ok(v)
    }
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
        assert_eq!(PerAxis::All(2.0).resolve("sigma", Dims::Volume).unwrap(), [2.0; 3]);
        assert_eq!(PerAxis::All(2.0).resolve("sigma", Dims::Planes).unwrap(), [0.0, 2.0, 2.0]);
        assert_eq!(PerAxis::Each(vec![1.0, 2.0]).resolve("sigma", Dims::Planes).unwrap(), [0.0, 1.0, 2.0]);
        assert_eq!(
            PerAxis::Each(vec![1.0, 2.0]).resolve("sigma", Dims::Volume).unwrap_err().to_string(),
            "parameter `sigma`: expected one value or three (z, y, x), got [1.0, 2.0]"
        );
        assert_eq!(
            SizePerAxis::Each(vec![3, 0]).resolve("size", Dims::Planes).unwrap_err().to_string(),
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
