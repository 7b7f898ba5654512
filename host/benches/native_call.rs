//! The cost of a call through the native ABI: an empty operator on an empty
//! frame, and the same call with a 64 MiB input (which must cost the same:
//! the input is lent, not copied).
//!
//! Run: `./plexus.sh build && cargo bench --release -p plexus-host --bench native_call`
//! (CARGO_TARGET_DIR as for the build, so the test plugin is found).

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use plexus_plugin_api::{Array, ChunkKey, Frame};
use plexus_registry::Registry;

fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|p| p.parent()).unwrap().to_path_buf()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/plugins/faulty/plugin.toml");
    plexus_registry::pack(&manifest, &release_dir().join("libtest_faulty.so"), &dir.path().join("plugins/faulty"))
        .expect("build the test plugins first: ./plexus.sh build");
    let registry = Arc::new(Registry::new(vec![dir.path().join("plugins")], dir.path().join("loaded")));
    registry.scan();
    let plugin = registry.current("faulty").unwrap();
    let mut op = plugin.instantiate("pass", &Default::default(), 1).unwrap();

    let empty = Frame::new("d", ChunkKey::stream(0));
    c.bench_function("native call, empty frame", |b| b.iter(|| op.process(std::hint::black_box(&empty), 0).unwrap()));

    let big = Frame::new("d", ChunkKey::whole(16)).with_array("volume", Array::zeros::<f32>(vec![16, 1024, 1024]));
    c.bench_function("native call, 64 MiB input", |b| b.iter(|| op.process(std::hint::black_box(&big), 0).unwrap()));
}

criterion_group!(benches, bench);
criterion_main!(benches);
