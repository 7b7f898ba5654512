//! Writing whole HDF5 files: through `<path>.partial`, renamed when
//! complete and synced, as every writer of this crate does.

use std::fs;
use std::path::Path;

use hdf5_metno as h5;
use plexus_plugin_api::{Array, DType};

use crate::error::IoError;
use crate::stack::partial_path;

/// Creates `<path>.partial`, lets `body` fill it, closes it and renames it
/// to `path`; the partial file is removed on failure.
pub(crate) fn write_file(path: &Path, body: impl FnOnce(&h5::File) -> h5::Result<()>) -> Result<(), IoError> {
    let partial = partial_path(path);
    // Create it with std first so that a missing folder or a permission
    // problem reads like every other write error of this crate.
    fs::File::create(&partial).map_err(|e| IoError::os(&partial, "create", e))?;
    let result = h5::File::create(&partial).and_then(|file| {
        let r = body(&file);
        r.and(file.close())
    });
    let result = result
        .map_err(|e| IoError::cannot_write(path, format!("HDF5: {e}")))
        .and_then(|_| {
            fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(|e| IoError::os(&partial, "write", e))
        })
        .and_then(|_| {
            fs::rename(&partial, path).map_err(|e| IoError::os(path, "rename the finished file into place", e))
        });
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result
}

pub(crate) fn write_array(group: &h5::Group, name: &str, a: &Array) -> h5::Result<h5::Dataset> {
    macro_rules! put {
        ($t:ty) => {{
            let data = a.as_slice::<$t>().map_err(|e| e.to_string())?;
            let builder = group.new_dataset::<$t>();
            let ds = if a.shape().is_empty() {
                builder.shape(()).create(name)?
            } else {
                builder.shape(a.shape()).create(name)?
            };
            ds.write_raw(data)?;
            ds
        }};
    }
    Ok(match a.dtype() {
        DType::U8 => put!(u8),
        DType::U16 => put!(u16),
        DType::U32 => put!(u32),
        DType::I16 => put!(i16),
        DType::I32 => put!(i32),
        DType::F32 => put!(f32),
        DType::F64 => put!(f64),
    })
}
