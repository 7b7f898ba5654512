//! `plexus new-plugin`: the crate it writes builds outside this workspace
//! (offline, depending on this repository's plexus-plugin-api by path),
//! passes its own compliance test, and once packed runs in a pipeline
//! through the real binary.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use plexus_e2e::{release_dir, show, Sandbox};
use plexus_plugin_api::Array;

/// `cargo ARGS --offline` in the generated crate, into the tests' target
/// folder so the dependencies it shares with the workspace are built once.
fn cargo(dir: &Path, args: &[&str]) -> Output {
    let target_dir = release_dir().parent().expect("target dir").to_path_buf();
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .args(args)
        .arg("--offline")
        .output()
        .expect("spawn cargo")
}

#[test]
fn a_new_plugin_builds_passes_its_test_and_runs_in_a_pipeline() {
    let sb = Sandbox::new();
    let started = Instant::now();
    let out = sb.run(&["new-plugin", "my-scale", "--dir", "src"]);
    assert!(out.status.success(), "{}", show(&out));
    let krate = sb.path().join("src/my-scale");
    for f in ["Cargo.toml", "plugin.toml", "src/lib.rs", "tests/compliance.rs", "README.md"] {
        assert!(krate.join(f).is_file(), "new-plugin wrote no `{f}`");
    }
    let manifest = std::fs::read_to_string(krate.join("plugin.toml")).unwrap();
    assert!(manifest.contains("api = \"2\"") && manifest.contains("artifact = \"libmy_scale.so\""), "{manifest}");

    // Its own test: the compliance harness against its manifest, and the
    // operator's closed form.
    let test = cargo(&krate, &["test", "--release"]);
    assert!(test.status.success(), "the generated crate's tests failed:\n{}", show(&test));
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert!(stdout.contains("test result: ok. 2 passed"), "{stdout}");

    let build = cargo(&krate, &["build", "--release"]);
    assert!(build.status.success(), "{}", show(&build));
    let artifact = release_dir().join("libmy_scale.so");
    let out = sb
        .cmd()
        .args(["plugins", "pack"])
        .arg(krate.join("plugin.toml"))
        .arg("--artifact")
        .arg(&artifact)
        .arg("--out")
        .arg(sb.plugins().join("my-scale"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));

    let input = Array::from_fn(vec![16, 12], |i| (i * 37 % 1000) as u16);
    plexus_io::write(&sb.path().join("in.npy"), &input).unwrap();
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"scaffold\"\n\n[input]\npath = \"in.npy\"\n\n[[stage]]\nid = \"scaled\"\nuse = \"my-scale.scale\"\nparams = { factor = 0.5, offset = 3.0 }\n\n[[output]]\nfrom = \"scaled\"\npath = \"out.npy\"\n",
    );
    let run = sb.run(&["run", "p.toml"]);
    assert!(run.status.success(), "{}", show(&run));
    let elapsed = started.elapsed();
    let got = plexus_io::read(&sb.path().join("out.npy")).unwrap();
    assert_eq!(got.shape(), &[16, 12]);
    // x * 0.5 + 3 is exact in f64 for these integers.
    let expected: Vec<f64> = input.to_f64_vec().iter().map(|x| x * 0.5 + 3.0).collect();
    assert_eq!(got.as_slice::<f64>().unwrap(), &expected[..]);
    eprintln!("new-plugin -> test -> build -> pack -> first pipeline output: {elapsed:?}");

    // A name pipelines could not spell is refused, and nothing is overwritten.
    let out = sb.run(&["new-plugin", "My Scale"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("`My Scale` is not a valid plugin name: use a-z, 0-9, `_` and `-`, starting with a letter"),
        "{}",
        show(&out)
    );
    let lib = std::fs::read(krate.join("src/lib.rs")).unwrap();
    let out = sb.run(&["new-plugin", "my-scale", "--dir", "src"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists; new-plugin writes only into a new folder"));
    assert_eq!(std::fs::read(krate.join("src/lib.rs")).unwrap(), lib);
}

/// The `--wasm` scaffold: the same crate built for wasm32-wasip1, packed as
/// a wasm-tier plugin and run in the sandbox.
#[test]
fn a_new_wasm_plugin_builds_for_the_sandbox_and_runs_in_a_pipeline() {
    let sb = Sandbox::new();
    let out = sb.run(&["new-plugin", "wscale", "--wasm"]);
    assert!(out.status.success(), "{}", show(&out));
    let krate = sb.path().join("wscale");
    let manifest = std::fs::read_to_string(krate.join("plugin.toml")).unwrap();
    assert!(manifest.contains("kind = \"wasm\"") && manifest.contains("artifact = \"wscale.wasm\""), "{manifest}");
    let readme = std::fs::read_to_string(krate.join("README.md")).unwrap();
    assert!(readme.contains("cargo build --release --target wasm32-wasip1"), "{readme}");

    let build = cargo(&krate, &["build", "--release", "--target", "wasm32-wasip1"]);
    assert!(
        build.status.success(),
        "building the wasm scaffold failed (rustup target add wasm32-wasip1?):\n{}",
        show(&build)
    );
    let artifact = release_dir().parent().unwrap().join("wasm32-wasip1/release/wscale.wasm");
    let out = sb
        .cmd()
        .args(["plugins", "pack"])
        .arg(krate.join("plugin.toml"))
        .arg("--artifact")
        .arg(&artifact)
        .arg("--out")
        .arg(sb.plugins().join("wscale"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let input = Array::from_fn(vec![8, 8], |i| i as f32);
    plexus_io::write(&sb.path().join("in.npy"), &input).unwrap();
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"wasm-scaffold\"\n\n[input]\npath = \"in.npy\"\n\n[[stage]]\nid = \"scaled\"\nuse = \"wscale.scale\"\nparams = { offset = -1.0 }\n\n[[output]]\nfrom = \"scaled\"\npath = \"out.npy\"\n",
    );
    let run = sb.run(&["run", "p.toml"]);
    assert!(run.status.success(), "{}", show(&run));
    let got = plexus_io::read(&sb.path().join("out.npy")).unwrap();
    let expected: Vec<f64> = (0..64).map(|i| i as f64 * 2.0 - 1.0).collect();
    assert_eq!(got.as_slice::<f64>().unwrap(), &expected[..]);
    let list = sb.run(&["plugins", "list", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let p = doc["plugins"].as_array().unwrap().iter().find(|p| p["name"] == "wscale").unwrap().clone();
    assert_eq!(p["tier"], "wasm", "{doc}");
}
