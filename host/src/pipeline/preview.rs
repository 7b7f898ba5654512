//! `[input] preview`: a subset of the input along each axis, as Python
//! slices `start:stop:step`, so a pipeline can be tried (or tuned, with a
//! sweep) on a few slices of a large scan.
//!
//! ```toml
//! [input]
//! path = "scan.h5"
//! preview = { angle = "0:1500:4", row = "1000:1008" }   # by axis label
//! # preview = ["0:1500:4", "1000:1008"]                 # or in axis order
//! ```
//!
//! Axes not named are kept whole. Indices follow Python: `start` included,
//! `stop` excluded, negative values count from the end, `step` at least 1.
//! The angles travel with the projections they belong to: a dxchange
//! scan's `theta` is cut with the `angle` axis, its flat and dark fields
//! with the others.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `start:stop:step` along one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    /// First index (negative: from the end); `None`: 0.
    pub start: Option<i64>,
    /// End, excluded (negative: from the end); `None`: the extent.
    pub stop: Option<i64>,
    /// Step, at least 1.
    pub step: usize,
}

impl Slice {
    /// Parses `start:stop:step`, `start:stop`, `:`, `::2`, or one index.
    pub fn parse(text: &str) -> Result<Slice, String> {
        let t = text.trim();
        let bad = || format!("expected `start:stop:step` (Python slice, e.g. `0:720:4`), got `{text}`");
        let parts: Vec<&str> = t.split(':').collect();
        let num = |s: &str| -> Result<Option<i64>, String> {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse::<i64>().map(Some).map_err(|_| bad())
            }
        };
        match parts.as_slice() {
            [one] => {
                let i = num(one)?.ok_or_else(bad)?;
                Ok(Slice { start: Some(i), stop: Some(if i == -1 { i64::MAX } else { i + 1 }), step: 1 })
            }
            [a, b] => Ok(Slice { start: num(a)?, stop: num(b)?, step: 1 }),
            [a, b, c] => {
                let step = num(c)?.unwrap_or(1);
                if step < 1 {
                    return Err(format!("the step must be at least 1, got `{text}`"));
                }
                Ok(Slice { start: num(a)?, stop: num(b)?, step: step as usize })
            }
            _ => Err(bad()),
        }
    }

    /// The indices it selects of an axis of extent `n`.
    pub fn indices(&self, n: usize) -> Vec<usize> {
        let n = n as i64;
        let clamp = |v: i64| if v < 0 { (v + n).max(0) } else { v.min(n) };
        let start = self.start.map(clamp).unwrap_or(0);
        let stop = match self.stop {
            Some(i64::MAX) => n,
            Some(v) => clamp(v),
            None => n,
        };
        (start..stop.max(start)).step_by(self.step).map(|i| i as usize).collect()
    }
}

/// The preview as written: a list (axis order) or a table (axis labels).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum PreviewSpec {
    /// One slice per axis, in order.
    List(Vec<String>),
    /// Slices by axis label.
    Table(BTreeMap<String, String>),
}

/// Which axis a slice applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AxisRef {
    /// By position.
    Index(usize),
    /// By label (`angle`, `row`).
    Label(String),
}

/// A checked preview.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Preview {
    /// The slices, each with its axis.
    pub slices: Vec<(AxisRef, Slice)>,
}

impl Preview {
    /// Checks every slice's syntax; the error names the entry.
    pub fn from_spec(spec: &PreviewSpec) -> Result<Preview, String> {
        let slices = match spec {
            PreviewSpec::List(list) => list
                .iter()
                .enumerate()
                .map(|(i, s)| Slice::parse(s).map(|sl| (AxisRef::Index(i), sl)).map_err(|e| format!("[{i}]: {e}")))
                .collect::<Result<_, _>>()?,
            PreviewSpec::Table(t) => t
                .iter()
                .map(|(k, s)| {
                    Slice::parse(s).map(|sl| (AxisRef::Label(k.clone()), sl)).map_err(|e| format!("`{k}`: {e}"))
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Preview { slices })
    }

    /// The indices kept along each axis of a dataset of `shape` with axis
    /// labels `axes`; the error names an axis that is not there.
    pub fn resolve(&self, shape: &[usize], axes: &str) -> Result<Vec<Vec<usize>>, String> {
        let labels: Vec<&str> = axes.split_whitespace().collect();
        let mut keep: Vec<Vec<usize>> = shape.iter().map(|&n| (0..n).collect()).collect();
        for (axis, slice) in &self.slices {
            let i = match axis {
                AxisRef::Index(i) if *i < shape.len() => *i,
                AxisRef::Index(i) => {
                    return Err(format!("entry [{i}] is past the last axis of a {}-D dataset (`{axes}`)", shape.len()))
                }
                AxisRef::Label(l) => labels
                    .iter()
                    .position(|x| x == l)
                    .ok_or_else(|| format!("the dataset has no axis `{l}` (its axes are `{axes}`)"))?,
            };
            keep[i] = slice.indices(shape[i]);
            if keep[i].is_empty() {
                return Err(format!("axis `{}` of extent {} keeps no index", labels.get(i).unwrap_or(&"?"), shape[i]));
            }
        }
        Ok(keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_slices() {
        let s = |t: &str| Slice::parse(t).unwrap();
        assert_eq!(s("0:10:3").indices(20), vec![0, 3, 6, 9]);
        assert_eq!(s(":").indices(3), vec![0, 1, 2]);
        assert_eq!(s("::2").indices(5), vec![0, 2, 4]);
        assert_eq!(s("-2:").indices(5), vec![3, 4]);
        assert_eq!(s("3").indices(5), vec![3]);
        assert_eq!(s("-1").indices(5), vec![4]);
        assert_eq!(s("2:100").indices(5), vec![2, 3, 4]);
        assert_eq!(
            Slice::parse("a:b").unwrap_err(),
            "expected `start:stop:step` (Python slice, e.g. `0:720:4`), got `a:b`"
        );
        assert_eq!(Slice::parse("0:4:0").unwrap_err(), "the step must be at least 1, got `0:4:0`");
    }

    #[test]
    fn by_label_and_by_position() {
        let table = PreviewSpec::Table([("row".to_string(), "1:3".to_string())].into_iter().collect());
        let p = Preview::from_spec(&table).unwrap();
        assert_eq!(p.resolve(&[4, 5, 2], "angle row col").unwrap(), vec![vec![0, 1, 2, 3], vec![1, 2], vec![0, 1]]);
        assert_eq!(p.resolve(&[4, 5], "y x").unwrap_err(), "the dataset has no axis `row` (its axes are `y x`)");
        let list = Preview::from_spec(&PreviewSpec::List(vec!["::2".into()])).unwrap();
        assert_eq!(list.resolve(&[4, 2], "y x").unwrap(), vec![vec![0, 2], vec![0, 1]]);
    }
}
