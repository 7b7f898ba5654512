//! [`TiffReader`]: slabs of a TIFF file read by pages, strips or tiles.
//!
//! Axis 0 of the array is either a page axis (a stack, or tifffile's N-D
//! shape over several pages: a slab is a run of whole pages) or, for a
//! single page, its rows (a slab is a run of rows) or, for a 1-D array
//! stored as one row, its columns.
//!
//! Two paths fill the caller's buffer:
//!
//! - **direct**: uncompressed strips of chunky samples, without predictor.
//!   The byte ranges of the slab are gathered from the strip offsets,
//!   merged where they continue each other in the file (a stack written
//!   contiguously is one read, however many strips and pages it spans),
//!   read into the end of the buffer and converted in place.
//! - **decoded**: anything else (compression, tiles, planar samples,
//!   predictors). One band — a strip or a row of tiles, full width — is
//!   decoded at a time; bands wholly inside the slab are decoded straight
//!   into it, a band the slab only partly covers is decoded once into a
//!   cache, so reading a single page in chunks smaller than its strips
//!   decodes each strip once.

use std::fs::File;
use std::path::Path;

use serde_json::Map;

use crate::element::{convert, expand_in_place, Stored};
use crate::error::IoError;
use crate::positioned::{read_exact_at, Segments};
use crate::source::{check_slab, ChunkReader, SourceInfo};
use crate::tiff::decode::{decode_chunk, DecodeError};
use crate::tiff::layout::{array_shape, check_pages, scan, Page};

/// What axis 0 of the array walks through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Axis0 {
    /// Groups of this many whole pages.
    Pages(usize),
    /// Rows of the only page.
    Rows,
    /// Columns of the only page's only row (a 1-D array).
    Columns,
}

/// A decoded band kept for the next read.
#[derive(Debug)]
struct Band {
    page: usize,
    band: usize,
    bytes: Vec<u8>,
}

/// A TIFF file opened for reading slabs along axis 0.
#[derive(Debug)]
pub struct TiffReader {
    file: File,
    info: SourceInfo,
    pages: Vec<Page>,
    big_endian: bool,
    stored: Stored,
    axis0: Axis0,
    direct: bool,
    /// Compressed bytes of the chunk being decoded.
    compressed: Vec<u8>,
    /// Decoded stored bytes of one chunk.
    chunk: Vec<u8>,
    cache: Option<Band>,
}

impl TiffReader {
    /// Opens `path` (of length `file_len`): reads every directory, checks
    /// that the full-resolution pages form one array and that all their
    /// strips or tiles lie in the file.
    pub(crate) fn open(path: &Path, file_len: u64) -> Result<TiffReader, IoError> {
        let layout = scan(path, file_len)?;
        let pages: Vec<Page> = check_pages(path, file_len, &layout)?.into_iter().cloned().collect();
        let refs: Vec<&Page> = pages.iter().collect();
        let (shape, axes) = array_shape(&refs);
        let first = &pages[0];
        let stored = first.sample.stored().ok_or_else(|| IoError::unsupported(path, "TIFF sample type"))?;
        let page_dims = if first.samples > 1 { 3 } else { 2 };
        let axis0 = if pages.len() > 1 || shape.len() > page_dims {
            Axis0::Pages(pages.len() / shape[0].max(1))
        } else if shape.len() == 1 {
            Axis0::Columns
        } else {
            Axis0::Rows
        };
        let direct = first.compression == 1
            && first.predictor == 1
            && first.tile.is_none()
            && (!first.planar || first.samples == 1);
        let mut meta = Map::new();
        if first.photometric == 3 {
            meta.insert("palette".into(), "indices: the colour map is not applied".into());
        }
        let file = File::open(path).map_err(|e| IoError::os(path, "open", e))?;
        let info = SourceInfo { path: path.to_path_buf(), shape, dtype: stored.dtype(), axes, meta };
        Ok(TiffReader {
            file,
            info,
            pages,
            big_endian: layout.big_endian,
            stored,
            axis0,
            direct,
            compressed: Vec::new(),
            chunk: Vec::new(),
            cache: None,
        })
    }

