//! `inspect` describes files from their headers.

use plexus_io::{inspect, Format};
use plexus_plugin_api::DType;

use super::fixture;

#[test]
fn grains_tif() {
    let i = inspect(&fixture("../data/grains.tif")).unwrap();
    assert_eq!(i.format, Format::Tiff);
    assert_eq!((i.shape.as_slice(), i.axes.as_str(), i.dtype), (&[256, 256][..], "y x", Some(DType::U8)));
    assert_eq!((i.pages, i.bands, i.file_size), (1, 1, 66250));
    println!("{i}");
}

#[test]
fn display_block() {
    let p = fixture("t_u16_tiled_deflate.tif");
    let i = inspect(&p).unwrap();
    let text = i.to_string();
    println!("{text}");
    let expected = [
        format!("{}", p.display()),
        "  format       TIFF (classic, little-endian)".into(),
        "  size         8.6 KiB (8812 bytes)".into(),
        "  shape        2 × 50 × 70 (z y x)".into(),
        "  dtype        u16".into(),
        "  pages        2".into(),
        "  bands        1".into(),
        "  compression  deflate".into(),
        "  layout       tiles 16×32".into(),
        "  note: description: {\"shape\": [2, 50, 70]}".into(),
    ];
    assert_eq!(text, expected.join("\n"));
}

#[test]
fn every_fixture_can_be_inspected_and_agrees_with_read() {
    let dir = std::fs::read_dir(fixture("")).unwrap();
    for entry in dir {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txt" || e == "py") {
            continue;
        }
        let i = inspect(&path).unwrap();
        match plexus_io::read(&path) {
            Ok(a) => {
                assert_eq!(i.shape, a.shape(), "{}", path.display());
                assert_eq!(i.axes, a.axes(), "{}", path.display());
                assert_eq!(i.dtype, Some(a.dtype()), "{}", path.display());
                assert_eq!(i.problem, None, "{}", path.display());
            }
            Err(_) => {
                println!("{i}");
            }
        }
    }
}

#[test]
fn unreadable_files_are_described() {
    let i = inspect(&fixture("t_bool.tif")).unwrap();
    assert_eq!(i.dtype, None);
    assert_eq!(i.problem.as_deref(), Some("unsupported sample type 1-bit unsigned"));
    let i = inspect(&fixture("c_lzma.tif")).unwrap();
    assert_eq!(i.problem.as_deref(), Some("unsupported compression LZMA"));
    let i = inspect(&fixture("t_zstd.tif")).unwrap();
    assert_eq!((i.compression.as_str(), i.problem.as_deref()), ("zstd", None));
    let i = inspect(&fixture("n_fortran_be_i4.npy")).unwrap();
    assert_eq!(i.layout, "Fortran order");
    assert_eq!(i.stored, ">i4");
    assert_eq!(
        i.notes,
        vec!["Fortran order: transposed into row-major when read", "big-endian: byte-swapped when read"]
    );
}
