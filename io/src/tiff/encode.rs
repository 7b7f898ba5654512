//! The TIFF writer: our own small encoder, because it has to stream.
//!
//! Pixel data goes straight to the file behind a 16-byte reserved header as
//! chunks arrive, and all IFDs are written at the end, when the number of
//! pages and the file size are known. That is what lets BigTIFF be chosen
//! automatically (only when a classic file would pass 4 GiB) and what makes
//! a stack written in 7 chunks byte-identical to the same stack written at
//! once. Pages are uncompressed, little-endian, in strips of about 64 KiB;
//! the first page's description holds the shape and axis labels in
//! tifffile's JSON form.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use plexus_plugin_api::{Array, DType};

use crate::error::IoError;

/// When to write BigTIFF instead of classic TIFF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BigTiff {
    /// Classic TIFF unless the file would pass 4 GiB, which only BigTIFF can
    /// address. Older readers (ImageJ before 1.52, some scanners' software)
    /// do not open BigTIFF, so it is used only when needed.
    #[default]
    Auto,
    /// Always BigTIFF.
    Always,
    /// Always classic; writing fails if the file would pass 4 GiB.
    Never,
}

/// Options for writing TIFF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TiffOptions {
    /// Classic or BigTIFF.
    pub bigtiff: BigTiff,
}

/// Size of the area reserved for the header: a BigTIFF header is 16 bytes,
/// a classic one 8 followed by 8 unused bytes, so pixel data can be written
/// before we know which it will be.
pub(crate) const HEADER_RESERVED: u64 = 16;
/// Target strip size: small enough for readers to fetch parts of a page,
/// large enough to keep the offset tables short.
const STRIP_TARGET: usize = 64 * 1024;

/// How an array maps onto TIFF pages, fixed by the first chunk.
#[derive(Debug, Clone)]
struct Geometry {
    dtype: DType,
    /// The shape of a chunk after axis 0.
    trailing: Vec<usize>,
    axes: String,
    samples: usize,
    /// How many trailing axes form one page: 2 (`y x`) or 3 (`y x band`);
    /// fewer than that are in `trailing` when axis 0 is itself y or x.
    page_axes: usize,
}

impl Geometry {
    fn new(path: &Path, dtype: DType, shape: &[usize], axes: &str) -> Result<Geometry, IoError> {
        let nd = shape.len();
        if nd == 0 {
            return Err(IoError::cannot_write(path, "a 0-dimensional array as TIFF: a page needs at least one axis"));
        }
        let last = axes.split(' ').next_back().unwrap_or("");
        let band = nd >= 3 && matches!(last, "band" | "c" | "channel");
        let samples = if band { shape[nd - 1] } else { 1 };
        if samples > u16::MAX as usize {
            return Err(IoError::cannot_write(
                path,
                format!("{samples} bands as TIFF: at most 65535 samples per pixel"),
            ));
        }
        let g = Geometry {
            dtype,
            trailing: shape[1..].to_vec(),
            axes: axes.to_string(),
            samples,
            page_axes: if band { 3 } else { 2 },
        };
        if shape[1..].contains(&0) {
            return Err(IoError::cannot_write(
                path,
                format!("an array of shape {shape:?} as TIFF: a page needs at least one row, column and band"),
            ));
        }
        Ok(g)
    }

    /// Page height, width and page count for a final axis-0 length `n`.
    fn pages(&self, n: usize) -> (usize, usize, usize) {
        let nd = self.trailing.len() + 1;
        let mut full = vec![n];
        full.extend_from_slice(&self.trailing);
        if nd > self.page_axes {
            let p = nd - self.page_axes;
            (full[p], full[p + 1], full[..p].iter().product())
        } else if nd == self.page_axes {
            (full[0], full[1], 1)
        } else {
            // A 1-D array: one row.
            (1, full[0], 1)
        }
    }

    fn row_bytes(&self, width: usize) -> usize {
        width * self.samples * self.dtype.size()
    }

    fn rows_per_strip(&self, width: usize) -> usize {
        (STRIP_TARGET / self.row_bytes(width).max(1)).max(1)
    }
}

/// A TIFF file being written: pixel data streams in, the directories are
/// written by [`TiffEncoder::finish`].
#[derive(Debug)]
pub(crate) struct TiffEncoder {
    options: TiffOptions,
    geometry: Option<Geometry>,
    /// Elements written so far along axis 0.
    rows: usize,
    data_bytes: u64,
    /// Largest file that may be classic; lowered by tests.
    classic_limit: u64,
}

