//! The cost of a call through the native ABI: an empty operator on an empty
//! frame, and the same call with a 64 MiB input (which must cost the same:
//! the input is lent, not copied); and, in the same run, the floor: the
//! same empty operator called directly in-process through
//! `Box<dyn Operator>`, with no ABI in between; and the native call under
//! a deadline (handed to the instance's call thread), the cost of
//! `--call-timeout`.
//!
//! Run: `./plexus.sh build && cargo bench -p plexus-host --bench native_call`
//! (CARGO_TARGET_DIR as for the build, so the test plugin is found).

use std::path::PathBuf;
use std::sync::Arc;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion};
use plexus_plugin_api::abi::native::{lend, with_view};
use plexus_plugin_api::{Array, ChunkKey, Emitter, Frame, FrameView, Operator, Output, PluginError};
use plexus_registry::Registry;

#[path = "support/cpu_time.rs"]
mod cpu_time;

fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|p| p.parent()).unwrap().to_path_buf()
}

/// `faulty.pass`, compiled into the bench itself.
struct Pass;

impl Operator for Pass {
    fn process(&mut self, _input: &FrameView<'_>, out: &mut Emitter<'_>) -> Result<(), PluginError> {
        out.forward();
        Ok(())
    }
}

fn bench_wall(c: &mut Criterion) {
    bench(c, "wall");
}

fn bench_cpu(c: &mut Criterion<cpu_time::CpuTime>) {
    bench(c, "cpu");
}

fn bench<M: Measurement + 'static>(c: &mut Criterion<M>, clock: &str) {
    let dir = tempfile::tempdir().unwrap();
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/plugins/faulty/plugin.toml");
    plexus_registry::pack(&manifest, &release_dir().join("libtest_faulty.so"), &dir.path().join("plugins/faulty"))
        .expect("build the test plugins first: ./plexus.sh build");
    let registry = Arc::new(Registry::new(vec![dir.path().join("plugins")], dir.path().join("loaded")));
    registry.scan();
    let plugin = registry.current("faulty").unwrap();
    let mut op = plugin.instantiate("pass", &Default::default(), 1).unwrap();

    let empty = Frame::new("d", ChunkKey::stream(0));
    c.bench_function(&format!("native call, empty frame ({clock})"), |b| {
        b.iter(|| op.process(std::hint::black_box(&empty), 0).unwrap())
    });

    let big = Frame::new("d", ChunkKey::whole(16)).with_array("volume", Array::zeros::<f32>(vec![16, 1024, 1024]));
    c.bench_function(&format!("native call, 64 MiB input ({clock})"), |b| {
        b.iter(|| op.process(std::hint::black_box(&big), 0).unwrap())
    });

    // The same call under a deadline (`--call-timeout`): handed to the
    // instance's call thread and waited for. Wall time only: the caller's
    // CPU clock does not see the call thread's work.
    if clock == "wall" {
        let inst = plugin.instantiate("pass", &Default::default(), 1).unwrap();
        let abandon = Arc::new(plexus_host::runtime::deadline::Abandon::default());
        let timeout = Some(std::time::Duration::from_secs(600));
        let mut guarded =
            plexus_host::runtime::deadline::DeadlineInstance::new(inst, timeout, abandon, "bench").unwrap();
        let empty = Arc::new(Frame::new("d", ChunkKey::stream(0)));
        c.bench_function("native call under a deadline, empty frame (wall)", |b| {
            b.iter(|| guarded.process(std::hint::black_box(&empty), 0).unwrap())
        });
    }

    // The floor: no library boundary, no vtable of ours, the same work.
    let mut direct: Box<dyn Operator> = Box::new(Pass);
    lend(&empty, 0, |raw| {
        with_view(raw, |view| {
            c.bench_function(&format!("direct call, empty frame, no ABI ({clock})"), |b| {
                b.iter(|| {
                    let mut out = Output::new();
                    direct.process(std::hint::black_box(view), &mut Emitter::new(&mut out)).unwrap();
                    out
                })
            });
            Ok(())
        })
    })
    .unwrap();
}

criterion_group!(wall, bench_wall);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(cpu_time::CpuTime);
    targets = bench_cpu
}
criterion_main!(wall, cpu);
