//! The cost of the wasm sandbox tier, through `plexus_registry::OperatorInstance::process`
//! exactly as a pipeline calls it (issue 3's benchmark list):
//!
//! 1. an empty wasm operator call (an empty frame, a guest that returns at
//!    once; and one that forwards its input, the wasm twin of the native
//!    `faulty.pass` bench, which is measured here too for the same run);
//! 2. bulk copy in and out: a 64 MiB f32 frame pulled into guest memory
//!    (`input_read`), handed back (`output_array`), or both, in bytes/second;
//!    plus a raw host `memcpy` of the same size as the ceiling;
//! 3. the same real operator native vs wasm: `trend.running_stats` on one
//!    4096² f32 frame, the built-in `.so` against its wasm32-wasip1 build,
//!    and the ratio of the two, measured interleaved in the same run.
//!
//! What it needs, and builds itself in its setup:
//! - a C guest (its source is below) built with Debian's clang + wasi-libc,
//!   the same flags as `tests/plugins/wasm-c/build.sh`
//!   (`apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32`);
//! - `plexus_trend.wasm`: `cargo build --release --target wasm32-wasip1 -p plexus-trend`
//!   (run here, as `tests/e2e/wasm.rs` does; a no-op when up to date);
//! - from `./plexus.sh build` (not rebuilt here): `libtest_faulty.so` and
//!   `libplexus_trend.so` in `$CARGO_TARGET_DIR/release`.
//!
//! Run: `./plexus.sh build && CARGO_TARGET_DIR=/var/tmp/plexus-target cargo bench -p plexus-host --bench wasm`

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use plexus_plugin_api::{Array, ChunkKey, Frame};
use plexus_registry::{OperatorInstance, Registry, WasmPolicy};

/// The bench guest: `empty` returns at once; `forward` forwards its input;
/// `read` pulls input 0 into a reusable buffer and forwards; `write` hands
/// back an array the size of input 0 without reading it; `copy` does both.
const GUEST_C: &str = r#"
#include <stdlib.h>
#include <string.h>
#include "plexus_plugin.h"

static char op[16];
static void *buf;
static size_t cap;

PLEXUS_EXPORT(plexus_api_version) int32_t plexus_api_version(void) { return PLEXUS_API_MAJOR; }

PLEXUS_EXPORT(plexus_describe) void plexus_describe(void) {
    plexus_describe_operator("empty", 5);
    plexus_describe_operator("forward", 7);
    plexus_describe_operator("read", 4);
    plexus_describe_operator("write", 5);
    plexus_describe_operator("copy", 4);
}

PLEXUS_EXPORT(plexus_new) int32_t plexus_new(int32_t threads) {
    (void)threads;
    size_t n = plexus_config_name(op, sizeof op - 1);
    op[n < sizeof op ? n : sizeof op - 1] = 0;
    return PLEXUS_OK;
}

PLEXUS_EXPORT(plexus_process)
int32_t plexus_process(int32_t narrays, int64_t seq, int32_t axis, int64_t offset, int64_t length, int64_t extent) {
    (void)seq;
    if (op[0] == 'e') return PLEXUS_OK;
    if (op[0] == 'f') { plexus_output_forward(); return PLEXUS_OK; }
    plexus_array_info info;
    if (narrays < 1 || plexus_input_info(0, &info) != PLEXUS_OK) {
        plexus_fail(PLEXUS_E_INPUT, "an array");
        return PLEXUS_ERR;
    }
    if (info.nbytes > cap) {
        free(buf);
        buf = malloc(info.nbytes);
        cap = buf ? info.nbytes : 0;
        if (!buf) { plexus_fail(PLEXUS_E_FAILED, "out of memory"); return PLEXUS_ERR; }
    }
    if (op[0] == 'r' || op[0] == 'c') plexus_input_read(0, 0, buf, info.nbytes);
    if (op[0] == 'r') { plexus_output_forward(); return PLEXUS_OK; }
    plexus_output_frame("d", 1, (uint32_t)axis, offset, length, extent, "", 0);
    plexus_output_array("x", 1, info.dtype, info.shape, info.ndim, "", 0, buf, info.nbytes);
    return PLEXUS_OK;
}
"#;

const GUEST_TOML: &str = r#"
[plugin]
name = "wbench"
version = "0.1.0"
api = "2"
kind = "wasm"
artifact = "wbench.wasm"
sha256 = ""
description = "the wasm bench guest (host/benches/wasm.rs)"

[sandbox]
memory_mib = 512
deadline_ms = 10000

[[operator]]
name = "empty"
summary = "returns at once"
pattern = "frame"

[[operator]]
name = "forward"
summary = "forwards its input"
pattern = "frame"

