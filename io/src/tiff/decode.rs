//! Decoding one strip or tile: decompression (LZW, deflate, PackBits),
//! byte order and the predictors, into native-order stored samples.
//!
//! Done here rather than by the `tiff` crate so that any colour model is
//! read as stored (the crate refuses palette images, whose indices
//! tifffile returns) and so that one chunk is decoded into a buffer the
//! reader reuses. The steps follow TIFF 6.0 (sections 13, 14 and 9) and
//! Adobe's Technical Note 3 for the floating-point predictor:
//!
//! 1. decompress exactly the bytes the chunk's rows need;
//! 2. predictor 3: undo the byte differencing of each row, then gather
//!    its byte planes (most significant first) into values — which yields
//!    native order whatever the file's byte order;
//!    otherwise: swap multi-byte samples into native order, then for
//!    predictor 2 undo the horizontal differencing of each row
//!    (wrapping add, looking back one pixel).

use std::io::Read;

use crate::element::Stored;
use crate::tiff::layout::Page;

/// Why a chunk could not be decoded; the reader adds file and position.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// The compressed stream ends before the chunk's pixels do.
    Short { got: usize, want: usize },
    /// The compressed stream is not valid for its codec.
    Corrupt(String),
}

/// Decodes the compressed bytes `src` of a chunk of `page` into `out`,
/// which must hold exactly the chunk's stored bytes (`rows` rows of
/// `row_bytes`), leaving native-order stored samples.
pub(crate) fn decode_chunk(
    page: &Page,
    big_endian: bool,
    src: &[u8],
    out: &mut [u8],
    row_bytes: usize,
) -> Result<(), DecodeError> {
    decompress(page.compression, src, out)?;
    let stored = page.sample.stored().unwrap_or(Stored::Native(plexus_plugin_api::DType::U8));
    let size = stored.size();
    let lookback = page.chunk_samples();
    if page.predictor == 3 {
        let mut scratch = vec![0u8; row_bytes];
        for row in out.chunks_exact_mut(row_bytes) {
            undo_float_predictor(row, &mut scratch, size, lookback);
        }
        return Ok(());
    }
    if size > 1 && big_endian != cfg!(target_endian = "big") {
        out.chunks_exact_mut(size).for_each(|c| c.reverse());
    }
    if page.predictor == 2 {
        for row in out.chunks_exact_mut(row_bytes) {
            undo_horizontal(row, size, lookback);
        }
    }
    Ok(())
}

/// Fills `out` from the compressed stream `src`.
fn decompress(compression: u16, src: &[u8], out: &mut [u8]) -> Result<(), DecodeError> {
    let want = out.len();
    match compression {
        1 => {
            if src.len() < want {
                return Err(DecodeError::Short { got: src.len(), want });
            }
            out.copy_from_slice(&src[..want]);
            Ok(())
        }
        5 => lzw(src, out),
        8 | 32946 => {
            let mut z = flate2::read::ZlibDecoder::new(src);
            read_full(&mut z, out)
        }
        32773 => packbits(src, out),
        code => Err(DecodeError::Corrupt(format!("compression code {code} is not decoded here"))),
    }
}

/// Reads until `out` is full; a stream that ends first is `Short`.
fn read_full(r: &mut impl Read, out: &mut [u8]) -> Result<(), DecodeError> {
    let mut n = 0;
    while n < out.len() {
        match r.read(&mut out[n..]) {
            Ok(0) => return Err(DecodeError::Short { got: n, want: out.len() }),
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DecodeError::Corrupt(e.to_string())),
        }
    }
    Ok(())
}

/// TIFF's LZW: MSB-first codes growing from 9 bits, switching width one
/// code early (the "TIFF size switch").
fn lzw(src: &[u8], out: &mut [u8]) -> Result<(), DecodeError> {
    let mut dec = weezl::decode::Configuration::with_tiff_size_switch(weezl::BitOrder::Msb, 8).build();
    let (mut inp, mut done) = (0, 0);
    while done < out.len() {
        let r = dec.decode_bytes(&src[inp..], &mut out[done..]);
        inp += r.consumed_in;
        done += r.consumed_out;
        if done == out.len() {
            break;
        }
        match r.status {
            Ok(weezl::LzwStatus::Ok) if r.consumed_in > 0 || r.consumed_out > 0 => {}
            Ok(_) => return Err(DecodeError::Short { got: done, want: out.len() }),
            Err(e) => return Err(DecodeError::Corrupt(format!("LZW: {e}"))),
        }
    }
    Ok(())
}

