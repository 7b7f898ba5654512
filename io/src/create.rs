//! Which writer a path gets: [`create_writer`] picks it by the extension
//! (NPY and TIFF in order, Zarr in any order), with [`WriteOptions`].

use std::path::Path;

use crate::error::IoError;
use crate::format::Format;
use crate::tiff::TiffOptions;
use crate::writer::{ChunkWriter, DatasetSpec};
use crate::zarr::ZarrOptions;

/// Options for [`create_writer`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WriteOptions {
    /// Re-open a partial output of the same spec instead of starting over.
    pub resume: bool,
    /// TIFF options (classic or BigTIFF).
    pub tiff: TiffOptions,
    /// Zarr options (codec, sharding, OME metadata and pyramid).
    pub zarr: ZarrOptions,
}

/// Creates a writer for `path` in the format its extension names.
pub fn create_writer(path: &Path, spec: DatasetSpec, options: &WriteOptions) -> Result<Box<dyn ChunkWriter>, IoError> {
    spec.check(path)?;
    match Format::from_path(path)? {
        Format::Npy => Ok(Box::new(crate::npy::NpyWriter::create(path, spec, options.resume)?)),
        Format::Tiff => Ok(Box::new(crate::tiff::TiffWriter::create(path, spec, options.tiff, options.resume)?)),
        Format::Zarr => Ok(Box::new(crate::zarr::ZarrWriter::create(path, spec, &options.zarr, options.resume)?)),
        Format::Png => {
            Err(IoError::cannot_write(path, "a PNG chunk by chunk: PNG holds one image; write .tif, .npy or .zarr"))
        }
        Format::Hdf5 => Err(IoError::cannot_write(
            path,
            "an HDF5 file chunk by chunk: write .zarr, .tif or .npy, or a whole scan with `write_dxchange`",
        )),
    }
}
