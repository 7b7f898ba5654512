//! Boundary modes for the kernels: the table of `plexus_geometry::options`
//! ([`Mode`], scipy's names, tested there against scipy), made readable from
//! a parameter struct, and the padded copy of a volume that a window filter
//! reads without a per-voxel boundary branch.

use plexus_geometry::options::Mode;
use serde::{Deserialize, Deserializer};

use crate::axes::Shape;

/// Reads a [`Mode`] by its scipy name (`reflect`, `constant`, `nearest`,
/// `mirror`) for `#[serde(deserialize_with = "boundary::mode")]`; an unknown
/// name gets geometry's message listing the choices.
pub fn mode<'de, D: Deserializer<'de>>(d: D) -> Result<Mode, D::Error> {
    let name = String::deserialize(d)?;
    Mode::parse(&name).map_err(serde::de::Error::custom)
}

/// scipy's default mode (`reflect`), for `#[serde(default = ...)]`.
pub fn reflect() -> Mode {
    Mode::Reflect
}

/// A copy of `input` (`shape`) grown by `pad` voxels on both sides of each
/// axis, the new voxels made up by `mode` (`cval` for [`Mode::Constant`]).
/// Returns the padded data and its shape.
pub fn padded(input: &[f32], shape: Shape, pad: [usize; 3], mode: Mode, cval: f32) -> (Vec<f32>, Shape) {
    let [nz, ny, nx] = shape;
    let ps = [nz + 2 * pad[0], ny + 2 * pad[1], nx + 2 * pad[2]];
    let mut out = Vec::with_capacity(ps.iter().product());
    let map = |i: usize, p: usize, n: usize| mode.map(i as isize - p as isize, n);
    let xs: Vec<Option<usize>> = (0..ps[2]).map(|x| map(x, pad[2], nx)).collect();
    for z in 0..ps[0] {
        let sz = map(z, pad[0], nz);
        for y in 0..ps[1] {
            match (sz, map(y, pad[1], ny)) {
                (Some(sz), Some(sy)) => {
                    let row = &input[(sz * ny + sy) * nx..][..nx];
                    out.extend(xs.iter().map(|x| x.map_or(cval, |x| row[x])));
                }
                _ => out.extend(std::iter::repeat_n(cval, ps[2])),
            }
        }
    }
    (out, ps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_each_axis_by_its_mode() {
        // one row 0 1 2 3 padded by 2 on x
        let (p, s) = padded(&[0.0, 1.0, 2.0, 3.0], [1, 1, 4], [0, 0, 2], Mode::Mirror, 0.0);
        assert_eq!(s, [1, 1, 8]);
        assert_eq!(p, [2.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0, 1.0]);
        let (p, s) = padded(&[1.0, 2.0], [2, 1, 1], [1, 1, 0], Mode::Constant, 9.0);
        assert_eq!(s, [4, 3, 1]);
        assert_eq!(p, [9.0, 9.0, 9.0, 9.0, 1.0, 9.0, 9.0, 2.0, 9.0, 9.0, 9.0, 9.0]);
    }

    #[test]
    fn mode_reads_scipy_names() {
        #[derive(Deserialize)]
        struct P {
            #[serde(deserialize_with = "mode")]
            mode: Mode,
        }
        let p: P = serde_json::from_str(r#"{"mode": "nearest"}"#).unwrap();
        assert_eq!(p.mode, Mode::Nearest);
        let e = serde_json::from_str::<P>(r#"{"mode": "wrap"}"#).err().unwrap().to_string();
        assert_eq!(
            e,
            "parameter `mode`: expected one of reflect, constant, nearest, mirror, got `wrap` at line 1 column 16"
        );
    }
}
