//! `plugin.toml`: parsing, validation, and the parameter schema it declares.
//!
//! Parsing is two-phase, as in Vector: serde into a loose spec with
//! `deny_unknown_fields` (a typo is an error with its line), then a check of
//! meaning (names, semver, parameter schemas) that names the key. The format
//! is documented in `docs/MANIFEST.md`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::ManifestError;

/// What a plugin is compiled to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A native `cdylib` loaded through the checked ABI.
    Native,
    /// A WebAssembly module run in the sandbox.
    Wasm,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Native => "native",
            Kind::Wasm => "wasm",
        })
    }
}

/// What the frames an operator consumes hold (see `docs/MANIFEST.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pattern {
    /// Takes no input; emits a stream.
    Source,
    /// Any frame.
    Frame,
    /// Chunks of a volume along `z`, slice by slice.
    Slice,
    /// Chunks of a volume along `z`, needing neighbours (`halo`).
    Volume,
    /// Chunks of a projection stack along `angle`.
    Projection,
    /// Chunks of a projection stack along `row` (sinograms).
    Sinogram,
}

impl Pattern {
    /// The lowercase name used in manifests and messages.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Source => "source",
            Pattern::Frame => "frame",
            Pattern::Slice => "slice",
            Pattern::Volume => "volume",
            Pattern::Projection => "projection",
            Pattern::Sinogram => "sinogram",
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub use plexus_plugin_api::params::schema::{check_value, Mismatch, ParamProblem, ParamSpec, ParamType};

/// Capabilities a manifest may ask for. Everything else is refused.
/// `clock`: `clock_time_get`; `read`: read-only preopened folders.
pub const KNOWN_CAPABILITIES: &[&str] = &["clock", "read"];

/// One operator a plugin offers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorSpec {
    /// Name used in pipelines as `plugin.name`.
    pub name: String,
    /// One line.
    #[serde(default)]
    pub summary: String,
    /// What its input frames hold.
    pub pattern: Pattern,
    /// Neighbour slices needed on each side.
    #[serde(default)]
    pub halo: u32,
    /// Working memory as a multiple of the input chunk.
    #[serde(default = "one")]
    pub memory: f64,
    /// Stateless per frame: the host may run several instances at once.
    #[serde(default)]
    pub parallel: bool,
    /// Longest a native `process` or `finish` call may take, in seconds,
    /// before the host abandons it and fails the stage (a pipeline stage's
    /// `timeout_s` overrides it; absent: the host's `--call-timeout`).
    #[serde(default)]
    pub timeout_s: Option<f64>,
    /// Declared parameters.
    #[serde(default)]
    pub params: BTreeMap<String, ParamSpec>,
}

fn one() -> f64 {
    1.0
}

/// The `[plugin]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginSection {
    /// Plugin name.
    pub name: String,
    /// Semver of the plugin.
    pub version: semver::Version,
    /// Plugin API major it was built against.
    pub api: String,
    /// Native or wasm.
    pub kind: Kind,
    /// File name of the artifact, beside the manifest.
    pub artifact: String,
    /// Hex sha256 of the artifact.
    #[serde(default)]
    pub sha256: String,
    /// One line.
    #[serde(default)]
    pub description: String,
}

/// The `[sandbox]` table of a wasm plugin: what it asks of the sandbox. The
/// host's policy caps the limits and decides which capabilities it grants.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxSpec {
    /// Linear memory cap per instance, in MiB.
    #[serde(default = "default_memory_mib")]
    pub memory_mib: u64,
    /// Wall-clock deadline per call, in milliseconds.
    #[serde(default = "default_deadline_ms")]
    pub deadline_ms: u64,
    /// Output bytes one call may hand back, in MiB.
    #[serde(default = "default_output_mib")]
    pub output_mib: u64,
    /// WASI capabilities asked for (`clock`); none by default.
    #[serde(default)]
    pub capabilities: Vec<String>,
}

fn default_memory_mib() -> u64 {
    1024
}
fn default_deadline_ms() -> u64 {
    10_000
}
fn default_output_mib() -> u64 {
    4096
}

impl Default for SandboxSpec {
    fn default() -> Self {
        SandboxSpec {
            memory_mib: default_memory_mib(),
            deadline_ms: default_deadline_ms(),
            output_mib: default_output_mib(),
            capabilities: Vec::new(),
        }
    }
}

