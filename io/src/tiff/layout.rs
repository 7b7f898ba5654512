//! The structure of a TIFF file, from its directories alone: [`scan`]
//! walks the IFD chain (through the `tiff` crate's tag parser) into a
//! [`Layout`] of [`Page`]s — size, sample type, compression, predictor,
//! strips or tiles and where each one lies — and [`check_pages`] decides
//! which pages form the array and whether every byte they need is in the
//! file. [`array_shape`] gives the shape and axes the array has.
//!
//! No pixel is decoded here (see `decode` and `reader`), so `plexus
//! inspect` can describe files that cannot be read.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use plexus_plugin_api::{default_axes, DType};
use tiff::decoder::{ChunkType, Decoder, Limits};
use tiff::tags::Tag;
use tiff::TiffError;

use crate::element::Stored;
use crate::error::IoError;

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
        self.stored().map(Stored::dtype)
    }

    /// How the sample is stored, for the element conversions, if we read it.
    pub(crate) fn stored(self) -> Option<Stored> {
        match self {
            Sample::Native(d) => Some(Stored::Native(d)),
            Sample::I8 => Some(Stored::I8),
            Sample::F16 => Some(Stored::F16),
            Sample::Other(..) => None,
        }
    }

    /// Bytes per stored sample (only for types we can read).
    pub(crate) fn size(self) -> usize {
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
    /// Raw PhotometricInterpretation tag (1 BlackIsZero when absent).
    pub photometric: u16,
    /// Raw FillOrder tag: 2 means bits are stored least significant first.
    pub fill_order: u16,
    /// YCbCr chroma subsampling, horizontal and vertical (1, 1 = none).
    pub subsampling: (u16, u16),
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

    /// Planes stored one after another: the samples when planar, else 1.
    pub(crate) fn planes(&self) -> usize {
        if self.planar {
            self.samples as usize
        } else {
            1
        }
    }

    /// Samples per pixel within one strip or tile.
    pub(crate) fn chunk_samples(&self) -> usize {
        self.samples as usize / self.planes()
    }

    /// Rows of one band: a strip, or a row of tiles.
    pub(crate) fn band_height(&self) -> usize {
        match self.tile {
            Some((_, th)) => th as usize,
            None => (self.rows_per_strip as usize).clamp(1, (self.height as usize).max(1)),
        }
    }

    /// Bands of one plane.
    pub(crate) fn bands(&self) -> usize {
        (self.height as usize).div_ceil(self.band_height())
    }

    /// Tiles across one band (1 for strips).
    pub(crate) fn tiles_across(&self) -> usize {
        match self.tile {
            Some((tw, _)) => (self.width as usize).div_ceil((tw as usize).max(1)),
            None => 1,
        }
    }

    /// Strips or tiles the page's size needs.
    pub(crate) fn chunk_count(&self) -> usize {
        self.bands() * self.tiles_across() * self.planes()
    }

    /// Width and height of chunk `i` as stored: tiles are always whole
    /// (padded at the right and bottom edges), the last strip may be short.
    pub(crate) fn chunk_dims(&self, i: usize) -> (usize, usize) {
        let band = (i % (self.bands() * self.tiles_across())) / self.tiles_across();
        match self.tile {
            Some((tw, th)) => (tw as usize, th as usize),
            None => {
                let h = self.band_height().min(self.height as usize - band * self.band_height());
                (self.width as usize, h)
            }
        }
    }

    /// Bytes chunk `i` holds once decompressed.
    pub(crate) fn chunk_stored_bytes(&self, i: usize) -> u64 {
        let (w, h) = self.chunk_dims(i);
        (w as u64) * (h as u64) * (self.chunk_samples() as u64) * (self.sample.size() as u64)
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
pub(crate) fn scan(path: &Path, file_len: u64) -> Result<Layout, IoError> {
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
    Ok(Layout { bigtiff, big_endian, pages })
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
    // Samples, bits and colour model from the tags themselves: the crate's
    // colour types refuse palette images, which are read as their indices.
    let samples = dec.find_tag_unsigned::<u16>(Tag::SamplesPerPixel).map_err(err)?.unwrap_or(1).max(1);
    let bits_list = dec.find_tag_unsigned_vec::<u16>(Tag::BitsPerSample).map_err(err)?.unwrap_or_else(|| vec![1]);
    let bits = bits_list.first().copied().unwrap_or(1);
    if bits_list.iter().any(|&b| b != bits) {
        return Err(IoError::unsupported(
            path,
            format!("TIFF with samples of different sizes on page {ifd}: bits per sample {bits_list:?}"),
        ));
    }
    let bits = bits.min(255) as u8;
    let photometric = dec.find_tag_unsigned::<u16>(Tag::PhotometricInterpretation).map_err(err)?.unwrap_or(1);
    let fill_order = dec.find_tag_unsigned::<u16>(Tag::FillOrder).map_err(err)?.unwrap_or(1);
    let subsampling = match dec.find_tag_unsigned_vec::<u16>(Tag::ChromaSubsampling).map_err(err)? {
        Some(v) if v.len() >= 2 => (v[0], v[1]),
        // The TIFF default for YCbCr images is 2 × 2.
        _ if photometric == 6 => (2, 2),
        _ => (1, 1),
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
        photometric,
        fill_order,
        subsampling,
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

/// Fails unless the way the page is coded is one the decoder handles:
/// the predictor fits the sample type, bits are stored most significant
/// first, chroma is not subsampled, tiles are not empty.
fn check_coding(path: &Path, p: &Page) -> Result<(), IoError> {
    let bad = |what: String| Err(IoError::unsupported(path, format!("TIFF {what} on page {}", p.ifd)));
    match (p.predictor, p.sample) {
        (1, _) => {}
        (2, Sample::Native(_) | Sample::I8 | Sample::F16) => {}
        (3, Sample::Native(DType::F32 | DType::F64) | Sample::F16) => {}
        (2 | 3, s) => return bad(format!("predictor {} with {} samples", p.predictor, s.describe())),
        (code, _) => {
            return bad(format!("predictor code {code}: expected 1 (none), 2 (horizontal) or 3 (floating point)"))
        }
    }
    if p.fill_order == 2 {
        return bad("fill order 2 (bits least significant first)".into());
    }
    if p.photometric == 6 && p.subsampling != (1, 1) {
        return bad(format!("YCbCr with chroma subsampled {}×{}", p.subsampling.0, p.subsampling.1));
    }
    if p.tile.is_some_and(|(w, h)| w == 0 || h == 0) {
        return bad("tiles of size 0".into());
    }
    Ok(())
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
pub(crate) fn check_pages<'a>(path: &Path, file_len: u64, layout: &'a Layout) -> Result<Vec<&'a Page>, IoError> {
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
    for p in &pages {
        check_coding(path, p)?;
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
        let needed = p.chunk_count();
        if p.chunks.len() < needed {
            return Err(IoError::malformed(
                path,
                None,
                format!("page {} lists {} {kind}s, its size needs {needed}", p.ifd, p.chunks.len()),
            ));
        }
        if p.compression == 1 {
            for (i, &(off, len)) in p.chunks.iter().enumerate().take(needed) {
                let want = p.chunk_stored_bytes(i);
                if len < want {
                    return Err(IoError::malformed(
                        path,
                        Some(off),
                        format!("page {}, {kind} {i} holds {len} bytes, its pixels need {want}", p.ifd),
                    ));
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tifffile_shape_descriptions() {
        assert_eq!(shaped_description("{\"shape\": [2, 3, 64]}"), Some(vec![2, 3, 64]));
        assert_eq!(shaped_description("{\"shape\":[5]}"), Some(vec![5]));
        assert_eq!(shaped_description("ImageJ=1.11a\nimages=3"), None);
        assert_eq!(plexus_axes("{\"shape\": [2], \"plexus_axes\": \"angle\"}"), Some("angle".into()));
    }
}
