//! Output buffer reuse (`plexus_plugin_api::pool`), through the real
//! registry and a test plugin: a chain of three copying stages on a 64 MiB
//! f32 frame, each stage a native instance of `faulty` making a new output
//! array from its input,
//!
//! - `faulty.copy`: `ArrayView::to_owned`, whose buffer comes from the
//!   plugin's pool and goes back to it when the host drops the frame;
//! - `faulty.copy_fresh`: the same copy into a fresh `Vec` (what every
//!   output cost before the pool: an `mmap` whose 16,384 pages fault on
//!   first write and are unmapped at drop);
//!
//! against a `memcpy` of the same 3 × 64 MiB into a reused buffer, the
//! ceiling, in the same run. The glibc mmap threshold is fixed at 2 MiB
//! as in the `plexus` binary, so fresh buffers behave as they do there.
//!
//! Run: `./plexus.sh build && cargo bench --release -p plexus-host --bench output_reuse`
//! (CARGO_TARGET_DIR as for the build, so the test plugin is found).

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use plexus_plugin_api::{Array, ChunkKey, Frame};
use plexus_registry::Registry;

fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|p| p.parent()).unwrap().to_path_buf()
}

fn chain(c: &mut Criterion) {
    plexus_host::budget::return_large_frees_to_the_system();
    let dir = tempfile::tempdir().unwrap();
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/plugins/faulty/plugin.toml");
    plexus_registry::pack(&manifest, &release_dir().join("libtest_faulty.so"), &dir.path().join("plugins/faulty"))
        .expect("build the test plugins first: ./plexus.sh build");
    let registry = Arc::new(Registry::new(vec![dir.path().join("plugins")], dir.path().join("loaded")));
    registry.scan();
    let faulty = registry.current("faulty").expect("faulty loads");
    let n = 16 << 20; // f32 elements: 64 MiB
    let frame =
        Frame::new("bench", ChunkKey::stream(0)).with_array("x", Array::from_fn(vec![16, 1024, 1024], |i| i as f32));
    let params = serde_json::Map::new();

    let mut g = c.benchmark_group("3 copying stages, 64 MiB f32 frame");
    g.throughput(Throughput::Bytes(3 * 4 * n as u64));
    g.sample_size(20);
    for op in ["copy", "copy_fresh"] {
        let mut stages: Vec<_> = (0..3).map(|_| faulty.instantiate(op, &params, 1).unwrap()).collect();
        // The chain is exact, whichever way the outputs are allocated.
        let mut f = frame.clone();
        for s in &mut stages {
            f = s.process(&f, 0).unwrap().frames()[0].clone();
        }
        assert_eq!(f.first().unwrap().as_bytes(), frame.first().unwrap().as_bytes());
        let label =
            if op == "copy" { "faulty.copy x3 (pooled outputs)" } else { "faulty.copy_fresh x3 (fresh outputs)" };
        let mut seq = 1;
        g.bench_function(label, |b| {
            b.iter(|| {
                let mut f = frame.clone();
                for s in &mut stages {
                    f = s.process(&f, seq).unwrap().frames()[0].clone();
                }
                seq += 1;
                std::hint::black_box(&f);
            })
        });
    }
    let src = vec![3u8; 4 * n];
    let mut dst = vec![0u8; 4 * n];
    g.bench_function("memcpy x3 into a reused buffer", |b| {
        b.iter(|| {
            for _ in 0..3 {
                dst.copy_from_slice(std::hint::black_box(&src));
            }
            std::hint::black_box(&dst);
        })
    });
    g.finish();
    let stats = plexus_plugin_api::pool::stats();
    eprintln!("host pool after the run (the plugin's pool is its own): {stats:?}");
}

criterion_group!(benches, chain);
criterion_main!(benches);
