//! `Batch`: folders of images in natural order, bad files named, uniformity
//! from headers; and how HDF5 files behave in every build.

use std::fs;
use std::path::Path;

use plexus_io::{inspect, read, write, Batch, Format, Uniform};
use plexus_plugin_api::{Array, DType};

use super::{assert_same, h5_fixture, sample_array};

fn gray(seed: u8, shape: &[usize]) -> Array {
    Array::from_fn::<u8>(shape.to_vec(), |i| (i as u8).wrapping_mul(7).wrapping_add(seed))
}

/// A folder with images, hidden and partial files, a subfolder named like
/// an image, and a text file.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, seed) in [("img10.png", 10), ("img2.png", 2), ("img1.png", 1), ("IMG5.TIF", 5)] {
        write(&d.join(name), &gray(seed, &[16, 20])).unwrap();
    }
    write(&d.join("img4.npy"), &gray(4, &[16, 20])).unwrap();
    write(&d.join(".hidden.png"), &gray(0, &[3, 3])).unwrap();
    write(&d.join("img3.png"), &gray(3, &[16, 20])).unwrap();
    fs::rename(d.join("img3.png"), d.join("img3.png.partial")).unwrap();
    fs::create_dir(d.join("img6.png")).unwrap();
    fs::write(d.join("notes.txt"), "not an image").unwrap();
    dir
}

fn names(b: &Batch) -> Vec<String> {
    b.paths().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect()
}

#[test]
fn natural_order_skipping_hidden_partial_and_others() {
    let dir = folder();
    let b = Batch::open(dir.path()).unwrap();
    assert_eq!(names(&b), ["img1.png", "img2.png", "img4.npy", "IMG5.TIF", "img10.png"]);
    assert_eq!((b.len(), b.is_empty(), b.dir()), (5, false, dir.path()));
    for (i, seed) in [1, 2, 4, 5, 10].into_iter().enumerate() {
        assert_same(&b.read(i).unwrap(), &gray(seed, &[16, 20]));
    }
    assert_eq!(
        b.read(5).unwrap_err().to_string(),
        format!("`{}`: no image 5: the folder holds 5 images", dir.path().display())
    );
    assert_eq!(b.check_uniform().unwrap(), Uniform { shape: vec![16, 20], dtype: DType::U8 });
}

#[test]
fn a_corrupt_file_is_named_and_the_others_still_read() {
    let dir = folder();
    let bad = dir.path().join("img3.png");
    fs::write(&bad, b"GIF89a not really").unwrap();
    let b = Batch::open(dir.path()).unwrap();
    assert_eq!(names(&b)[2], "img3.png");
    let results: Vec<_> = b.iter().collect();
    assert_eq!(results.len(), 6);
    let expected = format!(
        "`{}`: not a PNG file: expected the signature `89 50 4e 47 0d 0a 1a 0a`, found the signature of a GIF image",
        bad.display()
    );
    for (path, r) in &results {
        if *path == bad {
            assert_eq!(r.as_ref().unwrap_err().to_string(), expected);
        } else {
            assert_eq!(r.as_ref().unwrap().shape(), [16, 20], "{}", path.display());
        }
    }
    assert_eq!(b.read(2).unwrap_err().to_string(), expected);
    assert_eq!(b.check_uniform().unwrap_err().to_string(), expected);
}

#[test]
fn non_uniform_batches_name_the_first_file_that_differs() {
    let dir = folder();
    let d = dir.path();
    write(&d.join("img7.png"), &gray(7, &[16, 21])).unwrap();
    write(&d.join("img8.npy"), &sample_array(DType::U16, &[16, 20])).unwrap();
    let b = Batch::open(d).unwrap();
    assert_eq!(
        b.check_uniform().unwrap_err().to_string(),
        format!(
            "`{}`: shape 16 × 21 differs from 16 × 20 of `img1.png`, the first image of the batch",
            d.join("img7.png").display()
        )
    );
    fs::remove_file(d.join("img7.png")).unwrap();
    let b = Batch::open(d).unwrap();
    assert_eq!(
        b.check_uniform().unwrap_err().to_string(),
        format!(
            "`{}`: element type u16 differs from u8 of `img1.png`, the first image of the batch",
            d.join("img8.npy").display()
        )
    );
    // A multi-page TIFF stack is one image of the batch, z y x.
    fs::remove_file(d.join("img8.npy")).unwrap();
    write(&d.join("img9.tif"), &gray(9, &[3, 16, 20])).unwrap();
    let b = Batch::open(d).unwrap();
    assert_eq!(names(&b)[4], "img9.tif");
    assert_eq!(b.read(4).unwrap().shape(), [3, 16, 20]);
    assert_eq!(
        b.check_uniform().unwrap_err().to_string(),
        format!(
            "`{}`: shape 3 × 16 × 20 differs from 16 × 20 of `img1.png`, the first image of the batch",
            d.join("img9.tif").display()
        )
    );
}

