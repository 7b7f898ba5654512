//! TIFF: reading through the `tiff` crate, writing by our own small encoder.
//!
//! **Reading** accepts classic TIFF and BigTIFF, either byte order, strips
//! or tiles, chunky or planar samples, and whatever compression the `tiff`
//! crate is built with here (none, LZW, Deflate, PackBits). All full-resolution
//! pages of the main IFD chain form the array: one page gives `y x` (or
//! `y x band` for several samples per pixel), several identical pages a
//! `z y x` stack. Pages marked reduced-resolution (thumbnails, pyramid
//! levels) are skipped. When the first page carries tifffile's JSON
//! description (`{"shape": [...]}`) and it matches the pixel count, the array
//! takes that shape, so N-D arrays written by tifffile or by us come back
//! with their shape. Differences from tifffile: planar RGB is returned as
//! `y x band` (tifffile gives `band y x`), and `WhiteIsZero` grayscale is
//! inverted by the decoder (tifffile returns stored values). Palette images
//! return their indices, as tifffile does.
//!
//! **Writing** is our own because it has to stream: pixel data goes straight
//! to the file behind a 16-byte reserved header as chunks arrive, and all
//! IFDs are written at the end, when the number of pages and the file size
//! are known. That is what lets BigTIFF be chosen automatically (only when a
//! classic file would pass 4 GiB) and what makes a stack written in 7 chunks
//! byte-identical to the same stack written at once. Pages are uncompressed,
//! little-endian, in strips of about 64 KiB.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use plexus_plugin_api::{default_axes, Array, DType, Element};
use tiff::decoder::{ChunkType, Decoder, Limits};
use tiff::tags::Tag;
use tiff::{ColorType, TiffError};

use crate::error::IoError;

// ---------------------------------------------------------------- reading --

/// How samples are stored, before any widening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sample {
    /// One of Plexus's element types.
    Native(DType),
    /// Signed 8-bit, widened to i16.
    I8,
    /// IEEE half, widened to f32.
    F16,
    /// Anything else: sample format code and bits.
    Other(u16, u8),
}

impl Sample {
    fn from_tags(format: u16, bits: u8) -> Sample {
        match (format, bits) {
            (1, 8) => Sample::Native(DType::U8),
            (1, 16) => Sample::Native(DType::U16),
            (1, 32) => Sample::Native(DType::U32),
            (2, 16) => Sample::Native(DType::I16),
            (2, 32) => Sample::Native(DType::I32),
            (3, 32) => Sample::Native(DType::F32),
            (3, 64) => Sample::Native(DType::F64),
            (2, 8) => Sample::I8,
            (3, 16) => Sample::F16,
            (f, b) => Sample::Other(f, b),
        }
    }

    /// The element type of the array read, if there is one.
    pub(crate) fn dtype(self) -> Option<DType> {
        match self {
            Sample::Native(d) => Some(d),
            Sample::I8 => Some(DType::I16),
            Sample::F16 => Some(DType::F32),
            Sample::Other(..) => None,
        }
    }

    /// Bytes per stored sample (only for types we can read).
    fn size(self) -> usize {
        match self {
            Sample::Native(d) => d.size(),
            Sample::I8 => 1,
            Sample::F16 => 2,
            Sample::Other(_, b) => (b as usize).div_ceil(8),
        }
    }

    /// How the sample is stored, in numpy-like words.
    pub(crate) fn describe(self) -> String {
        match self {
            Sample::Native(d) => d.name().to_string(),
            Sample::I8 => "int8".to_string(),
            Sample::F16 => "float16".to_string(),
            Sample::Other(f, b) => {
                let kind = match f {
                    1 => "unsigned",
                    2 => "signed",
                    3 => "floating-point",
                    4 => "untyped",
                    5 => "complex signed",
                    6 => "complex floating-point",
                    _ => "unknown-format",
                };
                format!("{b}-bit {kind}")
            }
        }
    }
}

/// What one page (IFD) holds, read from its tags only.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// Position in the IFD chain.
    pub ifd: usize,
    pub width: u32,
    pub height: u32,
    /// Samples per pixel in the decoded buffer.
    pub samples: u16,
    pub sample: Sample,
    pub color: Option<ColorType>,
    /// Raw Compression tag.
    pub compression: u16,
    /// Raw Predictor tag.
    pub predictor: u16,
    pub planar: bool,
    /// Tile size, or `None` for strips.
    pub tile: Option<(u32, u32)>,
    pub rows_per_strip: u32,
    /// Byte offset and length of each strip or tile.
    pub chunks: Vec<(u64, u64)>,
    /// NewSubfileType bit 0: a reduced-resolution copy of another page.
    pub reduced: bool,
    pub description: Option<String>,
}

