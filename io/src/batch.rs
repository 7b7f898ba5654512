//! [`Batch`]: a folder of images (PNG, TIFF, NPY) read one by one, in the
//! order a person would sort them (`img2` before `img10`).
//!
//! Hidden files (`.name`), unfinished writes (`*.partial`), subfolders and
//! files of other types are skipped. Each image is read on demand, so one
//! bad file is an error naming it while the others still read;
//! [`Batch::check_uniform`] compares shapes and element types from the
//! headers alone.

use std::fs;
use std::path::{Path, PathBuf};

use plexus_plugin_api::{Array, DType};

use crate::error::IoError;
use crate::format::Format;
use crate::inspect::inspect;
use crate::natural::natural_cmp;

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
