//! An aggregation multigrid V-cycle on the padded voxel grid, the
//! preconditioner of the diffusion solve.
//!
//! Each level is a 7-point operator on a box padded by one inactive cell:
//! a diagonal and the couplings to the +x, +y, +z neighbours. The next level
//! aggregates 2×2×2 blocks with piecewise-constant prolongation and the
//! Galerkin product `Pᵀ A P` (coupling between blocks = sum of the fine
//! couplings across their shared face; diagonal = sum of fine diagonals
//! minus twice the couplings inside the block), so every level stays a
//! symmetric 7-point operator. Smoothing is damped Jacobi, the same number
//! of sweeps before and after, and the coarsest level gets a fixed number of
//! Jacobi sweeps, so the cycle is a fixed symmetric linear operator, as
//! conjugate gradients needs of a preconditioner.
//!
//! References: Y. Notay, "An aggregation-based algebraic multigrid method",
//! *Electronic Transactions on Numerical Analysis* 37:123–146 (2010);
//! W. L. Briggs, V. E. Henson, S. F. McCormick, *A Multigrid Tutorial*,
//! 2nd ed., SIAM (2000), doi:10.1137/1.9780898719505.

use plexus_kernels::volume::bands::{for_each_band, map_bands};

/// Damping of the Jacobi smoother.
const OMEGA: f64 = 0.8;
/// Smoothing sweeps before and after the coarse correction.
const SWEEPS: usize = 2;
/// Jacobi sweeps on the coarsest level.
const COARSE_SWEEPS: usize = 40;

/// One level: a 7-point operator on a padded box.
pub struct Level {
    /// Padded dimensions `[z, y, x]`.
    pub dims: [usize; 3],
    /// Diagonal (0 on inactive cells).
    pub diag: Vec<f64>,
    /// Couplings to the +x, +y, +z neighbour (the matrix entry is `-w`).
    pub w: [Vec<f64>; 3],
    /// `1 / diag` on active cells, 0 elsewhere.
    pub dinv: Vec<f64>,
}

impl Level {
    /// Strides of the padded box along x, y, z.
    pub fn strides(&self) -> [usize; 3] {
        [1, self.dims[2], self.dims[1] * self.dims[2]]
    }

    /// Cells in one padded z-plane.
    fn plane(&self) -> usize {
        self.dims[1] * self.dims[2]
    }

    /// `y = A x` (x must be 0 on inactive cells; y is 0 there, since
    /// inactive cells have no diagonal and no couplings).
    pub fn apply(&self, x: &[f64], y: &mut [f64], threads: usize) {
        let [sx, sy, sz] = self.strides();
        let [wx, wy, wz] = [&self.w[0], &self.w[1], &self.w[2]];
        let plane = self.plane();
        let nz = self.dims[0];
        for_each_band(y, plane, threads, |zs, out| {
            for (k, z) in zs.enumerate() {
                let o = &mut out[k * plane..(k + 1) * plane];
                if z == 0 || z == nz - 1 {
                    o.fill(0.0);
                    continue;
                }
                // Interior planes: every neighbour index is in the box.
                let base = z * plane;
                for (j, oj) in o.iter_mut().enumerate().take(plane - sy).skip(sy) {
                    let i = base + j;
                    *oj = self.diag[i] * x[i]
                        - wx[i] * x[i + sx]
                        - wx[i - sx] * x[i - sx]
                        - wy[i] * x[i + sy]
                        - wy[i - sy] * x[i - sy]
                        - wz[i] * x[i + sz]
                        - wz[i - sz] * x[i - sz];
                }
                o[..sy].fill(0.0);
                o[plane - sy..].fill(0.0);
            }
        });
    }

    /// The next coarser level.
    pub fn coarsen(&self) -> Level {
        let [fz, fy, fx] = self.dims;
        let c = |n: usize| (n - 2).div_ceil(2) + 2;
        let dims = [c(fz), c(fy), c(fx)];
        let (cy, cx) = (dims[1], dims[2]);
        let n = dims[0] * cy * cx;
        let mut diag = vec![0.0; n];
        let mut w = [vec![0.0; n], vec![0.0; n], vec![0.0; n]];
        let fs = self.strides();
        let cidx = |z: usize, y: usize, x: usize| (((z - 1) / 2 + 1) * cy + (y - 1) / 2 + 1) * cx + (x - 1) / 2 + 1;
        for z in 1..fz - 1 {
            for y in 1..fy - 1 {
                for x in 1..fx - 1 {
                    let i = (z * fy + y) * fx + x;
                    let ci = cidx(z, y, x);
                    diag[ci] += self.diag[i];
                    for (a, (&s, coord)) in fs.iter().zip([x, y, z]).enumerate() {
                        let wv = self.w[a][i];
                        if wv == 0.0 {
                            continue;
                        }
                        // A coupling is only stored to an active neighbour, which
                        // is in the same block when coord is odd (1-based).
                        let _ = s;
                        if (coord - 1) % 2 == 0 {
                            diag[ci] -= 2.0 * wv;
                        } else {
                            w[a][ci] += wv;
                        }
                    }
                }
            }
        }
        let dinv = diag.iter().map(|&d| if d > 0.0 { 1.0 / d } else { 0.0 }).collect();
        Level { dims, diag, w, dinv }
    }
}

