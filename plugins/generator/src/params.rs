//! Reading the generators' parameters: image shapes, frame counts, seeds.
//!
//! The host validates parameters against `plugin.toml` and fills defaults,
//! but operators are also built directly in tests and by third-party hosts,
//! so each getter re-checks what the code relies on and names the parameter
//! and the bad value in its error.

use plexus_plugin_api::{Params, PluginError};

/// A list of positive sizes such as `shape = [256, 256]`, or `default`.
pub fn shape(params: &Params, name: &str, default: &[usize]) -> Result<Vec<usize>, PluginError> {
    let Some(value) = params.get(name) else {
        return Ok(default.to_vec());
    };
    let bad = || PluginError::param(name, format!("expected a list of positive integers, got {value}"));
    let list = value.as_array().ok_or_else(bad)?;
    if list.is_empty() {
        return Err(PluginError::param(name, "expected at least one axis, got []"));
    }
    let dims: Vec<usize> = list
        .iter()
        .map(|v| v.as_u64().filter(|&d| d > 0).and_then(|d| usize::try_from(d).ok()).ok_or_else(bad))
        .collect::<Result<_, _>>()?;
    let mut total: usize = 1;
    for &d in &dims {
        total = total.checked_mul(d).ok_or_else(|| PluginError::param(name, format!("{value} is too large")))?;
    }
    Ok(dims)
}

/// A positive integer, or `default`.
pub fn positive(params: &Params, name: &str, default: u64) -> Result<u64, PluginError> {
    let v = params.u64_or(name, default)?;
    if v == 0 {
        return Err(PluginError::param(name, "expected a positive integer, got 0"));
    }
    Ok(v)
}

/// A positive integer that is used as an array extent, or `default`.
pub fn extent(params: &Params, name: &str, default: usize) -> Result<usize, PluginError> {
    let v = positive(params, name, default as u64)?;
    usize::try_from(v).map_err(|_| PluginError::param(name, format!("{v} is too large")))
}

/// A finite number, or `default`.
pub fn finite(params: &Params, name: &str, default: f64) -> Result<f64, PluginError> {
    let v = params.f64_or(name, default)?;
    if !v.is_finite() {
        return Err(PluginError::param(name, format!("expected a finite number, got {v}")));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(json: &str) -> Params {
        Params::from_json(json, 1).unwrap()
    }

    #[test]
    fn shape_defaults_and_validates() {
        assert_eq!(shape(&p("{}"), "shape", &[4, 5]).unwrap(), vec![4, 5]);
        assert_eq!(shape(&p(r#"{"shape": [2, 3, 4]}"#), "shape", &[1]).unwrap(), vec![2, 3, 4]);
        assert_eq!(
            shape(&p(r#"{"shape": [2, 0]}"#), "shape", &[1]).unwrap_err().to_string(),
            "parameter `shape`: expected a list of positive integers, got [2,0]"
        );
        assert_eq!(
            shape(&p(r#"{"shape": 7}"#), "shape", &[1]).unwrap_err().to_string(),
            "parameter `shape`: expected a list of positive integers, got 7"
        );
        assert_eq!(
            shape(&p(r#"{"shape": []}"#), "shape", &[1]).unwrap_err().to_string(),
            "parameter `shape`: expected at least one axis, got []"
        );
    }

    #[test]
    fn positive_rejects_zero() {
        assert_eq!(
            positive(&p(r#"{"frames": 0}"#), "frames", 1).unwrap_err().to_string(),
            "parameter `frames`: expected a positive integer, got 0"
        );
        assert_eq!(positive(&p("{}"), "frames", 3).unwrap(), 3);
    }
}
