//! HDF5 (feature `hdf5`): fixtures written by h5py, dxchange and image-set
//! round trips, splits, and exact messages for bad input.

use std::path::Path;

use plexus_io::{
    inspect, open, read_dxchange, read_hdf5, write_dxchange, write_image_set, Attributes, ChunkReader, Dxchange,
    Format, Hdf5Reader, ImageSet,
};
use plexus_plugin_api::{Array, DType};
use serde_json::{json, Value};

use super::{assert_same, h5_fixture, sample_array, sha256};

fn err_text<T: std::fmt::Debug>(r: Result<T, plexus_io::IoError>) -> String {
    r.unwrap_err().to_string()
}

fn show(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn every_array_matches_h5py() {
    let text = std::fs::read_to_string(h5_fixture("expected.txt")).unwrap();
    let mut n = 0;
    for line in text.lines() {
        let f: Vec<&str> = line.split('|').collect();
        let a = read_hdf5(&h5_fixture(f[0]), f[1]).unwrap_or_else(|e| panic!("{e}"));
        let shape: Vec<usize> = f[2].split(',').map(|d| d.parse().unwrap()).collect();
        assert_eq!(a.shape(), shape, "{line}");
        assert_eq!(a.dtype().name(), f[3], "{line}");
        assert_eq!(sha256(&a), f[4], "{line}");
        n += 1;
    }
    assert_eq!(n, 10);
}

#[test]
fn element_types_byte_orders_and_filters() {
    let p = h5_fixture("types.h5");
    let ramp: Vec<f64> = (0..12).map(f64::from).collect();
    for (name, dtype) in [
        ("u1", DType::U8),
        ("u2", DType::U16),
        ("u4", DType::U32),
        ("i1", DType::I16),
        ("i2", DType::I16),
        ("i4", DType::I32),
        ("f4", DType::F32),
        ("f8", DType::F64),
        ("be_u2", DType::U16),
        ("be_i4", DType::I32),
        ("be_f8", DType::F64),
        ("gzip_u2", DType::U16),
        ("g/h/deep", DType::U8),
        ("/g/h/deep", DType::U8),
    ] {
        let a = read_hdf5(&p, name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((a.dtype(), a.shape(), a.axes()), (dtype, &[3, 4][..], "y x"), "{name}");
        assert_eq!(a.to_f64_vec(), ramp, "{name}");
    }
    let b = read_hdf5(&p, "bool").unwrap();
    assert_eq!(b.dtype(), DType::U8);
    assert_eq!(b.as_slice::<u8>().unwrap(), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    let s = read_hdf5(&p, "scalar_f8").unwrap();
    assert_eq!((s.shape(), s.as_slice::<f64>().unwrap()), (&[][..], &[2.5][..]));
}

#[test]
fn unsupported_element_types_name_the_dataset() {
    let p = h5_fixture("types.h5");
    let expected = |ds: &str, t: &str| {
        format!(
            "`{}`: dataset `{ds}`: unsupported element type {t}; expected u8, u16, u32, i16, i32, f32 or f64 (int8 and bool are widened)",
            p.display()
        )
    };
    assert_eq!(err_text(read_hdf5(&p, "i8")), expected("/i8", "int64"));
    assert_eq!(err_text(read_hdf5(&p, "text")), expected("/text", "unicode (var len)"));
    assert_eq!(err_text(read_hdf5(&p, "/pairs")), expected("/pairs", "compound (2 fields)"));
}

#[test]
fn missing_datasets_list_what_the_file_holds() {
    let p = h5_fixture("scan.h5");
    let holds = "the file holds `/exchange/data`, `/exchange/data_dark`, `/exchange/data_white`, `/exchange/theta`, `/implements`";
    let f = show(&p);
    assert_eq!(
        err_text(read_hdf5(&p, "/exchange/nope")),
        format!("`{f}`: dataset `/exchange/nope`: not found; {holds}")
    );
    assert_eq!(err_text(read_hdf5(&p, "nope/data")), format!("`{f}`: dataset `/nope/data`: not found; {holds}"));
    assert_eq!(
        err_text(read_hdf5(&p, "exchange")),
        format!("`{f}`: dataset `/exchange`: is a group, expected a dataset")
    );
    assert_eq!(
        err_text(read_hdf5(&p, "/exchange/data/x")),
        format!("`{f}`: dataset `/exchange/data/x`: not found: `/exchange/data` is not a group")
    );
    assert_eq!(err_text(read_hdf5(&p, "/")), format!("`{f}`: dataset `/`: is the root group, expected a dataset"));
    // Long lists are cut.
    let t = h5_fixture("types.h5");
    assert_eq!(
        err_text(read_hdf5(&t, "x")),
        format!(
            "`{}`: dataset `/x`: not found; the file holds `/be_f8`, `/be_i4`, `/be_u2`, `/bool`, `/f4`, `/f8`, `/g/h/deep`, `/gzip_u2`, … (18 in all)",
            t.display()
        )
    );
    // `read` wants `/exchange/data` or a single dataset.
    assert_eq!(
        err_text(plexus_io::read(&t)),
        format!(
            "`{}`: dataset `/`: expected `/exchange/data` or a single dataset, found 18 datasets; read one with `read_hdf5`",
            t.display()
        )
    );
}

#[test]
fn files_that_are_not_hdf5() {
    let p = h5_fixture("not_hdf5.h5");
    let expected =
        format!("`{}`: not a HDF5 file: expected the signature `89 48 44 46 0d 0a 1a 0a`, found text", p.display());
    assert_eq!(err_text(read_hdf5(&p, "/exchange/data")), expected);
    assert_eq!(err_text(read_dxchange(&p)), expected);
    assert_eq!(err_text(ImageSet::open(&p)), expected);
    assert_eq!(err_text(plexus_io::read(&p)), expected);
    assert_eq!(err_text(inspect(&p)), expected);
    let tif = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/grains.tif");
    assert_eq!(
        err_text(read_hdf5(&tif, "x")),
        format!("`{}`: not a HDF5 file: its first bytes are those of a TIFF file", tif.display())
    );
    let missing = h5_fixture("missing.h5");
    assert_eq!(
        err_text(read_hdf5(&missing, "x")),
        format!("`{}`: cannot open: No such file or directory (os error 2)", missing.display())
    );
}

#[test]
fn dxchange_scan() {
    let p = h5_fixture("scan.h5");
    let s = read_dxchange(&p).unwrap();
    assert_eq!((s.data.shape(), s.data.axes(), s.data.dtype()), (&[6, 8, 10][..], "angle row col", DType::F32));
    let white = s.white.as_ref().unwrap();
    let dark = s.dark.as_ref().unwrap();
    assert_eq!((white.shape(), white.axes(), white.dtype()), (&[2, 8, 10][..], "frame row col", DType::U16));
    assert_eq!((dark.shape(), dark.dtype()), (&[2, 8, 10][..], DType::U16));
    let theta = s.theta.as_ref().unwrap();
    assert_eq!((theta.axes(), theta.as_slice::<f32>().unwrap()), ("angle", &[0.0, 30.0, 60.0, 90.0, 120.0, 150.0][..]));
    assert_eq!(s.theta_units.as_deref(), Some("degrees"));
    // The phantom: two spheres, the projection is largest through the centre.
    let d = s.data.as_slice::<f32>().unwrap();
    let max = d.iter().cloned().fold(0.0f32, f32::max);
    assert!(max > 7.0 && max < 11.0, "{max}");
    assert!(d.iter().all(|v| *v >= 0.0));
    assert!(white.as_slice::<u16>().unwrap().iter().all(|v| (1000..1050).contains(v)));
}

#[test]
fn dxchange_round_trip() {
    let scan = read_dxchange(&h5_fixture("scan.h5")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.h5");
    write_dxchange(&p, &scan).unwrap();
    assert!(!dir.path().join("out.h5.partial").exists());
    let back = read_dxchange(&p).unwrap();
    assert_same(&back.data, &scan.data);
    assert_same(back.white.as_ref().unwrap(), scan.white.as_ref().unwrap());
    assert_same(back.dark.as_ref().unwrap(), scan.dark.as_ref().unwrap());
    assert_same(back.theta.as_ref().unwrap(), scan.theta.as_ref().unwrap());
    assert_eq!(back.theta_units.as_deref(), Some("degrees"));
    assert_eq!(back.data.axes(), "angle row col");
    let i = inspect(&p).unwrap();
    let listed: Vec<&str> = i.datasets.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        listed,
        ["/exchange/data", "/exchange/data_dark", "/exchange/data_white", "/exchange/theta", "/implements"]
    );
    // Only the projections, f64, without angles: the rest is optional.
    let only = Dxchange {
        data: sample_array(DType::F64, &[3, 4, 5]),
        white: None,
        dark: None,
        theta: None,
        theta_units: None,
    };
    write_dxchange(&p, &only).unwrap();
    let back = read_dxchange(&p).unwrap();
    assert_same(&back.data, &only.data);
    assert!(back.white.is_none() && back.dark.is_none() && back.theta.is_none() && back.theta_units.is_none());
}

#[test]
fn dxchange_shapes_are_checked() {
    let p = h5_fixture("bad_scan.h5");
    assert_eq!(
        err_text(read_dxchange(&p)),
        format!("`{}`: dataset `/exchange/theta`: expected f32 or f64 angles, found i32", p.display())
    );
    let images = h5_fixture("images.h5");
    assert_eq!(
        err_text(read_dxchange(&images)),
        format!(
            "`{}`: dataset `/exchange/data`: not found; the file holds `/0`, `/1`, `/2`, `/3`, `/4`",
            images.display()
        )
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad.h5");
    let good = read_dxchange(&h5_fixture("scan.h5")).unwrap();
    let cases = [
        (
            Dxchange { theta: Some(Array::zeros::<f32>(vec![5])), ..good.clone() },
            "`/exchange/theta`: expected 6 angles, one per projection of `/exchange/data`, found shape [5]",
        ),
        (Dxchange { data: Array::zeros::<f32>(vec![8, 10]), ..good.clone() }, "`/exchange/data`: expected 3 axes (angle row col), found shape [8, 10]"),
        (
            Dxchange { dark: Some(Array::zeros::<u16>(vec![2, 8, 9])), ..good.clone() },
            "`/exchange/data_dark`: expected frames of 8 × 10 like `/exchange/data` (frame row col), found shape [2, 8, 9]",
        ),
    ];
    for (scan, what) in cases {
        assert_eq!(err_text(write_dxchange(&out, &scan)), format!("`{}`: cannot write {what}", out.display()));
        assert!(!out.exists() && !dir.path().join("bad.h5.partial").exists());
    }
    let nowhere = dir.path().join("no/such/dir/scan.h5");
    assert_eq!(
        err_text(write_dxchange(&nowhere, &good)),
        format!("`{}.partial`: cannot create: No such file or directory (os error 2)", nowhere.display())
    );
}

fn expected_attrs() -> Vec<Attributes> {
    let text = std::fs::read_to_string(h5_fixture("images_attrs.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn hyperslab_slabs_equal_the_whole_dataset() {
    // Chunks of 4 (gzip + shuffle), 5 (big-endian, gzip) and 2 along axis
    // 0, a contiguous dataset, widened types, and the older fixtures.
    let text = std::fs::read_to_string(h5_fixture("expected_chunks.txt")).unwrap();
    let mut n = 0;
    for line in text.lines() {
        let f: Vec<&str> = line.split('|').collect();
        let path = h5_fixture(f[0]);
        let whole = read_hdf5(&path, f[1]).unwrap();
        assert_eq!(sha256(&whole), f[4], "{line}");
        let mut r = Hdf5Reader::open_dataset(&path, f[1]).unwrap();
        assert!(r.streams());
        let info = r.info().clone();
        assert_eq!((info.shape.as_slice(), info.dtype), (whole.shape(), whole.dtype()), "{line}");
        let row = info.slice_bytes();
        for start in 0..info.len() {
            for len in [1, 2, 3, 5, 9] {
                let len = len.min(info.len() - start);
                let mut buf = vec![0x5au8; len * row];
                r.read_into(start, len, &mut buf).unwrap();
                assert!(buf == whole.as_bytes()[start * row..(start + len) * row], "{line}: {start}+{len}");
            }
        }
        n += 1;
    }
    assert_eq!(n, 8);
    for name in ["u1", "be_i4", "gzip_u2", "i1", "bool", "scalar_f8"] {
        let p = h5_fixture("types.h5");
        let whole = read_hdf5(&p, name).unwrap();
        let mut r = Hdf5Reader::open_dataset(&p, name).unwrap();
        let mut buf = vec![0u8; r.info().len() * r.info().slice_bytes()];
        r.read_into(0, r.info().len(), &mut buf).unwrap();
        assert_eq!(buf, whole.as_bytes(), "{name}");
    }
}

#[test]
fn open_serves_a_dxchange_scan_with_its_fields() {
    let p = h5_fixture("chunked.h5");
    let r = open(&p).unwrap();
    let info = r.info();
    assert_eq!(
        (info.shape.as_slice(), info.dtype, info.axes.as_str()),
        (&[25, 12, 10][..], DType::U16, "angle row col")
    );
    assert_eq!(info.meta["theta_units"], "rad");
    assert_eq!(info.meta["dataset"], "/exchange/data");
    assert_eq!(r.natural_chunk(), Some(4));
    let aux: Vec<(&str, &[usize], &str)> = r.aux().iter().map(|(k, a)| (k.as_str(), a.shape(), a.axes())).collect();
    assert_eq!(
        aux,
        [
            ("data_white", &[3usize, 12, 10][..], "frame row col"),
            ("data_dark", &[2, 12, 10][..], "frame row col"),
            ("theta", &[25][..], "angle")
        ]
    );
    let d = read_dxchange(&p).unwrap();
    assert_same(&r.aux()[0].1, d.white.as_ref().unwrap());
    assert_same(&r.aux()[2].1, d.theta.as_ref().unwrap());
    // scan.h5: contiguous, degrees.
    let r = open(&h5_fixture("scan.h5")).unwrap();
    assert_eq!((r.info().meta["theta_units"].as_str(), r.natural_chunk()), (Some("degrees"), None));
    // A file of one dataset serves it; several without `/exchange/data` are refused.
    let set = h5_fixture("images.h5");
    assert_eq!(
        open(&set).err().unwrap().to_string(),
        format!(
            "`{}`: dataset `/`: expected `/exchange/data` or a single dataset, found 5 datasets; name one to read it",
            set.display()
        )
    );
    let bad = h5_fixture("bad_scan.h5");
    assert_eq!(
        open(&bad).err().unwrap().to_string(),
        format!("`{}`: dataset `/exchange/theta`: expected f32 or f64 angles, found i32", bad.display())
    );
    assert_eq!(
        err_text(Hdf5Reader::open_dataset(&p, "/entry/nope")),
        format!(
            "`{}`: dataset `/entry/nope`: not found; the file holds `/entry/be_f4`, `/entry/bool`, `/entry/contig`, `/entry/i1`, `/exchange/data`, `/exchange/data_dark`, `/exchange/data_white`, `/exchange/theta`, … (9 in all)",
            p.display()
        )
    );
}

#[test]
fn image_set_reads_in_numeric_order_with_attributes() {
    let p = h5_fixture("images.h5");
    let set = ImageSet::open(&p).unwrap();
    assert_eq!((set.len(), set.is_empty(), set.path()), (5, false, p.as_path()));
    let attrs = expected_attrs();
    let expected = std::fs::read_to_string(h5_fixture("expected.txt")).unwrap();
    for (i, item) in set.iter().enumerate() {
        let (a, at) = item.unwrap();
        let line = format!(
            "images.h5|/{i}|{}|u8|{}",
            a.shape().iter().map(|d| d.to_string()).collect::<Vec<_>>().join(","),
            sha256(&a)
        );
        assert!(expected.lines().any(|l| l == line), "{line}");
        assert_eq!(a.axes(), if i < 3 { "y x" } else { "y x band" });
        assert_eq!(at, attrs[i], "image {i}");
        assert_eq!(set.attributes(i).unwrap(), attrs[i]);
    }
    assert_eq!(set.get(3).unwrap().1["label"], json!("gland"));
    assert_eq!(set.get(1).unwrap().1["flagged"], json!(true));
    assert_eq!(
        err_text(set.get(5)),
        format!("`{}`: dataset `/5`: not found; the image set has 5 images, `0` to `4`", p.display())
    );
}

#[test]
fn image_set_splits() {
    let set = ImageSet::open(&h5_fixture("images.h5")).unwrap();
    let (first, rest) = set.split_at(3);
    assert_eq!((first.indices(), rest.indices()), (&[0, 1, 2][..], &[3, 4][..]));
    let (odd, even) = set.odd_even();
    assert_eq!((odd.indices(), even.indices()), (&[1, 3][..], &[0, 2, 4][..]));
    assert_eq!(odd.len(), 2);
    // Views read the set's images.
    let labels: Vec<Value> = even.iter().map(|r| r.unwrap().1["label"].clone()).collect();
    assert_eq!(labels, [json!("grain"), json!("grain"), json!("stroma")]);
    assert_same(&odd.get(1).unwrap().0, &set.get(3).unwrap().0);
    assert_eq!(
        err_text(odd.get(2)),
        format!("`{}`: dataset `/`: no image 2 in a view of 2 images", set.path().display())
    );
    let (all, none) = set.split_at(99);
    assert_eq!((all.len(), none.is_empty()), (5, true));
    assert_eq!(set.split_at(0).0.len(), 0);
    assert_eq!(set.all().indices(), [0, 1, 2, 3, 4]);
}

#[test]
fn image_set_round_trip() {
    let images = vec![
        sample_array(DType::U16, &[5, 7]),
        sample_array(DType::F32, &[4, 4]),
        sample_array(DType::U8, &[3, 2, 3]),
        sample_array(DType::I32, &[2, 2]),
        sample_array(DType::F64, &[1, 3]),
        sample_array(DType::I16, &[2, 1]),
        sample_array(DType::U32, &[1, 1]),
    ];
    let attr = |v: Value| -> Attributes { serde_json::from_value(v).unwrap() };
    let mut attrs = vec![
        attr(json!({"label": "a", "n": -3, "big": u64::MAX, "x": 0.25, "ok": true,
                    "ints": [1, 2, 3], "floats": [1.5, -2.0], "mixed": [1, 2.5], "names": ["p", "q"],
                    "flags": [true, false], "empty": [], "unicode": "µm ünits"})),
        attr(json!({})),
    ];
    attrs.resize(images.len(), attr(json!({"k": 1})));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("set.h5");
    write_image_set(&p, &images, &attrs).unwrap();
    let set = ImageSet::open(&p).unwrap();
    assert_eq!(set.len(), images.len());
    for (i, item) in set.iter().enumerate() {
        let (a, at) = item.unwrap();
        assert_same(&a, &images[i]);
        let mut want = attrs[i].clone();
        if i == 0 {
            // Mixed ints and floats are stored as floats, as numpy does.
            want["mixed"] = json!([1.0, 2.5]);
        }
        assert_eq!(at, want, "image {i}");
    }
    // No attributes at all, and an empty set.
    write_image_set(&p, &images[..2], &[]).unwrap();
    assert!(ImageSet::open(&p).unwrap().get(1).unwrap().1.is_empty());
    write_image_set(&p, &[], &[]).unwrap();
    let empty = ImageSet::open(&p).unwrap();
    assert!(empty.is_empty());
    assert_eq!(err_text(empty.get(0)), format!("`{}`: dataset `/0`: not found; the image set is empty", p.display()));
    assert_eq!(inspect(&p).unwrap().format, Format::Hdf5);
}

#[test]
fn image_set_write_errors_name_the_image_and_attribute() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("set.h5");
    let images = vec![Array::zeros::<u8>(vec![2, 2]); 2];
    let attr = |v: Value| -> Attributes { serde_json::from_value(v).unwrap() };
    let cases = [
        (json!({"x": null}), "attribute `x` of image 1: null has no HDF5 form"),
        (json!({"x": {"a": 1}}), "attribute `x` of image 1: an object has no HDF5 attribute form"),
        (json!({"x": [[1], [2]]}), "attribute `x` of image 1: nested arrays are not stored as attributes"),
        (
            json!({"x": [1, "a"]}),
            "attribute `x` of image 1: an array mixing numbers, bools and strings has no HDF5 attribute form",
        ),
        (json!({"x": "a\u{0}b"}), "attribute `x` of image 1: strings with NUL characters have no HDF5 form"),
    ];
    for (bad, what) in cases {
        let attrs = vec![attr(json!({})), attr(bad)];
        assert_eq!(err_text(write_image_set(&p, &images, &attrs)), format!("`{}`: cannot write {what}", p.display()));
        assert!(!p.exists() && !dir.path().join("set.h5.partial").exists());
    }
    assert_eq!(
        err_text(write_image_set(&p, &images, &[attr(json!({}))])),
        format!("`{}`: cannot write 2 images with 1 attribute maps: give one map per image, or none", p.display())
    );
}

#[test]
fn image_set_layout_is_checked() {
    let gap = h5_fixture("gap.h5");
    assert_eq!(
        err_text(ImageSet::open(&gap)),
        format!("`{}`: not an image set: `/1` is missing, expected datasets `0` to `2` without gaps", gap.display())
    );
    let scan = h5_fixture("scan.h5");
    assert_eq!(
        err_text(ImageSet::open(&scan)),
        format!(
            "`{}`: not an image set: the root holds `exchange`, expected only datasets named `0`, `1`, …",
            scan.display()
        )
    );
}

#[test]
fn inspect_lists_datasets() {
    let p = h5_fixture("scan.h5");
    let i = inspect(&p).unwrap();
    assert_eq!(i.format, Format::Hdf5);
    assert_eq!((i.shape.as_slice(), i.axes.as_str(), i.dtype), (&[6, 8, 10][..], "angle row col", Some(DType::F32)));
    assert_eq!(i.problem, None);
    let text = i.to_string();
    println!("{text}");
    let expected = [
        show(&p),
        "  format       HDF5 (5 datasets)".into(),
        "  size         10.5 KiB (10792 bytes)".into(),
        "  shape        6 × 8 × 10 (angle row col)".into(),
        "  dtype        f32 (stored as float32)".into(),
        "  layout       dataset `/exchange/data`".into(),
        "  dataset      /exchange/data        6 × 8 × 10  f32".into(),
        "  dataset      /exchange/data_dark   2 × 8 × 10  u16".into(),
        "  dataset      /exchange/data_white  2 × 8 × 10  u16".into(),
        "  dataset      /exchange/theta       6  f32  (1 attribute)".into(),
        "  dataset      /implements           scalar  unicode (var len) (not readable)".into(),
    ];
    assert_eq!(text, expected.join("\n"));

    let t = inspect(&h5_fixture("types.h5")).unwrap();
    assert_eq!(t.datasets.len(), 18);
    assert_eq!(t.dtype, None);
    assert_eq!(
        t.problem.as_deref(),
        Some("`read` takes `/exchange/data` or a single dataset, the file has 18; use `read_hdf5` or `ImageSet`")
    );
    let i8 = t.datasets.iter().find(|d| d.path == "/i8").unwrap();
    assert_eq!((i8.dtype, i8.stored.as_str(), i8.shape.as_slice()), (None, "int64", &[3, 4][..]));
    let set = inspect(&h5_fixture("images.h5")).unwrap();
    assert_eq!(set.datasets[3].shape, [24, 24, 3]);
    assert_eq!(set.datasets[3].attributes, 8);
}

#[test]
fn truncated_and_corrupt_hdf5_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(h5_fixture("chunked.h5")).unwrap();
    let cut = dir.path().join("cut.h5");
    std::fs::write(&cut, &bytes[..14480]).unwrap();
    assert_eq!(
        open(&cut).err().unwrap().to_string(),
        format!(
            "`{}`: truncated at byte 14480: the HDF5 superblock declares 28960 bytes, 14480 are missing",
            cut.display()
        )
    );
    // Chunk (20, 6, 0) of `/exchange/data` lies at bytes 15417..15908
    // (h5py's `get_chunk_info`): garble its deflate stream.
    let bad = dir.path().join("bad.h5");
    let mut b = bytes.clone();
    for x in &mut b[15417 + 20..15417 + 200] {
        *x ^= 0x5a;
    }
    std::fs::write(&bad, &b).unwrap();
    let mut r = open(&bad).unwrap();
    let mut buf = vec![0u8; 4 * r.info().slice_bytes()];
    r.read_into(0, 4, &mut buf).unwrap(); // chunks before it still read
    let err = r.read_into(20, 4, &mut buf).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("`{}`: dataset `/exchange/data`: cannot read slices 20..24: ", bad.display())),
        "{err}"
    );
}
