//! PNG through the `png` crate.
//!
//! **Reading** returns what Pillow (and so imageio and scikit-image) returns:
//! 8- and 16-bit samples unscaled; gray as `y x`, gray+alpha, RGB and RGBA as
//! `y x band` with 2, 3 or 4 bands; palette images expanded to RGB; 2- and
//! 4-bit gray scaled to 0–255. A `tRNS` transparency chunk is ignored, for
//! palette images too, as imageio and scikit-image do (OpenCV instead adds an
//! alpha band to palette images). 1-bit gray becomes u8 0/255 where Pillow
//! gives bool. Only the default image of an animated PNG is read.
//!
//! **Writing** takes u8 or u16, 2-D or `y x band` with 1–4 bands (gray, gray
//! + alpha, RGB, RGBA).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use plexus_plugin_api::{Array, DType};

use crate::error::IoError;

/// What the IHDR chunk says.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ihdr {
    pub width: u32,
    pub height: u32,
    pub bit_depth: u8,
    pub color_type: u8,
    pub interlaced: bool,
}

impl Ihdr {
    /// Bands of the array read.
    pub(crate) fn bands(&self) -> usize {
        match self.color_type {
            0 => 1,
            2 | 3 => 3,
            4 => 2,
            6 => 4,
            _ => 0,
        }
    }

    /// Element type of the array read.
    pub(crate) fn dtype(&self) -> DType {
        if self.bit_depth == 16 {
            DType::U16
        } else {
            DType::U8
        }
    }

    /// Colour model, in words.
    pub(crate) fn color_name(&self) -> &'static str {
        match self.color_type {
            0 => "gray",
            2 => "RGB",
            3 => "palette",
            4 => "gray + alpha",
            6 => "RGBA",
            _ => "unknown",
        }
    }
}

/// Reads the signature and IHDR chunk from the first 33 bytes.
pub(crate) fn read_ihdr(path: &Path, file_len: u64) -> Result<Ihdr, IoError> {
    let mut file = File::open(path).map_err(|e| IoError::os(path, "open", e))?;
    let mut head = Vec::with_capacity(33);
    (&mut file).take(33).read_to_end(&mut head).map_err(|e| IoError::os(path, "read", e))?;
    if head.len() < 33 {
        return Err(IoError::truncated(path, file_len, "the PNG signature and IHDR chunk need 33 bytes"));
    }
    if &head[12..16] != b"IHDR" {
        return Err(IoError::malformed(
            path,
            Some(12),
            format!("expected the IHDR chunk first, found `{}`", String::from_utf8_lossy(&head[12..16])),
        ));
    }
    let be = |i: usize| u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    Ok(Ihdr { width: be(16), height: be(20), bit_depth: head[24], color_type: head[25], interlaced: head[28] != 0 })
}

