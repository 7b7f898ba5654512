//! Writes files with every plexus-io writer for the peer read-back check
//! (`scripts/peer_check.py`, run by `scripts/peer-check.sh` from
//! `./plexus.sh test`): NPY and TIFF (whole, streamed and chunked, resumed),
//! Zarr v3 with OME-Zarr metadata and pyramids, PNG, and, with the `hdf5`
//! feature, a dxchange scan and image sets (one a copy of the h5py fixture).
//!
//! `cargo run --release -p plexus-io --features hdf5 --example peer_files -- DIR`
//!
//! Beside each file it writes `<file>.raw`, the elements plexus wrote
//! (little-endian, C order), and `manifest.json` lists every file with its
//! kind, element type, shape, axes and what else the peer should find
//! (attributes, OME levels). The arrays are deterministic.

use std::path::{Path, PathBuf};

use plexus_io::{
    create_writer, write, write_tiff, BigTiff, DatasetSpec, Format, StackWriter, TiffOptions, WriteOptions, ZarrCodec,
    ZarrOptions,
};
use plexus_plugin_api::{Array, DType};
use serde_json::{json, Map, Value};

/// A deterministic array of `dtype` covering its range (extremes, NaN and
/// subnormals for floats), from a xorshift sequence.
fn sample(dtype: DType, shape: &[usize], seed: u64) -> Array {
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let shape = shape.to_vec();
    macro_rules! ints {
        ($t:ty) => {
            Array::from_fn::<$t>(shape, |i| match i {
                0 => <$t>::MIN,
                1 => <$t>::MAX,
                _ => next() as $t,
            })
        };
    }
    match dtype {
        DType::U8 => ints!(u8),
        DType::U16 => ints!(u16),
        DType::U32 => ints!(u32),
        DType::I16 => ints!(i16),
        DType::I32 => ints!(i32),
        DType::F32 => Array::from_fn::<f32>(shape, |i| match i {
            0 => f32::MAX,
            1 => -0.0,
            2 => f32::NAN,
            3 => f32::from_bits(1),
            _ => (next() as i64 as f64 / 1e15) as f32,
        }),
        DType::F64 => Array::from_fn::<f64>(shape, |i| match i {
            0 => f64::MIN,
            1 => f64::INFINITY,
            2 => f64::NAN,
            _ => next() as i64 as f64 / 1e12,
        }),
    }
}

/// A smooth volume (a ramp plus a little noise), so that the pyramid's
/// means are meaningful.
fn volume(shape: &[usize]) -> Array {
    let (ny, nx) = (shape[1], shape[2]);
    let mut state = 12345u64;
    Array::from_fn::<u16>(shape.to_vec(), |i| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let (z, y, x) = (i / (ny * nx), i / nx % ny, i % nx);
        (100 * z + 7 * y + 3 * x) as u16 + (state >> 60) as u16
    })
}

struct Out {
    dir: PathBuf,
    files: Vec<Value>,
}

impl Out {
    /// Records `file` holding `a`, with extra facts for the peer.
    fn add(&mut self, file: &str, kind: &str, a: &Array, extra: Value) {
        std::fs::write(self.dir.join(format!("{file}.raw")), le(a)).unwrap();
        let mut entry = json!({
            "file": file,
            "kind": kind,
            "dtype": a.dtype().name(),
            "shape": a.shape(),
            "axes": a.axes(),
        });
        if let (Value::Object(e), Value::Object(x)) = (&mut entry, extra) {
            e.extend(x);
        }
        self.files.push(entry);
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }
}

fn le(a: &Array) -> Vec<u8> {
    let size = a.dtype().size();
    let mut v = a.as_bytes().to_vec();
    if cfg!(target_endian = "big") {
        v.chunks_exact_mut(size).for_each(|c| c.reverse());
    }
    v
}

