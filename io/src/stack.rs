//! [`StackWriter`]: writes an array that arrives chunk by chunk along axis 0
//! (the way a pipeline emits frames), as NPY or TIFF, without holding it in
//! memory.
//!
//! Every write — streamed or whole — goes to `<path>.partial` and is renamed
//! to `<path>` only once complete and synced, so a crash or an error never
//! leaves a truncated file under the final name (an existing file there stays
//! untouched until the rename replaces it). A writer dropped without
//! [`finish`](StackWriter::finish) deletes its `.partial` file.

use std::fs::{self, File};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use plexus_plugin_api::{Array, DType};

use crate::error::{shown, IoError};
use crate::format::Format;
use crate::npy;
use crate::tiff::{TiffEncoder, TiffOptions};

/// The temporary name a file is written under: `scan.tif` → `scan.tif.partial`.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

/// An open `.partial` file that becomes `path` on [`Partial::commit`] and is
/// deleted if dropped before.
struct Partial {
    path: PathBuf,
    partial: PathBuf,
    out: Option<BufWriter<File>>,
}

impl Partial {
    fn create(path: &Path) -> Result<Partial, IoError> {
        let partial = partial_path(path);
        let file = File::create(&partial).map_err(|e| IoError::os(&partial, "create", e))?;
        Ok(Partial { path: path.to_path_buf(), partial, out: Some(BufWriter::with_capacity(1 << 20, file)) })
    }

    fn out(&mut self) -> &mut BufWriter<File> {
        // Only `commit` takes the writer, and it consumes `self`.
        self.out.as_mut().expect("partial file is open until commit")
    }

    /// Flushes, syncs and renames into place.
    fn commit(mut self) -> Result<(), IoError> {
        let out = self.out.take().expect("partial file is open until commit");
        let file = out.into_inner().map_err(|e| IoError::os(&self.partial, "write", e.into_error()))?;
        // Sync before the rename so that after a crash the final name holds
        // either the old file or the complete new one.
        file.sync_all().map_err(|e| IoError::os(&self.partial, "write", e))?;
        drop(file);
        fs::rename(&self.partial, &self.path)
            .map_err(|e| IoError::os(&self.path, "rename the finished file into place", e))
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            // Best effort: a failed write is already being reported.
            let _ = fs::remove_file(&self.partial);
        }
    }
}

/// Writes a whole file through a `.partial` file.
pub(crate) fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let mut p = Partial::create(path)?;
    body(p.out())?;
    p.commit()
}

enum Kind {
    Npy,
    Tiff(TiffEncoder),
}

/// Writes an array chunk by chunk along axis 0.
///
/// ```no_run
/// # use plexus_io::{Format, StackWriter};
/// # use plexus_plugin_api::Array;
/// # fn main() -> Result<(), plexus_io::IoError> {
/// let mut w = StackWriter::open("out.tif".as_ref(), Format::Tiff)?;
/// for z in 0..10 {
///     let slab = Array::zeros::<u16>(vec![4, 512, 512]);
///     w.append(&slab)?; // 4 more pages
/// }
/// w.finish()?; // out.tif: 40 × 512 × 512
/// # Ok(()) }
/// ```
///
/// All chunks must have the dtype and the shape after axis 0 of the first
/// one; axis labels are taken from the first chunk. The file content does
/// not depend on how the array was cut into chunks: appending it in one
/// piece or in seven gives identical bytes, the same as [`write`](crate::write).
pub struct StackWriter {
    out: Partial,
    kind: Kind,
    /// Dtype and shape after axis 0, fixed by the first chunk.
    first: Option<(DType, Vec<usize>)>,
    /// Length along axis 0 so far.
    rows: usize,
    chunks: usize,
    /// Set when a write failed half-way; later appends are refused.
    broken: bool,
}

impl std::fmt::Debug for StackWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackWriter")
            .field("path", &self.out.path)
            .field("rows", &self.rows)
            .field("chunks", &self.chunks)
            .finish_non_exhaustive()
    }
}

impl StackWriter {
    /// Starts writing `path` (as `<path>.partial`) in `format`, with default
    /// options. PNG holds a single image and cannot be streamed.
    pub fn open(path: &Path, format: Format) -> Result<StackWriter, IoError> {
        match format {
            Format::Npy => StackWriter::start(path, Kind::Npy),
            Format::Tiff => StackWriter::open_tiff(path, TiffOptions::default()),
            Format::Png => {
                Err(IoError::cannot_write(path, "a PNG chunk by chunk: PNG holds one image; stream to .tif or .npy"))
            }
            Format::Zarr => Err(IoError::cannot_write(
                path,
                "a Zarr store of unknown length chunk by chunk: create it with its full shape (`create_writer`), or stream to .tif or .npy",
            )),
            Format::Hdf5 => Err(IoError::cannot_write(
                path,
                "an HDF5 file chunk by chunk: stream to .tif or .npy, or write a whole scan with `write_dxchange`",
            )),
        }
    }