/// Walks the chunks after the signature without decoding pixels: each
/// chunk must lie within the file and its CRC match its type and data, an
/// `IDAT` must come before `IEND`. Returns what is wrong,
/// in `inspect`'s words, or `None`.
pub(crate) fn check_chunks(path: &Path, file_len: u64) -> Result<Option<String>, IoError> {
    let file = File::open(path).map_err(|e| IoError::os(path, "open", e))?;
    let mut r = BufReader::with_capacity(1 << 16, file);
    let mut skip = [0u8; 8];
    r.read_exact(&mut skip).map_err(|e| IoError::os(path, "read", e))?;
    let (mut at, mut idat, mut buf) = (8u64, false, vec![0u8; 1 << 16]);
    loop {
        if at == file_len {
            return Ok(Some(format!("truncated: the file ends at byte {at} without the IEND chunk")));
        }
        if at + 12 > file_len {
            return Ok(Some(format!("truncated: a chunk starts at byte {at}, the file has {file_len} bytes")));
        }
        let mut head = [0u8; 8];
        r.read_exact(&mut head).map_err(|e| IoError::os(path, "read", e))?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as u64;
        let kind = String::from_utf8_lossy(&head[4..8]).into_owned();
        let end = at + 12 + len;
        if end > file_len {
            return Ok(Some(format!(
                "truncated: chunk `{kind}` at byte {at} ends at byte {end}, the file has {file_len}"
            )));
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&head[4..8]);
        let mut left = len as usize;
        while left > 0 {
            let n = left.min(buf.len());
            r.read_exact(&mut buf[..n]).map_err(|e| IoError::os(path, "read", e))?;
            crc.update(&buf[..n]);
            left -= n;
        }
        let mut stored = [0u8; 4];
        r.read_exact(&mut stored).map_err(|e| IoError::os(path, "read", e))?;
        let stored = u32::from_be_bytes(stored);
        if crc.finalize() != stored {
            return Ok(Some(format!(
                "chunk `{kind}` at byte {at}: the stored CRC 0x{stored:08x} does not match its data; the file is damaged"
            )));
        }
        idat |= &head[4..8] == b"IDAT";
        at = end;
        if &head[4..8] == b"IEND" {
            // Bytes after IEND are ignored, as every decoder does.
            return Ok((!idat).then(|| "the file has no IDAT chunk: there is no image data".to_string()));
        }
    }
}

fn decode_err(path: &Path, file_len: u64, e: png::DecodingError) -> IoError {
    match e {
        png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            IoError::truncated(path, file_len, "the PNG image data ends before the image is complete")
        }
        png::DecodingError::IoError(io) => IoError::os(path, "read", io),
        png::DecodingError::Format(f) => IoError::malformed(path, None, format!("bad PNG: {f}")),
        png::DecodingError::LimitsExceeded => IoError::unsupported(path, "PNG larger than the decoder's limits"),
        other => IoError::malformed(path, None, format!("bad PNG: {other}")),
    }
}

/// Reads a whole PNG file.
pub(crate) fn read(path: &Path, file_len: u64) -> Result<Array, IoError> {
    let ihdr = read_ihdr(path, file_len)?;
    // Deflate expands by at most ~1032:1; a header claiming more pixels than
    // that is corrupt, and refusing it avoids allocating for a lie.
    let claimed = (ihdr.width as u64).saturating_mul(ihdr.height as u64).saturating_mul(8);
    if claimed > file_len.saturating_mul(1032).saturating_add(1 << 20) {
        return Err(IoError::malformed(
            path,
            Some(16),
            format!("the header claims {}×{} pixels, more than {file_len} bytes can hold", ihdr.height, ihdr.width),
        ));
    }
    let file = File::open(path).map_err(|e| IoError::os(path, "open", e))?;
    let mut decoder = png::Decoder::new_with_limits(BufReader::new(file), png::Limits { bytes: usize::MAX });
    // EXPAND turns palettes into RGB and unpacks sub-byte gray; it would
    // also add an alpha band for a tRNS chunk on gray or RGB images, so it
    // is only asked for where it is needed (and dropped again below).
    let expand = ihdr.color_type == 3 || ihdr.bit_depth < 8;
    decoder.set_transformations(if expand { png::Transformations::EXPAND } else { png::Transformations::IDENTITY });
    let mut reader = decoder.read_info().map_err(|e| decode_err(path, file_len, e))?;
    let mut buf = vec![0u8; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| decode_err(path, file_len, e))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let mut bands = info.color_type.samples();
    let sixteen = info.bit_depth == png::BitDepth::Sixteen;
    let bps = if sixteen { 2 } else { 1 };
    // Rows may be padded; keep exactly w * bands samples of each.
    let row = w * bands * bps;
    let mut data: Vec<u8> = Vec::with_capacity(row * h);
    for r in 0..h {
        let start = r * info.line_size;
        data.extend_from_slice(&buf[start..start + row]);
    }
    drop(buf);
    if (ihdr.color_type == 0 && bands == 2) || (ihdr.color_type == 3 && bands == 4) {
        // EXPAND turned a tRNS chunk into an alpha band; drop it (see above).
        let keep = (bands - 1) * bps;
        data = data.chunks_exact(bands * bps).flat_map(|px| px[..keep].iter().copied()).collect();
        bands -= 1;
    }
    let shape = if bands == 1 { vec![h, w] } else { vec![h, w, bands] };
    let array = if sixteen {
        let v: Vec<u16> = data.chunks_exact(2).map(|b| u16::from_be_bytes([b[0], b[1]])).collect();
        Array::from_vec(shape, v)
    } else {
        Array::from_vec(shape, data)
    };
    let array = array.map_err(|e| IoError::malformed(path, None, e.to_string()))?;
    if bands == 1 {
        Ok(array)
    } else {
        array.with_axes("y x band").map_err(|e| IoError::malformed(path, None, e.to_string()))
    }
}

