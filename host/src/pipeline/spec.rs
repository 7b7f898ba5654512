//! The pipeline file as written: serde into a loose spec that refuses
//! unknown keys. Meaning is checked by [`compile`](super::compile).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

/// A pipeline file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    /// `[pipeline]`.
    pub pipeline: PipelineSection,
    /// `[input]`; absent when the first stage is a source.
    pub input: Option<InputSpec>,
    /// `[[stage]]`.
    #[serde(rename = "stage", default)]
    pub stages: Vec<StageSpec>,
    /// `[[output]]`.
    #[serde(rename = "output", default)]
    pub outputs: Vec<OutputSpec>,
    /// `[[plot]]`.
    #[serde(rename = "plot", default)]
    pub plots: Vec<PlotSpec>,
    /// `[[sweep]]`: run the pipeline for each value of one parameter.
    #[serde(rename = "sweep", default)]
    pub sweeps: Vec<SweepSpec>,
}

/// `[[sweep]]`: the pipeline is run once per value of `stage.param`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The stage whose parameter varies.
    pub stage: String,
    /// The parameter.
    pub param: String,
    /// `"a:b:step"` (from `a` to `b` inclusive) or a list of values.
    pub values: SweepValues,
    /// One output per value, or one stacked output per `[[output]]`.
    #[serde(default)]
    pub output: SweepOutput,
}

/// The values of a sweep as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum SweepValues {
    /// `"a:b:step"`.
    Range(String),
    /// The values themselves.
    List(Vec<toml::Value>),
}

/// How a sweep writes its outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SweepOutput {
    /// One file per value: `out_<param>-<value>.npy`.
    #[default]
    Each,
    /// One file per output, the values' results stacked along a new first
    /// axis `sweep`, the values in the sidecar.
    Stacked,
}

/// What a plot shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlotKind {
    /// Bars from result lists: heights `y` (default `counts`) over bin edges
    /// `x` (default `edges`), with optional error bars `errors`.
    Histogram,
    /// The stage's last frame's first array against its index, log y (a
    /// radially averaged power spectrum).
    Spectrum,
    /// Result lists `y` (default `mean`) against `x` (default `index`).
    Series,
}

/// `[[plot]]`: a PNG drawn from a stage's results after the run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    /// The stage plotted.
    pub from: String,
    /// What to draw.
    pub kind: PlotKind,
    /// Destination `.png`, relative to the pipeline file's folder.
    pub path: PathBuf,
    /// Result keys on the y axis.
    #[serde(default)]
    pub y: Vec<String>,
    /// Result key on the x axis (bin edges for histograms).
    pub x: Option<String>,
    /// Result key of error-bar half-widths (histograms).
    pub errors: Option<String>,
    /// Title; the stage id when absent.
    pub title: Option<String>,
}

/// `[pipeline]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    /// Name, used in provenance and events.
    pub name: String,
    /// One line.
    #[serde(default)]
    pub description: String,
}

/// `[input]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// A file, relative to the pipeline file's folder.
    pub path: PathBuf,
    /// Slices per chunk along the chunked axis; chosen from the memory budget
    /// when absent.
    pub chunk: Option<usize>,
    /// For an HDF5 image set: `all`, `odd`, `even`, `first:N` or `rest:N`.
    pub select: Option<String>,
    /// A subset along each axis: Python slices by axis label or in order
    /// (see [`preview`](super::preview)).
    #[serde(default)]
    pub preview: Option<super::preview::PreviewSpec>,
}

/// `[[stage]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// Unique id.
    pub id: String,
    /// `plugin.operator`.
    #[serde(rename = "use")]
    pub uses: String,
    /// Parameters; `"${stage.key}"` refers to an earlier stage's result.
    #[serde(default, deserialize_with = "toml_table_to_json")]
    pub params: Map<String, Value>,
    /// Upstream stage ids; by default the previous stage (or the input).
    pub inputs: Option<Vec<String>>,
    /// Sandbox capabilities granted to a wasm plugin's instance.
    pub grants: Option<GrantsSpec>,
    /// Longest one native call may take, in seconds; overrides the
    /// manifest's `timeout_s` and the host's `--call-timeout`.
    pub timeout_s: Option<f64>,
}

