//! Reader throughput: slabs of a u16 stack through the chunk readers (NPY,
//! TIFF, Zarr uncompressed and blosc-LZ4) into a reused buffer, against
//! plain `read`s of the same cached bytes, in the same run; and what the
//! destination costs: a fresh `Vec` per slab, a reused or fresh
//! `SlabBuffer` (huge-page advice), two threads reading through clones.
//!
//! Run: `cargo bench -p plexus-io --bench readers` (a 256 MiB stack;
//! `PLEXUS_BENCH_MIB=1024` for the 1 GiB of the issue). The files are
//! written under `$TMPDIR` (default `/var/tmp`) and read once before
//! timing, so every case reads from the page cache.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use plexus_io::{
    create_writer, open, ChunkReader, DatasetSpec, Format, SlabBuffer, StackWriter, WriteOptions, ZarrCodec,
    ZarrOptions,
};
use plexus_plugin_api::Array;

/// Rows and columns of one slice: 1 MiB of u16.
const ROWS: usize = 512;
const COLS: usize = 1024;
/// Slices per slab: 64 MiB reads.
const SLAB: usize = 64;

struct Files {
    _dir: Option<tempfile::TempDir>,
    npy: PathBuf,
    tiff: PathBuf,
    /// Uncompressed and blosc-LZ4 Zarr stores of the same stack.
    zarr_raw: PathBuf,
    zarr_lz4: PathBuf,
    slices: usize,
}

