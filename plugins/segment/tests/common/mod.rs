//! Fixture loading for the segment tests: gzip-compressed `.npy` files that
//! `fixtures/make_fixtures.py` writes, decoded with `plexus-testkit`'s npy
//! parser, and chunking helpers.

#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;

use plexus_kernels::volume::Shape;
use plexus_testkit::Npy;

/// Reads `tests/fixtures/<name>.npy.gz`.
pub fn load(name: &str) -> Npy {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(format!("{name}.npy.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut bytes).unwrap();
    plexus_testkit::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixture's shape as `(z, y, x)` (2-D arrays as one slice).
pub fn shape(n: &Npy) -> Shape {
    match n.shape[..] {
        [y, x] => Shape::plane(y, x),
        [z, y, x] => Shape::new(z, y, x),
        ref s => panic!("unexpected shape {s:?}"),
    }
}

/// u8 / bool elements.
pub fn u8s(n: &Npy) -> Vec<u8> {
    assert!(matches!(n.descr.as_str(), "|u1" | "|b1"), "{}", n.descr);
    n.data.clone()
}

/// Unsigned integer elements widened to u32.
pub fn u32s(n: &Npy) -> Vec<u32> {
    match n.descr.as_str() {
        "|u1" => n.data.iter().map(|&v| v as u32).collect(),
        "<u2" => n.data.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]]) as u32).collect(),
        "<u4" => n.data.chunks_exact(4).map(|b| u32::from_le_bytes(b.try_into().unwrap())).collect(),
        d => panic!("not unsigned: {d}"),
    }
}

/// u16 elements.
pub fn u16s(n: &Npy) -> Vec<u16> {
    assert_eq!(n.descr, "<u2");
    n.data.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect()
}

/// f32 elements.
pub fn f32s(n: &Npy) -> Vec<f32> {
    assert_eq!(n.descr, "<f4");
    n.data.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
}

/// The expected scalars `make_fixtures.py` wrote.
pub fn expected() -> serde_json::Value {
    plexus_testkit::expected_from(env!("CARGO_MANIFEST_DIR"))
}

/// `n` nearly equal z-ranges covering `0..z`.
pub fn z_chunks(z: usize, n: usize) -> Vec<std::ops::Range<usize>> {
    (0..n).map(|i| z * i / n..z * (i + 1) / n).collect()
}
