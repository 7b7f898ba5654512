//! Compiling a pipeline spec against the registry: every problem is
//! collected with the stage and key it concerns, then a [`Plan`] is built.
//! Nothing runs and no plugin code is called.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use plexus_registry::{validate_params, Grants, LoadedPlugin, Pattern, ReadGrant, Registry};
use serde_json::Value;

use super::output_paths::{self, Target};
use super::plan::{InputPlan, OutputFormat, OutputPlan, Plan, PlotPlan, Reference, Selection, StagePlan};
use super::preview::Preview;
use super::spec::{GrantsSpec, PipelineSpec};

/// One problem, located by stage and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// The stage concerned, if any.
    pub stage: Option<String>,
    /// The key within the stage or file (`params.filter`, `inputs`, `input.path`).
    pub key: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.stage {
            Some(s) => write!(f, "stage `{s}`, key `{}`: {}", self.key, self.message),
            None => write!(f, "key `{}`: {}", self.key, self.message),
        }
    }
}

/// Every problem found in a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CompileErrors {
    /// The pipeline file.
    pub file: PathBuf,
    /// The problems, in file order.
    pub errors: Vec<CompileError>,
}

impl fmt::Display for CompileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(f, "`{}`: {n} problem{}", self.file.display(), if n == 1 { "" } else { "s" })?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// What goes wrong with an `.h5` output when the host was built without HDF5.
pub const NO_HDF5: &str = "this plexus was built without HDF5 support: rebuild with `--features plexus-host/hdf5` \
                           (`./plexus.sh build` does when the HDF5 library is installed), or write .npy or .tif";

/// Parses `"${stage.key}"` references.
pub fn reference_of(v: &Value) -> Option<(&str, &str)> {
    let s = v.as_str()?.trim();
    let inner = s.strip_prefix("${")?.strip_suffix('}')?;
    inner.split_once('.')
}

/// A name that can be one folder name: no separators, not `.` or `..`, no
/// control characters (`plexus serve` names folders after pipelines).
pub fn plain_name(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.chars().any(|c| c == '/' || c == '\\' || c.is_control())
}

fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Checks `spec` (read from `file`) against the plugins in `registry`.
pub fn compile(spec: &PipelineSpec, file: &Path, registry: &Registry) -> Result<Plan, CompileErrors> {
    let mut errors = Vec::new();
    let mut err = |stage: Option<&str>, key: &str, message: String| {
        errors.push(CompileError { stage: stage.map(str::to_string), key: key.to_string(), message })
    };
    let base_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();

    if spec.pipeline.name.trim().is_empty() {
        err(None, "pipeline.name", "must not be empty".into());
    } else if !plain_name(&spec.pipeline.name) {
        err(
            None,
            "pipeline.name",
            format!(
                "`{}` is not a plain name: it names a folder, so it may hold no `/`, `\\` or control character and may not be `.` or `..`",
                spec.pipeline.name
            ),
        );
    }
    if spec.stages.is_empty() {
        err(None, "stage", "the pipeline has no `[[stage]]`".into());
    }
    let select = spec.input.as_ref().and_then(|i| i.select.as_deref()).and_then(|s| match Selection::parse(s) {
        Ok(sel) => Some(sel),
        Err(m) => {
            err(None, "input.select", m);
            None
        }
    });
    let preview = spec.input.as_ref().and_then(|i| i.preview.as_ref()).and_then(|p| match Preview::from_spec(p) {
        Ok(p) => Some(p),
        Err(m) => {
            err(None, "input.preview", m);
            None
        }
    });
    let input =
        spec.input.as_ref().map(|i| InputPlan { path: base_dir.join(&i.path), chunk: i.chunk, select, preview });
    if let Some(i) = &input {
        if !i.path.exists() {
            err(None, "input.path", format!("file `{}` does not exist", i.path.display()));
        }
        if i.chunk == Some(0) {
            err(None, "input.chunk", "expected at least 1 slice per chunk, got 0".into());
        }
    }

    // Ids first, so later checks can name stages that come after.
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, s) in spec.stages.iter().enumerate() {
        if !valid_id(&s.id) {
            err(Some(&s.id), "id", "use letters, digits, `_` and `-`".into());
        }
        if index.insert(s.id.as_str(), i).is_some() {
            err(Some(&s.id), "id", "the id is used by an earlier stage".into());
        }
    }

    let mut stages = Vec::new();
    for (i, s) in spec.stages.iter().enumerate() {
        let id = s.id.as_str();
        let Some((plugin_name, operator_name)) = s.uses.split_once('.') else {
            err(Some(id), "use", format!("expected `plugin.operator`, got `{}`", s.uses));
            continue;
        };
        let plugin = match registry.current(plugin_name) {
            Ok(p) => p,
            Err(e) => {
                err(Some(id), "use", e.to_string());
                continue;
            }
        };
        let op = match plugin.operator(operator_name) {
            Ok(op) => op.clone(),
            Err(e) => {
                err(Some(id), "use", e.to_string());
                continue;
            }
        };

        let mut refs = Vec::new();
        for (param, v) in &s.params {
            if let Some((stage, key)) = reference_of(v) {
                if !index.contains_key(stage) {
                    err(
                        Some(id),
                        &format!("params.{param}"),
                        format!("`{}` refers to no stage `{stage}`", v.as_str().unwrap_or("")),
                    );
                } else if stage == id {
                    err(Some(id), &format!("params.{param}"), "a stage cannot refer to its own results".into());
                } else {
                    refs.push(Reference {
                        param: param.clone(),
                        stage: index[stage],
                        stage_id: stage.to_string(),
                        key: key.to_string(),
                    });
                }
            } else if v.as_str().is_some_and(|t| t.contains("${")) {
                err(
                    Some(id),
                    &format!("params.{param}"),
                    format!("expected a whole `${{stage.key}}` reference, got `{}`", v.as_str().unwrap_or("")),
                );
            }
        }
        let params = match validate_params(&op, &s.params, |v| reference_of(v).is_some()) {
            Ok(p) => p,
            Err(problems) => {
                for p in problems {
                    err(Some(id), &format!("params.{}", p.param), p.message);
                }
                continue;
            }
        };

        let inputs: Vec<usize> = match (&s.inputs, op.pattern) {
            (Some(list), Pattern::Source) if !list.is_empty() => {
                err(Some(id), "inputs", format!("`{}` is a source operator and reads no input", s.uses));
                Vec::new()
            }
            (_, Pattern::Source) => Vec::new(),
            (Some(list), _) => {
                let mut v = Vec::new();
                for up in list {
                    match index.get(up.as_str()) {
                        Some(&j) if j == i => err(Some(id), "inputs", "a stage cannot read itself".into()),
                        Some(&j) => v.push(j),
                        None => err(Some(id), "inputs", format!("no stage `{up}` to read from")),
                    }
                }
                if list.is_empty() && input.is_none() {
                    err(Some(id), "inputs", "the stage reads nothing: name a stage or add an `[input]`".into());
                }
                v
            }
            (None, _) if i > 0 => vec![i - 1],
            (None, _) => {
                if input.is_none() {
                    err(
                        Some(id),
                        "inputs",
                        "the first stage reads nothing: add an `[input]` or start with a source operator".into(),
                    );
                }
                Vec::new()
            }
        };

        let grants = s.grants.as_ref().map(|g| check_grants(g, &plugin, &base_dir, &mut |k, m| err(Some(id), k, m)));
        let timeout = match s.timeout_s.or(op.timeout_s) {
            Some(t) if t.is_finite() && t > 0.0 => Some(std::time::Duration::from_secs_f64(t)),
            Some(t) => {
                err(Some(id), "timeout_s", format!("expected a positive number of seconds, got {t}"));
                None
            }
            None => None,
        };

        stages.push(StagePlan {
            id: s.id.clone(),
            plugin: plugin_name.to_string(),
            operator: operator_name.to_string(),
            spec: op,
            params,
            refs,
            inputs,
            grants: grants.unwrap_or_default(),
            timeout,
            index: i,
        });
    }

    if stages.len() == spec.stages.len() {
        if let Some(cycle) = find_cycle(&stages) {
            let names: Vec<&str> = cycle.iter().map(|&i| stages[i].id.as_str()).collect();
            err(Some(names[0]), "inputs", format!("the stages form a cycle: {}", names.join(" → ")));
        }
    }

    let mut outputs = Vec::new();
    for (n, o) in spec.outputs.iter().enumerate() {
        let key = format!("output[{n}]");
        let format = OutputFormat::of(&o.path);
        match (index.get(o.from.as_str()), format) {
            (None, _) => err(None, &format!("{key}.from"), format!("no stage `{}` to write", o.from)),
            (Some(&i), Some(format)) => {
                outputs.push(OutputPlan { from: i, path: base_dir.join(&o.path), format, array: o.array.clone() })
            }
            (Some(_), None) => {}
        }
        if format.is_none() {
            err(
                None,
                &format!("{key}.path"),
                format!("cannot tell the format of `{}`: use .npy, .tif, .tiff, .png, .zarr or .h5", o.path.display()),
            );
        }
        // `.h5` outputs are dxchange scans (runtime::scan_sink), which need
        // the HDF5 library.
        #[cfg(not(feature = "hdf5"))]
        if format == Some(OutputFormat::Scan) {
            err(None, &format!("{key}.path"), format!("`{}`: {NO_HDF5}", o.path.display()));
        }
    }

    let mut plots = Vec::new();
    for (n, p) in spec.plots.iter().enumerate() {
        let key = format!("plot[{n}]");
        match index.get(p.from.as_str()) {
            None => err(None, &format!("{key}.from"), format!("no stage `{}` to plot", p.from)),
            Some(&i) => {
                let mut resolved = p.clone();
                resolved.path = base_dir.join(&p.path);
                plots.push(PlotPlan { from: i, spec: resolved });
            }
        }
        if p.path.extension().and_then(|e| e.to_str()) != Some("png") {
            err(
                None,
                &format!("{key}.path"),
                format!("plots are PNG files: expected a `.png` path, got `{}`", p.path.display()),
            );
        }
    }

    // Outputs and plots against the input and each other, as resolved.
    let written: Vec<(String, &Path)> = spec
        .outputs
        .iter()
        .enumerate()
        .map(|(n, o)| (format!("output[{n}].path"), o.path.as_path()))
        .chain(spec.plots.iter().enumerate().map(|(n, p)| (format!("plot[{n}].path"), p.path.as_path())))
        .collect();
    let paths: Vec<PathBuf> = written.iter().map(|(_, w)| base_dir.join(w)).collect();
    let targets: Vec<Target<'_>> =
        written.iter().zip(&paths).map(|((key, w), path)| Target { key: key.clone(), written: w, path }).collect();
    output_paths::check(input.as_ref().map(|i| i.path.as_path()), &targets, &mut |k, m| err(None, k, m));

    for (n, sw) in spec.sweeps.iter().enumerate() {
        let key = format!("sweep[{n}]");
        if n > 0 {
            err(None, &key, "a pipeline has one `[[sweep]]`".into());
        }
        if !index.contains_key(sw.stage.as_str()) {
            err(None, &format!("{key}.stage"), format!("no stage `{}` to sweep", sw.stage));
        }
        if let crate::pipeline::spec::SweepValues::Range(r) = &sw.values {
            if let Err(m) = super::sweep::range(r) {
                err(None, &format!("{key}.values"), m);
            }
        }
    }

    if !errors.is_empty() {
        return Err(CompileErrors { file: file.to_path_buf(), errors });
    }
    Ok(Plan { name: spec.pipeline.name.clone(), file: file.to_path_buf(), input, stages, outputs, plots })
}

