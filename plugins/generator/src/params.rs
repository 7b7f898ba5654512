//! What the generators' parameter structs share: image shapes, counts and
//! seeds, their one-line docs, and the checks the code relies on beyond
//! the ranges the structs declare (a shape must have an axis and fit in
//! memory; numbers must be finite).

use plexus_plugin_api::PluginError;

/// Doc of every `seed` parameter whose images depend on seed and index only.
pub const SEED_DOC: &str = "random seed; image i depends on seed and i only";
/// Doc of every `shape` of one image.
pub const SHAPE_DOC: &str = "shape of one image, (y, x)";
/// Doc of every `frames` count.
pub const FRAMES_DOC: &str = "number of images";

/// Checks a list of sizes such as `shape = [256, 256]`: at least one axis,
/// every size positive (the struct's range says so too), product in range.
pub fn shape(name: &str, dims: &[usize]) -> Result<Vec<usize>, PluginError> {
    if dims.is_empty() {
        return Err(PluginError::bad_parameter(name, "at least one axis", "[]"));
    }
    if dims.contains(&0) {
        return Err(PluginError::bad_parameter(name, "a list of positive integers", format!("{dims:?}")));
    }
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| PluginError::bad_parameter(name, "a shape whose size fits in memory", format!("{dims:?}")))?;
    Ok(dims.to_vec())
}

/// Checks that `v` is finite.
pub fn finite(name: &str, v: f64) -> Result<f64, PluginError> {
    if !v.is_finite() {
        return Err(PluginError::bad_parameter(name, "a finite number", v.to_string()));
    }
    Ok(v)
}

/// Builds operator `name` of this plugin from `json` as the host would,
/// and returns the error it refuses with (tests).
#[cfg(test)]
pub fn refusal(name: &str, json: &str) -> String {
    match crate::PLUGIN.build(name, json, &plexus_plugin_api::Context::new(1)) {
        Ok(_) => panic!("`{name}` accepted {json}"),
        Err(e) => e.to_string(),
    }
}

/// The parameter struct `P` decoded from `json` (tests).
#[cfg(test)]
pub fn decoded<P: plexus_plugin_api::Params>(json: &str) -> P {
    plexus_plugin_api::params::decode(json).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_need_an_axis_and_positive_sizes() {
        assert_eq!(shape("shape", &[2, 3, 4]).unwrap(), vec![2, 3, 4]);
        assert_eq!(
            shape("shape", &[2, 0]).unwrap_err().to_string(),
            "parameter `shape`: expected a list of positive integers, got [2, 0]"
        );
        assert_eq!(
            shape("shape", &[]).unwrap_err().to_string(),
            "parameter `shape`: expected at least one axis, got []"
        );
        assert_eq!(
            shape("shape", &[usize::MAX, 2]).unwrap_err().to_string(),
            format!("parameter `shape`: expected a shape whose size fits in memory, got [{}, 2]", usize::MAX)
        );
    }

    #[test]
    fn the_host_refuses_what_the_structs_declare_out_of_range() {
        assert_eq!(refusal("uniform", r#"{"frames": 0}"#), "parameter `frames`: expected at least 1, got 0");
        assert_eq!(refusal("uniform", r#"{"shape": 7}"#), "parameter `shape`: expected a list of integers, got `7`");
    }
}