/// The levels, finest first, with their work buffers.
pub struct Hierarchy {
    levels: Vec<Level>,
    /// Per level: right-hand side, solution, scratch (coarse levels only use
    /// the first two for the restricted problem).
    work: std::cell::RefCell<Vec<[Vec<f64>; 3]>>,
}

/// Below this many cells a level runs on one thread.
const PARALLEL_CELLS: usize = 1 << 16;

impl Hierarchy {
    /// Coarsens `fine` until the box is at most 4 cells a side.
    pub fn new(fine: Level) -> Hierarchy {
        let mut levels = vec![fine];
        while levels.last().unwrap().dims.iter().any(|&d| d - 2 > 4) {
            let next = levels.last().unwrap().coarsen();
            levels.push(next);
        }
        let work = levels.iter().map(|l| [0, 1, 2].map(|_| vec![0.0; l.diag.len()])).collect();
        Hierarchy { levels, work: std::cell::RefCell::new(work) }
    }

    /// The finest level.
    pub fn fine(&self) -> &Level {
        &self.levels[0]
    }

    /// `x = M⁻¹ b`: one V-cycle from zero.
    pub fn precondition(&self, b: &[f64], x: &mut [f64], threads: usize) {
        let mut work = self.work.borrow_mut();
        let (fine, coarse) = work.split_at_mut(1);
        self.cycle(0, b, x, &mut fine[0][2], coarse, threads);
    }

    /// One V-cycle of level `k`; `coarse[0]` holds the buffers of level
    /// `k + 1`, `coarse[1]` those of `k + 2`, and so on.
    fn cycle(&self, k: usize, b: &[f64], x: &mut [f64], tmp: &mut [f64], coarse: &mut [[Vec<f64>; 3]], threads: usize) {
        let l = &self.levels[k];
        let threads = if l.diag.len() < PARALLEL_CELLS { 1 } else { threads };
        // First sweep from zero: x = ω D⁻¹ b.
        for ((xi, bi), d) in x.iter_mut().zip(b).zip(&l.dinv) {
            *xi = OMEGA * d * bi;
        }
        let sweeps = if k + 1 == self.levels.len() { COARSE_SWEEPS } else { SWEEPS };
        for _ in 1..sweeps {
            jacobi(l, b, x, tmp, threads);
        }
        if k + 1 == self.levels.len() {
            return;
        }
        l.apply(x, tmp, threads);
        let c = &self.levels[k + 1];
        let (here, below) = coarse.split_at_mut(1);
        let [bc, xc, tc] = &mut here[0];
        bc.fill(0.0);
        let (fy, fx) = (l.dims[1], l.dims[2]);
        let (cy, cx) = (c.dims[1], c.dims[2]);
        for z in 1..l.dims[0] - 1 {
            for y in 1..fy - 1 {
                let row = (z * fy + y) * fx;
                let crow = (((z - 1) / 2 + 1) * cy + (y - 1) / 2 + 1) * cx + 1;
                for xx in 1..fx - 1 {
                    let i = row + xx;
                    if l.dinv[i] != 0.0 {
                        bc[crow + (xx - 1) / 2] += b[i] - tmp[i];
                    }
                }
            }
        }
        self.cycle(k + 1, bc, xc, tc, below, threads);
        for z in 1..l.dims[0] - 1 {
            for y in 1..fy - 1 {
                let row = (z * fy + y) * fx;
                let crow = (((z - 1) / 2 + 1) * cy + (y - 1) / 2 + 1) * cx + 1;
                for xx in 1..fx - 1 {
                    let i = row + xx;
                    if l.dinv[i] != 0.0 {
                        x[i] += xc[crow + (xx - 1) / 2];
                    }
                }
            }
        }
        for _ in 0..SWEEPS {
            jacobi(l, b, x, tmp, threads);
        }
    }
}

/// One damped Jacobi sweep: `x += ω D⁻¹ (b − A x)`.
fn jacobi(l: &Level, b: &[f64], x: &mut [f64], ax: &mut [f64], threads: usize) {
    l.apply(x, ax, threads);
    for ((xi, (bi, ai)), d) in x.iter_mut().zip(b.iter().zip(ax.iter())).zip(&l.dinv) {
        *xi += OMEGA * d * (bi - ai);
    }
}

/// `Σ a·b` over bands of z-planes (the same order for any thread count
/// within a band; bands summed in order).
pub fn dot(a: &[f64], b: &[f64], plane: usize, threads: usize) -> f64 {
    let planes = a.len() / plane;
    map_bands(planes, threads, |zs| (zs.start * plane..zs.end * plane).map(|i| a[i] * b[i]).sum::<f64>())
        .into_iter()
        .sum()
}