impl TiffEncoder {
    pub(crate) fn new(options: TiffOptions) -> TiffEncoder {
        TiffEncoder { options, geometry: None, rows: 0, data_bytes: 0, classic_limit: u32::MAX as u64 }
    }

    /// An encoder for an array whose pixel data (every slice of `shape`,
    /// little-endian, row-major) is already written behind the reserved
    /// header: only the directories remain, written by `finish`.
    pub(crate) fn for_written(
        path: &Path,
        options: TiffOptions,
        dtype: DType,
        shape: &[usize],
        axes: &str,
    ) -> Result<TiffEncoder, IoError> {
        let mut enc = TiffEncoder::new(options);
        enc.geometry = Some(Geometry::new(path, dtype, shape, axes)?);
        enc.rows = shape.first().copied().unwrap_or(1);
        enc.data_bytes = (shape.iter().product::<usize>() * dtype.size()) as u64;
        Ok(enc)
    }

    /// Writes the reserved header; call once before any data.
    pub(crate) fn start(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(&[0u8; HEADER_RESERVED as usize])
    }

    /// Checks the first chunk's geometry; later chunks are checked by the
    /// caller against the same trailing shape and dtype.
    pub(crate) fn accept_first(&mut self, path: &Path, chunk: &Array) -> Result<(), IoError> {
        self.geometry = Some(Geometry::new(path, chunk.dtype(), chunk.shape(), chunk.axes())?);
        Ok(())
    }

    /// Appends a chunk's elements.
    pub(crate) fn append(&mut self, out: &mut impl Write, chunk: &Array) -> std::io::Result<()> {
        let bytes = crate::le_bytes(chunk);
        out.write_all(&bytes)?;
        self.data_bytes += bytes.len() as u64;
        self.rows += chunk.shape().first().copied().unwrap_or(1);
        Ok(())
    }

