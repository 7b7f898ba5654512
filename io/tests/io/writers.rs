//! Chunk writers (`create_writer`): NPY and TIFF written in order give the
//! bytes of a whole-array write; Zarr takes chunks in any order; partial
//! outputs resume when they hold the same dataset and are discarded (and
//! said so) otherwise; OME-Zarr pyramids hold the block means.

use std::path::Path;

use plexus_io::{
    create_writer, open, partial_path, read, write, ChunkReader, ChunkWriter, DatasetSpec, WriteOptions, WriteStart,
    ZarrOptions,
};
use plexus_plugin_api::{Array, DType};
use serde_json::{json, Value};

use super::{assert_same, sample_array};

/// Slices `range` of `a` along axis 0.
fn slab(a: &Array, range: std::ops::Range<usize>) -> Array {
    let row: usize = a.shape()[1..].iter().product::<usize>() * a.dtype().size();
    let mut shape = a.shape().to_vec();
    shape[0] = range.len();
    Array::from_bytes(a.dtype(), shape, &a.as_bytes()[range.start * row..range.end * row]).unwrap()
}

fn spec_of(a: &Array, chunk: usize) -> DatasetSpec {
    DatasetSpec::new(a.shape().to_vec(), a.dtype()).with_axes(a.axes()).with_chunk(chunk)
}

/// Writes every chunk of `a` in `order` and finishes.
fn write_chunks(path: &Path, a: &Array, chunk: usize, order: &[usize], options: &WriteOptions) {
    let mut w = create_writer(path, spec_of(a, chunk), options).unwrap();
    assert_eq!(w.start(), &WriteStart::New);
    for &i in order {
        let s = w.spec().chunk_slices(i);
        w.write(s.start, &slab(a, s)).unwrap();
        assert!(w.is_written(i));
        assert!(!path.exists(), "nothing under the final name before finish");
    }
    assert_eq!(w.finish().unwrap(), path);
    assert!(!partial_path(path).exists());
}

#[test]
fn npy_and_tiff_chunks_give_the_bytes_of_a_whole_write() {
    let dir = tempfile::tempdir().unwrap();
    for d in [DType::U8, DType::U16, DType::F32, DType::F64] {
        let a = sample_array(d, &[11, 6, 5]).with_axes("z y x").unwrap();
        for ext in ["npy", "tif"] {
            let whole = dir.path().join(format!("whole.{ext}"));
            write(&whole, &a).unwrap();
            for chunk in [1, 3, 4, 11] {
                let p = dir.path().join(format!("{d}_c{chunk}.{ext}"));
                let n = a.shape()[0].div_ceil(chunk);
                write_chunks(&p, &a, chunk, &(0..n).collect::<Vec<_>>(), &WriteOptions::default());
                assert!(std::fs::read(&p).unwrap() == std::fs::read(&whole).unwrap(), "{d} {ext} chunk {chunk}");
            }
        }
    }
    // A scalar NPY is one chunk of one element.
    let s = Array::from_vec(Vec::<usize>::new(), vec![2.5f64]).unwrap();
    let p = dir.path().join("s.npy");
    let mut w = create_writer(&p, DatasetSpec::new(vec![], DType::F64), &WriteOptions::default()).unwrap();
    w.write_bytes(0, s.as_bytes()).unwrap();
    w.finish().unwrap();
    assert_same(&s, &read(&p).unwrap());
}

#[test]
fn streaming_writers_refuse_chunks_out_of_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = sample_array(DType::U16, &[6, 4, 4]);
    for (ext, format) in [("npy", "NPY"), ("tif", "TIFF")] {
        let p = dir.path().join(format!("o.{ext}"));
        let shown = p.display();
        let mut w = create_writer(&p, spec_of(&a, 2), &WriteOptions::default()).unwrap();
        assert!(!w.any_order());
        assert_eq!(
            w.write(2, &slab(&a, 2..4)).unwrap_err().to_string(),
            format!("`{shown}`: chunk 1 arrived before chunk 0: {format} is written in order (Zarr takes chunks in any order)")
        );
        w.write(0, &slab(&a, 0..2)).unwrap();
        assert_eq!(
            w.write(0, &slab(&a, 0..2)).unwrap_err().to_string(),
            format!("`{shown}`: chunk 0 was written already: {format} is written in order and chunk 1 comes next")
        );
        assert_eq!(
            w.write(1, &slab(&a, 1..3)).unwrap_err().to_string(),
            format!(
                "`{shown}`: chunk 0 starts at slice 1, which begins no chunk: chunks start at multiples of 2 below 6"
            )
        );
        assert_eq!(
            w.write(2, &slab(&a, 2..3)).unwrap_err().to_string(),
            format!("`{shown}`: chunk 1 has shape [1, 4, 4], expected [2, 4, 4] (slices 2..4)")
        );
        assert_eq!(
            w.write(2, &Array::zeros::<f32>(vec![2, 4, 4])).unwrap_err().to_string(),
            format!("`{shown}`: chunk 1 has dtype `f32`, the dataset `u16`")
        );
        assert_eq!(
            w.write_bytes(1, &[0u8; 3]).unwrap_err().to_string(),
            format!("`{shown}`: chunk 1 has 3 bytes, expected 64 (2 slices of 32 bytes)")
        );
        assert_eq!(
            w.finish().unwrap_err().to_string(),
            format!("`{shown}`: cannot write an unfinished dataset: chunks 1..3 of 3 were never written")
        );
        assert!(!p.exists());
    }
}