[[operator]]
name = "read"
summary = "pulls input 0 into guest memory, forwards"
pattern = "frame"

[[operator]]
name = "write"
summary = "hands back an array the size of input 0"
pattern = "frame"

[[operator]]
name = "copy"
summary = "pulls input 0 in and hands it back"
pattern = "frame"
"#;

fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|p| p.parent()).unwrap().to_path_buf()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot spawn: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds the C bench guest into `dir` and packs it into `plugins/wbench`.
fn pack_guest(dir: &Path, plugins: &Path) {
    let src = dir.join("wbench.c");
    let wasm = dir.join("wbench.wasm");
    let manifest = dir.join("wbench.toml");
    std::fs::write(&src, GUEST_C).unwrap();
    std::fs::write(&manifest, GUEST_TOML).unwrap();
    run(
        Command::new("clang")
            .args(["--target=wasm32-wasi", "-O2", "-mexec-model=reactor"])
            .arg(format!("-I{}", repo().join("plugin-api").display()))
            .arg("-o")
            .arg(&wasm)
            .arg(&src),
        "building the C bench guest (needs `apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32`)",
    );
    plexus_registry::pack(&manifest, &wasm, &plugins.join("wbench")).unwrap();
}

/// `plexus_trend.wasm`, built (or found up to date) the way the e2e test does.
fn trend_wasm() -> PathBuf {
    let target_dir = release_dir().parent().unwrap().to_path_buf();
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(repo())
            .env("CARGO_TARGET_DIR", &target_dir)
            .args(["build", "--release", "--target", "wasm32-wasip1", "-p", "plexus-trend"]),
        "building plexus-trend for wasm32-wasip1 (needs `rustup target add wasm32-wasip1`)",
    );
    target_dir.join("wasm32-wasip1/release/plexus_trend.wasm")
}

fn registry(dir: &Path, plugins: &Path) -> Arc<Registry> {
    let r = Arc::new(Registry::new(vec![plugins.to_path_buf()], dir.join("loaded")));
    r.set_wasm_policy(WasmPolicy { cache_dir: Some(dir.join("cache")), ..WasmPolicy::default() });
    r.scan();
    r
}