    /// Delivered bytes of one row of a page.
    fn row_bytes(&self) -> usize {
        let p = &self.pages[0];
        p.width as usize * p.samples as usize * self.stored.dtype().size()
    }

    /// Stored bytes of one row of a page (chunky).
    fn stored_row_bytes(&self) -> usize {
        let p = &self.pages[0];
        p.width as usize * p.samples as usize * self.stored.size()
    }

    /// Rows `r0..r1` of page `page` into `out` (delivered, row-major).
    fn read_rows(&mut self, page: usize, r0: usize, r1: usize, out: &mut [u8]) -> Result<(), IoError> {
        if self.direct {
            let mut segments = Segments::default();
            let tail = out.len() - (r1 - r0) * self.stored_row_bytes();
            self.push_rows(&mut segments, page, r0, r1, tail);
            return self.read_segments(&segments, out);
        }
        let band_h = self.pages[page].band_height();
        let row = self.row_bytes();
        let mut r = r0;
        while r < r1 {
            let band = r / band_h;
            let (b0, b1) = (band * band_h, ((band + 1) * band_h).min(self.pages[page].height as usize));
            let end = b1.min(r1);
            let dst = &mut out[(r - r0) * row..(end - r0) * row];
            if r == b0 && end == b1 {
                self.decode_band(page, band, dst)?;
            } else {
                let hit = self.cache.as_ref().is_some_and(|c| c.page == page && c.band == band);
                if !hit {
                    let mut bytes = self.cache.take().map(|c| c.bytes).unwrap_or_default();
                    bytes.resize((b1 - b0) * row, 0);
                    self.decode_band(page, band, &mut bytes)?;
                    self.cache = Some(Band { page, band, bytes });
                }
                let bytes = &self.cache.as_ref().map(|c| &c.bytes).expect("cached just now");
                dst.copy_from_slice(&bytes[(r - b0) * row..(end - b0) * row]);
            }
            r = end;
        }
        Ok(())
    }

    /// Adds the stored byte ranges of rows `r0..r1` of `page` (uncompressed
    /// chunky strips), placed from `dst` on.
    fn push_rows(&self, segments: &mut Segments, page: usize, r0: usize, r1: usize, dst: usize) {
        let p = &self.pages[page];
        let rps = p.band_height();
        let row = self.stored_row_bytes();
        let mut r = r0;
        while r < r1 {
            let strip = r / rps;
            let end = ((strip + 1) * rps).min(r1);
            let offset = p.chunks[strip].0 + ((r - strip * rps) * row) as u64;
            segments.push(offset, dst + (r - r0) * row, (end - r) * row);
            r = end;
        }
    }

    /// Reads the segments into `out` (stored bytes at the end of it) and
    /// converts them in place into delivered elements.
    fn read_segments(&self, segments: &Segments, out: &mut [u8]) -> Result<(), IoError> {
        for s in segments.as_slice() {
            let what = || format!("the pixel data at bytes {}..{}", s.file, s.file + s.len as u64);
            read_exact_at(&self.file, &self.info.path, s.file, &mut out[s.dst..s.dst + s.len], what)?;
        }
        if !self.stored.is_direct(self.big_endian) {
            expand_in_place(self.stored, self.big_endian, out);
        }
        Ok(())
    }