impl Page {
    fn key(&self) -> (u32, u32, u16, Sample) {
        (self.height, self.width, self.samples, self.sample)
    }

    /// Decoded bytes of this page before widening.
    fn stored_bytes(&self) -> u64 {
        (self.width as u64)
            .saturating_mul(self.height as u64)
            .saturating_mul(self.samples as u64)
            .saturating_mul(self.sample.size() as u64)
    }
}

/// The structure of a TIFF file, without pixels.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub bigtiff: bool,
    pub big_endian: bool,
    /// Every page of the main IFD chain.
    pub pages: Vec<Page>,
}

impl Layout {
    /// The pages that form the array: all that are not reduced-resolution.
    pub(crate) fn image_pages(&self) -> Vec<&Page> {
        self.pages.iter().filter(|p| !p.reduced).collect()
    }
}

/// The name of a TIFF compression code.
pub(crate) fn compression_name(code: u16) -> String {
    match code {
        1 => "none".into(),
        2 => "CCITT RLE".into(),
        3 => "CCITT fax 3".into(),
        4 => "CCITT fax 4".into(),
        5 => "LZW".into(),
        6 | 7 => "JPEG".into(),
        8 | 32946 => "deflate".into(),
        32773 => "PackBits".into(),
        34925 => "LZMA".into(),
        50000 | 34926 => "zstd".into(),
        50001 | 34927 => "WebP".into(),
        c => format!("code {c}"),
    }
}

/// Whether the decoder, as built here, decodes this compression code.
pub(crate) fn compression_supported(code: u16) -> bool {
    matches!(code, 1 | 5 | 8 | 32946 | 32773)
}

fn lower_first(s: String) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

/// Translates a `tiff` crate error met while handling `what`.
fn map_err(path: &Path, file_len: u64, what: &str, e: TiffError) -> IoError {
    match e {
        TiffError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            IoError::truncated(path, file_len, format!("{what} extends past the end of the file"))
        }
        TiffError::IoError(io) => IoError::os(path, "read", io),
        TiffError::FormatError(f) => {
            IoError::malformed(path, None, format!("bad TIFF {what}: {}", lower_first(f.to_string())))
        }
        TiffError::UnsupportedError(u) => {
            IoError::unsupported(path, format!("TIFF feature in {what}: {}", lower_first(u.to_string())))
        }
        TiffError::LimitsExceeded => IoError::unsupported(path, format!("TIFF {what}: exceeds the decoder's limits")),
        TiffError::IntSizeError => IoError::malformed(path, None, format!("bad TIFF {what}: sizes overflow")),
        other => IoError::malformed(path, None, format!("bad TIFF {what}: {}", lower_first(other.to_string()))),
    }
}

type Dec = Decoder<BufReader<File>>;

fn limits(file_len: u64) -> Limits {
    // The crate checks `decoding_buffer_size` before allocating tag value
    // lists (32 bytes per value, whatever the count field says) and its own
    // result buffers, which we do not use: we decode into our buffer, sized
    // by our checks against the file length. A list cannot hold more values
    // than the file has bytes, so bound it by that, between 1 MiB and 1 GiB
    // (32 M strip offsets); garbage counts then fail instead of aborting on
    // a huge allocation. Compressed chunks are bounds-checked against the
    // file before decoding, so the intermediate buffer needs no limit.
    let mut l = Limits::unlimited();
    l.decoding_buffer_size = (file_len.saturating_mul(32)).clamp(1 << 20, 1 << 30) as usize;
    l.ifd_value_size = l.decoding_buffer_size;
    l
}

