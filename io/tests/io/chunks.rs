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

/// Every TIFF fixture that reads, and its layout.
const TIFFS: &[&str] = &[
    "t_u8_2d.tif",
    "t_u16_stack.tif",
    "t_u16_stack_nometa.tif",
    "t_f32_stack_lzw.tif",
    "t_f32_deflate_fpred.tif",
    "t_u16_deflate_pred.tif",
    "t_u8_packbits.tif",
    "t_u16_tiled_deflate.tif",
    "t_u8_tiled.tif",
    "t_bigtiff_u16.tif",
    "t_bigtiff_f32_lzw_tiled.tif",
    "t_rgb_u8.tif",
    "t_rgba_u8.tif",
    "t_rgb_planar_u16.tif",
    "t_i16.tif",
    "t_i32.tif",
    "t_u32.tif",
    "t_f64.tif",
    "t_be_u16.tif",
    "t_be_f32_stack_lzw.tif",
    "t_i8.tif",
    "t_f16.tif",
    "t_4d_shaped.tif",
    "t_thumbnail.tif",
    "c_u16_strips_lzw_pred.tif",
    "c_f32_tiles_fpred.tif",
    "c_u8_stack_strips.tif",
    "c_u16_stack_strips_be.tif",
    "c_i8_stack_deflate.tif",
    "c_f16_fpred.tif",
    "c_rgb_planar_tiled_lzw.tif",
    "c_palette.tif",
    "c_palette_lzw.tif",
    "c_miniswhite.tif",
    "c_cmyk.tif",
    "c_1d.tif",
];

#[test]
fn tiff_slabs_equal_the_whole_array() {
    // Lengths 1, 2, 3, 5 and 8 from every start cross the 7-row strips,
    // the 16-row tiles and the pages of these files.
    for name in TIFFS {
        let r = check_every_slab(&fixture(name));
        assert!(r.streams(), "{name}");
    }
}

#[test]
fn tiff_rows_of_one_page_read_by_strip() {
    let r = open(&fixture("c_u16_strips_lzw_pred.tif")).unwrap();
    assert_eq!((r.info().shape.as_slice(), r.info().axes.as_str()), (&[100, 37][..], "y x"));
    assert_eq!(r.natural_chunk(), Some(7));
    let r = open(&fixture("c_f32_tiles_fpred.tif")).unwrap();
    assert_eq!(r.natural_chunk(), Some(16));
    let r = open(&fixture("t_4d_shaped.tif")).unwrap();
    assert_eq!((r.info().shape.as_slice(), r.natural_chunk()), (&[2, 3, 16, 20][..], None));
}

#[test]
fn palette_tiff_reads_as_its_indices() {
    for name in ["c_palette.tif", "c_palette_lzw.tif"] {
        let r = open(&fixture(name)).unwrap();
        assert_eq!(r.info().dtype, plexus_plugin_api::DType::U8);
        assert_eq!(r.info().meta["palette"], "indices: the colour map is not applied");
        let a = read(&fixture(name)).unwrap();
        assert!(a.as_slice::<u8>().unwrap().iter().all(|&v| v < 16), "{name}: indices are below 16");
        let i = plexus_io::inspect(&fixture(name)).unwrap();
        assert!(i.problem.is_none(), "{name}: {:?}", i.problem);
        assert!(i.notes.iter().any(|n| n.starts_with("palette: indices are returned")), "{:?}", i.notes);
    }
}

#[test]
fn tiff_cut_after_opening_names_the_missing_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // Uncompressed (direct path) and LZW (decoded path).
    let p = dir.path().join("cut.tif");
    std::fs::copy(fixture("c_u8_stack_strips.tif"), &p).unwrap();
    let mut r = open(&p).unwrap();
    let len = std::fs::metadata(&p).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&p).unwrap().set_len(len / 2).unwrap();
    let mut buf = vec![0u8; 1200];
    let err = r.read_into(4, 1, &mut buf).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("`{}`: truncated at byte {}: the pixel data at bytes ", p.display(), len / 2)),
        "{err}"
    );
    let q = dir.path().join("cut_lzw.tif");
    std::fs::copy(fixture("c_u16_strips_lzw_pred.tif"), &q).unwrap();
    let mut r = open(&q).unwrap();
    std::fs::OpenOptions::new().write(true).open(&q).unwrap().set_len(300).unwrap();
    let mut buf = vec![0u8; 37 * 2 * 7];
    let err = r.read_into(93, 7, &mut buf).unwrap_err().to_string();
    assert!(err.starts_with(&format!("`{}`: truncated at byte 300: strip 13 needs ", q.display())), "{err}");
}

#[test]
fn corrupt_compressed_strip_names_it_and_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.tif");
    let mut bytes = std::fs::read(fixture("c_u16_strips_lzw_pred.tif")).unwrap();
    // Garble strip 2 (its offset and length from the file's own tables).
    let i = plexus_io::inspect(&fixture("c_u16_strips_lzw_pred.tif")).unwrap();
    assert_eq!(i.compression, "LZW + horizontal predictor");
    let (off, len) = strip_extent(&bytes, 2);
    for b in &mut bytes[off..off + len] {
        *b = 0xff;
    }
    std::fs::write(&p, &bytes).unwrap();
    let err = read(&p).unwrap_err().to_string();
    assert!(err.starts_with(&format!("`{}`: at byte {off}: strip 2 ", p.display())), "{err}");
}

/// Offset and byte count of strip `k` of the first page of a classic
/// little-endian TIFF, from its StripOffsets (273) and StripByteCounts
/// (279) tags.
fn strip_extent(b: &[u8], k: usize) -> (usize, usize) {
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
    let ifd = u32_at(4);
    let mut found = [0usize; 2];
    for e in 0..u16_at(ifd) {
        let at = ifd + 2 + 12 * e;
        let (tag, kind, count) = (u16_at(at), u16_at(at + 2), u32_at(at + 4));
        let value = |j: usize| {
            let base = if count * if kind == 3 { 2 } else { 4 } <= 4 { at + 8 } else { u32_at(at + 8) };
            if kind == 3 {
                u16_at(base + 2 * j)
            } else {
                u32_at(base + 4 * j)
            }
        };
        match tag {
            273 => found[0] = value(k),
            279 => found[1] = value(k),
            _ => {}
        }
    }
    (found[0], found[1])
}
