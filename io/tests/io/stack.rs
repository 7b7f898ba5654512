//! StackWriter: the file does not depend on how the array was chunked, the
//! final name appears only at `finish`, and mismatched chunks are refused.

use std::path::Path;

use plexus_io::{partial_path, read, write, write_tiff, BigTiff, Format, StackWriter, TiffOptions};
use plexus_plugin_api::{Array, DType};

use super::{assert_same, sample_array};

/// Rows `[start, end)` of `a` along axis 0, keeping the axis labels.
fn slab(a: &Array, start: usize, end: usize) -> Array {
    let row: usize = a.shape()[1..].iter().product::<usize>() * a.dtype().size();
    let mut shape = a.shape().to_vec();
    shape[0] = end - start;
    Array::from_bytes(a.dtype(), shape, &a.as_bytes()[start * row..end * row]).unwrap().with_axes(a.axes()).unwrap()
}

/// Writes `a` in `pieces` nearly equal chunks.
fn stream(path: &Path, a: &Array, pieces: usize, options: Option<TiffOptions>) {
    let mut w = match options {
        Some(o) => StackWriter::open_tiff(path, o).unwrap(),
        None => StackWriter::open(path, Format::from_path(path).unwrap()).unwrap(),
    };
    let n = a.shape()[0];
    for k in 0..pieces {
        let (s, e) = (k * n / pieces, (k + 1) * n / pieces);
        w.append(&slab(a, s, e)).unwrap();
        assert!(partial_path(path).exists());
        assert!(!path.exists(), "final name appears only at finish");
    }
    assert_eq!(w.len(), n);
    assert_eq!(w.finish().unwrap(), path);
    assert!(!partial_path(path).exists());
}

fn same_bytes_however_chunked(name: &str, a: &Array, options: Option<TiffOptions>) {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join(format!("whole_{name}"));
    match options {
        Some(o) => write_tiff(&whole, a, o).unwrap(),
        None => write(&whole, a).unwrap(),
    }
    let reference = std::fs::read(&whole).unwrap();
    for pieces in [1, 3, 7] {
        let path = dir.path().join(format!("{pieces}_{name}"));
        stream(&path, a, pieces, options);
        assert!(std::fs::read(&path).unwrap() == reference, "{name} in {pieces} chunks differs from one write");
        let back = read(&path).unwrap();
        assert_same(a, &back);
        assert_eq!(back.axes(), a.axes());
    }
}

#[test]
fn npy_same_bytes_in_1_3_7_chunks() {
    for d in DType::ALL {
        same_bytes_however_chunked("s.npy", &sample_array(d, &[21, 6, 5]), None);
    }
    same_bytes_however_chunked("r.npy", &sample_array(DType::F32, &[14]), None);
}

#[test]
fn tiff_same_bytes_in_1_3_7_chunks() {
    for d in [DType::U8, DType::U16, DType::F32, DType::I32] {
        same_bytes_however_chunked("s.tif", &sample_array(d, &[21, 6, 5]), None);
    }
    // A single image streamed by rows, a colour stack, a BigTIFF.
    same_bytes_however_chunked("rows.tif", &sample_array(DType::U16, &[700, 120]), None);
    let rgb = sample_array(DType::U8, &[7, 9, 11, 3]).with_axes("z y x band").unwrap();
    same_bytes_however_chunked("rgb.tif", &rgb, None);
    same_bytes_however_chunked(
        "big.tif",
        &sample_array(DType::F32, &[7, 10, 12]),
        Some(TiffOptions { bigtiff: BigTiff::Always }),
    );
}

#[test]
fn wrong_dtype_is_refused_and_the_writer_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.npy");
    let mut w = StackWriter::open(&path, Format::Npy).unwrap();
    w.append(&Array::zeros::<u16>(vec![2, 4, 4])).unwrap();
    let err = w.append(&Array::zeros::<f32>(vec![2, 4, 4])).unwrap_err();
    assert_eq!(err.to_string(), format!("`{}`: chunk 1 has dtype `f32`, expected `u16` like chunk 0", path.display()));
    w.append(&Array::zeros::<u16>(vec![1, 4, 4])).unwrap();
    w.finish().unwrap();
    assert_eq!(read(&path).unwrap().shape(), &[3, 4, 4]);
}

