//! The wasm sandbox tier: a C guest in a pipeline, containment (trap,
//! deadline, memory cap, out-of-bounds pointer, output larger than memory),
//! and the same Rust plugin built native and wasm giving identical results.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use plexus_e2e::{plexus_bin, release_dir, repo, show, Sandbox};
use serde_json::Value;

/// Builds the C guests with clang + wasi-libc once; fails loudly without them.
pub(crate) fn c_guests() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let out = release_dir().join("wasm-c");
            let status = Command::new(repo().join("tests/plugins/wasm-c/build.sh")).arg(&out).output().expect("run build.sh");
            assert!(
                status.status.success(),
                "building the C wasm guests failed; they need `apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32`:\n{}",
                show(&status)
            );
            out
        })
        .clone()
}

/// `rustup target add wasm32-wasip1` and `cargo build` a plugin crate for it.
fn rust_guest(package: &str, artifact: &str) -> PathBuf {
    let add = Command::new("rustup").args(["target", "add", "wasm32-wasip1"]).output();
    match add {
        Ok(o) if o.status.success() => {}
        other => panic!(
            "THE RUST WASM GUEST TEST CANNOT RUN: `rustup target add wasm32-wasip1` failed ({other:?}); the C-guest tests still run"
        ),
    }
    let target_dir = release_dir().parent().expect("target dir").to_path_buf();
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", &target_dir)
        .args(["build", "--release", "--target", "wasm32-wasip1", "-p", package])
        .output()
        .expect("spawn cargo");
    assert!(out.status.success(), "building `{package}` for wasm32-wasip1 failed:\n{}", show(&out));
    target_dir.join("wasm32-wasip1/release").join(artifact)
}

fn pack(sb: &Sandbox, manifest: &Path, artifact: &Path, dest: &Path) {
    let out = Command::new(plexus_bin())
        .args(["plugins", "pack"])
        .arg(manifest)
        .arg("--artifact")
        .arg(artifact)
        .arg("--out")
        .arg(dest)
        .current_dir(sb.path())
        .output()
        .expect("spawn plexus");
    assert!(out.status.success(), "pack failed: {}", show(&out));
}

fn pack_c(sb: &Sandbox, name: &str) {
    let manifest = repo().join("tests/plugins/wasm-c").join(format!("{name}.toml"));
    pack(sb, &manifest, &c_guests().join(format!("{name}.wasm")), &sb.plugins().join(name));
}

