//! Parameter parsing shared by the operators: enum options parsed from strings
//! with errors that list the accepted values, and boundary-mode index mapping.

use plexus_plugin_api::{Params, PluginError};

/// Parses string parameter `name` (or `default` when unset) into one of `choices`.
pub fn choice<T: Copy>(params: &Params, name: &str, default: &str, choices: &[(&str, T)]) -> Result<T, PluginError> {
    let got = params.str_or(name, default)?;
    parse_choice(name, got, choices)
}

/// Looks `got` up in `choices`; the error names the parameter and lists the choices.
pub fn parse_choice<T: Copy>(name: &str, got: &str, choices: &[(&str, T)]) -> Result<T, PluginError> {
    choices.iter().find(|(n, _)| *n == got).map(|(_, v)| *v).ok_or_else(|| {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        PluginError::param(name, format!("expected one of {}, got `{got}`", names.join(", ")))
    })
}

/// A list of non-negative integers, or `default` when unset.
pub fn usize_list_or(params: &Params, name: &str, default: &[usize]) -> Result<Vec<usize>, PluginError> {
    let Some(v) = params.get(name) else { return Ok(default.to_vec()) };
    let list = v.as_array().ok_or_else(|| PluginError::param(name, "expected a list of integers"))?;
    list.iter()
        .map(|v| {
            v.as_u64()
                .map(|u| u as usize)
                .ok_or_else(|| PluginError::param(name, "expected a list of non-negative integers"))
        })
        .collect()
}

/// A list of numbers, or `default` when unset.
pub fn f64_list_or(params: &Params, name: &str, default: &[f64]) -> Result<Vec<f64>, PluginError> {
    if params.get(name).is_none() {
        return Ok(default.to_vec());
    }
    params.f64_list(name)
}

/// How values outside the image are made up, with scipy.ndimage's names.
///
/// | mode | extension of `a b c d` | OpenCV border |
/// |---|---|---|
/// | `reflect` | `d c b a \| a b c d \| d c b a` | `BORDER_REFLECT` |
/// | `mirror` | `d c b \| a b c d \| c b a` | `BORDER_REFLECT_101` (OpenCV's default) |
/// | `nearest` | `a a a \| a b c d \| d d d` | `BORDER_REPLICATE` |
/// | `constant` | `k k k \| a b c d \| k k k` | `BORDER_CONSTANT` |
///
/// The extension is periodic as in scipy, so a kernel larger than the image
/// is handled (reflect: period `2n`, mirror: period `2n - 2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Half-sample symmetric.
    Reflect,
    /// A constant value (`cval`).
    Constant,
    /// Repeat the edge value.
    Nearest,
    /// Whole-sample symmetric.
    Mirror,
}

impl Mode {
    /// The accepted names.
    pub const CHOICES: [(&'static str, Mode); 4] = [
        ("reflect", Mode::Reflect),
        ("constant", Mode::Constant),
        ("nearest", Mode::Nearest),
        ("mirror", Mode::Mirror),
    ];

    /// Parses parameter `mode` (default `reflect`, as scipy).
    pub fn from_params(params: &Params) -> Result<Mode, PluginError> {
        choice(params, "mode", "reflect", &Mode::CHOICES)
    }

    /// Parses a name.
    pub fn parse(name: &str) -> Result<Mode, PluginError> {
        parse_choice("mode", name, &Mode::CHOICES)
    }

    /// The source index for index `i` of an axis of length `n` (`n > 0`), or
    /// `None` where the constant value applies.
    pub fn map(self, i: isize, n: usize) -> Option<usize> {
        let n = n as isize;
        if (0..n).contains(&i) {
            return Some(i as usize);
        }
        match self {
            Mode::Constant => None,
            Mode::Nearest => Some(i.clamp(0, n - 1) as usize),
            Mode::Reflect => {
                let p = 2 * n;
                let m = i.rem_euclid(p);
                Some(if m < n { m } else { p - 1 - m } as usize)
            }
            Mode::Mirror => {
                if n == 1 {
                    return Some(0);
                }
                let p = 2 * n - 2;
                let m = i.rem_euclid(p);
                Some(if m < n { m } else { p - m } as usize)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_extend_like_scipy() {
        // a b c d = 0 1 2 3; indices -4..8
        let ext = |m: Mode| (-4..8).map(|i| m.map(i, 4).map(|v| v as i64).unwrap_or(-1)).collect::<Vec<_>>();
        assert_eq!(ext(Mode::Reflect), [3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0]);
        assert_eq!(ext(Mode::Mirror), [2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1]);
        assert_eq!(ext(Mode::Nearest), [0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3]);
        assert_eq!(ext(Mode::Constant), [-1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1]);
    }

    #[test]
    fn unknown_mode_lists_choices() {
        assert_eq!(
            Mode::parse("wrap").unwrap_err().to_string(),
            "parameter `mode`: expected one of reflect, constant, nearest, mirror, got `wrap`"
        );
    }
}
