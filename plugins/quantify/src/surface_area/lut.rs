//! A lookup table of the Lewiner marching cubes: int8 values with up to
//! three indices, addressed as scikit-image's Cython `Lut` does.

/// A flattened table of shape `(n, l1, l2)`.
#[derive(Debug)]
pub struct Lut {
    /// Size of the second axis.
    pub l1: usize,
    /// Size of the third axis.
    pub l2: usize,
    /// The values, row-major.
    pub v: &'static [i8],
}

impl Lut {
    /// `table[i0]`.
    #[inline]
    pub fn get1(&self, i0: usize) -> i32 {
        self.v[i0] as i32
    }

    /// `table[i0, i1]`.
    #[inline]
    pub fn get2(&self, i0: usize, i1: usize) -> i32 {
        self.v[i0 * self.l1 + i1] as i32
    }

    /// `table[i0, i1, i2]`.
    #[inline]
    pub fn get3(&self, i0: usize, i1: usize, i2: usize) -> i32 {
        self.v[i0 * self.l1 * self.l2 + i1 * self.l2 + i2] as i32
    }
}
