//! The host's data plane, in the same run as the ceilings it is measured
//! against:
//!
//! - reslicing a 720 × 256 × 256 f32 scan (180 MiB) to sinograms through
//!   the in-memory and the on-disk chunk store, against a `memcpy` of the
//!   same bytes into a reused buffer;
//! - a 64 MiB chunk buffer taken from the pool, filled and given back,
//!   against a fresh 64 MiB allocation filled and dropped (the page faults
//!   the pool saves);
//! - a job of three pass-through stages over 64 MiB frames (an NPY file of
//!   four, read chunk by chunk into pooled buffers), against a `memcpy` of
//!   the same bytes.
//!
//! Run: `./plexus.sh build && cargo bench --release -p plexus-host --bench data_plane`
//! (CARGO_TARGET_DIR as for the build, so the test plugin is found).

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use plexus_host::events::ControlBus;
use plexus_host::pipeline::{compile, PipelineSpec};
use plexus_host::runtime::chunk_store::{ChunkStore, FileStore, MemoryStore, StoreShape};
use plexus_host::runtime::pool::BufferPool;
use plexus_host::runtime::{Job, RunOptions};
use plexus_plugin_api::{Array, DType};
use plexus_registry::Registry;

fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|p| p.parent()).unwrap().to_path_buf()
}

fn reslice(c: &mut Criterion) {
    let shape = StoreShape { n0: 720, n1: 256, cell: 256 * 4 };
    let bytes = shape.bytes();
    let scan: Vec<u8> = (0..bytes).map(|i| (i % 251) as u8).collect();
    let mut memory = MemoryStore::new(shape);
    let dir = tempfile::tempdir().unwrap();
    let mut disk = FileStore::create(dir.path(), "bench", shape).unwrap();
    for store in [&mut memory as &mut dyn ChunkStore, &mut disk] {
        for a in (0..720).step_by(16) {
            store.write(a, &scan[a * shape.slice()..(a + 16) * shape.slice()]).unwrap();
        }
    }
    let rows = 16;
    let mut out = vec![0u8; rows * shape.n0 * shape.cell];
    let mut g = c.benchmark_group("reslice 720x256x256 f32");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    for (name, store) in [("memory store", &mut memory as &mut dyn ChunkStore), ("disk store (page cache)", &mut disk)]
    {
        g.bench_function(name, |b| {
            b.iter(|| {
                for r in (0..256).step_by(rows) {
                    store.read_swapped(r, r + rows, &mut out).unwrap();
                }
                std::hint::black_box(&out);
            })
        });
    }
    let mut dst = vec![0u8; bytes];
    g.bench_function("memcpy of the same bytes", |b| {
        b.iter(|| {
            dst.copy_from_slice(&scan);
            std::hint::black_box(&dst);
        })
    });
    g.finish();
}

fn buffers(c: &mut Criterion) {
    let n = 16 << 20; // f32 elements: 64 MiB
    let pool = BufferPool::new();
    let mut g = c.benchmark_group("64 MiB chunk buffer");
    g.throughput(Throughput::Bytes((n * 4) as u64));
    g.sample_size(10);
    g.bench_function("from the pool, filled, given back", |b| {
        b.iter(|| {
            let mut buf = pool.take(DType::F32, n);
            buf.bytes_mut().fill(1);
            pool.give_back(buf.into_array(vec![n]).unwrap());
        })
    });
    g.bench_function("fresh allocation, filled, dropped", |b| {
        b.iter(|| {
            let mut v = vec![0f32; n];
            bytemuck::cast_slice_mut::<f32, u8>(&mut v).fill(1);
            std::hint::black_box(Array::from_vec(vec![n], v).unwrap());
        })
    });
    g.finish();
}

fn pass_through(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/plugins/faulty/plugin.toml");
    plexus_registry::pack(&manifest, &release_dir().join("libtest_faulty.so"), &dir.path().join("plugins/faulty"))
        .expect("build the test plugins first: ./plexus.sh build");
    let registry = Arc::new(Registry::new(vec![dir.path().join("plugins")], dir.path().join("loaded")));
    registry.scan();
    let input = dir.path().join("frames.npy");
    let frames = 4;
    let mut w = plexus_io::StackWriter::open(&input, plexus_io::Format::Npy).unwrap();
    for _ in 0..frames {
        w.append(&Array::from_fn(vec![16, 1024, 1024], |i| i as f32)).unwrap();
    }
    w.finish().unwrap();
    let file = dir.path().join("p.toml");
    let text = "[pipeline]\nname = \"pass3\"\n\n[input]\npath = \"frames.npy\"\nchunk = 16\n\n[[stage]]\nid = \"a\"\nuse = \"faulty.pass\"\n\n[[stage]]\nid = \"b\"\nuse = \"faulty.pass\"\n\n[[stage]]\nid = \"c\"\nuse = \"faulty.pass\"\n";
    std::fs::write(&file, text).unwrap();
    let plan = compile(&PipelineSpec::parse(&file, text).unwrap(), &file, &registry).unwrap();
    let bus = ControlBus::new();
    let options = RunOptions { threads: 2, memory: 512 << 20, ..RunOptions::default() };
    let bytes = frames * (64 << 20);
    let src: Vec<u8> = vec![3; bytes];
    let mut dst = vec![0u8; bytes];
    let mut g = c.benchmark_group("4 frames of 64 MiB");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("job: NPY (page cache) -> 3 pass-through stages", |b| {
        b.iter(|| {
            let report =
                Job::start(plan.clone(), registry.clone(), bus.clone(), options.clone()).unwrap().wait().unwrap();
            assert_eq!(report.chunks, frames as u64);
        })
    });
    g.bench_function("memcpy of the same bytes", |b| {
        b.iter(|| {
            dst.copy_from_slice(&src);
            std::hint::black_box(&dst);
        })
    });
    g.finish();
}

criterion_group!(benches, reslice, buffers, pass_through);
criterion_main!(benches);
