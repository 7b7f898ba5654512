//! Zarr stores written by zarr-python (`tests/zarr/`, made by
//! `make_zarr_fixtures.py`): every array decodes to what zarr-python
//! decoded (`expected.txt`), slabs cross chunk and shard boundaries,
//! OME-Zarr images open at their full-resolution level, and damaged chunks
//! are reported by file.

use std::path::{Path, PathBuf};

use plexus_io::{inspect, open, read, ChunkReader, ZarrReader};
use plexus_plugin_api::DType;

use super::chunks::check_every_slab;
use super::sha256;

fn store(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/zarr").join(name)
}

#[test]
fn every_array_matches_zarr_python() {
    let text = std::fs::read_to_string(store("expected.txt")).unwrap();
    let mut n = 0;
    for line in text.lines() {
        let f: Vec<&str> = line.split('|').collect();
        let mut r = ZarrReader::open_array(&store(f[0]), f[1]).unwrap_or_else(|e| panic!("{line}: {e}"));
        let info = r.info().clone();
        let shape: Vec<usize> = f[2].split(',').map(|d| d.parse().unwrap()).collect();
        assert_eq!((info.shape.as_slice(), info.dtype.name()), (shape.as_slice(), f[3]), "{line}");
        let whole = r.read(0, info.len()).unwrap();
        assert_eq!(sha256(&whole), f[4], "{line}");
        n += 1;
    }
    assert_eq!(n, 10);
}

#[test]
fn zarr_slabs_equal_the_whole_array() {
    for name in [
        "v3_u16_zstd.zarr",
        "v3_f32_sharded.zarr",
        "v3_i8_blosc.zarr",
        "v3_bool.zarr",
        "v3_missing.zarr",
        "v2_u8_blosc.zarr",
        "v2_be_f8_zlib.zarr",
        "ome_v05.zarr",
        "ome_v04.zarr",
    ] {
        let r = check_every_slab(&store(name));
        assert!(r.streams(), "{name}");
    }
}

#[test]
fn layout_and_labels() {
    let r = open(&store("v3_u16_zstd.zarr")).unwrap();
    assert_eq!((r.info().axes.as_str(), r.natural_chunk()), ("z y x", Some(5)));
    let r = open(&store("v3_f32_sharded.zarr")).unwrap();
    assert_eq!(r.natural_chunk(), Some(10), "the shard is the unit along axis 0");
    let r = open(&store("v3_i8_blosc.zarr")).unwrap();
    assert_eq!((r.info().axes.as_str(), r.info().dtype), ("row col", DType::I16), "zarr v3 dimension names");
    // Chunks 1 and 3 were never written: Zarr reads them as the fill value.
    let a = read(&store("v3_missing.zarr")).unwrap();
    let v = a.as_slice::<i32>().unwrap();
    assert!(v[12..24].iter().all(|&x| x == 7) && v[36..].iter().all(|&x| x == 7));
    assert!(v[..12].iter().any(|&x| x != 7));
}

#[test]
fn ome_images_open_at_full_resolution() {
    let r = open(&store("ome_v05.zarr")).unwrap();
    let info = r.info();
    assert_eq!((info.shape.as_slice(), info.axes.as_str()), (&[12, 10, 8][..], "z y x"));
    assert_eq!(info.meta["scale"], serde_json::json!([2.0, 0.5, 0.5]));
    assert_eq!(info.meta["units"], serde_json::json!(["micrometer", "micrometer", "micrometer"]));
    assert_eq!((info.meta["ome_levels"].as_u64(), info.meta["array"].as_str()), (Some(2), Some("/0")));
    let level1 = ZarrReader::open_array(&store("ome_v05.zarr"), "1").unwrap();
    assert_eq!(level1.info().shape, [6, 5, 4]);
    let r = open(&store("ome_v04.zarr")).unwrap();
    assert_eq!((r.info().shape.as_slice(), r.info().axes.as_str()), (&[16, 14][..], "y x"));
    let i = inspect(&store("ome_v05.zarr")).unwrap();
    assert_eq!(i.variant, "v3, OME-Zarr 0.5 image, 2 levels");
    assert_eq!((i.shape.as_slice(), i.dtype, i.layout.as_str()), (&[12, 10, 8][..], Some(DType::U16), "chunks 4×10×8"));
    let i = inspect(&store("v3_f32_sharded.zarr")).unwrap();
    assert_eq!(i.layout, "chunks 10×16×16 (shards of inner chunks [5,8,8])");
    assert!(i.compression.contains("sharding_indexed") && i.compression.contains("inner blosc"), "{}", i.compression);
    let i = inspect(&store("v2_u8_blosc.zarr")).unwrap();
    assert_eq!((i.variant.as_str(), i.compression.as_str()), ("v2 array", "blosc"));
}

/// A copy of fixture store `name` in a temp dir.
fn copy_store(name: &str, dir: &Path) -> PathBuf {
    let to = dir.join(name);
    let from = store(name);
    for entry in walk(&from) {
        let rel = entry.strip_prefix(&from).unwrap();
        std::fs::create_dir_all(to.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&entry, to.join(rel)).unwrap();
    }
    to
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn damaged_chunks_are_named_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = copy_store("v3_u16_zstd.zarr", dir.path());
    // Chunk (1, 0, 0) holds slices 5..10; cut it in half.
    let chunk = s.join("c/1/0/0");
    let len = std::fs::metadata(&chunk).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&chunk).unwrap().set_len(len / 2).unwrap();
    let mut r = open(&s).unwrap();
    let mut buf = vec![0u8; r.info().slice_bytes() * 2];
    r.read_into(0, 2, &mut buf).unwrap();
    let err = r.read_into(4, 2, &mut buf).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("`{}`: chunk `c/1/0/0` of array `/` cannot be decoded: ", chunk.display())),
        "{err}"
    );
    // Garbage in a chunk of a v2 store.
    let s = copy_store("v2_u8_blosc.zarr", dir.path());
    std::fs::write(s.join("2.0"), b"not blosc at all").unwrap();
    let err = read(&s).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("`{}`: chunk `2.0` of array `/` cannot be decoded: ", s.join("2.0").display())),
        "{err}"
    );
}

#[test]
fn folders_that_are_not_zarr() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.zarr");
    std::fs::create_dir(&empty).unwrap();
    assert_eq!(
        read(&empty).unwrap_err().to_string(),
        format!(
            "`{}`: not a Zarr file: expected a folder holding `zarr.json`, `.zarray` or `.zgroup`, the folder holds none",
            empty.display()
        )
    );
    let file = dir.path().join("file.zarr");
    std::fs::write(&file, b"x").unwrap();
    assert_eq!(
        read(&file).unwrap_err().to_string(),
        format!(
            "`{}`: not a Zarr file: expected a folder holding `zarr.json`, `.zarray` or `.zgroup`, it is a file, not a folder",
            file.display()
        )
    );
    let bad = dir.path().join("bad.zarr");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join("zarr.json"), "{\"zarr_format\": 3,\n \"node_type\": arr}").unwrap();
    assert_eq!(
        read(&bad).unwrap_err().to_string(),
        format!("`{}`: at byte 33: bad JSON: expected value at line 2 column 15", bad.join("zarr.json").display())
    );
}
