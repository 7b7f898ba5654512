//! What we write, we read back unchanged: every dtype through NPY and TIFF,
//! u8/u16 through PNG; and writes leave no `.partial` file behind. What the
//! peers (numpy, tifffile, zarr-python, h5py, Pillow) read of the same
//! writers is checked by `scripts/peer-check.sh`, run by `./plexus.sh test`.

use plexus_io::{read, write, write_tiff, BigTiff, TiffOptions};
use plexus_plugin_api::{Array, DType};

use super::{assert_same, sample_array};

fn round_trip(name: &str, a: &Array) -> Array {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    write(&path, a).unwrap();
    assert!(!plexus_io::partial_path(&path).exists());
    let b = read(&path).unwrap();
    assert_same(a, &b);
    b
}

#[test]
fn every_dtype_through_npy() {
    for d in DType::ALL {
        for shape in [&[3usize, 4, 5][..], &[7], &[2, 3], &[0, 4], &[2, 1, 3, 2]] {
            let a = sample_array(d, shape);
            round_trip("a.npy", &a);
        }
    }
}

#[test]
fn scalar_through_npy() {
    let a = Array::from_vec(Vec::<usize>::new(), vec![2.5f64]).unwrap();
    round_trip("s.npy", &a);
}

#[test]
fn every_dtype_through_tiff() {
    for d in DType::ALL {
        let a = sample_array(d, &[20, 30]);
        assert_eq!(round_trip("a.tif", &a).axes(), "y x");
        let a = sample_array(d, &[4, 20, 30]);
        assert_eq!(round_trip("a.tif", &a).axes(), "z y x");
    }
}

#[test]
fn forced_bigtiff_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for d in [DType::U8, DType::U16, DType::F32] {
        for shape in [&[20usize, 30][..], &[3, 20, 30]] {
            let a = sample_array(d, shape);
            let path = dir.path().join("big.tif");
            write_tiff(&path, &a, TiffOptions { bigtiff: BigTiff::Always }).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(&bytes[..4], b"II+\0", "BigTIFF signature");
            assert_same(&a, &read(&path).unwrap());
            let i = plexus_io::inspect(&path).unwrap();
            assert!(i.variant.starts_with("BigTIFF"), "{}", i.variant);
        }
    }
}

#[test]
fn tiff_keeps_bands_shape_and_labels() {
    let rgb = sample_array(DType::U8, &[10, 12, 3]).with_axes("y x band").unwrap();
    assert_eq!(round_trip("rgb.tif", &rgb).axes(), "y x band");
    let rgba = sample_array(DType::U16, &[10, 12, 4]).with_axes("y x band").unwrap();
    assert_eq!(round_trip("rgba.tif", &rgba).axes(), "y x band");
    let five = sample_array(DType::F32, &[2, 10, 12, 5]).with_axes("z y x c").unwrap();
    assert_eq!(round_trip("five.tif", &five).axes(), "z y x c");
    let hyper = sample_array(DType::I16, &[2, 3, 8, 9]).with_axes("t z y x").unwrap();
    assert_eq!(round_trip("t.tif", &hyper).axes(), "t z y x");
    let proj = sample_array(DType::F32, &[5, 8, 9]).with_axes("angle row col").unwrap();
    assert_eq!(round_trip("p.tif", &proj).axes(), "angle row col");
    let line = sample_array(DType::U32, &[17]);
    assert_eq!(round_trip("l.tif", &line).axes(), "x");
}

#[test]
fn big_pages_use_several_strips() {
    // 300 × 400 u16 = 240 000 bytes: four strips of ~64 KiB.
    let a = sample_array(DType::U16, &[300, 400]);
    round_trip("big.tif", &a);
    let a = sample_array(DType::F64, &[3, 100, 200]);
    round_trip("bigstack.tif", &a);
}

#[test]
fn u8_and_u16_through_png() {
    for d in [DType::U8, DType::U16] {
        let gray = sample_array(d, &[13, 17]);
        assert_eq!(round_trip("g.png", &gray).axes(), "y x");
        for bands in 2..=4 {
            let a = sample_array(d, &[13, 17, bands]).with_axes("y x band").unwrap();
            assert_eq!(round_trip("c.png", &a).axes(), "y x band");
        }
    }
    // One band labelled as such comes back as plain gray.
    let one = sample_array(DType::U8, &[5, 6, 1]).with_axes("y x band").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.png");
    write(&path, &one).unwrap();
    let back = read(&path).unwrap();
    assert_eq!((back.shape(), back.as_bytes()), (&[5usize, 6][..], one.as_bytes()));
}

#[test]
fn writes_are_deterministic_and_replace_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.tif", "a.npy", "a.png"] {
        let path = dir.path().join(name);
        let a = sample_array(DType::U16, &[9, 11]);
        write(&path, &a).unwrap();
        let first = std::fs::read(&path).unwrap();
        write(&path, &a).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), first, "{name}");
        let b = sample_array(DType::U16, &[3, 4]);
        write(&path, &b).unwrap();
        assert_same(&b, &read(&path).unwrap());
    }
}

#[test]
fn npy_header_is_what_numpy_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.npy");
    write(&path, &Array::zeros::<f32>(vec![3, 64, 64])).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + len) % 64, 0);
    let header = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
    assert_eq!(header.trim_end(), "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 64, 64), }");
    assert_eq!(bytes.len(), 10 + len + 3 * 64 * 64 * 4);
}