/// Apple's PackBits run-length coding.
fn packbits(src: &[u8], out: &mut [u8]) -> Result<(), DecodeError> {
    let (mut i, mut o) = (0, 0);
    while o < out.len() {
        let Some(&h) = src.get(i) else { return Err(DecodeError::Short { got: o, want: out.len() }) };
        i += 1;
        let h = h as i8;
        if h >= 0 {
            let n = (h as usize + 1).min(out.len() - o);
            let Some(lit) = src.get(i..i + n) else { return Err(DecodeError::Short { got: o, want: out.len() }) };
            out[o..o + n].copy_from_slice(lit);
            i += h as usize + 1;
            o += n;
        } else if h != -128 {
            let Some(&v) = src.get(i) else { return Err(DecodeError::Short { got: o, want: out.len() }) };
            i += 1;
            let n = (1 - h as isize) as usize;
            let n = n.min(out.len() - o);
            out[o..o + n].fill(v);
            o += n;
        }
    }
    Ok(())
}

/// Undoes horizontal differencing of one row of native-order samples of
/// `size` bytes, each sample adding the one `lookback` samples before.
fn undo_horizontal(row: &mut [u8], size: usize, lookback: usize) {
    macro_rules! add {
        ($t:ty) => {{
            let n = row.len() / size;
            for i in lookback..n {
                let at = i * size;
                let prev =
                    <$t>::from_ne_bytes(row[at - lookback * size..at - lookback * size + size].try_into().unwrap());
                let v = <$t>::from_ne_bytes(row[at..at + size].try_into().unwrap());
                row[at..at + size].copy_from_slice(&v.wrapping_add(prev).to_ne_bytes());
            }
        }};
    }
    match size {
        1 => {
            for i in lookback..row.len() {
                row[i] = row[i].wrapping_add(row[i - lookback]);
            }
        }
        2 => add!(u16),
        4 => add!(u32),
        _ => add!(u64),
    }
}

/// Undoes the floating-point predictor on one row: bytes were differenced
/// (looking back one pixel of bytes) after the row's values were split
/// into byte planes, most significant byte first.
fn undo_float_predictor(row: &mut [u8], scratch: &mut [u8], size: usize, lookback: usize) {
    for i in lookback..row.len() {
        row[i] = row[i].wrapping_add(row[i - lookback]);
    }
    let n = row.len() / size;
    for i in 0..n {
        let mut be = [0u8; 8];
        for (b, slot) in be[..size].iter_mut().enumerate() {
            *slot = row[b * n + i];
        }
        let v = &mut scratch[i * size..(i + 1) * size];
        v.copy_from_slice(&be[..size]);
        if cfg!(target_endian = "little") {
            v.reverse();
        }
    }
    row.copy_from_slice(&scratch[..row.len()]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packbits_of_the_apple_example() {
        // Apple Technical Note TN1023's example.
        let src = [0xfe, 0xaa, 0x02, 0x80, 0x00, 0x2a, 0xfd, 0xaa, 0x03, 0x80, 0x00, 0x2a, 0x22, 0xf7, 0xaa];
        let want = [
            0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0xaa, 0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0x22, 0xaa, 0xaa, 0xaa, 0xaa,
            0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
        ];
        let mut out = [0u8; 24];
        packbits(&src, &mut out).unwrap();
        assert_eq!(out, want);
        let mut long = [0u8; 25];
        assert!(matches!(packbits(&src, &mut long), Err(DecodeError::Short { got: 24, want: 25 })));
    }

    #[test]
    fn horizontal_differencing_wraps() {
        let mut row: Vec<u8> = [10u16, 65535, 2].iter().flat_map(|v| v.to_ne_bytes()).collect();
        undo_horizontal(&mut row, 2, 1);
        let got: Vec<u16> = row.chunks_exact(2).map(|c| u16::from_ne_bytes([c[0], c[1]])).collect();
        assert_eq!(got, [10, 9, 11]);
    }

    #[test]
    fn float_predictor_gathers_byte_planes() {
        // Two f32 values, 1.0 (3f800000) and -2.0 (c0000000), one sample
        // per pixel: planes [3f c0] [80 00] [00 00] [00 00], then each
        // byte minus the one before.
        let planes = [0x3fu8, 0xc0, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00];
        let mut diff = planes;
        for i in (1..diff.len()).rev() {
            diff[i] = diff[i].wrapping_sub(diff[i - 1]);
        }
        let mut scratch = [0u8; 8];
        undo_float_predictor(&mut diff, &mut scratch, 4, 1);
        let got: Vec<f32> = diff.chunks_exact(4).map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]])).collect();
        assert_eq!(got, [1.0, -2.0]);
    }
}
