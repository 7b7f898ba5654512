//! Foreground runs: the maximal stretches of nonzero voxels along `x` in each
//! row, and the union-find over them that labelling is built on.
//!
//! A run is always one connected piece (x-neighbours are connected in every
//! connectivity), so components are unions of runs. Runs are numbered in
//! raster order, and the union-find keeps the smallest number as the root
//! (`parent[i] <= i` always holds), so a component's root is its run that
//! comes first in raster order: that is what numbers labels in raster order
//! of their first voxel, as `scipy.ndimage.label` does.

use super::shape::Connectivity;

/// The runs of a block of rows, each row's runs sorted by `x`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Runs {
    /// `start[r]..start[r + 1]` are the runs of row `r`; `rows + 1` entries.
    pub start: Vec<u32>,
    /// First voxel of each run.
    pub x0: Vec<u32>,
    /// One past the last voxel of each run.
    pub x1: Vec<u32>,
}

impl Runs {
    /// Runs of `rows` rows of `nx` voxels (`mask.len() == rows * nx`),
    /// foreground = nonzero. `None` when they would overflow `u32`.
    pub fn of_rows(mask: &[u8], nx: usize) -> Option<Runs> {
        let rows = mask.len().checked_div(nx).unwrap_or(0);
        let mut runs = Runs { start: Vec::with_capacity(rows + 1), x0: Vec::new(), x1: Vec::new() };
        for row in mask.chunks_exact(nx.max(1)).take(rows) {
            runs.start.push(u32::try_from(runs.x0.len()).ok()?);
            push_row_runs(row, &mut runs.x0, &mut runs.x1);
        }
        runs.start.push(u32::try_from(runs.x0.len()).ok()?);
        Some(runs)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    /// Number of runs.
    pub fn len(&self) -> usize {
        self.x0.len()
    }

    /// Whether there is no run.
    pub fn is_empty(&self) -> bool {
        self.x0.is_empty()
    }

    /// Run indices of row `r`.
    pub fn row(&self, r: usize) -> std::ops::Range<usize> {
        self.start[r] as usize..self.start[r + 1] as usize
    }
}

/// Appends the runs of one row.
fn push_row_runs(row: &[u8], x0: &mut Vec<u32>, x1: &mut Vec<u32>) {
    let n = row.len();
    let mut x = 0;
    while x < n {
        // Skip background eight voxels at a time: blobby volumes are mostly
        // long stretches of one phase.
        while x + 8 <= n && u64::from_ne_bytes(row[x..x + 8].try_into().unwrap()) == 0 {
            x += 8;
        }
        while x < n && row[x] == 0 {
            x += 1;
        }
        if x == n {
            break;
        }
        let a = x;
        // Foreground eight at a time while no byte of the word is zero.
        while x + 8 <= n && !has_zero_byte(u64::from_ne_bytes(row[x..x + 8].try_into().unwrap())) {
            x += 8;
        }
        while x < n && row[x] != 0 {
            x += 1;
        }
        x0.push(a as u32);
        x1.push(x as u32);
    }
}

/// Whether any byte of `w` is zero (the classic bit trick).
#[inline]
fn has_zero_byte(w: u64) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    w.wrapping_sub(LO) & !w & HI != 0
}

/// Root of `i`, halving the path on the way.
#[inline]
pub fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        let g = parent[parent[i as usize] as usize];
        parent[i as usize] = g;
        i = g;
    }
    i
}

/// Joins the sets of `a` and `b`, the smaller root becoming the root.
#[inline]
pub fn union(parent: &mut [u32], a: u32, b: u32) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra < rb {
        parent[rb as usize] = ra;
    } else if rb < ra {
        parent[ra as usize] = rb;
    }
}

/// Which neighbouring row a row is connected to, and whether runs there
/// connect diagonally (`reach = 1`: a run `[a, b)` touches `[a - 1, b + 1)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowLink {
    /// Slice step back (0 or 1).
    pub dz: usize,
    /// Row step: -1, 0 or +1 relative to the row itself.
    pub dy: isize,
    /// 0: only runs that overlap; 1: also runs that touch at a corner.
    pub reach: u32,
}

/// The earlier rows a row connects to: in the same slice (`dz = 0`, the row
/// above) and in the previous slice (`dz = 1`).
pub fn row_links(c: Connectivity) -> Vec<RowLink> {
    let l = |dz, dy, reach| RowLink { dz, dy, reach };
    match c {
        Connectivity::Four => vec![l(0, -1, 0)],
        Connectivity::Eight => vec![l(0, -1, 1)],
        Connectivity::Six => vec![l(0, -1, 0), l(1, 0, 0)],
        Connectivity::Eighteen => vec![l(0, -1, 1), l(1, -1, 0), l(1, 0, 1), l(1, 1, 0)],
        Connectivity::TwentySix => vec![l(0, -1, 1), l(1, -1, 1), l(1, 0, 1), l(1, 1, 1)],
    }
}

/// Calls `join(i, j)` for every run `i` of `a` (indices `ra`) that touches a
/// run `j` of `b` (indices `rb`) with the given reach; both sorted by `x`.
#[inline]
pub fn touching(
    a: &Runs,
    ra: std::ops::Range<usize>,
    b: &Runs,
    rb: std::ops::Range<usize>,
    reach: u32,
    mut join: impl FnMut(usize, usize),
) {
    let (ax0, ax1, bx0, bx1) = (&a.x0, &a.x1, &b.x0, &b.x1);
    let mut j = rb.start;
    for i in ra {
        let (a, b) = (ax0[i], ax1[i]);
        while j < rb.end && bx1[j] + reach <= a {
            j += 1;
        }
        let mut k = j;
        while k < rb.end && bx0[k] < b + reach {
            join(i, k);
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_a_row() {
        let mask = [0u8, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1];
        let r = Runs::of_rows(&mask, mask.len()).unwrap();
        assert_eq!((r.x0, r.x1), (vec![1, 11, 13], vec![3, 12, 14]));
    }

    #[test]
    fn touching_respects_reach() {
        // a: [2,4) ; b: [4,6) touches only diagonally.
        let a = Runs { start: vec![0, 1], x0: vec![2], x1: vec![4] };
        let b = Runs { start: vec![0, 2], x0: vec![0, 4], x1: vec![1, 6] };
        let mut hits = Vec::new();
        touching(&a, 0..1, &b, 0..2, 0, |i, j| hits.push((i, j)));
        assert!(hits.is_empty());
        touching(&a, 0..1, &b, 0..2, 1, |i, j| hits.push((i, j)));
        assert_eq!(hits, vec![(0, 1)]);
    }
}