/// A parsed and checked `plugin.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The `[plugin]` table.
    pub plugin: PluginSection,
    /// The `[sandbox]` table (wasm plugins only).
    #[serde(default)]
    pub sandbox: Option<SandboxSpec>,
    /// The `[[operator]]` tables.
    #[serde(rename = "operator", default)]
    pub operators: Vec<OperatorSpec>,
    /// Where it was read from.
    #[serde(skip)]
    pub path: PathBuf,
}

impl Manifest {
    /// Reads and checks the manifest at `path`.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let unreadable = |message: String| ManifestError { path: path.to_path_buf(), line: None, key: None, message };
        // Regular files only, at most 1 MiB: a FIFO here would block a scan.
        let bytes = crate::artifact::read_capped(path, crate::artifact::MAX_MANIFEST_BYTES).map_err(|e| match e {
            crate::RejectReason::LoadFailed { message, .. } => unreadable(message),
            crate::RejectReason::MissingArtifact(_) => {
                unreadable(format!("cannot read: {}", std::io::Error::from_raw_os_error(libc::ENOENT)))
            }
            crate::RejectReason::NotAFile { found, .. } => {
                unreadable(format!("cannot read: not a regular file (it is {found})"))
            }
            crate::RejectReason::TooLarge { bytes, cap_bytes, .. } => {
                unreadable(format!("cannot read: {bytes} bytes, over the {cap_bytes}-byte cap on manifests"))
            }
            other => unreadable(format!("cannot read: {other}")),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| unreadable(format!("cannot read: not UTF-8 text: {e}")))?;
        Manifest::parse(path, &text)
    }