/// Opens a decoder and walks the IFD chain, reading tags only.
pub(crate) fn scan(path: &Path, file_len: u64) -> Result<(Dec, Layout), IoError> {
    let mut file = File::open(path).map_err(|e| IoError::os(path, "open", e))?;
    let mut head = [0u8; 4];
    let got = file.read(&mut head).map_err(|e| IoError::os(path, "read", e))?;
    let big_endian = head[..got].starts_with(b"MM");
    let bigtiff = got == 4 && if big_endian { head[3] == 43 } else { head[2] == 43 };
    let header_len = if bigtiff { 16 } else { 8 };
    if file_len < header_len {
        return Err(IoError::truncated(path, file_len, format!("the TIFF header needs {header_len} bytes")));
    }
    // Check the first directory ourselves, as `check_ifd_extent` explains.
    let mut first = [0u8; 8];
    file.seek(SeekFrom::Start(if bigtiff { 8 } else { 4 })).map_err(|e| IoError::os(path, "read", e))?;
    file.read_exact(&mut first[..if bigtiff { 8 } else { 4 }]).map_err(|e| IoError::os(path, "read", e))?;
    let first = match (bigtiff, big_endian) {
        (false, false) => u32::from_le_bytes([first[0], first[1], first[2], first[3]]) as u64,
        (false, true) => u32::from_be_bytes([first[0], first[1], first[2], first[3]]) as u64,
        (true, false) => u64::from_le_bytes(first),
        (true, true) => u64::from_be_bytes(first),
    };
    let mut raw = File::open(path).map_err(|e| IoError::os(path, "open", e))?;
    check_ifd_extent(path, &mut raw, file_len, first, bigtiff, big_endian, 0)?;
    file.seek(SeekFrom::Start(0)).map_err(|e| IoError::os(path, "read", e))?;
    let mut dec = Decoder::new(BufReader::new(file))
        .map_err(|e| map_err(path, file_len, "directory of page 0", e))?
        .with_limits(limits(file_len));
    let mut pages = Vec::new();
    loop {
        let index = pages.len();
        pages.push(page_info(path, file_len, &mut dec, index)?);
        if !dec.more_images() {
            break;
        }
        // Check the next directory's extent before the decoder reads it, so
        // a cut file is reported with offsets.
        if let Some(next) = dec.image_ifd().directory().next() {
            check_ifd_extent(path, &mut raw, file_len, next.0, bigtiff, big_endian, index + 1)?;
        }
        dec.next_image().map_err(|e| map_err(path, file_len, &format!("directory of page {}", index + 1), e))?;
    }
    Ok((dec, Layout { bigtiff, big_endian, pages }))
}

/// Fails if the directory at `offset` does not lie wholly inside the file.
/// The decoder tolerates a directory cut short at the end of the file and
/// silently loses its last tags; a truncated file must not read as valid.
fn check_ifd_extent(
    path: &Path,
    raw: &mut File,
    file_len: u64,
    offset: u64,
    bigtiff: bool,
    big_endian: bool,
    page: usize,
) -> Result<(), IoError> {
    let (count_size, entry_size, next_size) = if bigtiff { (8u64, 20u64, 8u64) } else { (2, 12, 4) };
    let what = |end: u64| {
        IoError::truncated(
            path,
            file_len,
            format!(
                "the directory of page {page} needs {} more bytes (it spans bytes {offset}..{end})",
                end - file_len
            ),
        )
    };
    if offset.saturating_add(count_size) > file_len {
        return Err(what(offset.saturating_add(count_size)));
    }
    let mut buf = [0u8; 8];
    raw.seek(SeekFrom::Start(offset)).map_err(|e| IoError::os(path, "read", e))?;
    raw.read_exact(&mut buf[..count_size as usize]).map_err(|e| IoError::os(path, "read", e))?;
    let count = match (bigtiff, big_endian) {
        (false, false) => u16::from_le_bytes([buf[0], buf[1]]) as u64,
        (false, true) => u16::from_be_bytes([buf[0], buf[1]]) as u64,
        (true, false) => u64::from_le_bytes(buf),
        (true, true) => u64::from_be_bytes(buf),
    };
    let end =
        offset.saturating_add(count_size).saturating_add(count.saturating_mul(entry_size)).saturating_add(next_size);
    if end > file_len {
        return Err(what(end));
    }
    Ok(())
}

