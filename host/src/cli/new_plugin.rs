//! `plexus new-plugin NAME [--wasm] [--dir DIR]`: writes a plugin crate that
//! builds as it is, outside this repository — one operator whose parameters
//! are a struct, its `plugin.toml`, a compliance test and a README saying
//! build → pack → drop.
//!
//! The crate depends on `plexus-plugin-api` by path: the `plugin-api`
//! folder of the source tree this binary was built from (or `--api-path`),
//! since the crate has no crates.io release. It is its own workspace (an
//! empty `[workspace]` table), so it builds wherever it is written, even
//! inside another workspace's folder.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Args;

/// Arguments of `plexus new-plugin`.
#[derive(Args, Debug)]
pub struct NewPluginArgs {
    /// Plugin name: a-z, 0-9, `_` and `-`, starting with a letter; the crate
    /// is written to DIR/NAME.
    pub name: String,
    /// A wasm-tier plugin (sandboxed; built for wasm32-wasip1) instead of a
    /// native one.
    #[arg(long)]
    pub wasm: bool,
    /// Folder the crate's folder is created in [default: the working
    /// directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The `plugin-api` folder of a Plexus checkout to depend on [default:
    /// the one this binary was built from].
    #[arg(long, value_name = "DIR")]
    pub api_path: Option<PathBuf>,
}

/// Where the crate's files come from: the name in its three spellings and
/// the path of the API crate.
struct Scaffold {
    /// The plugin name, as pipelines write it (`my-filter`).
    name: String,
    /// The Rust crate identifier (`my_filter`).
    ident: String,
    /// The artifact file name (`libmy_filter.so` or `my_filter.wasm`).
    artifact: String,
    wasm: bool,
    api_path: PathBuf,
}

pub(super) fn new_plugin(args: NewPluginArgs) -> anyhow::Result<ExitCode> {
    if !plexus_registry::valid_name(&args.name) {
        bail!("`{}` is not a valid plugin name: use a-z, 0-9, `_` and `-`, starting with a letter", args.name);
    }
    let api_path = match args.api_path {
        Some(p) => p,
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-api"),
    };
    if !api_path.join("Cargo.toml").is_file() {
        bail!(
            "no plexus-plugin-api at `{}`: pass --api-path DIR, the `plugin-api` folder of a Plexus checkout",
            api_path.display()
        );
    }
    let api_path = api_path.canonicalize().with_context(|| format!("`{}` cannot be resolved", api_path.display()))?;
    let ident = args.name.replace('-', "_");
    let artifact = if args.wasm { format!("{ident}.wasm") } else { format!("lib{ident}.so") };
    let scaffold = Scaffold { name: args.name.clone(), ident, artifact, wasm: args.wasm, api_path };

    let parent = args.dir.unwrap_or_else(|| PathBuf::from("."));
    let root = parent.join(&args.name);
    if root.symlink_metadata().is_ok() {
        bail!("`{}` already exists; new-plugin writes only into a new folder", root.display());
    }
    std::fs::create_dir_all(&root).with_context(|| format!("`{}` cannot be created", root.display()))?;
    for (rel, text) in scaffold.files() {
        let path = root.join(rel);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).with_context(|| format!("`{}` cannot be created", folder.display()))?;
        }
        write_new(&path, &text)?;
    }
    println!("wrote plugin `{}` ({} tier) to {}", scaffold.name, scaffold.tier(), root.display());
    println!("next: cd {} && cargo test --release, then see README.md (build, pack, drop)", root.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes a file that must not exist yet (never overwrites).
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("`{}` cannot be created", path.display()))?;
    f.write_all(text.as_bytes()).with_context(|| format!("`{}` cannot be written", path.display()))
}