    /// Writes the directories and the header. `out` is positioned at the end
    /// of the pixel data.
    pub(crate) fn finish<W: Write + Seek>(&mut self, path: &Path, out: &mut W) -> Result<(), IoError> {
        let werr = |e| IoError::os(path, "write", e);
        let Some(g) = self.geometry.clone() else {
            return Err(IoError::cannot_write(path, "an empty TIFF: no chunk was appended"));
        };
        let (height, width, pages) = g.pages(self.rows);
        if height == 0 || width == 0 || pages == 0 {
            let mut shape = vec![self.rows];
            shape.extend_from_slice(&g.trailing);
            return Err(IoError::cannot_write(
                path,
                format!("an array of shape {shape:?} as TIFF: a page needs at least one row and column"),
            ));
        }
        if height > u32::MAX as usize || width > u32::MAX as usize {
            return Err(IoError::cannot_write(
                path,
                format!("a {height}×{width} page as TIFF: at most 4294967295 per side"),
            ));
        }
        let rps = g.rows_per_strip(width).min(height);
        let row_bytes = g.row_bytes(width) as u64;
        let page_bytes = row_bytes * height as u64;
        let strips_per_page = height.div_ceil(rps);
        let data_end = HEADER_RESERVED + self.data_bytes;
        debug_assert_eq!(self.data_bytes, page_bytes * pages as u64);

        let mut shape = vec![self.rows];
        shape.extend_from_slice(&g.trailing);
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        let description = format!("{{\"shape\": [{}], \"plexus_axes\": \"{}\"}}", dims.join(", "), g.axes);

        let strips = |page: usize, big: bool| -> (Value, Value) {
            let base = HEADER_RESERVED + page as u64 * page_bytes;
            let offs: Vec<u64> = (0..strips_per_page).map(|j| base + (j * rps) as u64 * row_bytes).collect();
            let lens: Vec<u64> =
                (0..strips_per_page).map(|j| ((height - j * rps).min(rps)) as u64 * row_bytes).collect();
            if big {
                (Value::Long8(offs), Value::Long8(lens))
            } else {
                (
                    Value::Long(offs.into_iter().map(|v| v as u32).collect()),
                    Value::Long(lens.into_iter().map(|v| v as u32).collect()),
                )
            }
        };
        let s = g.samples;
        let (bits, format) = ((g.dtype.size() * 8) as u16, sample_format(g.dtype));
        let photometric = if s == 3 || s == 4 { 2 } else { 1 };
        let extra: Vec<u16> = match s {
            1 | 3 => vec![],
            4 => vec![2], // unassociated alpha, as tifffile writes RGBA
            _ => vec![0; s - 1],
        };
        let entries = |page: usize, big: bool| -> Vec<(u16, Value)> {
            let (offs, lens) = strips(page, big);
            let mut e = vec![
                (254, Value::Long(vec![0])),
                (256, Value::Long(vec![width as u32])),
                (257, Value::Long(vec![height as u32])),
                (258, Value::Short(vec![bits; s])),
                (259, Value::Short(vec![1])),
                (262, Value::Short(vec![photometric])),
            ];
            if page == 0 {
                e.push((270, Value::Ascii(description.clone())));
            }
            e.push((273, offs));
            e.push((277, Value::Short(vec![s as u16])));
            e.push((278, Value::Long(vec![rps as u32])));
            e.push((279, lens));
            e.push((284, Value::Short(vec![1])));
            if page == 0 {
                e.push((305, Value::Ascii("plexus-io".into())));
            }
            if !extra.is_empty() {
                e.push((338, Value::Short(extra.clone())));
            }
            e.push((339, Value::Short(vec![format; s])));
            e
        };

        // Decide classic or BigTIFF from the size a classic file would have.
        let ifd_start = data_end + data_end % 2;
        let big = match self.options.bigtiff {
            BigTiff::Always => true,
            BigTiff::Never | BigTiff::Auto => {
                let mut end = ifd_start;
                for p in 0..pages {
                    end += ifd_size(&entries(p, false), false);
                }
                let fits = end <= self.classic_limit;
                if !fits && self.options.bigtiff == BigTiff::Never {
                    return Err(IoError::cannot_write(
                        path,
                        format!("{end} bytes as classic TIFF: classic TIFF ends at 4 GiB; allow BigTIFF"),
                    ));
                }
                !fits
            }
        };

        let mut pos = data_end;
        if ifd_start > pos {
            out.write_all(&[0]).map_err(werr)?;
            pos += 1;
        }
        for p in 0..pages {
            let e = entries(p, big);
            let size = ifd_size(&e, big);
            let next = if p + 1 < pages { pos + size } else { 0 };
            let bytes = encode_ifd(&e, pos, next, big);
            debug_assert_eq!(bytes.len() as u64, size);
            out.write_all(&bytes).map_err(werr)?;
            pos += size;
        }
        let mut header = Vec::with_capacity(16);
        header.extend_from_slice(b"II");
        if big {
            header.extend_from_slice(&43u16.to_le_bytes());
            header.extend_from_slice(&8u16.to_le_bytes());
            header.extend_from_slice(&0u16.to_le_bytes());
            header.extend_from_slice(&ifd_start.to_le_bytes());
        } else {
            header.extend_from_slice(&42u16.to_le_bytes());
            header.extend_from_slice(&(ifd_start as u32).to_le_bytes());
            header.extend_from_slice(&[0u8; 8]);
        }
        out.seek(SeekFrom::Start(0)).map_err(werr)?;
        out.write_all(&header).map_err(werr)?;
        out.seek(SeekFrom::Start(pos)).map_err(werr)?;
        Ok(())
    }

    #[cfg(test)]
    fn with_classic_limit(mut self, limit: u64) -> TiffEncoder {
        self.classic_limit = limit;
        self
    }
}

fn sample_format(d: DType) -> u16 {
    match d {
        DType::U8 | DType::U16 | DType::U32 => 1,
        DType::I16 | DType::I32 => 2,
        DType::F32 | DType::F64 => 3,
    }
}

/// A tag value to write.
#[derive(Debug, Clone)]
enum Value {
    Short(Vec<u16>),
    Long(Vec<u32>),
    Long8(Vec<u64>),
    Ascii(String),
}

impl Value {
    fn type_code(&self) -> u16 {
        match self {
            Value::Ascii(_) => 2,
            Value::Short(_) => 3,
            Value::Long(_) => 4,
            Value::Long8(_) => 16,
        }
    }