    /// Decodes band `band` of `page` (all its rows, full width) into `out`.
    fn decode_band(&mut self, page: usize, band: usize, out: &mut [u8]) -> Result<(), IoError> {
        let p = self.pages[page].clone();
        let (across, bands) = (p.tiles_across(), p.bands());
        let band_h = p.band_height();
        let rows = band_h.min(p.height as usize - band * band_h);
        let (width, samples) = (p.width as usize, p.samples as usize);
        let o = self.stored.dtype().size();
        let s = self.stored.size();
        let chunk_samples = p.chunk_samples();
        for plane in 0..p.planes() {
            for t in 0..across {
                let index = plane * bands * across + band * across + t;
                let (cw, ch) = p.chunk_dims(index);
                let chunk_row = cw * chunk_samples * s;
                self.decode_one(&p, index, chunk_row, ch)?;
                // Copy the chunk's rows and columns that hold pixels.
                let x0 = t * cw;
                let cols = cw.min(width - x0);
                for y in 0..rows.min(ch) {
                    let src = &self.chunk[y * chunk_row..y * chunk_row + cols * chunk_samples * s];
                    let row = &mut out[y * width * samples * o..(y + 1) * width * samples * o];
                    if chunk_samples == samples {
                        let dst = &mut row[x0 * samples * o..(x0 + cols) * samples * o];
                        convert(self.stored, cfg!(target_endian = "big"), src, dst);
                    } else {
                        // One plane of a planar page: every `samples`-th value.
                        for (x, v) in src.chunks_exact(s).enumerate() {
                            let at = ((x0 + x) * samples + plane) * o;
                            convert(self.stored, cfg!(target_endian = "big"), v, &mut row[at..at + o]);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads and decodes chunk `index` of page `p` into `self.chunk`.
    fn decode_one(&mut self, p: &Page, index: usize, chunk_row: usize, rows: usize) -> Result<(), IoError> {
        let (offset, len) = p.chunks[index];
        let kind = if p.tile.is_some() { "tile" } else { "strip" };
        let whose =
            if self.pages.len() > 1 { format!("page {}, {kind} {index}", p.ifd) } else { format!("{kind} {index}") };
        self.compressed.resize(len as usize, 0);
        read_exact_at(&self.file, &self.info.path, offset, &mut self.compressed, || whose.clone())?;
        self.chunk.resize(chunk_row * rows, 0);
        decode_chunk(p, self.big_endian, &self.compressed, &mut self.chunk, chunk_row).map_err(|e| match e {
            DecodeError::Short { got, want } => IoError::malformed(
                &self.info.path,
                Some(offset),
                format!("{whose} decodes to {got} bytes, its pixels need {want}"),
            ),
            DecodeError::Corrupt(why) => {
                IoError::malformed(&self.info.path, Some(offset), format!("{whose} cannot be decoded: {why}"))
            }
        })
    }
}

impl ChunkReader for TiffReader {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read_into(&mut self, start: usize, len: usize, out: &mut [u8]) -> Result<(), IoError> {
        check_slab(&self.info, start, len, out.len())?;
        if out.is_empty() {
            return Ok(());
        }
        match self.axis0 {
            Axis0::Rows => self.read_rows(0, start, start + len, out),
            Axis0::Pages(per) => {
                let height = self.pages[0].height as usize;
                let (p0, p1) = (start * per, (start + len) * per);
                if self.direct {
                    // All pages' ranges at once, so that contiguous pages
                    // merge into one read.
                    let page_stored = height * self.stored_row_bytes();
                    let tail = out.len() - (p1 - p0) * page_stored;
                    let mut segments = Segments::default();
                    for page in p0..p1 {
                        self.push_rows(&mut segments, page, 0, height, tail + (page - p0) * page_stored);
                    }
                    return self.read_segments(&segments, out);
                }
                let page_bytes = height * self.row_bytes();
                for page in p0..p1 {
                    let at = (page - p0) * page_bytes;
                    self.read_rows(page, 0, height, &mut out[at..at + page_bytes])?;
                }
                Ok(())
            }
            Axis0::Columns => {
                let mut row = vec![0u8; self.row_bytes()];
                self.read_rows(0, 0, 1, &mut row)?;
                let o = self.info.dtype.size();
                out.copy_from_slice(&row[start * o..(start + len) * o]);
                Ok(())
            }
        }
    }

    fn natural_chunk(&self) -> Option<usize> {
        match self.axis0 {
            Axis0::Rows => Some(self.pages[0].band_height()),
            Axis0::Pages(_) | Axis0::Columns => None,
        }
    }
}
