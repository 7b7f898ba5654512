//! The `.npy` header: a magic string, a version, a Python-literal dict
//! (`descr`, `fortran_order`, `shape`) padded to a multiple of 64 bytes.
//!
//! [`read_header`] accepts versions 1.0, 2.0 and 3.0 and decodes `descr`
//! into an [`element::Stored`](crate::element::Stored) and a byte order;
//! element types Plexus does not read (64-bit integers, complex,
//! structured or object arrays) are kept as text so the caller can refuse
//! them by name. [`header_bytes`] writes version 1.0 (2.0 when the header
//! outgrows 64 KiB), little-endian, C order, sized as if axis 0 needed 20
//! digits so that a streaming writer can write it before knowing the final
//! length and rewrite it in place.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use plexus_plugin_api::DType;

use crate::element::Stored;
use crate::error::IoError;

const MAGIC: &[u8] = b"\x93NUMPY";

/// What an `.npy` header says.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// Format version, `(major, minor)`.
    pub version: (u8, u8),
    /// The `descr` string as written (`"<f4"`).
    pub descr: String,
    /// The decoded element type, `None` when Plexus does not read it.
    pub stored: Option<Stored>,
    /// Whether multi-byte elements are big-endian.
    pub big_endian: bool,
    /// Whether elements are in column-major order.
    pub fortran_order: bool,
    /// The array's shape.
    pub shape: Vec<usize>,
    /// Byte offset of the first element.
    pub data_offset: u64,
}

impl Header {
    /// Bytes of element data the header promises, if that fits in `u64`.
    pub(crate) fn data_len(&self) -> Option<u64> {
        self.shape.iter().try_fold(self.stored?.size() as u64, |acc, &d| acc.checked_mul(d as u64))
    }

    /// The element type, or the error for one Plexus does not read.
    pub(crate) fn stored(&self, path: &Path) -> Result<Stored, IoError> {
        self.stored.ok_or_else(|| {
            IoError::unsupported(path, format!("NPY element type `{}`: {}", self.descr, supported_list()))
        })
    }
}

/// Reads and checks the header; leaves `file` positioned anywhere.
pub(crate) fn read_header(path: &Path, file: &mut File, file_len: u64) -> Result<Header, IoError> {
    let read_err = |e| IoError::os(path, "read", e);
    file.seek(SeekFrom::Start(0)).map_err(read_err)?;
    let mut pre = [0u8; 12];
    let got = read_up_to(file, &mut pre).map_err(read_err)?;
    if got < 10 {
        return Err(IoError::truncated(path, file_len, "the NPY preamble needs 10 bytes"));
    }
    if &pre[..6] != MAGIC {
        // `detect` has checked this already; kept for direct callers.
        return Err(IoError::malformed(path, Some(0), "expected the NPY magic `\\x93NUMPY`"));
    }
    let version = (pre[6], pre[7]);
    let (len_size, header_len) = match version.0 {
        1 => (2usize, u16::from_le_bytes([pre[8], pre[9]]) as u64),
        2 | 3 => {
            if got < 12 {
                return Err(IoError::truncated(path, file_len, "the NPY 2.0 preamble needs 12 bytes"));
            }
            (4, u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]]) as u64)
        }
        _ => {
            return Err(IoError::unsupported(
                path,
                format!("NPY version {}.{}: expected 1.0, 2.0 or 3.0", version.0, version.1),
            ))
        }
    };
    let header_start = 8 + len_size as u64;
    let data_offset = header_start + header_len;
    if data_offset > file_len {
        return Err(IoError::truncated(
            path,
            file_len,
            format!(
                "the NPY header declares {header_len} bytes from byte {header_start}, {} are missing",
                data_offset - file_len
            ),
        ));
    }
    let mut text = vec![0u8; header_len as usize];
    file.seek(SeekFrom::Start(header_start)).map_err(read_err)?;
    file.read_exact(&mut text).map_err(read_err)?;
    // Version 1 and 2 headers are latin-1, version 3 UTF-8; every header
    // we can use is ASCII, so anything else is reported where it occurs.
    if let Some(bad) = text.iter().position(|b| !b.is_ascii()) {
        return Err(IoError::malformed(
            path,
            Some(header_start + bad as u64),
            format!("NPY header has a non-ASCII byte 0x{:02x}", text[bad]),
        ));
    }
    let text = String::from_utf8_lossy(&text).into_owned();
    let dict = parse_dict(&text).map_err(|(pos, what)| {
        IoError::malformed(path, Some(header_start + pos as u64), format!("bad NPY header: {what}"))
    })?;

    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    for (key, value) in dict {
        match (key.as_str(), value) {
            ("descr", Value::Str(s)) => descr = Some(s),
            ("descr", Value::Other) => {
                return Err(IoError::unsupported(path, "NPY structured dtype: expected a plain element type"))
            }
            ("fortran_order", Value::Bool(b)) => fortran_order = Some(b),
            ("shape", Value::Tuple(t)) => shape = Some(t),
            (k @ ("descr" | "fortran_order" | "shape"), _) => {
                return Err(IoError::malformed(
                    path,
                    Some(header_start),
                    format!("bad NPY header: `{k}` has a value of the wrong kind"),
                ))
            }
            // numpy refuses extra keys; we tolerate them, they do not change
            // how the data is laid out.
            _ => {}
        }
    }
    let missing =
        |k: &str| IoError::malformed(path, Some(header_start), format!("bad NPY header: the key `{k}` is missing"));
    let descr = descr.ok_or_else(|| missing("descr"))?;
    let fortran_order = fortran_order.ok_or_else(|| missing("fortran_order"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;
    let (stored, big_endian) = match parse_descr(&descr) {
        Some((s, big)) => (Some(s), big),
        None => (None, descr.starts_with('>')),
    };
    Ok(Header { version, descr, stored, big_endian, fortran_order, shape, data_offset })
}

fn supported_list() -> &'static str {
    "plexus reads u1, u2, u4, i2, i4, f4, f8 (either byte order) and b1, i1, f2 (widened)"
}

