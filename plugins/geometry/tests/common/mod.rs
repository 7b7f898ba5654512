//! Shared test helpers: a tiny `.npy` reader (v1/v2/v3, little-endian,
//! C order) and frame builders. The host's io crate is not a dependency.

#![allow(dead_code)]

use std::path::PathBuf;

use plexus_plugin_api::{Array, ChunkKey, DType, Element, Frame};

/// An array read from a `.npy` file.
pub struct Npy {
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub bytes: Vec<u8>,
    /// Whether the file held i64 (converted to i32 when in range).
    pub descr: String,
}

impl Npy {
    pub fn f64(&self) -> Vec<f64> {
        self.array().to_f64_vec()
    }

    pub fn array(&self) -> Array {
        Array::from_bytes(self.dtype, self.shape.clone(), &self.bytes).unwrap()
    }

    pub fn typed<T: Element>(&self) -> Vec<T> {
        self.array().as_slice::<T>().unwrap().to_vec()
    }
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(format!("{name}.npy"))
}

/// Reads `tests/fixtures/<name>.npy`.
pub fn npy(name: &str) -> Npy {
    let path = fixture_path(name);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&raw[..6], b"\x93NUMPY", "{name}: not an npy file");
    let (hlen, start) = match raw[6] {
        1 => (u16::from_le_bytes([raw[8], raw[9]]) as usize, 10),
        2 | 3 => (u32::from_le_bytes([raw[8], raw[9], raw[10], raw[11]]) as usize, 12),
        v => panic!("{name}: npy version {v}"),
    };
    let header = std::str::from_utf8(&raw[start..start + hlen]).unwrap();
    let field = |key: &str| {
        let at = header.find(key).unwrap_or_else(|| panic!("{name}: no {key} in {header}")) + key.len();
        header[at..].trim_start_matches([':', ' ']).to_string()
    };
    let descr_field = field("'descr'");
    let descr = descr_field[1..].split('\'').next().unwrap().to_string();
    assert!(field("'fortran_order'").starts_with("False"), "{name}: Fortran order");
    let shape_field = field("'shape'");
    let inner = &shape_field[1..shape_field.find(')').unwrap()];
    let shape: Vec<usize> =
        inner.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    let data = &raw[start + hlen..];
    let n: usize = shape.iter().product();
    let (dtype, bytes) = match descr.as_str() {
        "|u1" => (DType::U8, data.to_vec()),
        "<u2" => (DType::U16, data.to_vec()),
        "<i2" => (DType::I16, data.to_vec()),
        "<i4" => (DType::I32, data.to_vec()),
        "<f4" => (DType::F32, data.to_vec()),
        "<f8" => (DType::F64, data.to_vec()),
        "<i8" => {
            // Stored as f64 (exact below 2^53) since the plugin API has no i64.
            let v: Vec<f64> = data.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f64).collect();
            (DType::F64, v.iter().flat_map(|x| x.to_le_bytes()).collect())
        }
        other => panic!("{name}: unsupported dtype {other}"),
    };
    assert_eq!(bytes.len(), n * dtype.size(), "{name}: truncated");
    Npy { dtype, shape, bytes, descr }
}

/// A frame holding `array` as `image`.
pub fn frame(array: Array) -> Frame {
    let extent = array.shape()[0] as u64;
    Frame::new("test", ChunkKey::whole(extent)).with_array("image", array)
}

/// Largest absolute difference.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// A seeded generator of uniform numbers in [0, 1).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_f64() * n as f64) as usize
    }
}
