//! Diffusive tortuosity: a finite-difference steady-diffusion solve on the
//! voxel grid, PoreSpy's `tortuosity_fd` formulation (see the parent module).
//!
//! The unknowns are the percolating pore voxels strictly between the inlet
//! and outlet slices; each row of the (symmetric positive definite) system
//! is `deg(i)·c_i − Σ c_j = Σ (Dirichlet neighbours' values)`, `deg` the
//! number of percolating pore face neighbours. Vectors live on the voxel
//! box padded by one inactive voxel (0 off the unknowns), so the operator is
//! a branch-free 7-point stencil; conjugate gradients are preconditioned by
//! one aggregation-multigrid V-cycle ([`super::multigrid`]).

use plexus_kernels::volume::bands::for_each_band;
use plexus_kernels::volume::Shape;

use super::multigrid::{dot, Hierarchy, Level};
use super::{coord, percolating, Kind, Tortuosity, TortuosityParams};
use crate::error::QuantifyError;

pub(super) fn tortuosity_fd(
    mask: &[u8],
    shape: Shape,
    p: &TortuosityParams,
    threads: usize,
) -> Result<Tortuosity, QuantifyError> {
    let axis = p.axis;
    let total = shape.len() as f64;
    let eps0 = mask.iter().filter(|&&v| v != 0).count() as f64 / total;
    let pore = percolating(mask, shape, axis, threads)?;
    let eps = pore.iter().filter(|&&v| v != 0).count() as f64 / total;
    if eps == 0.0 {
        return Err(QuantifyError::NoPercolation { axis });
    }
    let n_axis = shape.dims()[axis];
    // 1 inlet, 0 outlet, 2 unknown, 3 solid (or not percolating).
    let role: Vec<u8> = (0..shape.len())
        .map(|i| {
            if pore[i] == 0 {
                3
            } else {
                match coord(i, shape, axis) {
                    0 => 1,
                    c if c == n_axis - 1 => 0,
                    _ => 2,
                }
            }
        })
        .collect();
    let dims = [shape.z + 2, shape.y + 2, shape.x + 2];
    let (py, px) = (dims[1], dims[2]);
    let n = dims[0] * py * px;
    let padded = |z: usize, y: usize, x: usize| ((z + 1) * py + y + 1) * px + x + 1;
    let mut diag = vec![0.0; n];
    let mut w = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    let mut b = vec![0.0; n];
    let mut inlet_links: Vec<usize> = Vec::new();
    let mut outlet_links = 0usize;
    let steps: [[isize; 3]; 6] = [[0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, -1], [0, -1, 0], [-1, 0, 0]];
    for z in 0..shape.z {
        for y in 0..shape.y {
            for x in 0..shape.x {
                let i = (z * shape.y + y) * shape.x + x;
                let r = role[i];
                if r == 3 || r == 0 {
                    continue;
                }
                let pi = padded(z, y, x);
                for (k, s) in steps.iter().enumerate() {
                    let (a, bb, c) = (z as isize + s[0], y as isize + s[1], x as isize + s[2]);
                    if a < 0
                        || bb < 0
                        || c < 0
                        || a >= shape.z as isize
                        || bb >= shape.y as isize
                        || c >= shape.x as isize
                    {
                        continue;
                    }
                    let j = ((a as usize * shape.y) + bb as usize) * shape.x + c as usize;
                    let rj = role[j];
                    let pj = padded(a as usize, bb as usize, c as usize);
                    if r == 1 {
                        // Inlet rate: throats to non-inlet percolating voxels.
                        if rj == 2 {
                            inlet_links.push(pj);
                        } else if rj == 0 {
                            outlet_links += 1;
                        }
                        continue;
                    }
                    match rj {
                        2 => {
                            diag[pi] += 1.0;
                            if k < 3 {
                                w[k][pi] = 1.0;
                            }
                        }
                        1 => {
                            diag[pi] += 1.0;
                            b[pi] += 1.0;
                        }
                        0 => diag[pi] += 1.0,
                        _ => {}
                    }
                }
            }
        }
    }
    let dinv = diag.iter().map(|&d| if d > 0.0 { 1.0 / d } else { 0.0 }).collect();
    let mg = Hierarchy::new(Level { dims, diag, w, dinv });
    let (c, iterations) = pcg(&mg, &b, p.tolerance, p.max_iterations, threads)?;
    // R = Σ (1 − c_j) over inlet throats (c_j = 0 at the outlet).
    let rate: f64 = inlet_links.iter().map(|&j| 1.0 - c[j]).sum::<f64>() + outlet_links as f64;
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

/// Multigrid-preconditioned conjugate gradients from `x = 0`.
fn pcg(mg: &Hierarchy, b: &[f64], tol: f64, max_it: usize, threads: usize) -> Result<(Vec<f64>, usize), QuantifyError> {
    let a = mg.fine();
    let plane = a.dims[1] * a.dims[2];
    let n = b.len();
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let bnorm = dot(&r, &r, plane, threads).sqrt();
    if bnorm == 0.0 {
        return Ok((x, 0));
    }
    let mut z = vec![0.0; n];
    mg.precondition(&r, &mut z, threads);
    let mut p = z.clone();
    let mut rz = dot(&r, &z, plane, threads);
    let mut ap = vec![0.0; n];
    for it in 1..=max_it {
        a.apply(&p, &mut ap, threads);
        let alpha = rz / dot(&p, &ap, plane, threads);
        for_each_band(&mut x, plane, threads, |zs, xs| {
            for (k, v) in xs.iter_mut().enumerate() {
                *v += alpha * p[zs.start * plane + k];
            }
        });
        for_each_band(&mut r, plane, threads, |zs, rs| {
            for (k, v) in rs.iter_mut().enumerate() {
                *v -= alpha * ap[zs.start * plane + k];
            }
        });
        let rnorm = dot(&r, &r, plane, threads).sqrt();
        if rnorm <= tol * bnorm {
            return Ok((x, it));
        }
        mg.precondition(&r, &mut z, threads);
        let rz_new = dot(&r, &z, plane, threads);
        let beta = rz_new / rz;
        rz = rz_new;
        for_each_band(&mut p, plane, threads, |zs, ps| {
            for (k, v) in ps.iter_mut().enumerate() {
                *v = z[zs.start * plane + k] + beta * *v;
            }
        });
    }
    let rnorm = dot(&r, &r, plane, threads).sqrt();
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