fn page_info(path: &Path, file_len: u64, dec: &mut Dec, ifd: usize) -> Result<Page, IoError> {
    let what = format!("page {ifd}");
    let err = |e| map_err(path, file_len, &what, e);
    let (width, height) = dec.dimensions().map_err(err)?;
    let color = dec.colortype().ok();
    let samples_tag = dec.find_tag_unsigned::<u16>(Tag::SamplesPerPixel).map_err(err)?.unwrap_or(1);
    let samples = color.map(|c| c.num_samples()).unwrap_or(samples_tag);
    let bits = match color {
        Some(c) => c.bit_depth(),
        None => dec
            .find_tag_unsigned_vec::<u16>(Tag::BitsPerSample)
            .map_err(err)?
            .and_then(|v| v.first().copied())
            .unwrap_or(1) as u8,
    };
    let format =
        dec.find_tag_unsigned_vec::<u16>(Tag::SampleFormat).map_err(err)?.and_then(|v| v.first().copied()).unwrap_or(1);
    let compression = dec.find_tag_unsigned::<u16>(Tag::Compression).map_err(err)?.unwrap_or(1);
    let predictor = dec.find_tag_unsigned::<u16>(Tag::Predictor).map_err(err)?.unwrap_or(1);
    let planar = dec.find_tag_unsigned::<u16>(Tag::PlanarConfiguration).map_err(err)?.unwrap_or(1) == 2;
    let reduced = dec.find_tag_unsigned::<u32>(Tag::NewSubfileType).map_err(err)?.unwrap_or(0) & 1 == 1;
    let rows_per_strip = dec.find_tag_unsigned::<u32>(Tag::RowsPerStrip).map_err(err)?.unwrap_or(height);
    let (tile, off_tag, len_tag) = match dec.get_chunk_type() {
        ChunkType::Tile => (Some(dec.chunk_dimensions()), Tag::TileOffsets, Tag::TileByteCounts),
        ChunkType::Strip => (None, Tag::StripOffsets, Tag::StripByteCounts),
    };
    let offsets = dec.find_tag_unsigned_vec::<u64>(off_tag).map_err(err)?.unwrap_or_default();
    let lengths = dec.find_tag_unsigned_vec::<u64>(len_tag).map_err(err)?.unwrap_or_default();
    if offsets.len() != lengths.len() {
        return Err(IoError::malformed(
            path,
            None,
            format!("page {ifd} lists {} chunk offsets but {} byte counts", offsets.len(), lengths.len()),
        ));
    }
    let description = match dec.find_tag(Tag::ImageDescription) {
        Ok(Some(tiff::decoder::ifd::Value::Ascii(s))) => Some(s),
        _ => None,
    };
    Ok(Page {
        ifd,
        width,
        height,
        samples,
        sample: Sample::from_tags(format, bits),
        color,
        compression,
        predictor,
        planar,
        tile,
        rows_per_strip,
        chunks: offsets.into_iter().zip(lengths).collect(),
        reduced,
        description,
    })
}

/// The shape and axes the array read from these pages will have.
pub(crate) fn array_shape(pages: &[&Page]) -> (Vec<usize>, String) {
    let Some(first) = pages.first() else { return (vec![], String::new()) };
    let mut page_shape = vec![first.height as usize, first.width as usize];
    if first.samples > 1 {
        page_shape.push(first.samples as usize);
    }
    let total: usize = pages.len() * page_shape.iter().product::<usize>();
    let band_label = |shape: &[usize]| -> String {
        let nd = shape.len();
        if first.samples > 1 && nd >= 3 {
            let lead = default_axes(nd - 1);
            // `z y x` for one leading axis; d0 d1 ... otherwise, then band.
            let lead: Vec<&str> = lead.split(' ').collect();
            let mut labels: Vec<String> = if nd - 1 == 2 {
                vec!["y".into(), "x".into()]
            } else {
                let mut v: Vec<String> = lead[..nd - 3].iter().map(|s| s.to_string()).collect();
                if nd - 3 == 1 {
                    v = vec!["z".into()];
                }
                v.push("y".into());
                v.push("x".into());
                v
            };
            labels.push("band".into());
            labels.join(" ")
        } else {
            default_axes(nd)
        }
    };
    if let Some(desc) = first.description.as_deref() {
        if let Some(shape) = shaped_description(desc) {
            let n: usize = shape.iter().product();
            // A 1-D array is stored as a one-row page.
            let row = page_shape[0] == 1 && page_shape.len() == 2 && shape.len() == 1;
            if n == total && !shape.is_empty() && (shape.ends_with(&page_shape) || row) {
                let axes = match plexus_axes(desc) {
                    Some(a) if a.split(' ').count() == shape.len() => a,
                    _ => band_label(&shape),
                };
                return (shape, axes);
            }
        }
    }
    let shape = if pages.len() > 1 {
        let mut s = vec![pages.len()];
        s.extend_from_slice(&page_shape);
        s
    } else {
        page_shape
    };
    let axes = band_label(&shape);
    (shape, axes)
}

