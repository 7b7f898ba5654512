//! [`inspect`]: what `plexus inspect FILE` prints. Reads headers and
//! directories, never decodes pixel data (a PNG's chunks are read through
//! once to check their CRCs and lengths), so it is quick on files of any size
//! and still says something useful about files that [`read`](crate::read)
//! refuses (an unsupported element type, pages of different sizes).

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};

use plexus_plugin_api::DType;

use crate::error::IoError;
use crate::format::{detect, Format};
use crate::hdf5::DatasetInfo;
use crate::{npy, png, tiff};

/// What a file holds, from its headers.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Inspection {
    /// The file, as given.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Format details: `classic, little-endian`, `BigTIFF, big-endian`,
    /// `version 1.0`, `8-bit RGB, interlaced`.
    pub variant: String,
    /// Size in bytes.
    pub file_size: u64,
    /// The shape [`read`](crate::read) returns.
    pub shape: Vec<usize>,
    /// The axis labels [`read`](crate::read) returns.
    pub axes: String,
    /// The element type [`read`](crate::read) returns, `None` when it
    /// refuses the file (see `problem`).
    pub dtype: Option<DType>,
    /// How elements are stored (`u16`, `>f4`, `float16`, `16-bit signed`).
    pub stored: String,
    /// TIFF pages in the file (1 for PNG and NPY).
    pub pages: usize,
    /// Samples per pixel: 1 for gray, 3 for RGB, ...
    pub bands: usize,
    /// Compression: `none`, `LZW`, `deflate`, ...
    pub compression: String,
    /// How data is laid out: `strips of 32 rows`, `tiles 256×256`,
    /// `C order`, `Fortran order`.
    pub layout: String,
    /// Why [`read`](crate::read) would refuse the file, if it would.
    pub problem: Option<String>,
    /// Other things worth knowing (widened types, skipped pages, ...).
    pub notes: Vec<String>,
    /// HDF5 only: every dataset in the file, in name order (empty for
    /// other formats, and for HDF5 without the `hdf5` feature).
    pub datasets: Vec<DatasetInfo>,
}

/// Describes `path` from its headers, without decoding pixels.
pub fn inspect(path: &Path) -> Result<Inspection, IoError> {
    let (format, file_size) = detect(path)?;
    let mut i = Inspection {
        path: path.to_path_buf(),
        format,
        variant: String::new(),
        file_size,
        shape: vec![],
        axes: String::new(),
        dtype: None,
        stored: String::new(),
        pages: 1,
        bands: 1,
        compression: "none".into(),
        layout: String::new(),
        problem: None,
        notes: vec![],
        datasets: vec![],
    };
    match format {
        Format::Npy => inspect_npy(path, &mut i)?,
        Format::Png => inspect_png(path, &mut i)?,
        Format::Tiff => inspect_tiff(path, &mut i)?,
        Format::Hdf5 => inspect_hdf5(path, &mut i)?,
        Format::Zarr => inspect_zarr(path, &mut i)?,
    }
    Ok(i)
}

#[cfg(feature = "hdf5")]
fn inspect_hdf5(path: &Path, i: &mut Inspection) -> Result<(), IoError> {
    i.datasets = crate::hdf5::describe_datasets(path)?;
    let n = i.datasets.len();
    i.variant = format!("{n} dataset{}", if n == 1 { "" } else { "s" });
    i.compression = String::new();
    // What `read` returns: `/exchange/data`, or the only dataset.
    let main = i.datasets.iter().find(|d| d.path == crate::hdf5::DXCHANGE_DATA);
    let main = main.or(if n == 1 { i.datasets.first() } else { None });
    match main {
        Some(d) => {
            i.shape = d.shape.clone();
            i.axes = if d.path == crate::hdf5::DXCHANGE_DATA && d.shape.len() == 3 {
                "angle row col".into()
            } else {
                plexus_plugin_api::default_axes(d.shape.len())
            };
            i.dtype = d.dtype;
            i.stored = d.stored.clone();
            i.layout = format!("dataset `{}`", d.path);
            if d.dtype.is_none() {
                i.problem = Some(format!("unsupported element type {} in `{}`", d.stored, d.path));
            }
        }
        None => {
            i.layout = "datasets".into();
            i.problem = Some(format!(
                "`read` takes `/exchange/data` or a single dataset, the file has {n}; use `read_hdf5` or `ImageSet`"
            ));
        }
    }
    Ok(())
}

#[cfg(not(feature = "hdf5"))]
fn inspect_hdf5(_path: &Path, i: &mut Inspection) -> Result<(), IoError> {
    i.variant = "not examined".into();
    i.stored = "unknown".into();
    i.compression = String::new();
    i.problem = Some("plexus-io was built without its `hdf5` feature".into());
    Ok(())
}

