//! Integration tests of plexus-io, one binary with a module per topic.
//!
//! Fixtures under `tests/fixtures/` were made by `make_fixtures.py` (tifffile,
//! numpy, OpenCV, Pillow/imageio); `expected.txt` holds what those libraries
//! decoded. The HDF5 fixtures under `tests/h5/` were made by
//! `make_h5_fixtures.py` (h5py); their tests run only with the `hdf5`
//! feature. Python is not needed to run these tests.

mod batch;
mod chunks;
mod errors;
mod fixtures;
#[cfg(feature = "hdf5")]
mod hdf5;
mod inspect;
mod roundtrip;
mod stack;
mod writers;
mod zarr;

use std::path::{Path, PathBuf};

use plexus_plugin_api::{Array, DType};
use sha2::{Digest, Sha256};

/// A fixture file by name.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// An HDF5 fixture file by name.
pub fn h5_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/h5").join(name)
}

/// sha256 of the elements, little-endian, hex.
pub fn sha256(a: &Array) -> String {
    let mut h = Sha256::new();
    let size = a.dtype().size();
    for el in a.as_bytes().chunks_exact(size) {
        let mut b = el.to_vec();
        if cfg!(target_endian = "big") {
            b.reverse();
        }
        h.update(&b);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A deterministic array of `dtype` covering its range, including extremes.
pub fn sample_array(dtype: DType, shape: &[usize]) -> Array {
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ (dtype as u64) << 8 ^ shape.iter().product::<usize>() as u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let n: usize = shape.iter().product();
    macro_rules! ints {
        ($t:ty) => {
            Array::from_fn::<$t>(shape.to_vec(), |i| match i {
                0 => <$t>::MIN,
                1 => <$t>::MAX,
                _ => next() as $t,
            })
        };
    }
    let _ = n;
    match dtype {
        DType::U8 => ints!(u8),
        DType::U16 => ints!(u16),
        DType::U32 => ints!(u32),
        DType::I16 => ints!(i16),
        DType::I32 => ints!(i32),
        DType::F32 => Array::from_fn::<f32>(shape.to_vec(), |i| match i {
            0 => f32::MAX,
            1 => -0.0,
            2 => f32::NAN,
            3 => f32::from_bits(1),
            _ => (next() as i64 as f64 / 1e15) as f32,
        }),
        DType::F64 => Array::from_fn::<f64>(shape.to_vec(), |i| match i {
            0 => f64::MIN,
            1 => f64::INFINITY,
            2 => f64::NAN,
            _ => next() as i64 as f64 / 1e12,
        }),
    }
}

/// Same dtype, shape and bytes (NaN payloads included).
pub fn assert_same(a: &Array, b: &Array) {
    assert_eq!(a.dtype(), b.dtype());
    assert_eq!(a.shape(), b.shape());
    assert!(a.as_bytes() == b.as_bytes(), "elements differ");
}