/// Slices `r` of `a` along axis 0.
fn slab(a: &Array, r: std::ops::Range<usize>) -> Array {
    let row: usize = a.shape()[1..].iter().product::<usize>() * a.dtype().size();
    let mut shape = a.shape().to_vec();
    shape[0] = r.len();
    Array::from_bytes(a.dtype(), shape, &a.as_bytes()[r.start * row..r.end * row]).unwrap()
}

/// Writes `a` through a chunk writer, chunks in `order`.
fn chunked(path: &Path, a: &Array, chunk: usize, meta: Map<String, Value>, options: &WriteOptions, order: &[usize]) {
    let spec = DatasetSpec::new(a.shape().to_vec(), a.dtype()).with_axes(a.axes()).with_chunk(chunk).with_meta(meta);
    let mut w = create_writer(path, spec, options).unwrap();
    for &i in order {
        let s = w.spec().chunk_slices(i);
        w.write(s.start, &slab(a, s)).unwrap();
    }
    w.finish().unwrap();
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: peer_files DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut out = Out { dir, files: vec![] };

    // NPY and TIFF: every dtype, whole writes.
    for (k, d) in DType::ALL.into_iter().enumerate() {
        let a = sample(d, &[3, 4, 5], k as u64);
        write(&out.path(&format!("npy_{d}.npy")), &a).unwrap();
        out.add(&format!("npy_{d}.npy"), "npy", &a, json!({}));
        let a = sample(d, &[4, 30, 20], 10 + k as u64).with_axes("z y x").unwrap();
        write(&out.path(&format!("tif_{d}.tif")), &a).unwrap();
        out.add(&format!("tif_{d}.tif"), "tiff", &a, json!({"bigtiff": false}));
        write_tiff(&out.path(&format!("big_{d}.tif")), &a, TiffOptions { bigtiff: BigTiff::Always }).unwrap();
        out.add(&format!("big_{d}.tif"), "tiff", &a, json!({"bigtiff": true}));
    }
    let rgb = sample(DType::U8, &[30, 20, 3], 30).with_axes("y x band").unwrap();
    write(&out.path("tif_rgb.tif"), &rgb).unwrap();
    out.add("tif_rgb.tif", "tiff", &rgb, json!({"bigtiff": false}));
    let hyper = sample(DType::F32, &[2, 3, 10, 12], 31).with_axes("t z y x").unwrap();
    write(&out.path("tif_4d.tif"), &hyper).unwrap();
    out.add("tif_4d.tif", "tiff", &hyper, json!({"bigtiff": false}));
    let rows = sample(DType::U16, &[300, 400], 32);
    write(&out.path("tif_2d_strips.tif"), &rows).unwrap();
    out.add("tif_2d_strips.tif", "tiff", &rows, json!({"bigtiff": false}));

    // Streamed (StackWriter) and chunked (create_writer), one resumed.
    let stack = sample(DType::I16, &[9, 16, 12], 40).with_axes("angle row col").unwrap();
    for ext in ["npy", "tif"] {
        let name = format!("streamed.{ext}");
        let mut w = StackWriter::open(&out.path(&name), Format::from_path(Path::new(&name)).unwrap()).unwrap();
        for r in [0..4, 4..5, 5..9] {
            w.append(&slab(&stack, r).with_axes("angle row col").unwrap()).unwrap();
        }
        w.finish().unwrap();
        out.add(&name, if ext == "npy" { "npy" } else { "tiff" }, &stack, json!({"bigtiff": false}));
        let name = format!("chunked.{ext}");
        chunked(&out.path(&name), &stack, 4, Map::new(), &WriteOptions::default(), &[0, 1, 2]);
        out.add(&name, if ext == "npy" { "npy" } else { "tiff" }, &stack, json!({"bigtiff": false}));
        let name = format!("resumed.{ext}");
        let spec = DatasetSpec::new(stack.shape().to_vec(), stack.dtype()).with_axes(stack.axes()).with_chunk(2);
        let mut w = create_writer(&out.path(&name), spec.clone(), &WriteOptions::default()).unwrap();
        w.write(0, &slab(&stack, 0..2)).unwrap();
        w.write(2, &slab(&stack, 2..4)).unwrap();
        drop(w); // killed: the partial file stays
        let resume = WriteOptions { resume: true, ..WriteOptions::default() };
        let mut w = create_writer(&out.path(&name), spec, &resume).unwrap();
        assert_eq!(w.start(), &plexus_io::WriteStart::Resumed { chunks: 2 });
        for i in 2..5 {
            let s = w.spec().chunk_slices(i);
            w.write(s.start, &slab(&stack, s)).unwrap();
        }
        w.finish().unwrap();
        out.add(&name, if ext == "npy" { "npy" } else { "tiff" }, &stack, json!({"bigtiff": false}));
    }

    // Zarr: an OME-Zarr volume with a pyramid (threshold 4 KiB: three levels), in
    // micrometres; chunks written out of order.
    let vol = volume(&[21, 40, 34]).with_axes("z y x").unwrap();
    let mut meta = Map::new();
    meta.insert("voxel_size_um".into(), json!([2.0, 0.65, 0.65]));
    meta.insert("name".into(), json!("volume"));
    let pyramid = WriteOptions {
        zarr: ZarrOptions { pyramid_threshold_bytes: 4 << 10, ..ZarrOptions::default() },
        ..WriteOptions::default()
    };
    chunked(&out.path("volume.zarr"), &vol, 5, meta, &pyramid, &[4, 1, 0, 3, 2]);
    out.add(
        "volume.zarr",
        "ome-zarr",
        &vol,
        json!({"levels": 3, "voxel_size_um": [2.0, 0.65, 0.65], "unit": "micrometer", "name": "volume"}),
    );
    // Projections with a custom `angle` axis, zstd, one level.
    let proj = sample(DType::F32, &[12, 9, 11], 50).with_axes("angle row col").unwrap();
    let zstd = WriteOptions {
        zarr: ZarrOptions { codec: ZarrCodec::Zstd, ..ZarrOptions::default() },
        ..WriteOptions::default()
    };
    chunked(&out.path("projections.zarr"), &proj, 4, Map::new(), &zstd, &[2, 0, 1]);
    out.add("projections.zarr", "ome-zarr", &proj, json!({"levels": 1, "voxel_size_um": [1.0, 1.0, 1.0]}));
    // An image (y x), uncompressed and sharded.
    let img = sample(DType::I32, &[24, 30], 51).with_axes("y x").unwrap();
    let sharded = WriteOptions {
        zarr: ZarrOptions { codec: ZarrCodec::None, inner_chunk: Some(vec![4, 10]), ..ZarrOptions::default() },
        ..WriteOptions::default()
    };
    chunked(&out.path("sharded.zarr"), &img, 8, Map::new(), &sharded, &[1, 2, 0]);
    out.add("sharded.zarr", "ome-zarr", &img, json!({"levels": 1, "voxel_size_um": [1.0, 1.0]}));
    // Axes NGFF cannot describe: a plain Zarr array.
    let colour = sample(DType::U8, &[10, 12, 3], 52).with_axes("y x band").unwrap();
    write(&out.path("colour.zarr"), &colour).unwrap();
    out.add("colour.zarr", "zarr", &colour, json!({}));

    // PNG: what Pillow reads exactly (8-bit gray, gray + alpha, RGB, RGBA;
    // 16-bit gray).
    for (name, a) in [
        ("png_gray8.png", sample(DType::U8, &[30, 20], 70)),
        ("png_gray16.png", sample(DType::U16, &[30, 20], 71)),
        ("png_ga8.png", sample(DType::U8, &[30, 20, 2], 72).with_axes("y x band").unwrap()),
        ("png_rgb8.png", sample(DType::U8, &[30, 20, 3], 73).with_axes("y x band").unwrap()),
        ("png_rgba8.png", sample(DType::U8, &[30, 20, 4], 74).with_axes("y x band").unwrap()),
    ] {
        write(&out.path(name), &a).unwrap();
        out.add(name, "png", &a, json!({}));
    }

    #[cfg(feature = "hdf5")]
    hdf5_files(&mut out);

    let manifest = json!({ "hdf5": cfg!(feature = "hdf5"), "files": out.files });
    std::fs::write(out.dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    println!("wrote {} files into {}", out.files.len(), out.dir.display());
}

#[cfg(feature = "hdf5")]
fn hdf5_files(out: &mut Out) {
    use plexus_io::{write_dxchange, write_image_set, Dxchange};

    let data = sample(DType::F32, &[6, 8, 10], 60).with_axes("angle row col").unwrap();
    let white = sample(DType::U16, &[2, 8, 10], 61);
    let dark = sample(DType::U16, &[2, 8, 10], 62);
    let theta = Array::from_fn::<f32>(vec![6], |i| 30.0 * i as f32);
    let scan = Dxchange {
        data: data.clone(),
        white: Some(white.clone()),
        dark: Some(dark.clone()),
        theta: Some(theta.clone()),
        theta_units: Some("degrees".into()),
    };
    write_dxchange(&out.path("scan.h5"), &scan).unwrap();
    for (ds, a) in [
        ("/exchange/data", &data),
        ("/exchange/data_white", &white),
        ("/exchange/data_dark", &dark),
        ("/exchange/theta", &theta),
    ] {
        let raw = format!("scan.h5{}", ds.replace('/', "_"));
        std::fs::write(out.dir.join(format!("{raw}.raw")), le(a)).unwrap();
        let attrs = if ds == "/exchange/theta" { json!({"units": "degrees"}) } else { json!({}) };
        out.files.push(json!({
            "file": "scan.h5", "kind": "hdf5", "dataset": ds, "raw": format!("{raw}.raw"),
            "dtype": a.dtype().name(), "shape": a.shape(), "attrs": attrs,
        }));
    }
    let images = [sample(DType::U8, &[12, 9], 63), sample(DType::F64, &[5, 7], 64), sample(DType::U16, &[6, 6, 3], 65)];
    let attrs: Vec<plexus_io::Attributes> = (0..3)
        .map(|i| {
            let mut m = Map::new();
            m.insert("label".into(), json!(format!("item {i}")));
            m.insert("index".into(), json!(i));
            m.insert("scale".into(), json!(0.5 * (i + 1) as f64));
            m.insert("flagged".into(), json!(i % 2 == 1));
            m.insert("bbox".into(), json!([i, 2 * i, 3, 4]));
            m
        })
        .collect();
    write_image_set(&out.path("images.h5"), &images, &attrs).unwrap();
    // The image set h5py wrote for the tests, read and written back: its
    // attributes hold every kind h5py writes (fixed-length bytes included).
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/h5/images.h5");
    let set = plexus_io::ImageSet::open(&fixture).unwrap();
    let (copies, copy_attrs): (Vec<Array>, Vec<plexus_io::Attributes>) = set.iter().map(|r| r.unwrap()).unzip();
    write_image_set(&out.path("images_copy.h5"), &copies, &copy_attrs).unwrap();
    for (file, images, attrs) in
        [("images.h5", &images[..], &attrs[..]), ("images_copy.h5", &copies[..], &copy_attrs[..])]
    {
        for (i, a) in images.iter().enumerate() {
            let raw = format!("{file}_{i}");
            std::fs::write(out.dir.join(format!("{raw}.raw")), le(a)).unwrap();
            out.files.push(json!({
                "file": file, "kind": "hdf5", "dataset": format!("/{i}"), "raw": format!("{raw}.raw"),
                "dtype": a.dtype().name(), "shape": a.shape(), "attrs": attrs[i],
            }));
        }
    }
}