fn inspect_zarr(path: &Path, i: &mut Inspection) -> Result<(), IoError> {
    let d = crate::zarr::describe(path)?;
    i.variant = d.variant;
    i.file_size = d.bytes;
    i.shape = d.shape;
    i.axes = d.axes;
    i.dtype = d.dtype;
    i.stored = d.stored;
    i.compression = d.codecs;
    i.layout = d.layout;
    i.notes = d.notes;
    i.problem = d.problem;
    Ok(())
}

fn inspect_npy(path: &Path, i: &mut Inspection) -> Result<(), IoError> {
    let mut file = File::open(path).map_err(|e| IoError::os(path, "open", e))?;
    let h = npy::read_header(path, &mut file, i.file_size)?;
    i.variant = format!("version {}.{}", h.version.0, h.version.1);
    i.shape = h.shape.clone();
    i.axes = plexus_plugin_api::default_axes(h.shape.len());
    i.dtype = h.stored.map(|s| s.dtype());
    i.stored = h.descr.clone();
    i.layout = if h.fortran_order { "Fortran order".into() } else { "C order".into() };
    if h.fortran_order {
        i.notes.push("Fortran order: transposed into row-major when read".into());
    }
    if h.big_endian {
        i.notes.push("big-endian: byte-swapped when read".into());
    }
    match h.stored {
        None => i.problem = Some(format!("unsupported element type `{}`", h.descr)),
        Some(crate::element::Stored::Native(_)) => {}
        Some(s) => i.notes.push(format!("stored as `{}`, widened to {} without loss when read", h.descr, s.dtype())),
    }
    let end = h.data_len().map(|n| h.data_offset.saturating_add(n));
    if i.problem.is_none() && end.is_none_or(|e| e > i.file_size) {
        i.problem = Some(format!(
            "truncated: the data needs {} bytes from byte {}, the file has {}",
            h.data_len().map(|n| n.to_string()).unwrap_or_else(|| "too many".into()),
            h.data_offset,
            i.file_size
        ));
    }
    Ok(())
}

fn inspect_png(path: &Path, i: &mut Inspection) -> Result<(), IoError> {
    let h = png::read_ihdr(path, i.file_size)?;
    let bands = h.bands();
    if h.color_type == 3 {
        i.notes.push("palette: expanded to RGB when read; transparency (tRNS) is ignored, as imageio does".into());
    }
    i.variant = format!("{}-bit {}{}", h.bit_depth, h.color_name(), if h.interlaced { ", interlaced" } else { "" });
    i.shape = if bands == 1 {
        vec![h.height as usize, h.width as usize]
    } else {
        vec![h.height as usize, h.width as usize, bands]
    };
    i.axes = if bands == 1 { "y x".into() } else { "y x band".into() };
    i.dtype = Some(h.dtype());
    i.stored = format!("{}-bit", h.bit_depth);
    i.bands = bands;
    i.compression = "deflate".into();
    i.layout = "scanlines".into();
    if h.bit_depth < 8 && h.color_type == 0 {
        i.notes.push(format!("{}-bit gray: scaled to 0–255 when read", h.bit_depth));
    }
    i.problem = png::check_chunks(path, i.file_size)?;
    Ok(())
}

