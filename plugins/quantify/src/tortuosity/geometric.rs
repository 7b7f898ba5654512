//! Geometric tortuosity: multi-source Dijkstra from the inlet slice's pore
//! voxels over 26-connected steps (see the parent module).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use plexus_kernels::volume::shape::voxel_size;
use plexus_kernels::volume::{Connectivity, Shape};

use super::{coord, Kind, Tortuosity, TortuosityParams};
use crate::error::QuantifyError;

pub(super) fn tortuosity_geometric(
    mask: &[u8],
    shape: Shape,
    p: &TortuosityParams,
) -> Result<Tortuosity, QuantifyError> {
    let vs = voxel_size("voxel_size_um", &p.voxel_size_um)?;
    let axis = p.axis;
    let n_axis = shape.dims()[axis];
    let d = geodesic_from_inlet(mask, shape, axis, vs);
    let mut reached = 0usize;
    let mut sum = 0.0;
    for (i, &di) in d.iter().enumerate() {
        if mask[i] != 0 && coord(i, shape, axis) == n_axis - 1 && di.is_finite() {
            reached += 1;
            sum += di;
        }
    }
    if reached == 0 {
        return Err(QuantifyError::NoPercolation { axis });
    }
    let straight = (n_axis - 1) as f64 * p.voxel_size_um[axis];
    let total = shape.len() as f64;
    let eps0 = mask.iter().filter(|&&v| v != 0).count() as f64 / total;
    let eps = d.iter().zip(mask).filter(|(di, m)| **m != 0 && di.is_finite()).count() as f64 / total;
    Ok(Tortuosity {
        kind: Kind::Geometric,
        tortuosity: sum / reached as f64 / straight,
        porosity: eps0,
        effective_porosity: eps,
        effective_diffusivity: 0.0,
        iterations: reached,
    })
}

/// Shortest 26-connected path length (µm) from the inlet slice's pore voxels
/// to every pore voxel (+∞ where unreachable, and on solid).
pub fn geodesic_from_inlet(mask: &[u8], shape: Shape, axis: usize, vs: [f64; 3]) -> Vec<f64> {
    let mut dist = vec![f64::INFINITY; shape.len()];
    // Non-negative f64 bit patterns order like the values.
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
    for i in 0..shape.len() {
        if mask[i] != 0 && coord(i, shape, axis) == 0 {
            dist[i] = 0.0;
            heap.push(Reverse((0, i)));
        }
    }
    let steps: Vec<([isize; 3], f64)> = Connectivity::TwentySix
        .offsets()
        .into_iter()
        .map(|o| {
            let l =
                ((o[0] as f64 * vs[0]).powi(2) + (o[1] as f64 * vs[1]).powi(2) + (o[2] as f64 * vs[2]).powi(2)).sqrt();
            (o, l)
        })
        .collect();
    let (nz, ny, nx) = (shape.z as isize, shape.y as isize, shape.x as isize);
    while let Some(Reverse((bits, i))) = heap.pop() {
        let di = f64::from_bits(bits);
        if di > dist[i] {
            continue;
        }
        let (z, y, x) = ((i / shape.slice_len()) as isize, (i / shape.x % shape.y) as isize, (i % shape.x) as isize);
        for (o, l) in &steps {
            let (a, b, c) = (z + o[0], y + o[1], x + o[2]);
            if a < 0 || a >= nz || b < 0 || b >= ny || c < 0 || c >= nx {
                continue;
            }
            let j = ((a * ny + b) * nx + c) as usize;
            if mask[j] == 0 {
                continue;
            }
            let nd = di + l;
            if nd < dist[j] {
                dist[j] = nd;
                heap.push(Reverse((nd.to_bits(), j)));
            }
        }
    }
    dist
}

#[cfg(test)]
mod tests {
    use super::super::{tortuosity, Kind, TortuosityParams};
    use super::*;

    #[test]
    fn a_straight_channel_is_one_and_a_detour_is_longer() {
        let s = Shape::new(9, 5, 5);
        let p = TortuosityParams { kind: Kind::Geometric, ..Default::default() };
        let open = tortuosity(&vec![1u8; s.len()], s, &p, 1).unwrap();
        assert!((open.tortuosity - 1.0).abs() < 1e-12);
        // A wall at z = 4 with one hole at a corner: every path detours.
        let mut m = vec![1u8; s.len()];
        m[4 * 25..5 * 25].fill(0);
        m[4 * 25] = 1;
        let t = tortuosity(&m, s, &p, 1).unwrap();
        assert!(t.tortuosity > 1.1, "{}", t.tortuosity);
    }
}
