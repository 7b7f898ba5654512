//! Diffusive tortuosity: a finite-difference steady-diffusion solve on the
//! voxel grid, PoreSpy's `tortuosity_fd` formulation (see the parent module).
//!
//! The unknowns are the percolating pore voxels strictly between the inlet
//! and outlet slices; each row of the (symmetric positive definite) system
//! is `deg(i)·c_i − Σ c_j = Σ (Dirichlet neighbours' values)`, `deg` the
//! number of pore face neighbours. The matrix is never stored: each unknown
//! keeps its up to six unknown neighbours.

use plexus_segment::bands::{for_each_band, map_bands};
use plexus_segment::Shape;

use super::{coord, percolating, Kind, Tortuosity, TortuosityParams};
use crate::error::QuantifyError;

/// No neighbour.
const NONE: u32 = u32::MAX;

/// The system of one volume.
struct System {
    /// Up to 6 unknown neighbours per unknown.
    nbr: Vec<[u32; 6]>,
    /// Diagonal: number of pore neighbours.
    diag: Vec<f64>,
    /// Right-hand side: sum of Dirichlet neighbour values.
    b: Vec<f64>,
}

pub(super) fn tortuosity_fd(mask: &[u8], shape: Shape, p: &TortuosityParams, threads: usize) -> Result<Tortuosity, QuantifyError> {
    let axis = p.axis;
    let total = shape.len() as f64;
    let eps0 = mask.iter().filter(|&&v| v != 0).count() as f64 / total;
    let pore = percolating(mask, shape, axis, threads)?;
    let eps = pore.iter().filter(|&&v| v != 0).count() as f64 / total;
    if eps == 0.0 {
        return Err(QuantifyError::NoPercolation { axis });
    }
    let n_axis = shape.dims()[axis];
    // 1 inlet, 0 outlet, 2 unknown, 3 solid.
    let role = |i: usize| -> u8 {
        if pore[i] == 0 {
            3
        } else {
            match coord(i, shape, axis) {
                0 => 1,
                c if c == n_axis - 1 => 0,
                _ => 2,
            }
        }
    };
    let mut index = vec![NONE; shape.len()];
    let mut count = 0u32;
    for (i, slot) in index.iter_mut().enumerate() {
        if role(i) == 2 {
            *slot = count;
            count += 1;
        }
    }
    let n = count as usize;
    let (nz, ny, nx) = (shape.z as isize, shape.y as isize, shape.x as isize);
    let steps: [[isize; 3]; 6] = [[-1, 0, 0], [0, -1, 0], [0, 0, -1], [0, 0, 1], [0, 1, 0], [1, 0, 0]];
    let neighbour = |i: usize, s: &[isize; 3]| -> Option<usize> {
        let (z, y, x) = ((i / shape.slice_len()) as isize, (i / shape.x % shape.y) as isize, (i % shape.x) as isize);
        let (a, b, c) = (z + s[0], y + s[1], x + s[2]);
        (a >= 0 && a < nz && b >= 0 && b < ny && c >= 0 && c < nx).then(|| ((a * ny + b) * nx + c) as usize)
    };
    let mut sys = System { nbr: vec![[NONE; 6]; n], diag: vec![0.0; n], b: vec![0.0; n] };
    // Inlet rate: throats from inlet voxels to non-inlet pore voxels.
    let mut inlet_links: Vec<(u32, f64)> = Vec::new();
    for i in 0..shape.len() {
        let r = role(i);
        if r == 1 {
            for s in &steps {
                if let Some(j) = neighbour(i, s) {
                    match role(j) {
                        2 => inlet_links.push((index[j], 0.0)),
                        0 => inlet_links.push((NONE, 0.0)),
                        _ => {}
                    }
                }
            }
        }
        if r != 2 {
            continue;
        }
        let k = index[i] as usize;
        let mut m = 0;
        for s in &steps {
            let Some(j) = neighbour(i, s) else { continue };
            match role(j) {
                2 => {
                    sys.nbr[k][m] = index[j];
                    m += 1;
                    sys.diag[k] += 1.0;
                }
                1 => {
                    sys.diag[k] += 1.0;
                    sys.b[k] += 1.0;
                }
                0 => sys.diag[k] += 1.0,
                _ => {}
            }
        }
    }
    let (c, iterations) = solve(&sys, p.tolerance, p.max_iterations, threads)?;
    // R = Σ (1 − c_j) over inlet throats (c_j = 0 at the outlet).
    let rate: f64 = inlet_links.iter().map(|&(j, _)| if j == NONE { 1.0 } else { 1.0 - c[j as usize] }).sum();
    let area = total / n_axis as f64;
    let deff = rate * (n_axis as f64 - 1.0) / area;
    Ok(Tortuosity {
        kind: Kind::Diffusive,
        tortuosity: eps / deff,
        porosity: eps0,
        effective_porosity: eps,
        effective_diffusivity: deff,
        iterations,
    })
}