    /// Starts writing a TIFF with the given options.
    pub fn open_tiff(path: &Path, options: TiffOptions) -> Result<StackWriter, IoError> {
        StackWriter::start(path, Kind::Tiff(TiffEncoder::new(options)))
    }

    fn start(path: &Path, mut kind: Kind) -> Result<StackWriter, IoError> {
        let mut out = Partial::create(path)?;
        if let Kind::Tiff(enc) = &mut kind {
            enc.start(out.out()).map_err(|e| IoError::os(&out.partial, "write", e))?;
        }
        Ok(StackWriter { out, kind, first: None, rows: 0, chunks: 0, broken: false })
    }

    /// The final path (without `.partial`).
    pub fn path(&self) -> &Path {
        &self.out.path
    }

    /// Length along axis 0 written so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether nothing has been appended along axis 0 yet.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    fn chunk_err(&self, what: String) -> IoError {
        IoError::Chunk { file: shown(&self.out.path), index: self.chunks, what }
    }

    /// Appends a chunk along axis 0.
    pub fn append(&mut self, chunk: &Array) -> Result<(), IoError> {
        if self.broken {
            return Err(self.chunk_err("refused: an earlier chunk failed to write".into()));
        }
        let shape = chunk.shape();
        if shape.is_empty() {
            return Err(
                self.chunk_err("is 0-dimensional: chunks are stacked along axis 0 and need at least one axis".into())
            );
        }
        match &self.first {
            Some((dtype, trailing)) => {
                if chunk.dtype() != *dtype {
                    return Err(
                        self.chunk_err(format!("has dtype `{}`, expected `{dtype}` like chunk 0", chunk.dtype()))
                    );
                }
                if &shape[1..] != trailing.as_slice() {
                    let expected: Vec<String> =
                        std::iter::once("_".to_string()).chain(trailing.iter().map(|d| d.to_string())).collect();
                    return Err(self.chunk_err(format!(
                        "has shape {shape:?}, expected [{}] like chunk 0 (only axis 0 may differ)",
                        expected.join(", ")
                    )));
                }
            }
            None => {
                let path = self.out.path.clone();
                match &mut self.kind {
                    Kind::Npy => {
                        // Placeholder length 0; the header keeps its size
                        // whatever the final length, see `npy::header_bytes`.
                        let mut placeholder = shape.to_vec();
                        placeholder[0] = 0;
                        let header = npy::header_bytes(chunk.dtype(), &placeholder);
                        if let Err(e) = self.out.out().write_all(&header) {
                            self.broken = true;
                            return Err(IoError::os(&self.out.partial, "write", e));
                        }
                    }
                    Kind::Tiff(enc) => enc.accept_first(&path, chunk)?,
                }
                self.first = Some((chunk.dtype(), shape[1..].to_vec()));
            }
        }
        let result = match &mut self.kind {
            Kind::Npy => self.out.out().write_all(&crate::le_bytes(chunk)),
            Kind::Tiff(enc) => enc.append(self.out.out(), chunk),
        };
        if let Err(e) = result {
            self.broken = true;
            return Err(IoError::os(&self.out.partial, "write", e));
        }
        self.rows += shape[0];
        self.chunks += 1;
        Ok(())
    }

    /// Completes the file and renames it into place; returns its path.
    pub fn finish(mut self) -> Result<PathBuf, IoError> {
        if self.broken {
            return Err(self.chunk_err("refused: an earlier chunk failed to write".into()));
        }
        let Some((dtype, trailing)) = self.first.clone() else {
            return Err(IoError::cannot_write(
                &self.out.path,
                "an empty stack: no chunk was appended, so its element type and shape are unknown",
            ));
        };
        let path = self.out.path.clone();
        let partial = self.out.partial.clone();
        let werr = |e| IoError::os(&partial, "write", e);
        match &mut self.kind {
            Kind::Npy => {
                let mut shape = vec![self.rows];
                shape.extend_from_slice(&trailing);
                let header = npy::header_bytes(dtype, &shape);
                let out = self.out.out();
                out.seek(SeekFrom::Start(0)).map_err(werr)?;
                out.write_all(&header).map_err(werr)?;
            }
            Kind::Tiff(enc) => enc.finish(&path, self.out.out())?,
        }
        let StackWriter { out, .. } = self;
        out.commit()?;
        Ok(path)
    }

    /// Abandons the file: the `.partial` file is deleted, nothing appears
    /// under the final name. Dropping the writer does the same.
    pub fn abort(self) {}
}
