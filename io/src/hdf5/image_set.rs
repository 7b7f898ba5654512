//! Image sets: the root holds datasets named `0`, `1`, … `n-1`, nothing
//! else, each one image (`y x`, or `y x band` when the last of three axes
//! has at most 4 elements) with its attributes. Images may differ in shape
//! and type. [`ImageSet::split_at`] and [`ImageSet::odd_even`] give index
//! views.

use std::path::{Path, PathBuf};

use hdf5_metno as h5;
use plexus_plugin_api::{default_axes, Array};

use crate::error::IoError;
use crate::hdf5::attrs::{read_attrs, write_attr, Attr, Attributes};
use crate::hdf5::elements::{labelled, read_array};
use crate::hdf5::file::{find, open};
use crate::hdf5::write::{write_array, write_file};

/// The axis labels of an image of `shape`.
fn image_axes(shape: &[usize]) -> String {
    match shape {
        [_, _, b] if *b <= 4 => "y x band".into(),
        _ => default_axes(shape.len()),
    }
}

/// The index a root member stands for: `"0"`, `"17"`, not `"017"` or `"a"`.
fn index_of(name: &str) -> Option<usize> {
    let canonical = name == "0" || (!name.starts_with('0') && !name.is_empty());
    if canonical && name.bytes().all(|b| b.is_ascii_digit()) {
        name.parse().ok()
    } else {
        None
    }
}

/// An HDF5 image set: datasets `0` … `n-1` at the root, each an image with
/// attributes.
///
/// ```no_run
/// # fn main() -> Result<(), plexus_io::IoError> {
/// let set = plexus_io::ImageSet::open("crops.h5".as_ref())?;
/// let (train, test) = set.split_at(4);
/// for item in train.iter() {
///     let (image, attrs) = item?;
///     println!("{:?} {}", image.shape(), attrs["label"]);
/// }
/// # let _ = test; Ok(()) }
/// ```
pub struct ImageSet {
    path: PathBuf,
    file: h5::File,
    len: usize,
}

impl std::fmt::Debug for ImageSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageSet").field("path", &self.path).field("len", &self.len).finish_non_exhaustive()
    }
}

impl ImageSet {
    /// Opens `path` and checks the layout: every root member is a dataset
    /// named by its index, and no index from 0 to the largest is missing.
    pub fn open(path: &Path) -> Result<ImageSet, IoError> {
        let file = open(path)?;
        let not_a_set = |what: String| IoError::malformed(path, None, format!("not an image set: {what}"));
        let names = file.member_names().map_err(|e| not_a_set(format!("cannot list the root group: {e}")))?;
        let mut indices = Vec::with_capacity(names.len());
        for name in &names {
            let Some(i) = index_of(name) else {
                return Err(not_a_set(format!("the root holds `{name}`, expected only datasets named `0`, `1`, …")));
            };
            if !matches!(file.loc_type_by_name(name), Ok(h5::LocationType::Dataset)) {
                return Err(not_a_set(format!("`/{name}` is not a dataset")));
            }
            indices.push(i);
        }
        indices.sort_unstable();
        if let Some(missing) = indices.iter().enumerate().find(|(k, i)| *k != **i).map(|(k, _)| k) {
            return Err(not_a_set(format!(
                "`/{missing}` is missing, expected datasets `0` to `{}` without gaps",
                indices.last().copied().unwrap_or(0)
            )));
        }
        Ok(ImageSet { path: path.to_path_buf(), file, len: indices.len() })
    }