/// Decodes a numpy `descr` string into the element and its byte order.
fn parse_descr(descr: &str) -> Option<(Stored, bool)> {
    let mut chars = descr.chars();
    let order = chars.next()?;
    let code = chars.as_str();
    let big = match order {
        '<' | '|' => false,
        '>' => true,
        // Native order of the machine that wrote it; numpy never writes this
        // to files, and every machine we run on is little-endian.
        '=' => cfg!(target_endian = "big"),
        _ => return None,
    };
    let stored = match code {
        "u1" | "B" => Stored::Native(DType::U8),
        "u2" => Stored::Native(DType::U16),
        "u4" => Stored::Native(DType::U32),
        "i2" => Stored::Native(DType::I16),
        "i4" => Stored::Native(DType::I32),
        "f4" => Stored::Native(DType::F32),
        "f8" => Stored::Native(DType::F64),
        "b1" | "?" => Stored::Bool,
        "i1" | "b" => Stored::I8,
        "f2" | "e" => Stored::F16,
        _ => return None,
    };
    Some((stored, big))
}

/// A value in the header dict, as far as we need to tell them apart.
#[derive(Debug, PartialEq)]
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
    Other,
}

/// Parses the Python dict literal of an NPY header. Errors carry the byte
/// position within `text`.
fn parse_dict(text: &str) -> Result<Vec<(String, Value)>, (usize, String)> {
    let b = text.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let expect = |i: &mut usize, c: u8| -> Result<(), (usize, String)> {
        skip_ws(i);
        if *i < b.len() && b[*i] == c {
            *i += 1;
            Ok(())
        } else {
            Err((*i, format!("expected `{}`, found {}", c as char, found_at(b, *i))))
        }
    };
    expect(&mut i, b'{')?;
    let mut out = Vec::new();
    loop {
        skip_ws(&mut i);
        if i < b.len() && b[i] == b'}' {
            i += 1;
            break;
        }
        let key = match parse_str(b, &mut i)? {
            Some(k) => k,
            None => return Err((i, format!("expected a quoted key, found {}", found_at(b, i)))),
        };
        expect(&mut i, b':')?;
        skip_ws(&mut i);
        let value = if let Some(s) = parse_str(b, &mut i)? {
            Value::Str(s)
        } else if b[i..].starts_with(b"True") {
            i += 4;
            Value::Bool(true)
        } else if b[i..].starts_with(b"False") {
            i += 5;
            Value::Bool(false)
        } else if i < b.len() && b[i] == b'(' {
            i += 1;
            let mut dims = Vec::new();
            loop {
                skip_ws(&mut i);
                if i < b.len() && b[i] == b')' {
                    i += 1;
                    break;
                }
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if start == i {
                    return Err((i, format!("expected a dimension, found {}", found_at(b, i))));
                }
                let dim: usize = text[start..i]
                    .parse()
                    .map_err(|_| (start, format!("dimension `{}` is too large", &text[start..i])))?;
                dims.push(dim);
                // Python 2 wrote long integers with an `L` suffix.
                if i < b.len() && b[i] == b'L' {
                    i += 1;
                }
                skip_ws(&mut i);
                if i < b.len() && b[i] == b',' {
                    i += 1;
                } else if !(i < b.len() && b[i] == b')') {
                    return Err((i, format!("expected `,` or `)` in the shape, found {}", found_at(b, i))));
                }
            }
            Value::Tuple(dims)
        } else if i < b.len() && b[i] == b'[' {
            // A structured dtype: skip to the matching bracket.
            let mut depth = 0;
            while i < b.len() {
                match b[i] {
                    b'[' => depth += 1,
                    b']' => depth -= 1,
                    _ => {}
                }
                i += 1;
                if depth == 0 {
                    break;
                }
            }
            Value::Other
        } else {
            return Err((i, format!("expected a value for `{key}`, found {}", found_at(b, i))));
        };
        out.push((key, value));
        skip_ws(&mut i);
        if i < b.len() && b[i] == b',' {
            i += 1;
        } else if !(i < b.len() && b[i] == b'}') {
            return Err((i, format!("expected `,` or `}}`, found {}", found_at(b, i))));
        }
    }
    skip_ws(&mut i);
    if i != b.len() {
        return Err((i, format!("unexpected {} after the dict", found_at(b, i))));
    }
    Ok(out)
}