impl Scaffold {
    fn tier(&self) -> &'static str {
        if self.wasm {
            "wasm"
        } else {
            "native"
        }
    }

    /// The built artifact's path relative to the crate.
    fn built_artifact(&self) -> String {
        if self.wasm {
            format!("target/wasm32-wasip1/release/{}", self.artifact)
        } else {
            format!("target/release/{}", self.artifact)
        }
    }

    fn build_command(&self) -> &'static str {
        if self.wasm {
            "cargo build --release --target wasm32-wasip1"
        } else {
            "cargo build --release"
        }
    }

    fn files(&self) -> Vec<(&'static str, String)> {
        let fill = |t: &str| {
            t.replace("{name}", &self.name)
                .replace("{ident}", &self.ident)
                .replace("{artifact}", &self.artifact)
                .replace("{built_artifact}", &self.built_artifact())
                .replace("{build_command}", self.build_command())
                .replace("{kind}", self.tier())
                .replace("{api_path}", &toml_string(&self.api_path.display().to_string()))
                .replace("{api_major}", &plexus_plugin_api::API_MAJOR.to_string())
                .replace("{sandbox}", if self.wasm { WASM_SANDBOX } else { "" })
        };
        let mut files = vec![
            ("Cargo.toml", fill(CARGO_TOML)),
            ("plugin.toml", fill(PLUGIN_TOML)),
            ("src/lib.rs", fill(LIB_RS)),
            ("tests/compliance.rs", fill(COMPLIANCE_RS)),
            ("README.md", fill(README_MD)),
            (".gitignore", "/target\n".to_string()),
        ];
        if self.wasm {
            files.push((".cargo/config.toml", WASM_CARGO_CONFIG.to_string()));
        }
        files
    }
}

/// `s` as the inside of a TOML basic string.
fn toml_string(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

const CARGO_TOML: &str = r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

# Its own workspace: the crate builds wherever it is.
[workspace]

[lib]
# cdylib: the artifact the host loads; rlib: what the compliance test links.
crate-type = ["cdylib", "rlib"]

[dependencies]
# By path: plexus-plugin-api {api_major}.x from a Plexus checkout (it has no
# crates.io release). Point it elsewhere with `plexus new-plugin --api-path`.
plexus-plugin-api = { path = "{api_path}", version = "{api_major}" }
serde = { version = "1", features = ["derive"] }
serde_json = "1"

[dev-dependencies]
plexus-plugin-api = { path = "{api_path}", version = "{api_major}", features = ["compliance"] }
"#;

const PLUGIN_TOML: &str = r#"# The `[operator.params]` table is checked against `ScaleParams` by the
# compliance test (`cargo test`); `REGENERATE=1 cargo test` rewrites it from
# the struct. docs/MANIFEST.md of Plexus describes every key.
[plugin]
name = "{name}"
version = "0.1.0"
api = "{api_major}"
kind = "{kind}"
artifact = "{artifact}"
sha256 = ""                          # `plexus plugins pack` fills it in
description = "an affine intensity map (generated by plexus new-plugin)"
{sandbox}
[[operator]]
name = "scale"
summary = "every pixel times `factor` plus `offset`, as f64"
pattern = "frame"
parallel = true

[operator.params]
factor = { type = "float", default = 2.0, doc = "what every pixel is multiplied by" }
offset = { type = "float", default = 0.0, doc = "what is added after multiplying" }
"#;

const LIB_RS: &str = r#"//! `{name}`: a Plexus plugin. One operator, `{name}.scale`: every pixel of
//! every array of a frame times `factor` plus `offset`, as f64.

use plexus_plugin_api::{export_plugin, Array, Context, Emitter, Frame, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

/// Parameters of `scale`, declared once: `plugin.toml`'s table must agree
/// with this struct (the compliance test checks it, `REGENERATE=1 cargo
/// test` rewrites the table). Missing keys take the defaults below.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScaleParams {
    /// What every pixel is multiplied by.
    pub factor: f64,
    /// What is added after multiplying.
    pub offset: f64,
}

impl Default for ScaleParams {
    fn default() -> Self {
        ScaleParams { factor: 2.0, offset: 0.0 }
    }
}

impl Params for ScaleParams {
    // The one-line docs users see (and ranges, with `.min()`/`.max()`).
    const TABLE: &'static [Param] = &[
        Param::new("factor", "what every pixel is multiplied by"),
        Param::new("offset", "what is added after multiplying"),
    ];
}

/// The operator: built once per stage from its parameters, then fed frames.
pub struct Scale {
    params: ScaleParams,
}

impl Scale {
    /// Builds the operator; the host has validated `params` against
    /// `plugin.toml` already. `ctx` says how many threads it may use.
    pub fn new(params: ScaleParams, _ctx: &Context) -> Result<Scale, PluginError> {
        Ok(Scale { params })
    }
}