    /// The file, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set has no images.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn dataset(&self, i: usize) -> Result<(String, h5::Dataset), IoError> {
        let name = format!("/{i}");
        if i >= self.len {
            return Err(IoError::dataset(
                &self.path,
                &name,
                match self.len {
                    0 => "not found; the image set is empty".to_string(),
                    n => format!("not found; the image set has {n} images, `0` to `{}`", n - 1),
                },
            ));
        }
        let ds = find(&self.file, &self.path, &name)?;
        Ok((name, ds))
    }

    /// Image `i` (`y x` or `y x band`) and its attributes.
    pub fn get(&self, i: usize) -> Result<(Array, Attributes), IoError> {
        let (name, ds) = self.dataset(i)?;
        let a = read_array(&self.path, &name, &ds)?;
        let axes = image_axes(a.shape());
        let a = labelled(&self.path, &name, a, &axes)?;
        Ok((a, read_attrs(&self.path, &name, &ds)?))
    }

    /// The attributes of image `i`, without reading its pixels.
    pub fn attributes(&self, i: usize) -> Result<Attributes, IoError> {
        let (name, ds) = self.dataset(i)?;
        read_attrs(&self.path, &name, &ds)
    }

    /// Every image in index order; an unreadable one is an `Err` naming
    /// its dataset and the others still read.
    pub fn iter(&self) -> impl Iterator<Item = Result<(Array, Attributes), IoError>> + '_ {
        (0..self.len).map(|i| self.get(i))
    }

    /// A view of all images.
    pub fn all(&self) -> ImageSetView<'_> {
        ImageSetView { set: self, indices: (0..self.len).collect() }
    }

    /// The first `n` images and the rest (`n` larger than the set gives
    /// everything and an empty view).
    pub fn split_at(&self, n: usize) -> (ImageSetView<'_>, ImageSetView<'_>) {
        let n = n.min(self.len);
        (
            ImageSetView { set: self, indices: (0..n).collect() },
            ImageSetView { set: self, indices: (n..self.len).collect() },
        )
    }

    /// The images at odd indices (1, 3, …) and at even ones (0, 2, …).
    pub fn odd_even(&self) -> (ImageSetView<'_>, ImageSetView<'_>) {
        let (odd, even) = (0..self.len).partition(|i| i % 2 == 1);
        (ImageSetView { set: self, indices: odd }, ImageSetView { set: self, indices: even })
    }
}

/// A selection of an [`ImageSet`]'s images by index; reads lazily.
#[derive(Debug, Clone)]
pub struct ImageSetView<'a> {
    set: &'a ImageSet,
    indices: Vec<usize>,
}

impl<'a> ImageSetView<'a> {
    /// The indices in the set, in order.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// Number of images in the view.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether the view has no images.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The `k`-th image of the view (image `indices()[k]` of the set).
    pub fn get(&self, k: usize) -> Result<(Array, Attributes), IoError> {
        match self.indices.get(k) {
            Some(&i) => self.set.get(i),
            None => Err(IoError::dataset(
                &self.set.path,
                "/",
                format!("no image {k} in a view of {} images", self.indices.len()),
            )),
        }
    }

    /// The view's images in order.
    pub fn iter(&self) -> impl Iterator<Item = Result<(Array, Attributes), IoError>> + '_ {
        self.indices.iter().map(|&i| self.set.get(i))
    }
}

/// Writes an image set: image `i` becomes dataset `/i` with the attributes
/// `attrs[i]`. `attrs` is either empty (no attributes) or one map per image.
///
/// Attribute values must be numbers, bools, strings or flat arrays of one
/// of them; anything else is refused, naming the image and the attribute,
/// before any file is created.
pub fn write_image_set(path: &Path, images: &[Array], attrs: &[Attributes]) -> Result<(), IoError> {
    if !attrs.is_empty() && attrs.len() != images.len() {
        return Err(IoError::cannot_write(
            path,
            format!("{} images with {} attribute maps: give one map per image, or none", images.len(), attrs.len()),
        ));
    }
    let mut converted = Vec::with_capacity(attrs.len());
    for (i, map) in attrs.iter().enumerate() {
        let mut one = Vec::with_capacity(map.len());
        for (k, v) in map {
            let a = Attr::from_json(v)
                .map_err(|why| IoError::cannot_write(path, format!("attribute `{k}` of image {i}: {why}")))?;
            one.push((k.as_str(), a));
        }
        converted.push(one);
    }
    write_file(path, |file| {
        for (i, image) in images.iter().enumerate() {
            let ds = write_array(file, &i.to_string(), image)?;
            for (k, a) in converted.get(i).map(|c| c.as_slice()).unwrap_or(&[]) {
                write_attr(&ds, k, a)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_are_canonical() {
        assert_eq!(index_of("0"), Some(0));
        assert_eq!(index_of("17"), Some(17));
        assert_eq!(index_of("017"), None);
        assert_eq!(index_of(""), None);
        assert_eq!(index_of("a1"), None);
        assert_eq!(index_of("-1"), None);
    }
}
