//! The voxel types an intensity kernel accepts (u8, u16, u32, i16, i32, f32,
//! f64: the element types of a Plexus array) and what a kernel needs to know
//! of each: its value as f64, and whether it is an integer type (integer
//! images get integer thresholds, as in scikit-image).

/// A voxel type of an intensity image.
pub trait Sample: Copy + Send + Sync + PartialOrd + 'static {
    /// Whether the type is an integer type.
    const INTEGER: bool;
    /// Whether the type is f32 (numpy computes f32 histograms in f32).
    const F32: bool = false;
    /// scikit-image's `dtype_range` for the type: the integer type's limits,
    /// `(-1, 1)` for floats.
    const RANGE: (f64, f64);
    /// The value as f64 (exact for every type here).
    fn to_f64(self) -> f64;
    /// The value as i64 (integer types; floats truncate).
    fn to_i64(self) -> i64;
}

macro_rules! integer_sample {
    ($($t:ty),*) => {$(
        impl Sample for $t {
            const INTEGER: bool = true;
            const RANGE: (f64, f64) = (<$t>::MIN as f64, <$t>::MAX as f64);
            #[inline]
            fn to_f64(self) -> f64 { self as f64 }
            #[inline]
            fn to_i64(self) -> i64 { self as i64 }
        }
    )*};
}

integer_sample!(u8, u16, u32, i16, i32);

impl Sample for f32 {
    const INTEGER: bool = false;
    const F32: bool = true;
    const RANGE: (f64, f64) = (-1.0, 1.0);
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self as i64
    }
}

impl Sample for f64 {
    const INTEGER: bool = false;
    const RANGE: (f64, f64) = (-1.0, 1.0);
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self as i64
    }
}