#[test]
fn a_killed_stream_resumes_from_its_last_whole_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let a = sample_array(DType::I32, &[10, 3, 7]).with_axes("angle row col").unwrap();
    let resume = WriteOptions { resume: true, ..WriteOptions::default() };
    for ext in ["npy", "tif"] {
        let p = dir.path().join(format!("r.{ext}"));
        let whole = dir.path().join(format!("whole.{ext}"));
        write(&whole, &a).unwrap();
        let mut w = create_writer(&p, spec_of(&a, 3), &WriteOptions::default()).unwrap();
        for i in 0..2 {
            w.write(i * 3, &slab(&a, i * 3..i * 3 + 3)).unwrap();
        }
        drop(w); // as a kill would: the partial file stays
                 // Half of chunk 2 reached the disk before the kill.
        let part = partial_path(&p);
        let mut bytes = std::fs::read(&part).unwrap();
        bytes.extend_from_slice(&slab(&a, 6..9).as_bytes()[..40]);
        std::fs::write(&part, &bytes).unwrap();
        let mut w = create_writer(&p, spec_of(&a, 3), &resume).unwrap();
        assert_eq!(w.start(), &WriteStart::Resumed { chunks: 2 }, "{ext}");
        assert!(w.is_written(1) && !w.is_written(2));
        for i in 2..4 {
            let s = w.spec().chunk_slices(i);
            w.write(s.start, &slab(&a, s)).unwrap();
        }
        w.finish().unwrap();
        assert!(std::fs::read(&p).unwrap() == std::fs::read(&whole).unwrap(), "{ext}: resumed file differs");

        // Another dataset under the same name: the stale partial is removed.
        let w = create_writer(&p, spec_of(&a, 5), &WriteOptions::default()).unwrap();
        drop(w);
        let w = create_writer(&p, spec_of(&a, 3), &resume).unwrap();
        let why =
            format!("it does not begin with the header of this {} dataset", if ext == "npy" { "NPY" } else { "TIFF" });
        let want = WriteStart::Discarded { partial: partial_path(&p), why };
        if ext == "npy" {
            // The NPY header does not depend on the chunk length: same
            // shape and type resume (nothing was written, so 0 chunks).
            assert_eq!(w.start(), &WriteStart::Resumed { chunks: 0 });
        } else {
            assert_eq!(w.start(), &want);
        }
        drop(w);
        let w = create_writer(&p, spec_of(&a, 3), &WriteOptions::default()).unwrap();
        assert_eq!(
            w.start(),
            &WriteStart::Discarded { partial: partial_path(&p), why: "resuming was not asked".into() }
        );
        w.abort();
        assert!(!partial_path(&p).exists(), "abort removes the partial file");
    }
}

#[test]
fn zarr_takes_chunks_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = sample_array(DType::F32, &[13, 9, 8]).with_axes("z y x").unwrap();
    let p = dir.path().join("v.zarr");
    write_chunks(&p, &a, 3, &[4, 0, 2, 1, 3], &WriteOptions::default());
    let back = read(&p).unwrap();
    assert_same(&a, &back);
    assert_eq!(back.axes(), "z y x");
    let r = open(&p).unwrap();
    assert_eq!((r.natural_chunk(), r.info().meta["array"].as_str()), (Some(3), Some("/0")));
    // A small volume: OME metadata with one level, voxel size 1.
    let root: Value = serde_json::from_str(&std::fs::read_to_string(p.join("zarr.json")).unwrap()).unwrap();
    let ms = &root["attributes"]["ome"]["multiscales"][0];
    assert_eq!(root["attributes"]["ome"]["version"], "0.5");
    assert_eq!(
        ms["axes"],
        json!([{"name": "z", "type": "space"}, {"name": "y", "type": "space"}, {"name": "x", "type": "space"}])
    );
    assert_eq!(
        ms["datasets"],
        json!([{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0, 1.0]}]}])
    );
    let level0: Value = serde_json::from_str(&std::fs::read_to_string(p.join("0/zarr.json")).unwrap()).unwrap();
    assert_eq!(level0["dimension_names"], json!(["z", "y", "x"]));
    assert_eq!(level0["chunk_grid"]["configuration"]["chunk_shape"], json!([3, 9, 8]));
    // Axes NGFF cannot describe: a plain array at the root.
    let rgb = sample_array(DType::U8, &[6, 5, 3]).with_axes("y x band").unwrap();
    let q = dir.path().join("rgb.zarr");
    write(&q, &rgb).unwrap();
    let root: Value = serde_json::from_str(&std::fs::read_to_string(q.join("zarr.json")).unwrap()).unwrap();
    assert_eq!(
        (root["node_type"].as_str(), root["dimension_names"].clone()),
        (Some("array"), json!(["y", "x", "band"]))
    );
    assert_same(&rgb, &read(&q).unwrap());
    assert_eq!(read(&q).unwrap().axes(), "y x band");
}