#[test]
fn unreadable_element_types_are_reported_by_check_uniform() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    fs::copy(fixtures.join("t_u8_2d.tif"), dir.path().join("a.tif")).unwrap();
    fs::copy(fixtures.join("t_bool.tif"), dir.path().join("b.tif")).unwrap();
    let b = Batch::open(dir.path()).unwrap();
    assert_eq!(
        b.check_uniform().unwrap_err().to_string(),
        format!("`{}`: cannot be read: unsupported sample type 1-bit unsigned", dir.path().join("b.tif").display())
    );
}

#[test]
fn empty_and_missing_folders() {
    let dir = tempfile::tempdir().unwrap();
    let b = Batch::open(dir.path()).unwrap();
    assert!(b.is_empty());
    assert_eq!(
        b.check_uniform().unwrap_err().to_string(),
        format!("`{}`: no images: the folder holds no .png, .tif/.tiff or .npy files", dir.path().display())
    );
    let missing = dir.path().join("nope");
    assert_eq!(
        Batch::open(&missing).unwrap_err().to_string(),
        format!("`{}`: cannot list: No such file or directory (os error 2)", missing.display())
    );
}

#[test]
fn hdf5_files_are_recognised_but_never_written_whole() {
    assert_eq!(Format::from_path(&h5_fixture("scan.h5")).unwrap(), Format::Hdf5);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.h5");
    assert_eq!(
        write(&p, &gray(0, &[2, 2])).unwrap_err().to_string(),
        format!(
            "`{}`: cannot write a single array as HDF5: use `write_dxchange` or `write_image_set` (feature `hdf5`), or .tif/.npy",
            p.display()
        )
    );
    assert!(!p.exists());
    let err = plexus_io::StackWriter::open(&p, Format::Hdf5).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}`: cannot write an HDF5 file chunk by chunk: stream to .tif or .npy, or write a whole scan with `write_dxchange`",
            p.display()
        )
    );
    // HDF5 files in a folder are not part of a batch.
    fs::copy(h5_fixture("scan.h5"), dir.path().join("scan.h5")).unwrap();
    assert!(Batch::open(dir.path()).unwrap().is_empty());
}

#[cfg(not(feature = "hdf5"))]
#[test]
fn without_the_feature_hdf5_is_reported_not_misread() {
    let p = h5_fixture("scan.h5");
    assert_eq!(
        read(&p).unwrap_err().to_string(),
        format!("`{}`: unsupported HDF5 file: plexus-io was built without its `hdf5` feature", p.display())
    );
    let i = inspect(&p).unwrap();
    assert_eq!(i.format, Format::Hdf5);
    assert_eq!(i.problem.as_deref(), Some("plexus-io was built without its `hdf5` feature"));
    assert!(i.datasets.is_empty());
    // The signature is still checked.
    let p = h5_fixture("not_hdf5.h5");
    assert_eq!(
        read(&p).unwrap_err().to_string(),
        format!("`{}`: not a HDF5 file: expected the signature `89 48 44 46 0d 0a 1a 0a`, found text", p.display())
    );
}

#[cfg(feature = "hdf5")]
#[test]
fn with_the_feature_read_takes_the_scan_data() {
    let a = read(&h5_fixture("scan.h5")).unwrap();
    assert_eq!((a.shape(), a.axes(), a.dtype()), (&[6, 8, 10][..], "angle row col", DType::F32));
    assert_eq!(inspect(&h5_fixture("scan.h5")).unwrap().shape, [6, 8, 10]);
}