#[test]
fn wrong_trailing_shape_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.tif");
    let mut w = StackWriter::open(&path, Format::Tiff).unwrap();
    w.append(&Array::zeros::<u8>(vec![2, 64, 64])).unwrap();
    w.append(&Array::zeros::<u8>(vec![1, 64, 64])).unwrap();
    let err = w.append(&Array::zeros::<u8>(vec![3, 64, 32])).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}`: chunk 2 has shape [3, 64, 32], expected [_, 64, 64] like chunk 0 (only axis 0 may differ)",
            path.display()
        )
    );
    let err = w.append(&Array::zeros::<u8>(vec![64, 64])).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}`: chunk 2 has shape [64, 64], expected [_, 64, 64] like chunk 0 (only axis 0 may differ)",
            path.display()
        )
    );
}

#[test]
fn dropped_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.tif");
    std::fs::write(&path, b"old").unwrap();
    let mut w = StackWriter::open(&path, Format::Tiff).unwrap();
    w.append(&Array::zeros::<u8>(vec![2, 8, 8])).unwrap();
    drop(w);
    assert!(!partial_path(&path).exists());
    assert_eq!(std::fs::read(&path).unwrap(), b"old", "an unfinished write leaves the old file alone");
}

#[test]
fn png_cannot_stream_and_empty_stacks_fail() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("s.png");
    assert_eq!(
        StackWriter::open(&png, Format::Png).unwrap_err().to_string(),
        format!("`{}`: cannot write a PNG chunk by chunk: PNG holds one image; stream to .tif or .npy", png.display())
    );
    let npy = dir.path().join("e.npy");
    let w = StackWriter::open(&npy, Format::Npy).unwrap();
    assert_eq!(
        w.finish().unwrap_err().to_string(),
        format!(
            "`{}`: cannot write an empty stack: no chunk was appended, so its element type and shape are unknown",
            npy.display()
        )
    );
    assert!(!npy.exists() && !partial_path(&npy).exists());
    let mut w = StackWriter::open(&npy, Format::Npy).unwrap();
    let scalar = Array::from_vec(Vec::<usize>::new(), vec![1u8]).unwrap();
    assert_eq!(
        w.append(&scalar).unwrap_err().to_string(),
        format!(
            "`{}`: chunk 0 is 0-dimensional: chunks are stacked along axis 0 and need at least one axis",
            npy.display()
        )
    );
}

/// Streams 4.1 GB of u8 pages: the file must switch to BigTIFF by itself
/// and stay readable by its directories. Heavy (writes 4 GiB), so run by
/// hand: `cargo test -p plexus-io --release -- --ignored past_4_gib`.
#[test]
#[ignore = "writes a 4.1 GB file"]
fn auto_bigtiff_past_4_gib() {
    let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    let path = dir.path().join("huge.tif");
    let mut w = StackWriter::open(&path, Format::Tiff).unwrap();
    let slab = Array::from_fn::<u8>(vec![16, 2048, 2048], |i| (i % 251) as u8); // 64 MiB
    for _ in 0..64 {
        w.append(&slab).unwrap(); // 64 × 64 MiB = 4 GiB of pixels
    }
    w.append(&Array::from_fn::<u8>(vec![9, 2048, 2048], |i| (i % 251) as u8)).unwrap(); // past 4 GiB
    w.finish().unwrap();
    let bytes = {
        use std::io::Read;
        let mut head = [0u8; 16];
        std::fs::File::open(&path).unwrap().read_exact(&mut head).unwrap();
        head
    };
    assert_eq!(&bytes[..4], b"II+\0");
    let i = plexus_io::inspect(&path).unwrap();
    assert_eq!((i.pages, i.shape.as_slice()), (64 * 16 + 9, &[64 * 16 + 9, 2048, 2048][..]));
    assert!(i.variant.starts_with("BigTIFF"));
    assert!(i.problem.is_none());
}