#[test]
fn zarr_resumes_the_chunks_whose_files_exist() {
    let dir = tempfile::tempdir().unwrap();
    let a = sample_array(DType::U16, &[10, 6, 4]).with_axes("z y x").unwrap();
    let p = dir.path().join("r.zarr");
    let mut w = create_writer(&p, spec_of(&a, 2), &WriteOptions::default()).unwrap();
    for i in [3, 0, 1] {
        w.write(i * 2, &slab(&a, i * 2..i * 2 + 2)).unwrap();
    }
    drop(w);
    // A chunk being written when the process died is a hidden temporary,
    // never a chunk file: it is not counted and is removed on resume.
    let stale = partial_path(&p).join("0/c/2/0/.0.plexus-tmp-4242-7");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, b"half a chunk").unwrap();
    let resume = WriteOptions { resume: true, ..WriteOptions::default() };
    let mut w = create_writer(&p, spec_of(&a, 2), &resume).unwrap();
    assert_eq!(w.start(), &WriteStart::Resumed { chunks: 3 });
    assert!(!stale.exists());
    let todo: Vec<usize> = (0..5).filter(|&i| !w.is_written(i)).collect();
    assert_eq!(todo, [2, 4]);
    for i in todo {
        w.write(i * 2, &slab(&a, i * 2..i * 2 + 2)).unwrap();
    }
    w.finish().unwrap();
    assert_same(&a, &read(&p).unwrap());
    // Another codec is another dataset: discarded, with the reason.
    let mut w = create_writer(&p, spec_of(&a, 2), &WriteOptions::default()).unwrap();
    w.write(0, &slab(&a, 0..2)).unwrap();
    drop(w);
    let zstd = WriteOptions {
        resume: true,
        zarr: ZarrOptions { codec: plexus_io::ZarrCodec::Zstd, ..ZarrOptions::default() },
        ..WriteOptions::default()
    };
    let w = create_writer(&p, spec_of(&a, 2), &zstd).unwrap();
    assert_eq!(
        w.start(),
        &WriteStart::Discarded {
            partial: partial_path(&p),
            why: "it holds another dataset (shape, type, axes, chunks or codec differ)".into()
        }
    );
    w.abort();
    assert!(!partial_path(&p).exists());
    assert_same(&a, &read(&p).unwrap()); // the finished store is untouched
}

/// Level `k + 1` computed directly from level `k` with the definition:
/// each voxel is the mean of the voxels of its 2×2×2 block that exist.
fn block_means(v: &[f64], shape: &[usize]) -> (Vec<f64>, Vec<usize>) {
    let out: Vec<usize> = shape.iter().map(|n| n.div_ceil(2)).collect();
    let mut m = vec![0.0; out.iter().product()];
    for z in 0..out[0] {
        for y in 0..out[1] {
            for x in 0..out[2] {
                let (mut sum, mut n) = (0.0, 0.0);
                for (dz, dy, dx) in (0..8).map(|b| (b >> 2, (b >> 1) & 1, b & 1)) {
                    let (zz, yy, xx) = (2 * z + dz, 2 * y + dy, 2 * x + dx);
                    if zz < shape[0] && yy < shape[1] && xx < shape[2] {
                        sum += v[(zz * shape[1] + yy) * shape[2] + xx];
                        n += 1.0;
                    }
                }
                m[(z * out[1] + y) * out[2] + x] = sum / n;
            }
        }
    }
    (m, out)
}

