//! A sweep as the pipeline (or `--sweep`) states it: one stage parameter
//! and its values, `start:stop:step` (stop included) or a list; how it is
//! run lives in [`runtime::sweep`](crate::runtime::sweep).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::spec::{SweepOutput, SweepSpec, SweepValues};

/// Most values a sweep may have.
const MAX_VALUES: usize = 10_000;

/// A sweep, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The stage whose parameter varies.
    pub stage: String,
    /// The parameter.
    pub param: String,
    /// Its values, in order.
    pub values: Vec<Value>,
    /// How outputs are written.
    pub output: SweepOutput,
}

/// `a:b:step`, from `a` to `b` inclusive: integers when all three are,
/// else floats (`b` included when it lies on the grid within 1e-9 steps).
pub fn range(text: &str) -> Result<Vec<Value>, String> {
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let [a, b, step] = parts.as_slice() else {
        return Err(format!("expected `start:stop:step` (stop included), got `{text}`"));
    };
    if let (Ok(a), Ok(b), Ok(step)) = (a.parse::<i64>(), b.parse::<i64>(), step.parse::<i64>()) {
        if step <= 0 || b < a {
            return Err(format!("expected start ≤ stop and a positive step, got `{text}`"));
        }
        let n = ((b - a) / step + 1) as usize;
        if n > MAX_VALUES {
            return Err(format!("`{text}` gives {n} values, more than {MAX_VALUES}"));
        }
        return Ok((0..n as i64).map(|k| Value::from(a + k * step)).collect());
    }
    let num = |s: &str| s.parse::<f64>().map_err(|_| format!("expected numbers in `start:stop:step`, got `{text}`"));
    let (a, b, step) = (num(a)?, num(b)?, num(step)?);
    if step.is_nan() || step <= 0.0 || b < a || !a.is_finite() || !b.is_finite() {
        return Err(format!("expected start ≤ stop and a positive step, got `{text}`"));
    }
    let n = ((b - a) / step + 1e-9).floor() as usize + 1;
    if n > MAX_VALUES {
        return Err(format!("`{text}` gives {n} values, more than {MAX_VALUES}"));
    }
    // a + k·step, not repeated addition, so the values do not drift.
    Ok((0..n).map(|k| Value::from(a + k as f64 * step)).collect())
}

impl Sweep {
    /// A `[[sweep]]` section.
    pub fn from_spec(spec: &SweepSpec) -> Result<Sweep, String> {
        let values = match &spec.values {
            SweepValues::Range(r) => range(r)?,
            SweepValues::List(list) => {
                list.iter().map(|v| serde_json::to_value(v).map_err(|e| e.to_string())).collect::<Result<_, _>>()?
            }
        };
        if values.is_empty() {
            return Err("`values` is empty".into());
        }
        Ok(Sweep { stage: spec.stage.clone(), param: spec.param.clone(), values, output: spec.output })
    }

    /// `--sweep stage.param=a:b:step` or `stage.param=v1,v2,…`.
    pub fn parse_arg(arg: &str, output: SweepOutput) -> Result<Sweep, String> {
        let (target, values) = arg.split_once('=').ok_or("expected `stage.param=start:stop:step`")?;
        let (stage, param) = target.trim().split_once('.').ok_or("expected `stage.param=start:stop:step`")?;
        let values = if values.contains(':') {
            range(values.trim())?
        } else {
            values.split(',').map(|v| super::spec::parse_value(v.trim())).collect()
        };
        Ok(Sweep { stage: stage.to_string(), param: param.to_string(), values, output })
    }
}

/// How a value appears in names: `1020`, `1020.5`, `ramp`.
pub fn label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `out.npy` → `out_center-1020.npy`.
pub fn value_path(path: &Path, param: &str, value: &Value) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let label: String =
        label(value).chars().map(|c| if c.is_ascii_alphanumeric() || ".-+".contains(c) { c } else { '_' }).collect();
    let name = match path.extension() {
        Some(ext) => format!("{stem}_{param}-{label}.{}", ext.to_string_lossy()),
        None => format!("{stem}_{param}-{label}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_include_their_stop() {
        assert_eq!(range("1:3:1").unwrap(), vec![Value::from(1), Value::from(2), Value::from(3)]);
        assert_eq!(
            range("1020:1021:0.5").unwrap(),
            vec![Value::from(1020.0), Value::from(1020.5), Value::from(1021.0)]
        );
        assert_eq!(range("0:0.3:0.1").unwrap().len(), 4, "0.3 is on the grid within rounding");
        assert_eq!(range("3:1:1").unwrap_err(), "expected start ≤ stop and a positive step, got `3:1:1`");
        assert_eq!(range("1:2").unwrap_err(), "expected `start:stop:step` (stop included), got `1:2`");
    }

    #[test]
    fn arguments_and_file_names() {
        let s = Sweep::parse_arg("recon.center=1020,1022.5", SweepOutput::Each).unwrap();
        assert_eq!((s.stage.as_str(), s.param.as_str()), ("recon", "center"));
        assert_eq!(s.values, vec![Value::from(1020), Value::from(1022.5)]);
        assert_eq!(
            value_path(Path::new("out/rec.zarr"), "center", &Value::from(1022.5)),
            Path::new("out/rec_center-1022.5.zarr")
        );
        assert_eq!(
            value_path(Path::new("m.npy"), "filter", &Value::from("shepp logan")),
            Path::new("m_filter-shepp_logan.npy")
        );
    }
}
