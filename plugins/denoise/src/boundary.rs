//! Boundary modes for the kernels: the shared table of
//! `plexus_kernels::boundary` ([`Mode`], scipy's names, tested there against
//! scipy), and the padded copy of a volume that a window filter reads
//! without a per-voxel boundary branch.

pub use plexus_kernels::boundary::Mode;

use crate::axes::Shape;

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
}
