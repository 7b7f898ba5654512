//! Bad input gives an error naming the file and the problem, never a panic.

use std::path::{Path, PathBuf};

use plexus_io::{read, write, IoError};
use plexus_plugin_api::Array;

use super::fixture;

/// Copies fixture `name` into a temp dir as `as_name`, passed through `edit`.
fn damaged(dir: &Path, name: &str, as_name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut bytes = std::fs::read(fixture(name)).unwrap();
    edit(&mut bytes);
    let path = dir.join(as_name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read_err(path: &Path) -> String {
    read(path).unwrap_err().to_string()
}

#[test]
fn truncated_tiff() {
    let dir = tempfile::tempdir().unwrap();
    // tifffile puts the directory first and the pixels (one 2000-byte strip
    // from byte 256) last; cut 1000 bytes of pixels.
    let p = damaged(dir.path(), "t_u8_2d.tif", "scan.tif", |b| b.truncate(b.len() - 1000));
    assert_eq!(
        read_err(&p),
        format!("`{}`: truncated at byte 1256: strip 0 needs 1000 more bytes (it spans bytes 256..2256)", p.display())
    );
    // tifffile writes the directories of later pages after all pixels; a
    // stack cut there names the directory (the decoder alone would read the
    // cut directory and silently lose its last tags).
    // (The last 16 bytes are resolution values nobody needs: cutting only
    // those still reads, as with tifffile.)
    let p = damaged(dir.path(), "t_u16_stack.tif", "stack.tif", |b| b.truncate(b.len() - 20));
    assert_eq!(
        read_err(&p),
        format!(
            "`{}`: truncated at byte 16260: the directory of page 4 needs 4 more bytes (it spans bytes 16114..16264)",
            p.display()
        )
    );
    // Cut inside the pixels of page 3 of a stack: directories at the end are
    // gone too, so the first missing one is reported.
    let p = damaged(dir.path(), "t_u16_stack.tif", "stack2.tif", |b| b.truncate(11000));
    assert_eq!(
        read_err(&p),
        format!("`{}`: truncated at byte 11000: the directory of page 1 needs 4618 more bytes (it spans bytes 15616..15618)", p.display())
    );
    // Cut inside the header.
    let p = damaged(dir.path(), "t_u8_2d.tif", "head.tif", |b| b.truncate(6));
    assert_eq!(read_err(&p), format!("`{}`: truncated at byte 6: the TIFF header needs 8 bytes", p.display()));
    // Cut inside the first directory.
    let p = damaged(dir.path(), "t_u8_2d.tif", "ifd.tif", |b| b.truncate(20));
    assert_eq!(
        read_err(&p),
        format!(
            "`{}`: truncated at byte 20: the directory of page 0 needs 162 more bytes (it spans bytes 8..182)",
            p.display()
        )
    );
}

#[test]
fn truncated_npy() {
    let dir = tempfile::tempdir().unwrap();
    let p = damaged(dir.path(), "n_u2.npy", "t.npy", |b| b.truncate(b.len() - 10));
    assert_eq!(
        read_err(&p),
        format!("`{}`: truncated at byte 238: shape [3, 4, 5] of `<u2` needs 120 bytes of data from byte 128, 10 are missing", p.display())
    );
    let p = damaged(dir.path(), "n_u2.npy", "h.npy", |b| b.truncate(50));
    assert_eq!(
        read_err(&p),
        format!(
            "`{}`: truncated at byte 50: the NPY header declares 118 bytes from byte 10, 78 are missing",
            p.display()
        )
    );
}

#[test]
fn corrupted_npy_header() {
    let dir = tempfile::tempdir().unwrap();
    let replace = |from: &'static str, to: &'static str| {
        move |b: &mut Vec<u8>| {
            let at = b.windows(from.len()).position(|w| w == from.as_bytes()).unwrap();
            b.splice(at..at + from.len(), to.bytes());
        }
    };
    let p = damaged(dir.path(), "n_f4.npy", "c.npy", replace("False", "Flase"));
    assert_eq!(
        read_err(&p),
        format!("`{}`: at byte 44: bad NPY header: expected a value for `fortran_order`, found `F`", p.display())
    );
    let p = damaged(dir.path(), "n_f4.npy", "d.npy", replace("'shape'", "'shapz'"));
    assert_eq!(read_err(&p), format!("`{}`: at byte 10: bad NPY header: the key `shape` is missing", p.display()));
    let p = damaged(dir.path(), "n_f4.npy", "v.npy", |b| b[6] = 9);
    assert_eq!(read_err(&p), format!("`{}`: unsupported NPY version 9.0: expected 1.0, 2.0 or 3.0", p.display()));
}

#[test]
fn unsupported_npy_dtype() {
    let p = fixture("n_i8.npy");
    assert_eq!(
        read_err(&p),
        format!(
            "`{}`: unsupported NPY element type `<i8`: plexus reads u1, u2, u4, i2, i4, f4, f8 (either byte order) and b1, i1, f2 (widened)",
            p.display()
        )
    );
}

#[test]
fn unsupported_tiff_features() {
    let p = fixture("c_lzma.tif");
    assert_eq!(
        read_err(&p),
        format!(
            "`{}`: unsupported TIFF compression LZMA on page 0: plexus reads none, LZW, deflate, PackBits and zstd",
            p.display()
        )
    );
    let p = fixture("t_bool.tif");
    assert_eq!(
        read_err(&p),
        format!(
            "`{}`: unsupported TIFF sample type 1-bit unsigned on page 0: plexus reads 8-, 16- and 32-bit unsigned, 8-, 16- and 32-bit signed, 16-, 32- and 64-bit float",
            p.display()
        )
    );
}

#[test]
fn text_file_named_png() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.png");
    std::fs::write(&p, "hello world, this is not an image\n").unwrap();
    assert_eq!(
        read_err(&p),
        format!("`{}`: not a PNG file: expected the signature `89 50 4e 47 0d 0a 1a 0a`, found text", p.display())
    );
    let e = dir.path().join("empty.png");
    std::fs::write(&e, "").unwrap();
    assert_eq!(read_err(&e), format!("`{}`: not a PNG file: the file is empty", e.display()));
}

#[test]
fn tiff_named_npy() {
    let dir = tempfile::tempdir().unwrap();
    let p = damaged(dir.path(), "t_u8_2d.tif", "oops.npy", |_| {});
    assert_eq!(read_err(&p), format!("`{}`: not a NPY file: its first bytes are those of a TIFF file", p.display()));
}

#[test]
fn unsupported_extension() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("photo.jpg");
    std::fs::write(&p, [0xff, 0xd8, 0xff]).unwrap();
    let msg = format!(
        "`{}`: unknown file extension `.jpg`; plexus reads and writes .tif/.tiff, .png, .npy, .zarr and .h5",
        p.display()
    );
    assert_eq!(read_err(&p), msg);
    assert_eq!(write(&p, &Array::zeros::<u8>(vec![2, 2])).unwrap_err().to_string(), msg);
    assert_eq!(plexus_io::inspect(&p).unwrap_err().to_string(), msg);
}