fn write_files() -> Files {
    let mib: usize = std::env::var("PLEXUS_BENCH_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    let slices = (mib * (1 << 20) / (ROWS * COLS * 2)).max(SLAB) / SLAB * SLAB;
    let base = std::env::var_os("TMPDIR").map(PathBuf::from).unwrap_or_else(|| "/var/tmp".into());
    // PLEXUS_BENCH_KEEP=DIR writes the files there and keeps them, for the
    // Python peers (`io/benches/peers.py DIR`).
    let (dir, root) = match std::env::var_os("PLEXUS_BENCH_KEEP") {
        Some(keep) => {
            std::fs::create_dir_all(&keep).unwrap();
            (None, PathBuf::from(keep))
        }
        None => {
            let t = tempfile::tempdir_in(base).unwrap();
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let (npy, tiff) = (root.join("stack.npy"), root.join("stack.tif"));
    for (path, format) in [(&npy, Format::Npy), (&tiff, Format::Tiff)] {
        let mut w = StackWriter::open(path, format).unwrap();
        for k in 0..slices / SLAB {
            let slab = Array::from_fn::<u16>(vec![SLAB, ROWS, COLS], |i| (i * 7 + k) as u16);
            w.append(&slab.with_axes("z y x").unwrap()).unwrap();
        }
        w.finish().unwrap();
        warm(path);
    }
    let (zarr_raw, zarr_lz4) = (root.join("raw.zarr"), root.join("lz4.zarr"));
    for (path, codec) in [(&zarr_raw, ZarrCodec::None), (&zarr_lz4, ZarrCodec::Lz4)] {
        let spec = DatasetSpec::new(vec![slices, ROWS, COLS], plexus_plugin_api::DType::U16)
            .with_axes("z y x")
            .with_chunk(SLAB);
        // The uncompressed store unsharded, as a run's spill store is
        // (`ZarrOptions::scratch`); the LZ4 one as outputs are written
        // (64 MiB chunks sharded into 1 MiB inner chunks, decoded in
        // parallel by zarrs).
        let options = WriteOptions {
            zarr: ZarrOptions { codec, durable: false, auto_shard: codec != ZarrCodec::None, ..ZarrOptions::default() },
            ..WriteOptions::default()
        };
        if path.is_dir() {
            std::fs::remove_dir_all(path).unwrap();
        }
        let mut w = create_writer(path, spec, &options).unwrap();
        for k in 0..slices / SLAB {
            let slab = Array::from_fn::<u16>(vec![SLAB, ROWS, COLS], |i| (i * 7 + k) as u16);
            w.write(k * SLAB, &slab).unwrap();
        }
        w.finish().unwrap();
        for entry in walk(path) {
            warm(&entry);
        }
    }
    Files { _dir: dir, npy, tiff, zarr_raw, zarr_lz4, slices }
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

/// Reads the file once so that it sits in the page cache.
fn warm(path: &Path) {
    let mut f = File::open(path).unwrap();
    std::io::copy(&mut f, &mut std::io::sink()).unwrap();
}

/// Plain `read`s of the NPY data region in `block`-byte pieces into one
/// reused buffer: the copy out of the page cache and nothing else.
fn plain_read(path: &Path, data_offset: u64, total: usize, block: usize, buf: &mut [u8]) -> u64 {
    let mut f = File::open(path).unwrap();
    f.seek(SeekFrom::Start(data_offset)).unwrap();
    let mut left = total;
    let mut sum = 0u64;
    while left > 0 {
        let n = block.min(left);
        f.read_exact(&mut buf[..n]).unwrap();
        sum = sum.wrapping_add(buf[n - 1] as u64);
        left -= n;
    }
    sum
}

/// Every slab of `reader` into one reused buffer.
fn slabs(reader: &mut dyn ChunkReader, slices: usize, buf: &mut [u8]) -> u64 {
    let mut sum = 0u64;
    for start in (0..slices).step_by(SLAB) {
        reader.read_into(start, SLAB, buf).unwrap();
        sum = sum.wrapping_add(buf[buf.len() - 1] as u64);
    }
    sum
}

fn bench(c: &mut Criterion) {
    let files = write_files();
    let slab_bytes = SLAB * ROWS * COLS * 2;
    let total = files.slices * ROWS * COLS * 2;
    let npy_offset = std::fs::metadata(&files.npy).unwrap().len() - total as u64;
    let mut buf = vec![0u8; slab_bytes];

    let mut g = c.benchmark_group(format!("read a {} MiB u16 stack", total >> 20));
    g.throughput(Throughput::Bytes(total as u64));
    g.sample_size(10);
    g.bench_function("plain read, 64 MiB reads into a reused buffer", |b| {
        b.iter(|| plain_read(&files.npy, npy_offset, total, slab_bytes, &mut buf))
    });
    g.bench_function("plain read, 128 KiB reads (what cat does; stays in cache)", |b| {
        b.iter(|| plain_read(&files.npy, npy_offset, total, 128 << 10, &mut buf))
    });
    g.bench_function("NpyReader, 64-slice slabs into a reused buffer", |b| {
        let mut r = open(&files.npy).unwrap();
        b.iter(|| slabs(r.as_mut(), files.slices, &mut buf))
    });
    g.bench_function("TiffReader, 64-slice slabs into a reused buffer", |b| {
        let mut r = open(&files.tiff).unwrap();
        b.iter(|| slabs(r.as_mut(), files.slices, &mut buf))
    });
    g.bench_function("TiffReader, 2 threads (try_clone), each its own reused buffer", |b| {
        let r = open(&files.tiff).unwrap();
        let mut readers = [r.try_clone().unwrap().unwrap(), r.try_clone().unwrap().unwrap()];
        let mut bufs = [vec![0u8; slab_bytes], vec![0u8; slab_bytes]];
        b.iter(|| {
            std::thread::scope(|s| {
                let jobs: Vec<_> = readers
                    .iter_mut()
                    .zip(bufs.iter_mut())
                    .enumerate()
                    .map(|(t, (r, buf))| {
                        s.spawn(move || {
                            let mut sum = 0u64;
                            for start in (t * SLAB..files.slices).step_by(2 * SLAB) {
                                r.read_into(start, SLAB, buf).unwrap();
                                sum = sum.wrapping_add(buf[buf.len() - 1] as u64);
                            }
                            sum
                        })
                    })
                    .collect();
                jobs.into_iter().map(|j| j.join().unwrap()).sum::<u64>()
            })
        })
    });
    g.bench_function("TiffReader, into a reused SlabBuffer (huge-page advice)", |b| {
        let mut r = open(&files.tiff).unwrap();
        let mut buf = SlabBuffer::new(slab_bytes);
        b.iter(|| slabs(r.as_mut(), files.slices, &mut buf))
    });
    g.bench_function("TiffReader, into a fresh SlabBuffer each (huge-page advice)", |b| {
        let mut r = open(&files.tiff).unwrap();
        b.iter(|| {
            let mut sum = 0u64;
            for start in (0..files.slices).step_by(SLAB) {
                let mut fresh = SlabBuffer::new(slab_bytes);
                r.read_into(start, SLAB, &mut fresh).unwrap();
                sum = sum.wrapping_add(fresh[slab_bytes - 1] as u64);
            }
            sum
        })
    });
    g.bench_function("ZarrReader, uncompressed (spill layout), 64-slice chunks into a reused buffer", |b| {
        let mut r = open(&files.zarr_raw).unwrap();
        b.iter(|| slabs(r.as_mut(), files.slices, &mut buf))
    });
    g.bench_function("ZarrReader, blosc-LZ4, sharded 64-slice chunks into a reused buffer", |b| {
        let mut r = open(&files.zarr_lz4).unwrap();
        b.iter(|| slabs(r.as_mut(), files.slices, &mut buf))
    });
    g.bench_function("TiffReader, 64-slice slabs into a fresh buffer each", |b| {
        let mut r = open(&files.tiff).unwrap();
        b.iter(|| {
            let mut sum = 0u64;
            for start in (0..files.slices).step_by(SLAB) {
                let mut fresh = vec![0u8; slab_bytes];
                r.read_into(start, SLAB, &mut fresh).unwrap();
                sum = sum.wrapping_add(fresh[slab_bytes - 1] as u64);
            }
            sum
        })
    });
    g.finish();
    write_bench(c, &files);
}

/// Writing the same stack: each chunk writer against one plain `write_all`
/// per 64 MiB slab into a file, with and without the final `fsync` that
/// the NPY and TIFF writers do at `finish` (the Zarr cases here do not
/// sync).
fn write_bench(c: &mut Criterion, files: &Files) {
    let total = files.slices * ROWS * COLS * 2;
    let slab = Array::from_fn::<u16>(vec![SLAB, ROWS, COLS], |i| (i * 7) as u16);
    let dir = files.npy.parent().unwrap().join("written");
    std::fs::create_dir_all(&dir).unwrap();
    let mut g = c.benchmark_group(format!("write a {} MiB u16 stack", total >> 20));
    g.throughput(Throughput::Bytes(total as u64));
    g.sample_size(10);
    for sync in [false, true] {
        let name =
            if sync { "plain write_all, 64 MiB per call, then fsync" } else { "plain write_all, 64 MiB per call" };
        g.bench_function(name, |b| {
            b.iter(|| {
                use std::io::Write;
                let mut f = File::create(dir.join("plain.bin")).unwrap();
                for _ in 0..files.slices / SLAB {
                    f.write_all(slab.as_bytes()).unwrap();
                }
                if sync {
                    f.sync_all().unwrap();
                }
            })
        });
    }
    let spec = DatasetSpec::new(vec![files.slices, ROWS, COLS], plexus_plugin_api::DType::U16)
        .with_axes("z y x")
        .with_chunk(SLAB);
    let cases = [
        ("NpyWriter", "w.npy", ZarrOptions::default()),
        ("TiffWriter", "w.tif", ZarrOptions::default()),
        ("ZarrWriter, spill store (ZarrOptions::scratch)", "spill.zarr", ZarrOptions::scratch()),
        (
            "ZarrWriter, blosc-LZ4, unsharded, not synced",
            "lz4.zarr",
            ZarrOptions { durable: false, auto_shard: false, ome: false, ..ZarrOptions::default() },
        ),
    ];
    for (name, file, zarr) in cases {
        let options = WriteOptions { zarr, ..WriteOptions::default() };
        let path = dir.join(file);
        g.bench_function(name, |b| {
            b.iter(|| {
                if path.is_dir() {
                    std::fs::remove_dir_all(&path).unwrap();
                }
                let mut w = create_writer(&path, spec.clone(), &options).unwrap();
                for k in 0..files.slices / SLAB {
                    w.write_bytes(k, slab.as_bytes()).unwrap();
                }
                w.finish().unwrap();
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