/// Checks a stage's `grants` against its plugin: wasm only, each capability
/// asked for by the manifest and within the host's ceiling, each folder
/// present. Returns the grants with folders resolved.
fn check_grants(g: &GrantsSpec, plugin: &LoadedPlugin, base_dir: &Path, err: &mut dyn FnMut(&str, String)) -> Grants {
    let mut out = Grants::default();
    let Some(limits) = plugin.sandbox_limits() else {
        err(
            "grants",
            format!(
                "`{}` is a native plugin: it runs inside the host process with the host's rights, so sandbox grants mean nothing for it; remove `grants` (or use a wasm build of the plugin)",
                plugin.name()
            ),
        );
        return out;
    };
    let asked = |c: &str| limits.requested.iter().any(|r| r == c);
    let list = |v: &[String]| {
        if v.is_empty() {
            "nothing".to_string()
        } else {
            v.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        }
    };
    let allowed = |c: &str, key: &str, err: &mut dyn FnMut(&str, String)| -> bool {
        if !asked(c) {
            err(
                key,
                format!(
                    "plugin `{}` does not ask for the `{c}` capability (its manifest's `[sandbox] capabilities` asks for {}); a pipeline can grant only what the manifest asks for",
                    plugin.name(),
                    list(&limits.requested)
                ),
            );
            false
        } else if !limits.granted.iter().any(|r| r == c) {
            err(
                key,
                format!(
                    "the host does not allow `{c}` to be granted (`PLEXUS_WASM_GRANT` allows {})",
                    list(&limits.granted)
                ),
            );
            false
        } else {
            true
        }
    };
    if g.clock && allowed("clock", "grants.clock", err) {
        out.clock = true;
    }
    if !g.read.is_empty() && allowed("read", "grants.read", err) {
        for (n, folder) in g.read.iter().enumerate() {
            let key = format!("grants.read[{n}]");
            let path = base_dir.join(folder);
            match path.canonicalize() {
                Ok(real) if real.is_dir() => {
                    let guest = folder.trim_end_matches('/');
                    let guest = guest.strip_prefix("./").unwrap_or(guest);
                    out.read.push(ReadGrant {
                        guest: if guest.is_empty() { ".".into() } else { guest.into() },
                        host: real,
                    });
                }
                Ok(_) => err(&key, format!("`{}` is not a folder", path.display())),
                Err(_) => err(&key, format!("folder `{}` does not exist", path.display())),
            }
        }
    }
    out
}

/// A cycle through inputs and references, if any, as stage indices.
fn find_cycle(stages: &[StagePlan]) -> Option<Vec<usize>> {
    let deps: BTreeMap<usize, Vec<usize>> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.inputs.iter().copied().chain(s.refs.iter().map(|r| r.stage)).collect()))
        .collect();
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; stages.len()];
    let mut stack = Vec::new();
    fn visit(
        i: usize,
        deps: &BTreeMap<usize, Vec<usize>>,
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[i] = 1;
        stack.push(i);
        for &d in &deps[&i] {
            if state[d] == 1 {
                let start = stack.iter().position(|&s| s == d).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(d);
                return Some(cycle);
            }
            if state[d] == 0 {
                if let Some(c) = visit(d, deps, state, stack) {
                    return Some(c);
                }
            }
        }
        stack.pop();
        state[i] = 2;
        None
    }
    (0..stages.len()).find_map(|i| if state[i] == 0 { visit(i, &deps, &mut state, &mut stack) } else { None })
}