/// The `shape` list of a tifffile-style JSON description, if any.
fn shaped_description(desc: &str) -> Option<Vec<usize>> {
    let desc = desc.trim_start();
    if !desc.starts_with('{') {
        return None;
    }
    let after = &desc[desc.find("\"shape\"")? + 7..];
    let after = after.trim_start().strip_prefix(':')?.trim_start().strip_prefix('[')?;
    let list = &after[..after.find(']')?];
    if list.trim().is_empty() {
        return Some(vec![]);
    }
    list.split(',').map(|d| d.trim().parse().ok()).collect()
}

/// Our axis labels stored next to the shape, if any.
fn plexus_axes(desc: &str) -> Option<String> {
    let after = &desc[desc.find("\"plexus_axes\"")? + 13..];
    let after = after.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let axes = &after[..after.find('"')?];
    let axes = axes.split_whitespace().collect::<Vec<_>>().join(" ");
    (!axes.is_empty()).then_some(axes)
}

/// Checks that the pages can form one array and their data lies inside the
/// file. Returns the pages to read.
fn check_pages<'a>(path: &Path, file_len: u64, layout: &'a Layout) -> Result<Vec<&'a Page>, IoError> {
    let pages = layout.image_pages();
    let Some(first) = pages.first() else {
        return Err(IoError::unsupported(
            path,
            "TIFF without a full-resolution page: every page is marked reduced-resolution",
        ));
    };
    if first.sample.dtype().is_none() {
        return Err(IoError::unsupported(
            path,
            format!(
                "TIFF sample type {} on page {}: plexus reads 8-, 16- and 32-bit unsigned, 8-, 16- and 32-bit signed, 16-, 32- and 64-bit float",
                first.sample.describe(),
                first.ifd
            ),
        ));
    }
    if let Some(p) = pages.iter().find(|p| !compression_supported(p.compression)) {
        return Err(IoError::unsupported(
            path,
            format!(
                "TIFF compression {} on page {}: plexus reads none, LZW, deflate and PackBits",
                compression_name(p.compression),
                p.ifd
            ),
        ));
    }
    for p in &pages[1..] {
        if p.key() != first.key() {
            let show = |q: &Page| {
                let mut s = format!("{}×{}", q.height, q.width);
                if q.samples > 1 {
                    s.push_str(&format!("×{}", q.samples));
                }
                format!("{s} {}", q.sample.describe())
            };
            return Err(IoError::unsupported(
                path,
                format!(
                    "TIFF with pages of different kinds: page {} is {}, page {} is {}; only identical pages form a stack",
                    p.ifd,
                    show(p),
                    first.ifd,
                    show(first)
                ),
            ));
        }
    }
    let several = layout.pages.len() > 1;
    for p in &pages {
        let kind = if p.tile.is_some() { "tile" } else { "strip" };
        for (i, &(off, len)) in p.chunks.iter().enumerate() {
            let end = off.saturating_add(len);
            if end > file_len {
                let whose = if several { format!("page {}, {kind} {i}", p.ifd) } else { format!("{kind} {i}") };
                return Err(IoError::truncated(
                    path,
                    file_len,
                    format!("{whose} needs {} more bytes (it spans bytes {off}..{end})", end - file_len),
                ));
            }
        }
        let stored: u64 = p.chunks.iter().map(|c| c.1).sum();
        // No codec the decoder supports expands data by more than ~2730:1
        // (LZW); a page claiming more pixels than that is corrupt, and
        // refusing it avoids allocating memory for a lie.
        if p.stored_bytes() > stored.saturating_mul(4096).saturating_add(1 << 20) {
            return Err(IoError::malformed(
                path,
                None,
                format!(
                    "page {} claims {}×{} pixels ({} bytes) but stores only {stored} bytes of data",
                    p.ifd,
                    p.height,
                    p.width,
                    p.stored_bytes()
                ),
            ));
        }
    }
    Ok(pages)
}