    /// Parses and checks manifest text; `path` is used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Manifest, ManifestError> {
        let mut m: Manifest = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of_offset(text, s.start));
            ManifestError { path: path.to_path_buf(), line, key: None, message: first_line(e.message()) }
        })?;
        m.path = path.to_path_buf();
        m.check(text)?;
        Ok(m)
    }

    /// The artifact's full path.
    pub fn artifact_path(&self) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join(&self.plugin.artifact)
    }

    /// The operator called `name`.
    pub fn operator(&self, name: &str) -> Option<&OperatorSpec> {
        self.operators.iter().find(|o| o.name == name)
    }

    /// The plugin API major as a number.
    pub fn api_major(&self) -> u32 {
        self.plugin.api.trim().parse().unwrap_or(0)
    }

    fn check(&self, text: &str) -> Result<(), ManifestError> {
        let err = |key: &str, needle: &str, message: String| ManifestError {
            path: self.path.clone(),
            line: find_line(text, needle),
            key: Some(key.to_string()),
            message,
        };
        let p = &self.plugin;
        if !valid_name(&p.name) {
            return Err(err(
                "plugin.name",
                "name",
                format!("`{}` is not a valid name: use a-z, 0-9, `_` and `-`, starting with a letter", p.name),
            ));
        }
        if p.api.trim().parse::<u32>().is_err() {
            return Err(err("plugin.api", "api", format!("expected an API major such as \"2\", got `{}`", p.api)));
        }
        if p.artifact.contains('/') || p.artifact.contains('\\') || p.artifact.is_empty() {
            return Err(err(
                "plugin.artifact",
                "artifact",
                format!("expected a file name beside the manifest, got `{}`", p.artifact),
            ));
        }
        if !p.sha256.is_empty() && (p.sha256.len() != 64 || !p.sha256.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(err("plugin.sha256", "sha256", "expected 64 hexadecimal digits".to_string()));
        }
        if let Some(s) = &self.sandbox {
            if p.kind != Kind::Wasm {
                return Err(err(
                    "sandbox",
                    "[sandbox]",
                    "`[sandbox]` applies to `kind = \"wasm\"` plugins only".to_string(),
                ));
            }
            for (key, v) in [("memory_mib", s.memory_mib), ("deadline_ms", s.deadline_ms), ("output_mib", s.output_mib)]
            {
                if v == 0 {
                    return Err(err(&format!("sandbox.{key}"), key, "expected a positive number".to_string()));
                }
            }
            if s.memory_mib > 4096 {
                return Err(err(
                    "sandbox.memory_mib",
                    "memory_mib",
                    format!("a wasm32 memory holds at most 4096 MiB, got {}", s.memory_mib),
                ));
            }
            for c in &s.capabilities {
                if !KNOWN_CAPABILITIES.contains(&c.as_str()) {
                    let known = KNOWN_CAPABILITIES.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
                    return Err(err(
                        "sandbox.capabilities",
                        "capabilities",
                        format!("unknown capability `{c}` (known: {known})"),
                    ));
                }
            }
        }
        if self.operators.is_empty() {
            return Err(err("operator", "[plugin]", "the plugin declares no `[[operator]]`".to_string()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for op in &self.operators {
            let needle = format!("\"{}\"", op.name);
            if !valid_name(&op.name) {
                return Err(err("operator.name", &needle, format!("`{}` is not a valid operator name", op.name)));
            }
            if !seen.insert(op.name.as_str()) {
                return Err(err("operator.name", &needle, format!("operator `{}` is declared twice", op.name)));
            }
            if !(op.memory.is_finite() && op.memory > 0.0) {
                return Err(err(
                    &format!("operator.{}.memory", op.name),
                    "memory",
                    format!("expected a positive factor, got {}", op.memory),
                ));
            }
            if let Some(t) = op.timeout_s.filter(|t| !(t.is_finite() && *t > 0.0)) {
                return Err(err(
                    &format!("operator.{}.timeout_s", op.name),
                    "timeout_s",
                    format!("expected a positive number of seconds, got {t}"),
                ));
            }
            for (name, spec) in &op.params {
                let key = format!("operator.{}.params.{name}", op.name);
                if let Some(d) = &spec.default {
                    check_value(spec, d).map_err(|m| err(&key, name, format!("default: {m}")))?;
                }
                if spec.one_of.is_some() && spec.ty != ParamType::String {
                    return Err(err(&key, name, "`one_of` applies to strings only".to_string()));
                }
                if spec.optional && spec.default.is_some() {
                    return Err(err(&key, name, "`optional` and `default` exclude each other".to_string()));
                }
            }
        }
        Ok(())
    }
}

/// Whether `s` is a valid plugin or operator name: `a-z`, `0-9`, `_` and
/// `-`, starting with a letter.
pub fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

fn find_line(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.trim_start().starts_with(needle) || l.contains(needle)).map(|i| i + 1)
}

/// Checks `given` against the operator's schema, collecting every problem,
/// and returns the full parameter object with defaults filled in.
///
/// Values for which `is_deferred` returns true (references to another
/// stage's results) are accepted as they are, to be checked when resolved.
pub fn validate_params(
    op: &OperatorSpec,
    given: &Map<String, Value>,
    is_deferred: impl Fn(&Value) -> bool,
) -> Result<Map<String, Value>, Vec<ParamProblem>> {
    plexus_plugin_api::params::schema::validate_params(&op.params, given, is_deferred)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[plugin]
name = "trend"
version = "0.1.0"
api = "2"
kind = "native"
artifact = "libplexus_trend.so"
sha256 = ""

[[operator]]
name = "running_stats"
pattern = "frame"
params = { ddof = { type = "int", default = 0, min = 0, max = 1 }, mode = { type = "string", default = "a", one_of = ["a", "b"] } }
"#;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(Path::new("p/plugin.toml"), text)
    }

    #[test]
    fn parses_a_good_manifest() {
        let m = parse(GOOD).unwrap();
        assert_eq!(m.plugin.name, "trend");
        assert_eq!(m.operators[0].memory, 1.0);
        assert_eq!(m.artifact_path(), Path::new("p/libplexus_trend.so"));
    }

    #[test]
    fn unknown_key_names_line() {
        let text = GOOD.replace("kind = \"native\"", "kind = \"native\"\nkidn = 3");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line, Some(7));
        assert!(e.to_string().starts_with("`p/plugin.toml`, line 7: unknown field `kidn`"), "{e}");
    }

    #[test]
    fn bad_default_names_key() {
        let text = GOOD.replace("default = 0, min = 0", "default = 5, min = 0");
        let e = parse(&text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`p/plugin.toml`, line 13, key `operator.running_stats.params.ddof`: default: expected at most 1, got 5"
        );
    }

    #[test]
    fn bad_semver() {
        let e = parse(&GOOD.replace("0.1.0", "one")).unwrap_err();
        assert_eq!(e.line, Some(4));
    }

    #[test]
    fn params_are_validated_against_the_table() {
        let m = parse(GOOD).unwrap();
        let given: Map<String, Value> = serde_json::from_str(r#"{"ddof": 2}"#).unwrap();
        let problems = validate_params(&m.operators[0], &given, |_| false).unwrap_err();
        assert_eq!(problems, vec![ParamProblem { param: "ddof".into(), message: "expected at most 1, got 2".into() }]);
        assert_eq!(validate_params(&m.operators[0], &Map::new(), |_| false).unwrap()["mode"], "a");
    }
}