fn inspect_tiff(path: &Path, i: &mut Inspection) -> Result<(), IoError> {
    let layout = tiff::scan(path, i.file_size)?;
    i.variant = format!(
        "{}, {}",
        if layout.bigtiff { "BigTIFF" } else { "classic" },
        if layout.big_endian { "big-endian" } else { "little-endian" }
    );
    i.pages = layout.pages.len();
    let pages = layout.image_pages();
    let Some(first) = pages.first().copied() else {
        i.problem = Some("every page is marked reduced-resolution".into());
        return Ok(());
    };
    let (shape, axes) = tiff::array_shape(&pages);
    i.shape = shape;
    i.axes = axes;
    i.dtype = first.sample.dtype();
    i.stored = first.sample.describe();
    i.bands = first.samples as usize;
    i.compression = tiff::compression_name(first.compression);
    match first.predictor {
        2 => i.compression.push_str(" + horizontal predictor"),
        3 => i.compression.push_str(" + floating-point predictor"),
        _ => {}
    }
    i.layout = match first.tile {
        Some((tw, th)) => format!("tiles {th}×{tw}"),
        None => format!("strips of {} rows", first.rows_per_strip.min(first.height)),
    };
    if first.planar && first.samples > 1 {
        i.layout.push_str(", planar (interleaved into `y x band` when read)");
    }
    match first.photometric {
        0 => i.notes.push("WhiteIsZero: stored values are returned (0 is white), as tifffile does".into()),
        3 => i.notes.push("palette: indices are returned, the colour map is not applied".into()),
        5 | 6 | 8 | 9 | 10 => {
            let model = match first.photometric {
                5 => "CMYK",
                6 => "YCbCr",
                _ => "CIELab",
            };
            i.notes.push(format!("colour model {model}: samples are returned as stored, not converted to RGB"))
        }
        _ => {}
    }
    if matches!(first.sample, tiff::Sample::I8 | tiff::Sample::F16) {
        i.notes.push(format!(
            "stored as {}, widened to {} without loss when read",
            i.stored,
            i.dtype.map(|d| d.name()).unwrap_or("")
        ));
    }
    let skipped = layout.pages.len() - pages.len();
    if skipped > 0 {
        i.notes.push(format!("{skipped} reduced-resolution page(s) skipped"));
    }
    if let Some(desc) = first.description.as_deref() {
        let one_line: String = desc.chars().take(120).map(|c| if c.is_control() { ' ' } else { c }).collect();
        i.notes.push(format!("description: {}", one_line.trim()));
    }
    if i.dtype.is_none() {
        i.problem = Some(format!("unsupported sample type {}", i.stored));
    } else if !tiff::compression_supported(first.compression) {
        i.problem = Some(format!("unsupported compression {}", tiff::compression_name(first.compression)));
    } else if let Some(p) = pages
        .iter()
        .find(|p| (p.height, p.width, p.samples, p.sample) != (first.height, first.width, first.samples, first.sample))
    {
        i.problem = Some(format!("page {} differs in size or type from page {}", p.ifd, first.ifd));
    } else if let Some(end) = pages.iter().flat_map(|p| p.chunks.iter()).map(|(o, n)| o.saturating_add(*n)).max() {
        if end > i.file_size {
            i.problem = Some(format!("truncated: pixel data reaches byte {end}, the file has {}", i.file_size));
        }
    }
    Ok(())
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {} ({n} bytes)", UNITS[u])
    }
}

impl fmt::Display for Inspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.shape.iter().map(|d| d.to_string()).collect();
        writeln!(f, "{}", self.path.display())?;
        writeln!(f, "  format       {} ({})", self.format, self.variant)?;
        writeln!(f, "  size         {}", human_bytes(self.file_size))?;
        writeln!(
            f,
            "  shape        {} ({})",
            if dims.is_empty() { "scalar".into() } else { dims.join(" × ") },
            self.axes
        )?;
        match self.dtype {
            Some(d) if d.name() == self.stored => writeln!(f, "  dtype        {d}")?,
            Some(d) => writeln!(f, "  dtype        {d} (stored as {})", self.stored)?,
            None => writeln!(f, "  dtype        {} (not readable)", self.stored)?,
        }
        if self.format == Format::Hdf5 {
            return fmt_hdf5(self, f);
        }
        if self.format == Format::Tiff {
            writeln!(f, "  pages        {}", self.pages)?;
        }
        writeln!(f, "  bands        {}", self.bands)?;
        writeln!(f, "  compression  {}", self.compression)?;
        write!(f, "  layout       {}", self.layout)?;
        for n in &self.notes {
            write!(f, "\n  note: {n}")?;
        }
        if let Some(p) = &self.problem {
            write!(f, "\n  cannot read: {p}")?;
        }
        Ok(())
    }
}

/// The end of the block for HDF5: one line per dataset instead of pages,
/// bands and compression.
fn fmt_hdf5(i: &Inspection, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "  layout       {}", i.layout)?;
    let width = i.datasets.iter().map(|d| d.path.chars().count()).max().unwrap_or(0);
    for d in &i.datasets {
        let dims: Vec<String> = d.shape.iter().map(|n| n.to_string()).collect();
        let shape = if dims.is_empty() { "scalar".into() } else { dims.join(" × ") };
        let dtype = match d.dtype {
            Some(t) => t.name().to_string(),
            None => format!("{} (not readable)", d.stored),
        };
        write!(f, "\n  dataset      {:width$}  {shape}  {dtype}", d.path)?;
        if d.attributes > 0 {
            write!(f, "  ({} attribute{})", d.attributes, if d.attributes == 1 { "" } else { "s" })?;
        }
    }
    for n in &i.notes {
        write!(f, "\n  note: {n}")?;
    }
    if let Some(p) = &i.problem {
        write!(f, "\n  cannot read: {p}")?;
    }
    Ok(())
}