fn instance(r: &Registry, plugin: &str, operator: &str) -> OperatorInstance {
    let p = r.current(plugin).unwrap_or_else(|e| panic!("plugin `{plugin}` did not load: {e:?}"));
    p.instantiate(operator, &Default::default(), 1).unwrap()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // Native `faulty.pass` (the native_call bench's operator), the C bench
    // guest and native `trend` in one registry; wasm `trend` in another (same name).
    let plugins = d.join("plugins");
    plexus_registry::pack(
        &repo().join("tests/plugins/faulty/plugin.toml"),
        &release_dir().join("libtest_faulty.so"),
        &plugins.join("faulty"),
    )
    .expect("build the test plugins first: ./plexus.sh build");
    plexus_registry::pack(
        &repo().join("plugins/trend/plugin.toml"),
        &release_dir().join("libplexus_trend.so"),
        &plugins.join("trend"),
    )
    .expect("build the built-in plugins first: ./plexus.sh build");
    pack_guest(d, &plugins);
    let native_reg = registry(d, &plugins);

    let wasm_plugins = d.join("wasm-plugins");
    let manifest = std::fs::read_to_string(repo().join("plugins/trend/plugin.toml"))
        .unwrap()
        .replace("kind = \"native\"", "kind = \"wasm\"")
        .replace("artifact = \"libplexus_trend.so\"", "artifact = \"plexus_trend.wasm\"");
    std::fs::write(d.join("trend-wasm.toml"), manifest).unwrap();
    plexus_registry::pack(&d.join("trend-wasm.toml"), &trend_wasm(), &wasm_plugins.join("trend")).unwrap();
    let wasm_reg = registry(d, &wasm_plugins);

    // 1. Empty calls.
    let empty = Frame::new("d", ChunkKey::stream(0));
    let mut g = c.benchmark_group("call, empty frame");
    let mut native = instance(&native_reg, "faulty", "pass");
    g.bench_function("native faulty.pass (forwards)", |b| {
        b.iter(|| native.process(std::hint::black_box(&empty), 0).unwrap())
    });
    let mut w = instance(&native_reg, "wbench", "empty");
    g.bench_function("wasm wbench.empty (returns)", |b| b.iter(|| w.process(std::hint::black_box(&empty), 0).unwrap()));
    let mut w = instance(&native_reg, "wbench", "forward");
    g.bench_function("wasm wbench.forward (forwards)", |b| {
        b.iter(|| w.process(std::hint::black_box(&empty), 0).unwrap())
    });
    g.finish();

    // 2. Bulk copies: 64 MiB of f32.
    const N: usize = 16 << 20;
    const BYTES: u64 = (N * 4) as u64;
    let big = Frame::new("d", ChunkKey::whole(1))
        .with_array("x", Array::from_fn(vec![4096, 4096], |i| (i as u32).wrapping_mul(2654435761) as f32));
    let mut g = c.benchmark_group("bulk 64 MiB f32");
    g.sample_size(20).measurement_time(Duration::from_secs(8)).warm_up_time(Duration::from_secs(2));
    g.throughput(Throughput::Bytes(BYTES));
    {
        let src = big.first().unwrap().as_bytes();
        let mut dst = vec![0u8; src.len()];
        g.bench_function("host memcpy into a reused buffer", |b| {
            b.iter(|| dst.copy_from_slice(std::hint::black_box(src)))
        });
        g.bench_function("host copy into a fresh vector (what output_array paid before the pool)", |b| {
            b.iter(|| std::hint::black_box(src).to_vec())
        });
        // What `output_array` does now: `Array::from_bytes` into a buffer of
        // the host's pool, which a live wasm instance retains.
        let _pool = plexus_plugin_api::pool::retain();
        g.bench_function("host copy into a pooled array (Array::from_bytes)", |b| {
            b.iter(|| Array::from_bytes(plexus_plugin_api::DType::F32, vec![4096, 4096], std::hint::black_box(src)))
        });
    }
    let mut w = instance(&native_reg, "wbench", "read");
    g.bench_function("wasm in (input_read into guest memory)", |b| {
        b.iter(|| w.process(std::hint::black_box(&big), 0).unwrap())
    });
    let mut w = instance(&native_reg, "wbench", "write");
    g.bench_function("wasm out (output_array, host copies out)", |b| {
        b.iter(|| w.process(std::hint::black_box(&big), 0).unwrap())
    });
    let mut w = instance(&native_reg, "wbench", "copy");
    let out = w.process(&big, 0).unwrap();
    assert_eq!(out.frames()[0].first().unwrap().as_bytes(), big.first().unwrap().as_bytes(), "the copy is exact");
    drop(out);
    g.throughput(Throughput::Bytes(2 * BYTES));
    g.bench_function("wasm in + out (bytes counted both ways)", |b| {
        b.iter(|| w.process(std::hint::black_box(&big), 0).unwrap())
    });
    g.finish();

    // 3. trend.running_stats, native vs wasm, on the same 4096² f32 frame.
    let check = |reg: &Registry| {
        let mut op = instance(reg, "trend", "running_stats");
        op.process(&big, 0).unwrap();
        op.finish().unwrap().results().clone()
    };
    let (rn, rw) = (check(&native_reg), check(&wasm_reg));
    assert!(rn.get("mean").is_some_and(|m| m.is_number()), "{rn:?}");
    assert_eq!(rn, rw, "native and wasm trend agree on the bench frame");
    let mut native = instance(&native_reg, "trend", "running_stats");
    let mut wasm = instance(&wasm_reg, "trend", "running_stats");
    let mut seq = (0u64, 0u64);
    let mut g = c.benchmark_group("trend.running_stats 4096² f32");
    g.sample_size(20).measurement_time(Duration::from_secs(10)).warm_up_time(Duration::from_secs(2));
    g.throughput(Throughput::Bytes(BYTES));
    g.bench_function("native", |b| {
        b.iter(|| {
            seq.0 += 1;
            native.process(std::hint::black_box(&big), seq.0).unwrap()
        })
    });
    g.bench_function("wasm", |b| {
        b.iter(|| {
            seq.1 += 1;
            wasm.process(std::hint::black_box(&big), seq.1).unwrap()
        })
    });
    g.finish();

    // The ratio, interleaved so both tiers see the same machine load.
    let rounds = 15;
    let (mut tn, mut tw) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        seq.0 += 1;
        let t = Instant::now();
        native.process(&big, seq.0).unwrap();
        tn.push(t.elapsed());
        seq.1 += 1;
        let t = Instant::now();
        wasm.process(&big, seq.1).unwrap();
        tw.push(t.elapsed());
    }
    tn.sort();
    tw.sort();
    // Ratio of medians, and of minima (the least disturbed rounds).
    let ratios: Vec<f64> =
        vec![tw[rounds / 2].as_secs_f64() / tn[rounds / 2].as_secs_f64(), tw[0].as_secs_f64() / tn[0].as_secs_f64()];
    eprintln!(
        "trend.running_stats 4096² f32, {rounds} interleaved rounds: native median {:?} (min {:?}), wasm median {:?} (min {:?}); wasm/native = {:.2}× (medians), {:.2}× (minima)",
        tn[rounds / 2],
        tn[0],
        tw[rounds / 2],
        tw[0],
        ratios[0],
        ratios[1]
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