/// Checks that `array` fits in a PNG; returns height, width and bands.
pub(crate) fn check(path: &Path, array: &Array) -> Result<(u32, u32, usize), IoError> {
    if !matches!(array.dtype(), DType::U8 | DType::U16) {
        return Err(IoError::cannot_write(
            path,
            format!("`{}` elements as PNG: PNG holds u8 or u16; convert, or write .tif or .npy", array.dtype()),
        ));
    }
    let shape = array.shape();
    let last = array.axes().split(' ').next_back().unwrap_or("");
    let (h, w, bands) = match shape.len() {
        2 => (shape[0], shape[1], 1),
        3 if matches!(last, "band" | "c" | "channel") => (shape[0], shape[1], shape[2]),
        _ => {
            return Err(IoError::cannot_write(
                path,
                format!(
                    "an array of shape {shape:?} with axes `{}` as PNG: PNG holds one `y x` or `y x band` image; write a stack as .tif or .npy",
                    array.axes()
                ),
            ))
        }
    };
    if !(1..=4).contains(&bands) {
        return Err(IoError::cannot_write(
            path,
            format!("{bands} bands as PNG: PNG holds 1 to 4 (gray, gray + alpha, RGB, RGBA)"),
        ));
    }
    if h == 0 || w == 0 || h > i32::MAX as usize || w > i32::MAX as usize {
        return Err(IoError::cannot_write(path, format!("a {h}×{w} image as PNG: each side must be 1 to 2147483647")));
    }
    Ok((h as u32, w as u32, bands))
}

/// Encodes `array` into `out` (the caller handles the `.partial` file).
pub(crate) fn write(path: &Path, array: &Array, out: &mut impl std::io::Write) -> Result<(), IoError> {
    let (h, w, bands) = check(path, array)?;
    let enc_err = |e: png::EncodingError| match e {
        png::EncodingError::IoError(io) => IoError::os(path, "write", io),
        other => IoError::cannot_write(path, format!("PNG: {other}")),
    };
    let mut enc = png::Encoder::new(out, w, h);
    enc.set_color(match bands {
        1 => png::ColorType::Grayscale,
        2 => png::ColorType::GrayscaleAlpha,
        3 => png::ColorType::Rgb,
        _ => png::ColorType::Rgba,
    });
    let data: std::borrow::Cow<[u8]> = match array.dtype() {
        DType::U16 => {
            enc.set_depth(png::BitDepth::Sixteen);
            // PNG stores 16-bit samples big-endian.
            let v = array.as_slice::<u16>().map_err(|e| IoError::cannot_write(path, e.to_string()))?;
            v.iter().flat_map(|x| x.to_be_bytes()).collect::<Vec<u8>>().into()
        }
        _ => {
            enc.set_depth(png::BitDepth::Eight);
            array.as_bytes().into()
        }
    };
    let mut writer = enc.write_header().map_err(enc_err)?;
    writer.write_image_data(&data).map_err(enc_err)?;
    writer.finish().map_err(enc_err)?;
    Ok(())
}