/// Parses a single- or double-quoted string without escapes at `*i`, if one
/// starts there.
fn parse_str(b: &[u8], i: &mut usize) -> Result<Option<String>, (usize, String)> {
    if *i >= b.len() || (b[*i] != b'\'' && b[*i] != b'"') {
        return Ok(None);
    }
    let quote = b[*i];
    let start = *i + 1;
    match b[start..].iter().position(|&c| c == quote) {
        Some(len) => {
            *i = start + len + 1;
            Ok(Some(String::from_utf8_lossy(&b[start..start + len]).into_owned()))
        }
        None => Err((*i, "unterminated string".to_string())),
    }
}

fn found_at(b: &[u8], i: usize) -> String {
    match b.get(i) {
        None => "the end of the header".to_string(),
        Some(c) if c.is_ascii_graphic() => format!("`{}`", *c as char),
        Some(c) => format!("byte 0x{c:02x}"),
    }
}

/// Reads into `buf` until it is full or the file ends; returns the count.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The numpy `descr` of a Plexus element type, little-endian.
pub(crate) fn descr(dtype: DType) -> &'static str {
    match dtype {
        DType::U8 => "|u1",
        DType::U16 => "<u2",
        DType::U32 => "<u4",
        DType::I16 => "<i2",
        DType::I32 => "<i4",
        DType::F32 => "<f4",
        DType::F64 => "<f8",
    }
}

fn dict_text(dtype: DType, shape: &[String]) -> String {
    let shape = match shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", shape[0]),
        _ => format!("({})", shape.join(", ")),
    };
    format!("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr(dtype), shape)
}

/// The complete header (magic to newline) for `dtype` and `shape`.
///
/// Its length depends only on the dtype and `shape[1..]`: axis 0 is given
/// room for 20 digits, the most a `u64` needs, so a header written with a
/// placeholder length can be replaced in place by the final one.
pub(crate) fn header_bytes(dtype: DType, shape: &[usize]) -> Vec<u8> {
    let mut dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let actual = dict_text(dtype, &dims);
    if let Some(first) = dims.first_mut() {
        *first = "9".repeat(20);
    }
    let widest = dict_text(dtype, &dims);
    // Preamble is 10 bytes in version 1.0, 12 in 2.0; +1 for the newline.
    let (version, pre) = if widest.len() + 1 + 10 <= 65535 { (1u8, 10) } else { (2u8, 12) };
    let total = (pre + widest.len() + 1).div_ceil(64) * 64;
    let header_len = total - pre;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(actual.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_padded_to_64_and_stable_in_length() {
        let h = header_bytes(DType::F32, &[3, 64, 64]);
        assert_eq!(h.len() % 64, 0);
        assert_eq!(h.len(), header_bytes(DType::F32, &[12_345_678_901, 64, 64]).len());
        let text = String::from_utf8_lossy(&h[10..]);
        assert!(text.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 64, 64), }"));
        assert!(text.ends_with(" \n"));
        assert!(String::from_utf8_lossy(&header_bytes(DType::U8, &[5])).contains("(5,)"));
        assert!(String::from_utf8_lossy(&header_bytes(DType::U8, &[])).contains("'shape': ()"));
    }

    #[test]
    fn parses_numpy_dicts() {
        let d = parse_dict("{'descr': '<f8', 'fortran_order': True, 'shape': (3L, 4,), }   \n").unwrap();
        assert_eq!(d[0], ("descr".into(), Value::Str("<f8".into())));
        assert_eq!(d[1], ("fortran_order".into(), Value::Bool(true)));
        assert_eq!(d[2], ("shape".into(), Value::Tuple(vec![3, 4])));
        assert_eq!(parse_dict("{\"shape\": ()}").unwrap()[0].1, Value::Tuple(vec![]));
        assert_eq!(parse_dict("{'descr': '<f8' 'x'}").unwrap_err(), (16, "expected `,` or `}`, found `'`".into()));
        assert!(matches!(parse_dict("{'descr': [('a', '<f4')], }").unwrap()[0].1, Value::Other));
    }
}