#[test]
fn missing_file() {
    let p = Path::new("/nonexistent/plexus/scan.tif");
    let err = read(p).unwrap_err();
    assert!(matches!(err, IoError::Os { action: "open", .. }));
    assert_eq!(err.to_string(), "`/nonexistent/plexus/scan.tif`: cannot open: No such file or directory (os error 2)");
}

#[test]
fn truncated_png() {
    let dir = tempfile::tempdir().unwrap();
    let p = damaged(dir.path(), "../data/ihc.png", "ihc.png", |b| b.truncate(100_000));
    assert_eq!(
        read_err(&p),
        format!("`{}`: truncated at byte 100000: the PNG image data ends before the image is complete", p.display())
    );
}

#[test]
fn garbage_never_panics() {
    // Every fixture cut at many lengths and with bytes flipped: errors are
    // fine, panics are not.
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "t_u16_stack.tif",
        "t_bigtiff_f32_lzw_tiled.tif",
        "t_u16_tiled_deflate.tif",
        "n_f4.npy",
        "p_u16_rgb.png",
        "p_palette.png",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let ext = Path::new(name).extension().unwrap().to_str().unwrap();
        for k in 0..40 {
            let mut b = bytes.clone();
            let cut = (k * 7919) % b.len();
            if k % 2 == 0 {
                b.truncate(cut.max(1));
            } else {
                for j in 0..4 {
                    let at = (cut + j * 131) % b.len();
                    b[at] ^= 0x5a;
                }
            }
            let p = dir.path().join(format!("g{k}.{ext}"));
            std::fs::write(&p, &b).unwrap();
            let _ = read(&p);
            let _ = plexus_io::inspect(&p);
        }
    }
}

#[test]
fn arrays_a_format_cannot_hold() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("x.png");
    let msg = |a: Array| write(&png, &a).unwrap_err().to_string();
    let p = png.display();
    assert_eq!(
        msg(Array::zeros::<f32>(vec![4, 4])),
        format!("`{p}`: cannot write `f32` elements as PNG: PNG holds u8 or u16; convert, or write .tif or .npy")
    );
    assert_eq!(
        msg(Array::zeros::<u8>(vec![3, 4, 4])),
        format!("`{p}`: cannot write an array of shape [3, 4, 4] with axes `z y x` as PNG: PNG holds one `y x` or `y x band` image; write a stack as .tif or .npy")
    );
    assert_eq!(
        msg(Array::zeros::<u8>(vec![4, 4, 5]).with_axes("y x band").unwrap()),
        format!("`{p}`: cannot write 5 bands as PNG: PNG holds 1 to 4 (gray, gray + alpha, RGB, RGBA)")
    );
    assert!(!png.exists() && !plexus_io::partial_path(&png).exists());
    let tif = dir.path().join("x.tif");
    assert_eq!(
        write(&tif, &Array::from_vec(Vec::<usize>::new(), vec![1u8]).unwrap()).unwrap_err().to_string(),
        format!("`{}`: cannot write a 0-dimensional array as TIFF: a page needs at least one axis", tif.display())
    );
    assert_eq!(
        write(&tif, &Array::zeros::<u8>(vec![0, 4])).unwrap_err().to_string(),
        format!(
            "`{}`: cannot write an array of shape [0, 4] as TIFF: a page needs at least one row and column",
            tif.display()
        )
    );
    assert!(!tif.exists() && !plexus_io::partial_path(&tif).exists());
}

#[test]
fn pages_of_different_sizes() {
    let p = fixture("t_mixed.tif");
    assert_eq!(
        read_err(&p),
        format!(
            "`{}`: unsupported TIFF with pages of different kinds: page 1 is 8×12 u8, page 0 is 16×16 u8; only identical pages form a stack",
            p.display()
        )
    );
    let i = plexus_io::inspect(&p).unwrap();
    assert_eq!(i.problem.as_deref(), Some("page 1 differs in size or type from page 0"));
}