impl Operator for Scale {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter<'_>) -> Result<(), PluginError> {
        let ScaleParams { factor, offset } = self.params;
        let mut frame = Frame::like(input);
        // Inputs are views of host memory (never copied); outputs are new arrays.
        for (name, image) in input.arrays() {
            let scaled: Vec<f64> = image.to_f64_vec().iter().map(|v| v * factor + offset).collect();
            frame = frame.with_array(name, Array::from_vec(image.shape().to_vec(), scaled)?.with_axes(image.axes())?);
        }
        out.emit(frame);
        Ok(())
    }
}

export_plugin! { "scale" => Scale::new }
"#;

const COMPLIANCE_RS: &str = r#"//! The compliance test every plugin runs: `plugin.toml` and the parameter
//! structs agree, the operator is built from the manifest's defaults, no
//! panic escapes, two runs give identical bytes; then this operator's own
//! closed form.

use plexus_plugin_api::compliance::check_operator;
use plexus_plugin_api::{Array, ChunkKey, Frame};
use serde_json::json;

/// Three frames of small integers: exact in f64, so the expected values
/// below are exact too.
fn frames() -> Vec<Frame> {
    (0..3u64)
        .map(|i| Frame::new("test", ChunkKey::stream(i)).with_array("image", Array::from_fn(vec![4, 5], |j| (i * 20 + j as u64) as f64)))
        .collect()
}

#[test]
fn scale_agrees_with_its_manifest_and_its_closed_form() {
    // `factor` comes from plugin.toml's default (2.0); `offset` is given.
    let outputs = check_operator(&{ident}::PLUGIN, "scale", json!({ "offset": 1.5 }), &frames()).unwrap();
    assert_eq!(outputs.len(), 4, "three frames and finish");
    for (i, out) in outputs[..3].iter().enumerate() {
        let image = out.frames()[0].array("image").unwrap();
        assert_eq!(image.shape(), &[4, 5]);
        let expected: Vec<f64> = (0..20).map(|j| (i * 20 + j) as f64 * 2.0 + 1.5).collect();
        assert_eq!(image.as_slice::<f64>().unwrap(), &expected[..], "frame {i}");
    }
}

#[test]
fn an_unknown_parameter_is_refused_naming_it() {
    let err = check_operator(&{ident}::PLUGIN, "scale", json!({ "factr": 3.0 }), &frames()).unwrap_err();
    assert!(err.to_string().contains("`factr`"), "{err}");
}
"#;

/// The sandbox limits of a wasm scaffold (docs/MANIFEST.md, `[sandbox]`).
const WASM_SANDBOX: &str = r#"
[sandbox]
memory_mib = 1024                    # linear memory cap per instance
deadline_ms = 10000                  # wall-clock deadline per call
"#;

const WASM_CARGO_CONFIG: &str = r#"# The guest runs in the host's wasm sandbox; simd128 is in every wasmtime.
[target.wasm32-wasip1]
rustflags = ["-C", "target-feature=+simd128"]
"#;

const README_MD: &str = r#"# {name}

A Plexus plugin ({kind} tier) with one operator, `{name}.scale`: every pixel
times `factor` plus `offset`. Written by `plexus new-plugin`; start from
`src/lib.rs`.

It depends on `plexus-plugin-api` {api_major}.x **by path**
(`{api_path}`, see `Cargo.toml`): the crate has no crates.io release.

## Test

```sh
cargo test --release
```

runs `tests/compliance.rs`: the Plexus compliance harness checks that
`plugin.toml`'s parameter table agrees with `ScaleParams` (change the struct,
then `REGENERATE=1 cargo test` rewrites the table), builds the operator from
the manifest's defaults, runs it twice for determinism, and the test checks
the operator's closed form.

## Build → pack → drop

```sh
{build_command}
plexus plugins pack plugin.toml --artifact {built_artifact} --out ~/plexus-plugins/{name}
```

`pack` copies the artifact beside its manifest with the sha256 filled in.
`~/plexus-plugins` stands for any plugin folder the host searches (`--plugins
DIR`, `$PLEXUS_PLUGIN_PATH` or `[plugins] path` in its config file); a
running `plexus serve` loads the plugin as soon as it lands there, and
reloads it, between two frames, whenever you pack a new version. Then use it
in a pipeline:

```toml
[[stage]]
id = "scaled"
use = "{name}.scale"
params = { factor = 0.5, offset = 10.0 }
```

`plexus plugins list` shows it, or says why it was refused.
"#;