/// Reads a whole TIFF file.
pub(crate) fn read(path: &Path, file_len: u64) -> Result<Array, IoError> {
    let (mut dec, layout) = scan(path, file_len)?;
    let pages = check_pages(path, file_len, &layout)?;
    let (shape, axes) = array_shape(&pages);
    let first = pages[0];
    let dtype = first.sample.dtype().unwrap_or(DType::U8);
    let array = match dtype {
        DType::U8 => decode::<u8>(path, file_len, &mut dec, &pages, shape),
        DType::U16 => decode::<u16>(path, file_len, &mut dec, &pages, shape),
        DType::U32 => decode::<u32>(path, file_len, &mut dec, &pages, shape),
        DType::I16 => decode::<i16>(path, file_len, &mut dec, &pages, shape),
        DType::I32 => decode::<i32>(path, file_len, &mut dec, &pages, shape),
        DType::F32 => decode::<f32>(path, file_len, &mut dec, &pages, shape),
        DType::F64 => decode::<f64>(path, file_len, &mut dec, &pages, shape),
    }?;
    array.with_axes(&axes).map_err(|e| IoError::malformed(path, None, e.to_string()))
}

fn decode<T: Element>(
    path: &Path,
    file_len: u64,
    dec: &mut Dec,
    pages: &[&Page],
    shape: Vec<usize>,
) -> Result<Array, IoError> {
    let first = pages[0];
    let (h, w, s) = (first.height as usize, first.width as usize, first.samples as usize);
    let page_len = h * w * s;
    let total = page_len.checked_mul(pages.len()).ok_or_else(|| {
        IoError::unsupported(path, format!("TIFF of {} pages of {page_len} samples: too large to address", pages.len()))
    })?;
    let mut out: Vec<T> = Vec::new();
    out.try_reserve_exact(total)
        .map_err(|_| IoError::unsupported(path, format!("TIFF of {total} samples: not enough memory to hold it")))?;
    out.resize(total, T::zeroed());
    let direct = first.sample == Sample::Native(T::DTYPE) && !(first.planar && s > 1);
    let stored_size = first.sample.size();
    let mut scratch = if direct { Vec::new() } else { vec![0u8; page_len * stored_size] };
    for (k, page) in pages.iter().enumerate() {
        let what = format!("page {}", page.ifd);
        let err = |e| map_err(path, file_len, &what, e);
        dec.seek_to_image(page.ifd).map_err(err)?;
        let layout = dec.image_buffer_layout().map_err(err)?;
        if layout.complete_len != page_len * stored_size {
            return Err(IoError::unsupported(
                path,
                format!(
                    "TIFF layout on page {}: the decoder would produce {} bytes, expected {}×{}×{} samples of {} bytes",
                    page.ifd, layout.complete_len, h, w, s, stored_size
                ),
            ));
        }
        let dst = &mut out[k * page_len..(k + 1) * page_len];
        if direct {
            dec.read_image_bytes(bytemuck::cast_slice_mut(dst)).map_err(err)?;
            continue;
        }
        dec.read_image_bytes(&mut scratch).map_err(err)?;
        let get = |i: usize| -> T {
            let b = &scratch[i * stored_size..(i + 1) * stored_size];
            match first.sample {
                Sample::I8 => T::from_f64(b[0] as i8 as f64),
                Sample::F16 => T::from_f64(crate::element::f16_to_f32(u16::from_ne_bytes([b[0], b[1]])) as f64),
                _ => bytemuck::pod_read_unaligned(b),
            }
        };
        if first.planar && s > 1 {
            // Planes come one after another; interleave into `y x band`.
            let plane = h * w;
            for (i, v) in dst.iter_mut().enumerate() {
                *v = get((i % s) * plane + i / s);
            }
        } else {
            for (i, v) in dst.iter_mut().enumerate() {
                *v = get(i);
            }
        }
    }
    Array::from_vec(shape, out).map_err(|e| IoError::malformed(path, None, e.to_string()))
}

// ---------------------------------------------------------------- writing --

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
const HEADER_RESERVED: u64 = 16;
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

    #[test]
    fn reads_tifffile_shape_descriptions() {
        assert_eq!(shaped_description("{\"shape\": [2, 3, 64]}"), Some(vec![2, 3, 64]));
        assert_eq!(shaped_description("{\"shape\":[5]}"), Some(vec![5]));
        assert_eq!(shaped_description("ImageJ=1.11a\nimages=3"), None);
        assert_eq!(plexus_axes("{\"shape\": [2], \"plexus_axes\": \"angle\"}"), Some("angle".into()));
    }
}