    fn count(&self) -> u64 {
        match self {
            Value::Short(v) => v.len() as u64,
            Value::Long(v) => v.len() as u64,
            Value::Long8(v) => v.len() as u64,
            Value::Ascii(s) => s.len() as u64 + 1,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Value::Short(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Value::Long(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Value::Long8(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Value::Ascii(s) => {
                let mut b = s.as_bytes().to_vec();
                b.push(0);
                b
            }
        }
    }
}

/// Bytes an IFD takes: entry count, entries, next offset, then the values
/// too long to sit in their entry, each padded to an even length.
fn ifd_size(entries: &[(u16, Value)], big: bool) -> u64 {
    let (count, entry, offset) = if big { (8, 20, 8) } else { (2, 12, 4) };
    let inline = if big { 8 } else { 4 };
    let mut size = count + entries.len() as u64 * entry + offset;
    for (_, v) in entries {
        let n = v.bytes().len() as u64;
        if n > inline {
            size += n + n % 2;
        }
    }
    size
}

fn encode_ifd(entries: &[(u16, Value)], at: u64, next: u64, big: bool) -> Vec<u8> {
    let (count, entry, offset) = if big { (8u64, 20u64, 8u64) } else { (2, 12, 4) };
    let inline = if big { 8 } else { 4 };
    let mut out = Vec::new();
    let mut extra = Vec::new();
    let mut extra_at = at + count + entries.len() as u64 * entry + offset;
    let put = |out: &mut Vec<u8>, v: u64| {
        if big {
            out.extend_from_slice(&v.to_le_bytes())
        } else {
            out.extend_from_slice(&(v as u32).to_le_bytes())
        }
    };
    if big {
        out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    } else {
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    }
    for (tag, v) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&v.type_code().to_le_bytes());
        put(&mut out, v.count());
        let mut bytes = v.bytes();
        if bytes.len() <= inline {
            bytes.resize(inline, 0);
            out.extend_from_slice(&bytes);
        } else {
            put(&mut out, extra_at);
            if bytes.len() % 2 == 1 {
                bytes.push(0);
            }
            extra_at += bytes.len() as u64;
            extra.extend_from_slice(&bytes);
        }
    }
    put(&mut out, next);
    out.extend_from_slice(&extra);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn encode(array: &Array, enc: TiffEncoder) -> Vec<u8> {
        let mut enc = enc;
        let mut out = Cursor::new(Vec::new());
        enc.start(&mut out).unwrap();
        enc.accept_first(Path::new("t.tif"), array).unwrap();
        enc.append(&mut out, array).unwrap();
        enc.finish(Path::new("t.tif"), &mut out).unwrap();
        out.into_inner()
    }

    #[test]
    fn switches_to_bigtiff_when_classic_would_not_fit() {
        let a = Array::from_fn::<u16>(vec![3, 8, 8], |i| i as u16);
        let small = encode(&a, TiffEncoder::new(TiffOptions::default()));
        assert_eq!(&small[..4], b"II*\0");
        let big = encode(&a, TiffEncoder::new(TiffOptions::default()).with_classic_limit(small.len() as u64 - 1));
        assert_eq!(&big[..8], b"II+\0\x08\0\0\0");
        let exact = encode(&a, TiffEncoder::new(TiffOptions::default()).with_classic_limit(small.len() as u64));
        assert_eq!(exact, small);
    }

    #[test]
    fn never_refuses_to_grow_past_classic() {
        let a = Array::zeros::<u8>(vec![4, 4]);
        let mut enc = TiffEncoder::new(TiffOptions { bigtiff: BigTiff::Never }).with_classic_limit(100);
        let mut out = Cursor::new(Vec::new());
        enc.start(&mut out).unwrap();
        enc.accept_first(Path::new("t.tif"), &a).unwrap();
        enc.append(&mut out, &a).unwrap();
        let err = enc.finish(Path::new("t.tif"), &mut out).unwrap_err();
        assert!(err.to_string().starts_with("`t.tif`: cannot write "), "{err}");
    }

    #[test]
    fn geometry_of_pages() {
        let g = Geometry::new(Path::new("t"), DType::U8, &[5, 6, 7, 3], "z y x band").unwrap();
        assert_eq!(g.pages(5), (6, 7, 5));
        let g = Geometry::new(Path::new("t"), DType::U8, &[6, 7, 3], "y x band").unwrap();
        assert_eq!(g.pages(6), (6, 7, 1));
        let g = Geometry::new(Path::new("t"), DType::U8, &[2, 3, 6, 7], "t z y x").unwrap();
        assert_eq!(g.pages(2), (6, 7, 6));
        let g = Geometry::new(Path::new("t"), DType::U8, &[9], "x").unwrap();
        assert_eq!(g.pages(9), (1, 9, 1));
        let g = Geometry::new(Path::new("t"), DType::U8, &[6, 7, 3], "z y x").unwrap();
        assert_eq!((g.samples, g.pages(6)), (1, (7, 3, 6)));
    }
}