/// `y = A x`.
fn apply(sys: &System, x: &[f64], y: &mut [f64], threads: usize) {
    for_each_band(y, 1, threads, |r, out| {
        for (k, o) in r.zip(out.iter_mut()) {
            let mut s = sys.diag[k] * x[k];
            for &j in &sys.nbr[k] {
                if j != NONE {
                    s -= x[j as usize];
                }
            }
            *o = s;
        }
    });
}

fn dot(a: &[f64], b: &[f64], threads: usize) -> f64 {
    map_bands(a.len(), threads, |r| r.map(|i| a[i] * b[i]).sum::<f64>()).into_iter().sum()
}

/// Jacobi-preconditioned conjugate gradients from `x = 0`.
fn solve(sys: &System, tol: f64, max_it: usize, threads: usize) -> Result<(Vec<f64>, usize), QuantifyError> {
    let n = sys.b.len();
    let mut x = vec![0.0; n];
    if n == 0 {
        return Ok((x, 0));
    }
    // Below ~64k unknowns a second thread costs more than it saves.
    let threads = if n < 1 << 16 { 1 } else { threads };
    let mut r = sys.b.clone();
    let bnorm = dot(&r, &r, threads).sqrt();
    if bnorm == 0.0 {
        return Ok((x, 0));
    }
    let mut z: Vec<f64> = r.iter().zip(&sys.diag).map(|(r, d)| r / d).collect();
    let mut p = z.clone();
    let mut rz = dot(&r, &z, threads);
    let mut ap = vec![0.0; n];
    for it in 1..=max_it {
        apply(sys, &p, &mut ap, threads);
        let alpha = rz / dot(&p, &ap, threads);
        for_each_band(&mut x, 1, threads, |rg, xs| {
            for (i, v) in rg.zip(xs.iter_mut()) {
                *v += alpha * p[i];
            }
        });
        for_each_band(&mut r, 1, threads, |rg, rs| {
            for (i, v) in rg.zip(rs.iter_mut()) {
                *v -= alpha * ap[i];
            }
        });
        let rnorm = dot(&r, &r, threads).sqrt();
        if rnorm <= tol * bnorm {
            return Ok((x, it));
        }
        for (zi, (ri, d)) in z.iter_mut().zip(r.iter().zip(&sys.diag)) {
            *zi = ri / d;
        }
        let rz_new = dot(&r, &z, threads);
        let beta = rz_new / rz;
        rz = rz_new;
        for_each_band(&mut p, 1, threads, |rg, ps| {
            for (i, v) in rg.zip(ps.iter_mut()) {
                *v = z[i] + beta * *v;
            }
        });
    }
    let rnorm = dot(&r, &r, threads).sqrt();
    Err(QuantifyError::NotConverged { iterations: max_it, residual: rnorm / bnorm, tolerance: tol })
}

#[cfg(test)]
mod tests {
    use super::super::tortuosity;
    use super::*;

    #[test]
    fn an_open_box_has_tortuosity_one() {
        let s = Shape::new(10, 6, 5);
        let t = tortuosity(&vec![1u8; s.len()], s, &TortuosityParams::default(), 2).unwrap();
        assert!((t.tortuosity - 1.0).abs() < 1e-6, "{}", t.tortuosity);
        assert!((t.effective_diffusivity - 1.0).abs() < 1e-6);
    }

    #[test]
    fn no_path_is_an_error() {
        let s = Shape::new(4, 3, 3);
        let mut m = vec![1u8; s.len()];
        m[s.slice_len() * 2..s.slice_len() * 3].fill(0);
        let e = tortuosity(&m, s, &TortuosityParams::default(), 1).unwrap_err();
        assert_eq!(e.to_string(), "`tortuosity`: no pore path connects the inlet and outlet faces along axis 0");
    }
}
