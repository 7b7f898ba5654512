//! Chunk readers (`plexus_io::open`): every slab of a fixture equals the
//! same slices of the whole array, which the fixture tests check against
//! what numpy and tifffile decode; slab reads that cross strip, tile, page
//! and chunk boundaries; truncation found at read time names the bytes.

use std::path::Path;

use plexus_io::{open, read, ChunkReader};

use super::fixture;

/// Reads `path` whole, then checks every slab `start..start + len` (all of
/// them for short axes, a spread otherwise) against the whole array's bytes.
pub fn check_every_slab(path: &Path) -> Box<dyn ChunkReader> {
    let whole = read(path).unwrap_or_else(|e| panic!("{e}"));
    let mut r = open(path).unwrap_or_else(|e| panic!("{e}"));
    let info = r.info().clone();
    assert_eq!(info.shape, whole.shape(), "{}", path.display());
    assert_eq!(info.dtype, whole.dtype(), "{}", path.display());
    assert_eq!(info.axes, whole.axes(), "{}", path.display());
    let row = info.slice_bytes();
    let n = info.len();
    let starts: Vec<usize> = if n <= 40 { (0..n).collect() } else { (0..n).step_by(n / 17).collect() };
    for &start in &starts {
        for len in [1, 2, 3, 5, 8, n] {
            let len = len.min(n - start);
            let mut buf = vec![0xa5u8; len * row];
            r.read_into(start, len, &mut buf).unwrap_or_else(|e| panic!("{}: {start}+{len}: {e}", path.display()));
            assert!(
                buf == whole.as_bytes()[start * row..(start + len) * row],
                "{}: slices {start}..{} differ from the whole read",
                path.display(),
                start + len
            );
        }
    }
    r
}

#[test]
fn npy_slabs_equal_the_whole_array() {
    for name in [
        "n_u1.npy",
        "n_u2.npy",
        "n_u4.npy",
        "n_i2.npy",
        "n_i4.npy",
        "n_f4.npy",
        "n_f8.npy",
        "n_be_u2.npy",
        "n_be_f8.npy",
        "n_fortran_f4.npy",
        "n_fortran_be_i4.npy",
        "n_bool.npy",
        "n_i1.npy",
        "n_f2.npy",
        "n_v2.npy",
        "n_v3.npy",
        "n_1d.npy",
        "n_empty.npy",
    ] {
        let r = check_every_slab(&fixture(name));
        assert!(r.streams(), "{name}");
    }
}

#[test]
fn npy_scalar_is_one_slice() {
    let mut r = open(&fixture("n_0d.npy")).unwrap();
    assert_eq!((r.info().shape.as_slice(), r.info().len(), r.info().slice_bytes()), (&[][..], 1, 8));
    let whole = read(&fixture("n_0d.npy")).unwrap();
    assert_eq!(whole.shape(), &[] as &[usize]);
    let mut buf = [0u8; 8];
    r.read_into(0, 1, &mut buf).unwrap();
    assert_eq!(&buf[..], whole.as_bytes());
}

#[test]
fn npy_cut_after_opening_names_the_missing_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.npy");
    std::fs::copy(fixture("n_u2.npy"), &p).unwrap();
    let mut r = open(&p).unwrap();
    // 3 × 4 × 5 u16 from byte 128: slice 2 spans bytes 208..248.
    std::fs::OpenOptions::new().write(true).open(&p).unwrap().set_len(230).unwrap();
    let mut buf = vec![0u8; 40];
    r.read_into(0, 1, &mut buf).unwrap();
    let err = r.read_into(2, 1, &mut buf).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}`: truncated at byte 230: the data of slices 2..3 of axis 0 needs 18 more bytes (it spans bytes 208..248)",
            p.display()
        )
    );
}