#[test]
fn volumes_over_the_threshold_get_a_mean_pyramid() {
    let dir = tempfile::tempdir().unwrap();
    // Odd sizes, so that blocks are cut by the edges.
    let a = sample_array(DType::U16, &[9, 14, 11]).with_axes("z y x").unwrap();
    let mut meta = serde_json::Map::new();
    meta.insert("voxel_size_um".into(), json!([2.0, 0.5, 0.5]));
    let spec = spec_of(&a, 4).with_meta(meta);
    let p = dir.path().join("pyr.zarr");
    // 9 × 14 × 11 u16 = 2772 bytes: levels until one holds at most 300.
    let options = WriteOptions {
        zarr: ZarrOptions { pyramid_threshold_bytes: 300, ..ZarrOptions::default() },
        ..WriteOptions::default()
    };
    let mut w = create_writer(&p, spec, &options).unwrap();
    for i in 0..3 {
        let s = w.spec().chunk_slices(i);
        w.write(s.start, &slab(&a, s)).unwrap();
    }
    w.finish().unwrap();
    let root: Value = serde_json::from_str(&std::fs::read_to_string(p.join("zarr.json")).unwrap()).unwrap();
    let ms = &root["attributes"]["ome"]["multiscales"][0];
    assert_eq!(ms["axes"][0], json!({"name": "z", "type": "space", "unit": "micrometer"}));
    let datasets = ms["datasets"].as_array().unwrap();
    // 2772 B -> 5×7×6 (420 B) -> 3×4×3 (72 B): three levels.
    assert_eq!(datasets.len(), 3);
    assert_eq!(
        datasets[2]["coordinateTransformations"],
        json!([{"type": "scale", "scale": [8.0, 2.0, 2.0]}, {"type": "translation", "translation": [3.0, 0.75, 0.75]}])
    );
    let mut want = a.to_f64_vec();
    let mut shape = vec![9, 14, 11];
    for k in 1..3 {
        let (m, s) = block_means(&want, &shape);
        let level = plexus_io::ZarrReader::open_array(&p, &k.to_string()).unwrap().read(0, s[0]).unwrap();
        assert_eq!(level.shape(), s.as_slice());
        // Integers: the f64 mean rounded half to even, exactly.
        let rounded: Vec<f64> = m.iter().map(|x| x.round_ties_even()).collect();
        assert_eq!(level.to_f64_vec(), rounded, "level {k}");
        // The next level averages the stored (rounded) values.
        want = level.to_f64_vec();
        shape = s;
    }
}

#[test]
fn sharded_chunks_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let a = sample_array(DType::I16, &[8, 20, 12]).with_axes("z y x").unwrap();
    let p = dir.path().join("s.zarr");
    let inner = |i: Vec<usize>| WriteOptions {
        zarr: ZarrOptions { inner_chunk: Some(i), ..ZarrOptions::default() },
        ..WriteOptions::default()
    };
    write_chunks(&p, &a, 4, &[1, 0], &inner(vec![2, 10, 4]));
    let level0: Value = serde_json::from_str(&std::fs::read_to_string(p.join("0/zarr.json")).unwrap()).unwrap();
    assert_eq!(level0["codecs"][0]["name"], "sharding_indexed");
    assert_eq!(level0["codecs"][0]["configuration"]["chunk_shape"], json!([2, 10, 4]));
    assert_same(&a, &read(&p).unwrap());
    let err = create_writer(&dir.path().join("t.zarr"), spec_of(&a, 4), &inner(vec![2, 8, 8])).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}`: cannot write inner chunks [2, 8, 8] in chunks [4, 20, 12]: each inner length must divide its chunk's",
            dir.path().join("t.zarr").display()
        )
    );
    // Large chunks are sharded by themselves, into inner chunks that divide them.
    let big = Array::zeros::<f32>(vec![2, 3000, 1500]).with_axes("z y x").unwrap();
    let q = dir.path().join("big.zarr");
    write(&q, &big).unwrap();
    let level0: Value = serde_json::from_str(&std::fs::read_to_string(q.join("0/zarr.json")).unwrap()).unwrap();
    assert_eq!(level0["codecs"][0]["configuration"]["chunk_shape"], json!([1, 1000, 750]));
}

#[test]
fn a_scratch_store_is_read_back_while_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let a = sample_array(DType::F64, &[6, 5]).with_axes("y x").unwrap();
    let p = dir.path().join("spill.zarr");
    let options = WriteOptions { zarr: ZarrOptions::scratch(), ..WriteOptions::default() };
    let mut w = plexus_io::ZarrWriter::create(&p, spec_of(&a, 2), &options.zarr, false).unwrap();
    w.write(4, &slab(&a, 4..6)).unwrap();
    let mut r = w.reader().unwrap();
    assert_same(&slab(&a, 4..6), &r.read(4, 2).unwrap());
    assert_eq!(r.read(0, 1).unwrap().to_f64_vec(), vec![0.0; 5], "unwritten chunks read as zeros");
    assert!(p.join("zarr.json").is_file(), "written in place");
}