#[test]
fn c_guest_runs_in_a_pipeline_and_its_stdout_reaches_the_event_log() {
    let sb = Sandbox::new();
    pack_c(&sb, "example");
    sb.write(
        "p.toml",
        r#"
[pipeline]
name = "c"

[[stage]]
id = "src"
use = "generator.stream"
params = { count = 4, content = "counter", shape = [3, 5] }

[[stage]]
id = "scale"
use = "cexample.scale"
params = { factor = 2.5 }

[[stage]]
id = "sum"
use = "cexample.sum"

[[output]]
from = "sum"
path = "out.npy"
"#,
    );
    let out = sb.run(&["run", "--json", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // counter frames 0..4 of 15 elements each, times 2.5.
    let want_sum: f64 = (0..4).map(|i| 15.0 * i as f64 * 2.5).sum();
    assert_eq!(report["results"]["sum"]["sum"].as_f64(), Some(want_sum), "{report}");
    let got = plexus_io::read(&sb.path().join("out.npy")).unwrap();
    assert_eq!(got.shape(), &[4, 3, 5]);
    assert_eq!(got.to_f64_vec()[15], 2.5);
    let said = sb.events_of("plugin.output");
    assert_eq!(said.len(), 1, "{said:?}");
    assert_eq!(said[0]["plugin"], "cexample");
    assert_eq!(said[0]["stream"], "stdout");
    assert_eq!(said[0]["text"], "cexample.scale: hello from C, factor 2.5");

    let list = sb.run(&["plugins", "list", "--json"]);
    let doc: Value = serde_json::from_slice(&list.stdout).unwrap();
    let c = doc["plugins"].as_array().unwrap().iter().find(|p| p["name"] == "cexample").unwrap().clone();
    assert_eq!(c["tier"], "wasm");
    assert_eq!(c["sandbox"]["memory_mib"], 256);
    assert_eq!(c["sandbox"]["deadline_ms"], 2000);
    assert_eq!(c["sandbox"]["granted"], serde_json::json!([]));
    let text = sb.run(&["plugins", "list"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("sandbox: memory 256 MiB, deadline 2000 ms per call"),
        "{}",
        show(&text)
    );
}

/// Runs 5 frames through `cfaulty.fault` misbehaving on frame 2; returns the
/// one frame error. The other four frames must come through, in order.
fn contained(mode: &str) -> String {
    let sb = Sandbox::new();
    pack_c(&sb, "faulty");
    sb.write(
        "p.toml",
        &format!(
            r#"
[pipeline]
name = "contain"

[[stage]]
id = "src"
use = "generator.stream"
params = {{ count = 5, content = "counter" }}

[[stage]]
id = "bad"
use = "cfaulty.fault"
params = {{ mode = "{mode}", at = 2 }}

[[output]]
from = "bad"
path = "kept.npy"
"#
        ),
    );
    let out = sb.run(&["run", "--json", "p.toml"]);
    assert_eq!(out.status.code(), Some(2), "one frame failed, the rest went on: {}", show(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stages"][1]["frames_in"], 5);
    assert_eq!(report["stages"][1]["errors"], 1);
    let kept = plexus_io::read(&sb.path().join("kept.npy")).unwrap().to_f64_vec();
    assert_eq!(kept, vec![0.0, 1.0, 3.0, 4.0], "every frame but the faulty one, in order, after the replacement");
    let errors = sb.events_of("frame.error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["seq"], 2);
    errors[0]["error"].as_str().unwrap().to_string()
}

#[test]
fn a_trap_ends_that_call_only() {
    let e = contained("trap");
    assert!(e.starts_with("wasm guest `cfaulty.fault` trapped: "), "{e}");
    assert!(e.contains("unreachable"), "{e}");
    assert!(e.ends_with("; the instance was replaced"), "{e}");
}

#[test]
fn an_infinite_loop_meets_the_deadline() {
    let e = contained("loop");
    assert_eq!(
        e,
        "wasm guest `cfaulty.fault` exceeded its deadline of 300 ms per call and was interrupted; the instance was replaced"
    );
}

#[test]
fn a_memory_bomb_meets_the_memory_cap() {
    let e = contained("bomb");
    assert!(e.starts_with("wasm guest `cfaulty.fault` hit the sandbox's memory cap of 64 MiB (it asked for "), "{e}");
}

#[test]
fn a_guest_pointer_out_of_bounds_is_refused() {
    let e = contained("oob");
    assert!(
        e.starts_with(
            "wasm guest `cfaulty.fault` guest pointer out of bounds: input_read destination at [4294967040, 4294971136) lies outside the guest's "
        ),
        "{e}"
    );
}

#[test]
fn an_output_larger_than_guest_memory_is_refused() {
    let e = contained("huge");
    assert!(e.starts_with("wasm guest `cfaulty.fault` output array `x` claims 4294967288 bytes"), "{e}");
    assert!(e.contains("more than the guest's whole"), "{e}");
}

/// The same trend crate, built native (the built-in) and for wasm32-wasip1,
/// gives bit-identical results and forwarded frames.
#[test]
fn native_and_wasm_builds_of_trend_agree_bit_for_bit() {
    let wasm = rust_guest("plexus-trend", "plexus_trend.wasm");
    let sb = Sandbox::new();
    let manifest = std::fs::read_to_string(repo().join("plugins/trend/plugin.toml")).unwrap();
    let manifest = manifest
        .replace("kind = \"native\"", "kind = \"wasm\"")
        .replace("artifact = \"libplexus_trend.so\"", "artifact = \"plexus_trend.wasm\"");
    let m = sb.write("wasm-trend/plugin.toml", &manifest);
    pack(&sb, &m, &wasm, &sb.path().join("wasm-plugins/trend"));
    let pipeline = r#"
[pipeline]
name = "tiers"

[[stage]]
id = "src"
use = "generator.gaussian"
params = { frames = 6, shape = [64, 48], seed = 7, mean = 10.0, sigma = 3.0 }

[[stage]]
id = "stats"
use = "trend.running_stats"

[[stage]]
id = "series"
use = "trend.time_series"

[[output]]
from = "series"
path = "out.npy"
"#;
    sb.write("p.toml", pipeline);
    let native = sb.run(&["run", "--json", "p.toml"]);
    assert!(native.status.success(), "{}", show(&native));
    let native_out = std::fs::read(sb.path().join("out.npy")).unwrap();
    let wasm_run = sb.run(&["run", "--json", "--plugins", "wasm-plugins", "p.toml"]);
    assert!(wasm_run.status.success(), "{}", show(&wasm_run));
    let wasm_out = std::fs::read(sb.path().join("out.npy")).unwrap();
    let a: Value = serde_json::from_slice(&native.stdout).unwrap();
    let b: Value = serde_json::from_slice(&wasm_run.stdout).unwrap();
    assert!(a["results"]["stats"]["mean"].is_number(), "{a}");
    assert_eq!(a["results"], b["results"], "results differ between tiers");
    assert_eq!(native_out, wasm_out, "forwarded frames differ between tiers");
    let list = sb.run(&["plugins", "list", "--json", "--plugins", "wasm-plugins"]);
    let doc: Value = serde_json::from_slice(&list.stdout).unwrap();
    let t = doc["plugins"].as_array().unwrap().iter().find(|p| p["name"] == "trend").unwrap().clone();
    assert_eq!(t["tier"], "wasm", "the wasm build was the one used: {doc}");
}

/// `./plexus.sh build` ships a wasm-tier built-in beside the native ones:
/// the install lists `trend_wasm` as a wasm plugin, and its operators give
/// the native `trend`'s results on the same input.
#[test]
fn the_install_ships_trend_as_a_wasm_built_in() {
    let plugins = release_dir().join("plugins");
    let shipped = plugins.join("trend_wasm/plugin.toml");
    assert!(
        shipped.is_file(),
        "`{}` is missing: `./plexus.sh build` builds it (it needs `rustup target add wasm32-wasip1`)",
        shipped.display()
    );
    let plugins = plugins.to_string_lossy().into_owned();
    let sb = Sandbox::new();
    let list = sb.run(&["plugins", "list", "--json", "--plugins", &plugins]);
    assert!(list.status.success(), "{}", show(&list));
    let doc: Value = serde_json::from_slice(&list.stdout).unwrap();
    let tier = |name: &str| {
        let p = doc["plugins"].as_array().unwrap().iter().find(|p| p["name"] == name);
        p.unwrap_or_else(|| panic!("no `{name}` in {doc}"))["tier"].clone()
    };
    assert_eq!(tier("trend_wasm"), "wasm");
    assert_eq!(tier("trend"), "native");
    let run = |prefix: &str| {
        let p = format!(
            "[pipeline]\nname = \"t\"\n\n[[stage]]\nid = \"src\"\nuse = \"generator.gaussian\"\n\
             params = {{ frames = 5, shape = [96, 80], seed = 3, mean = 100.0, sigma = 7.0 }}\n\n\
             [[stage]]\nid = \"stats\"\nuse = \"{prefix}.running_stats\"\nparams = {{ ddof = 1 }}\n"
        );
        sb.write(&format!("{prefix}.toml"), &p);
        let out = sb.run(&["run", "--json", "--plugins", &plugins, &format!("{prefix}.toml")]);
        assert!(out.status.success(), "{}", show(&out));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["results"]["stats"].clone()
    };
    let (native, wasm) = (run("trend"), run("trend_wasm"));
    assert!(native["std"].as_f64().is_some_and(|s| (s - 7.0).abs() < 0.2), "{native}");
    assert_eq!(native, wasm, "the wasm built-in disagrees with the native one");
}

#[test]
fn a_1_gib_input_streams_through_a_guest_capped_at_256_mib_in_slabs() {
    use plexus_plugin_api::{Array, ChunkKey, Frame};
    use plexus_registry::Registry;

    let dir = tempfile::tempdir().unwrap();
    let guests = c_guests();
    let plugins = dir.path().join("plugins");
    let wasm_c = repo().join("tests/plugins/wasm-c");
    plexus_registry::pack(&wasm_c.join("slabs.toml"), &guests.join("slabs.wasm"), &plugins.join("cslabs")).unwrap();
    plexus_registry::pack(&wasm_c.join("example.toml"), &guests.join("example.wasm"), &plugins.join("cexample"))
        .unwrap();
    let registry = Registry::new(vec![plugins], dir.path().join("private"));
    registry.scan();
    assert!(registry.rejected().is_empty(), "{:?}", registry.rejected());
    let slabs = registry.current("cslabs").unwrap();
    assert_eq!(slabs.sandbox_limits().unwrap().memory_mib, 256);

    // 1 GiB of f64: 128 planes of 1024 x 1024, four times the guest's cap.
    let input = Array::from_fn(vec![128, 1024, 1024], |i| i as f64).with_axes("z y x").unwrap();
    assert_eq!(input.as_bytes().len(), 1 << 30);
    let frame = Frame::new("big", ChunkKey::whole(128)).with_array("vol", input);
    let mut inst = slabs.instantiate("double", &serde_json::Map::new(), 1).unwrap();
    let started = std::time::Instant::now();
    let out = inst.process(&frame, 0).unwrap();
    let took = started.elapsed();
    eprintln!(
        "1 GiB through cslabs.double in 8 MiB slabs: {took:?} ({:.2} GB/s read, doubled and written back)",
        (1u64 << 30) as f64 / took.as_secs_f64() / 1e9
    );
    assert_eq!(out.frames().len(), 1);
    let got = out.frames()[0].array("vol").unwrap();
    assert_eq!((got.shape(), got.axes()), (&[128, 1024, 1024][..], "z y x"));
    // Doubling is exact in f64 for these integers.
    let wrong = got.as_slice::<f64>().unwrap().iter().enumerate().position(|(i, &v)| v != 2.0 * i as f64);
    assert_eq!(wrong, None, "first wrong element");
    drop(out);

    // Control: the guest that pulls the whole array meets the same cap.
    let mut params = serde_json::Map::new();
    params.insert("factor".into(), 2.0.into());
    let mut whole = registry.current("cexample").unwrap().instantiate("scale", &params, 1).unwrap();
    let e = whole.process(&frame, 0).unwrap_err().to_string();
    assert!(e.contains("hit the sandbox's memory cap of 256 MiB"), "{e}");
}
