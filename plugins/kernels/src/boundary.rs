//! Boundary modes shared by the filtering plugins (`geometry`, `denoise`):
//! how values beyond an image's edge are made up, with scipy's and OpenCV's
//! names, and their index mapping. One table, so every filter extends
//! images the same way (`docs/CONVENTIONS.md`).

use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Half-sample symmetric (scipy's default).
    #[default]
    Reflect,
    /// A constant value (`cval`).
    Constant,
    /// Repeat the edge value.
    Nearest,
    /// Whole-sample symmetric.
    Mirror,
}

impl Mode {
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
    fn modes_are_named_as_in_scipy() {
        let names: Vec<String> = [Mode::Reflect, Mode::Constant, Mode::Nearest, Mode::Mirror]
            .iter()
            .map(|m| serde_json::to_value(m).unwrap().as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["reflect", "constant", "nearest", "mirror"]);
    }
}
