//! [`Batch`]: a folder of images (PNG, TIFF, NPY) read one by one, in the
//! order a person would sort them (`img2` before `img10`).
//!
//! Hidden files (`.name`), unfinished writes (`*.partial`), subfolders and
//! files of other types are skipped. Each image is read on demand, so one
//! bad file is an error naming it while the others still read;
//! [`Batch::check_uniform`] compares shapes and element types from the
//! headers alone.

use std::cmp::Ordering;
use std::fs;
use std::path::{Path, PathBuf};

use plexus_plugin_api::{Array, DType};

use crate::error::IoError;
use crate::format::Format;
use crate::inspect::inspect;

/// The images of a folder, in natural order.
#[derive(Debug, Clone)]
pub struct Batch {
    dir: PathBuf,
    paths: Vec<PathBuf>,
}

/// What every image of a uniform batch shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uniform {
    /// The shape of each image.
    pub shape: Vec<usize>,
    /// The element type of each image.
    pub dtype: DType,
}

impl Batch {
    /// Lists the PNG, TIFF and NPY files of `dir` (not its subfolders), by
    /// extension, in natural order.
    pub fn open(dir: &Path) -> Result<Batch, IoError> {
        let entries = fs::read_dir(dir).map_err(|e| IoError::os(dir, "list", e))?;
        let mut paths = vec![];
        for entry in entries {
            let entry = entry.map_err(|e| IoError::os(dir, "list", e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name.ends_with(".partial") {
                continue;
            }
            let path = entry.path();
            let image = path
                .extension()
                .and_then(|e| e.to_str())
                .and_then(Format::from_extension)
                .is_some_and(|f| matches!(f, Format::Png | Format::Tiff | Format::Npy));
            // Follows symbolic links; a dangling one is skipped like a folder.
            if image && fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                paths.push(path);
            }
        }
        paths.sort_by(|a, b| {
            let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            natural_cmp(&name(a), &name(b))
        });
        Ok(Batch { dir: dir.to_path_buf(), paths })
    }

    /// The folder, as given.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether the folder holds no images.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The image files, in order.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Reads image `i`; errors name its file.
    pub fn read(&self, i: usize) -> Result<Array, IoError> {
        match self.paths.get(i) {
            Some(p) => crate::read(p),
            None => Err(IoError::batch(
                &self.dir,
                format!(
                    "no image {i}: the folder holds {} image{}",
                    self.len(),
                    if self.len() == 1 { "" } else { "s" }
                ),
            )),
        }
    }

    /// Every image with its path, in order; a bad file is an `Err` naming
    /// it and does not stop the others.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, Result<Array, IoError>)> + '_ {
        self.paths.iter().map(|p| (p.as_path(), crate::read(p)))
    }

    /// Whether every image has the shape and element type of the first,
    /// from headers only. The error names the first file that differs and
    /// how, or the first one that cannot be read.
    pub fn check_uniform(&self) -> Result<Uniform, IoError> {
        let mut first: Option<(&Path, Uniform)> = None;
        for path in &self.paths {
            let i = inspect(path)?;
            let Some(dtype) = i.dtype else {
                let why = i.problem.unwrap_or_else(|| format!("unsupported element type {}", i.stored));
                return Err(IoError::batch(path, format!("cannot be read: {why}")));
            };
            let here = Uniform { shape: i.shape, dtype };
            match &first {
                None => first = Some((path, here)),
                Some((p0, u)) => {
                    let name0 = p0.file_name().unwrap_or_default().to_string_lossy();
                    if here.shape != u.shape {
                        return Err(IoError::batch(
                            path,
                            format!(
                                "shape {} differs from {} of `{name0}`, the first image of the batch",
                                dims(&here.shape),
                                dims(&u.shape)
                            ),
                        ));
                    }
                    if here.dtype != u.dtype {
                        return Err(IoError::batch(
                            path,
                            format!(
                                "element type {} differs from {} of `{name0}`, the first image of the batch",
                                here.dtype, u.dtype
                            ),
                        ));
                    }
                }
            }
        }
        first
            .map(|(_, u)| u)
            .ok_or_else(|| IoError::batch(&self.dir, "no images: the folder holds no .png, .tif/.tiff or .npy files"))
    }
}

fn dims(shape: &[usize]) -> String {
    if shape.is_empty() {
        return "scalar".into();
    }
    shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" × ")
}

/// Compares names the way people sort them: runs of digits by value
/// (`img2` < `img10`), the rest case-insensitively; ties are broken by the
/// exact text, so the order is total.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn runs(s: &str) -> impl Iterator<Item = (bool, &str)> {
        let mut rest = s;
        std::iter::from_fn(move || {
            let first = rest.chars().next()?;
            let digits = first.is_ascii_digit();
            let end = rest.find(|c: char| c.is_ascii_digit() != digits).unwrap_or(rest.len());
            let (run, tail) = rest.split_at(end);
            rest = tail;
            Some((digits, run))
        })
    }
    let mut ra = runs(a);
    let mut rb = runs(b);
    loop {
        let ord = match (ra.next(), rb.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some((true, x)), Some((true, y))) => {
                let (xs, ys) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                xs.len().cmp(&ys.len()).then_with(|| xs.cmp(ys))
            }
            (Some((_, x)), Some((_, y))) => {
                x.chars().flat_map(char::to_lowercase).cmp(y.chars().flat_map(char::to_lowercase))
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v = vec!["img10.png", "img2.png", "Img1.png", "img02.png", "a.tif", "img2b.png", "img2.npy", "b"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["a.tif", "b", "Img1.png", "img2.npy", "img02.png", "img2.png", "img2b.png", "img10.png"]);
        assert_eq!(natural_cmp("x99999999999999999999999", "x100000000000000000000000"), Ordering::Less);
        assert_eq!(natural_cmp("é2", "é10"), Ordering::Less);
    }
}
