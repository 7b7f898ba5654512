//! Element types an [`Array`](crate::Array) can hold, and the [`Element`]
//! trait that maps Rust scalar types onto them.

use std::fmt;

/// The element type of an array.
///
/// The discriminants are part of the ABI: they cross the plugin boundary as a
/// `u8`, so existing values never change and new types are appended.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// Unsigned 8-bit integer.
    U8 = 0,
    /// Unsigned 16-bit integer.
    U16 = 1,
    /// Unsigned 32-bit integer.
    U32 = 2,
    /// Signed 16-bit integer.
    I16 = 3,
    /// Signed 32-bit integer.
    I32 = 4,
    /// IEEE 754 single precision.
    F32 = 5,
    /// IEEE 754 double precision.
    F64 = 6,
}

impl DType {
    /// Every element type, in discriminant order.
    pub const ALL: [DType; 7] = [DType::U8, DType::U16, DType::U32, DType::I16, DType::I32, DType::F32, DType::F64];

    /// Size of one element in bytes.
    pub const fn size(self) -> usize {
        match self {
            DType::U8 => 1,
            DType::U16 | DType::I16 => 2,
            DType::U32 | DType::I32 | DType::F32 => 4,
            DType::F64 => 8,
        }
    }

    /// The lowercase name used in manifests, files and messages (`"f32"`).
    pub const fn name(self) -> &'static str {
        match self {
            DType::U8 => "u8",
            DType::U16 => "u16",
            DType::U32 => "u32",
            DType::I16 => "i16",
            DType::I32 => "i32",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// Whether values are integers.
    pub const fn is_integer(self) -> bool {
        !matches!(self, DType::F32 | DType::F64)
    }

    /// Decodes the ABI discriminant.
    pub fn from_code(code: u8) -> Option<DType> {
        DType::ALL.get(code as usize).copied()
    }

    /// Parses a name as written by [`DType::name`].
    pub fn parse(name: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.name() == name)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Rust scalar type that can be the element of an [`Array`](crate::Array).
pub trait Element: bytemuck::Pod + Send + Sync + Copy + 'static {
    /// The matching element type.
    const DTYPE: DType;
    /// Converts to `f64` (exact for every supported type).
    fn to_f64(self) -> f64;
    /// Converts from `f64`, saturating at the type's range and rounding to
    /// nearest for integer types; NaN becomes 0 for integers.
    fn from_f64(v: f64) -> Self;
}

macro_rules! int_element {
    ($t:ty, $d:expr) => {
        impl Element for $t {
            const DTYPE: DType = $d;
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                // `as` saturates and maps NaN to 0 since Rust 1.45.
                v.round() as $t
            }
        }
    };
}
int_element!(u8, DType::U8);
int_element!(u16, DType::U16);
int_element!(u32, DType::U32);
int_element!(i16, DType::I16);
int_element!(i32, DType::I32);

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::F64;
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::from_code(d as u8), Some(d));
            assert_eq!(DType::parse(d.name()), Some(d));
        }
        assert_eq!(DType::from_code(7), None);
    }

    #[test]
    fn integer_conversion_saturates_and_rounds() {
        assert_eq!(u8::from_f64(300.0), 255);
        assert_eq!(u8::from_f64(-3.0), 0);
        assert_eq!(u8::from_f64(2.5), 3);
        assert_eq!(i16::from_f64(f64::NAN), 0);
    }
}