/// `grants = { clock = true, read = ["data/calib"] }` on a `[[stage]]`: what
/// a wasm plugin's instance may use, among what its manifest asks for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantsSpec {
    /// `clock_time_get` answers (realtime and monotonic).
    #[serde(default)]
    pub clock: bool,
    /// Folders preopened read-only, relative to the pipeline file's folder;
    /// the guest opens them by the path as written here.
    #[serde(default)]
    pub read: Vec<String>,
}

/// `[[output]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// The stage whose frames are written.
    pub from: String,
    /// Destination, relative to the pipeline file's folder; the format
    /// follows the extension (`.npy`, `.tif`, `.png`).
    pub path: PathBuf,
    /// Which array of each frame; the first when absent.
    pub array: Option<String>,
}

fn toml_table_to_json<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    let t = toml::Table::deserialize(d)?;
    match serde_json::to_value(t).map_err(serde::de::Error::custom)? {
        Value::Object(m) => Ok(m),
        _ => Ok(Map::new()),
    }
}

/// A pipeline file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[error("`{}`{}: {message}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
pub struct SpecError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl PipelineSpec {
    /// Reads and parses a pipeline file.
    pub fn load(path: &Path) -> Result<PipelineSpec, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|e| SpecError {
            path: path.to_path_buf(),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        PipelineSpec::parse(path, &text)
    }

    /// Parses pipeline text; `path` is used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<PipelineSpec, SpecError> {
        toml::from_str(text).map_err(|e| SpecError {
            path: path.to_path_buf(),
            line: e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
            message: e.message().lines().next().unwrap_or("").to_string(),
        })
    }

    /// Applies `--set stage.param=value` overrides; the value is parsed as
    /// TOML (`3`, `1.5`, `true`, `"x"`, `[1, 2]`) and falls back to a string.
    pub fn apply_override(&mut self, assignment: &str) -> Result<(), String> {
        let (target, value) =
            assignment.split_once('=').ok_or_else(|| format!("`{assignment}`: expected `stage.param=value`"))?;
        let (stage, param) =
            target.trim().split_once('.').ok_or_else(|| format!("`{assignment}`: expected `stage.param=value`"))?;
        let value = parse_value(value.trim());
        let ids: Vec<String> = self.stages.iter().map(|s| format!("`{}`", s.id)).collect();
        let s = self
            .stages
            .iter_mut()
            .find(|s| s.id == stage)
            .ok_or_else(|| format!("`{assignment}`: no stage `{stage}` (stages: {})", ids.join(", ")))?;
        s.params.insert(param.to_string(), value);
        Ok(())
    }
}

/// A `--set` or `--sweep` value: TOML (`3`, `1.5`, `true`, `"x"`, `[1, 2]`),
/// else the text as a string.
pub fn parse_value(text: &str) -> Value {
    let doc = format!("v = {text}");
    match toml::from_str::<toml::Table>(&doc) {
        Ok(t) => t.get("v").and_then(|v| serde_json::to_value(v).ok()).unwrap_or_else(|| Value::String(text.into())),
        Err(_) => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
[pipeline]
name = "p"

[input]
path = "scan.tif"
chunk = 8

[[stage]]
id = "a"
use = "trend.running_stats"
params = { ddof = 1 }
"#;

    #[test]
    fn parses_and_overrides() {
        let mut p = PipelineSpec::parse(Path::new("p.toml"), TEXT).unwrap();
        assert_eq!(p.stages[0].params["ddof"], 1);
        p.apply_override("a.ddof=0").unwrap();
        p.apply_override("a.mode=fast").unwrap();
        p.apply_override("a.shape=[2, 3]").unwrap();
        assert_eq!(p.stages[0].params["ddof"], 0);
        assert_eq!(p.stages[0].params["mode"], "fast");
        assert_eq!(p.stages[0].params["shape"], serde_json::json!([2, 3]));
        assert_eq!(p.apply_override("b.x=1").unwrap_err(), "`b.x=1`: no stage `b` (stages: `a`)");
    }

    #[test]
    fn unknown_key_has_line() {
        let e = PipelineSpec::parse(Path::new("p.toml"), &TEXT.replace("chunk = 8", "chunks = 8")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`p.toml`, line 7: unknown field `chunks`, expected one of `path`, `chunk`, `select`, `preview`"
        );
    }
}
