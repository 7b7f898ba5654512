//! Reader throughput: slabs of a u16 stack through the chunk readers (NPY,
//! TIFF, Zarr) into a reused buffer, against plain `read`s of the same
//! cached bytes, in the same run.
//!
//! Run: `cargo bench -p plexus-io --bench readers` (a 256 MiB stack;
//! `PLEXUS_BENCH_MIB=1024` for the 1 GiB of the issue). The files are
//! written under `$TMPDIR` (default `/var/tmp`) and read once before
//! timing, so every case reads from the page cache.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use plexus_io::{open, ChunkReader, Format, StackWriter};
use plexus_plugin_api::Array;

/// Rows and columns of one slice: 1 MiB of u16.
const ROWS: usize = 512;
const COLS: usize = 1024;
/// Slices per slab: 64 MiB reads.
const SLAB: usize = 64;

struct Files {
    _dir: tempfile::TempDir,
    npy: PathBuf,
    tiff: PathBuf,
    slices: usize,
}

fn write_files() -> Files {
    let mib: usize = std::env::var("PLEXUS_BENCH_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    let slices = (mib * (1 << 20) / (ROWS * COLS * 2)).max(SLAB) / SLAB * SLAB;
    let base = std::env::var_os("TMPDIR").map(PathBuf::from).unwrap_or_else(|| "/var/tmp".into());
    let dir = tempfile::tempdir_in(base).unwrap();
    let (npy, tiff) = (dir.path().join("stack.npy"), dir.path().join("stack.tif"));
    for (path, format) in [(&npy, Format::Npy), (&tiff, Format::Tiff)] {
        let mut w = StackWriter::open(path, format).unwrap();
        for k in 0..slices / SLAB {
            let slab = Array::from_fn::<u16>(vec![SLAB, ROWS, COLS], |i| (i * 7 + k) as u16);
            w.append(&slab.with_axes("z y x").unwrap()).unwrap();
        }
        w.finish().unwrap();
        warm(path);
    }
    Files { _dir: dir, npy, tiff, slices }
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
