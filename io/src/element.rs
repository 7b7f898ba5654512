//! How elements are stored in a file, and their conversion into the native
//! elements a reader delivers: byte order, and the three stored types that
//! widen without loss (`bool` → u8 0/1, `int8` → i16, `float16` → f32).
//!
//! NPY, TIFF and HDF5 all store one of these; each reader decodes its own
//! type tags into a [`Stored`] and converts with the functions here, so
//! the conversions exist once. Conversions run in place where the caller
//! owns only the destination buffer: stored bytes are placed at its end and
//! expanded forward ([`expand_in_place`]), so no scratch buffer is needed.

use plexus_plugin_api::DType;

/// How elements are stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Stored {
    /// One of Plexus's own element types.
    Native(DType),
    /// A boolean byte, delivered as u8 0/1 (any non-zero byte is 1).
    Bool,
    /// Signed 8-bit, delivered as i16.
    I8,
    /// IEEE half precision, delivered as f32 (exactly).
    F16,
}

impl Stored {
    /// Bytes of one stored element.
    pub(crate) fn size(self) -> usize {
        match self {
            Stored::Native(d) => d.size(),
            Stored::Bool | Stored::I8 => 1,
            Stored::F16 => 2,
        }
    }

    /// The element type delivered.
    pub(crate) fn dtype(self) -> DType {
        match self {
            Stored::Native(d) => d,
            Stored::Bool => DType::U8,
            Stored::I8 => DType::I16,
            Stored::F16 => DType::F32,
        }
    }

    /// Whether stored bytes are already the delivered native bytes: the
    /// same type and, for multi-byte types, the machine's byte order. Such
    /// data can be read straight into the caller's buffer.
    pub(crate) fn is_direct(self, big_endian: bool) -> bool {
        match self {
            Stored::Native(d) => d.size() == 1 || big_endian == cfg!(target_endian = "big"),
            _ => false,
        }
    }
}

/// Converts `n` stored elements at the end of `buf` into delivered
/// elements filling `buf`, in place.
///
/// `buf.len()` must be `n * stored.dtype().size()`; the stored bytes occupy
/// its last `n * stored.size()` bytes. Delivered elements are never smaller
/// than stored ones, so walking forward, element `i` is read (at byte
/// `tail + i * stored_size`) before anything is written over it: writing
/// element `i` touches bytes below `(i + 1) * out_size`, which only hold
/// stored elements up to `i`.
pub(crate) fn expand_in_place(stored: Stored, big_endian: bool, buf: &mut [u8]) {
    let (s, o) = (stored.size(), stored.dtype().size());
    debug_assert_eq!(buf.len() % o, 0);
    let n = buf.len() / o;
    let tail = buf.len() - n * s;
    let swap = big_endian != cfg!(target_endian = "big");
    match stored {
        Stored::Native(_) => {
            if swap && s > 1 {
                buf.chunks_exact_mut(s).for_each(|c| c.reverse());
            }
        }
        Stored::Bool => buf.iter_mut().for_each(|b| *b = (*b != 0) as u8),
        Stored::I8 => {
            for i in 0..n {
                let v = buf[tail + i] as i8 as i16;
                buf[2 * i..2 * i + 2].copy_from_slice(&v.to_ne_bytes());
            }
        }
        Stored::F16 => {
            for i in 0..n {
                let b = [buf[tail + 2 * i], buf[tail + 2 * i + 1]];
                let h = if big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) };
                buf[4 * i..4 * i + 4].copy_from_slice(&f16_to_f32(h).to_ne_bytes());
            }
        }
    }
}

/// Converts stored elements `src` into delivered elements `dst`
/// (`dst.len() / out_size == src.len() / stored_size`).
pub(crate) fn convert(stored: Stored, big_endian: bool, src: &[u8], dst: &mut [u8]) {
    debug_assert_eq!(src.len() / stored.size(), dst.len() / stored.dtype().size());
    let tail = dst.len() - src.len();
    dst[tail..].copy_from_slice(src);
    expand_in_place(stored, big_endian, dst);
}

/// Native elements of `size` bytes as little-endian bytes, the order every
/// format written here stores (borrowed on little-endian machines).
pub(crate) fn to_little_endian(bytes: &[u8], size: usize) -> std::borrow::Cow<'_, [u8]> {
    if cfg!(target_endian = "little") || size == 1 {
        std::borrow::Cow::Borrowed(bytes)
    } else {
        let mut v = bytes.to_vec();
        v.chunks_exact_mut(size).for_each(|c| c.reverse());
        std::borrow::Cow::Owned(v)
    }
}

/// Exact conversion of an IEEE half-precision value.
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: value = man * 2^-24, exactly representable in f32.
            let v = man as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
        (31, 0) => sign | 0x7f80_0000,
        (31, _) => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_convert_exactly() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0xfc00), f32::NEG_INFINITY);
        assert_eq!(f16_to_f32(0x8000).to_bits(), 0x8000_0000);
    }

    #[test]
    fn widening_in_place_reads_before_it_writes() {
        // i8 -> i16: 5 stored bytes at the end of a 10-byte buffer.
        let mut buf = vec![0xaa; 5];
        buf.extend_from_slice(&[0x80, 0xff, 0x00, 0x01, 0x7f]);
        expand_in_place(Stored::I8, false, &mut buf);
        let got: Vec<i16> = buf.chunks_exact(2).map(|c| i16::from_ne_bytes([c[0], c[1]])).collect();
        assert_eq!(got, [-128, -1, 0, 1, 127]);
        // f16 big-endian -> f32.
        let mut buf = vec![0u8; 4];
        buf.extend_from_slice(&[0x3c, 0x00, 0xc0, 0x00]);
        expand_in_place(Stored::F16, true, &mut buf);
        let got: Vec<f32> = buf.chunks_exact(4).map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]])).collect();
        assert_eq!(got, [1.0, -2.0]);
        // bool and byte swapping.
        let mut buf = vec![0, 2, 1, 255];
        expand_in_place(Stored::Bool, false, &mut buf);
        assert_eq!(buf, [0, 1, 1, 1]);
        let mut buf = vec![0x12, 0x34, 0x56, 0x78];
        expand_in_place(Stored::Native(DType::U16), cfg!(target_endian = "little"), &mut buf);
        assert_eq!(buf, [0x34, 0x12, 0x78, 0x56]);
    }

    #[test]
    fn direct_when_bytes_are_native() {
        let big = cfg!(target_endian = "big");
        assert!(Stored::Native(DType::U8).is_direct(big));
        assert!(Stored::Native(DType::U8).is_direct(!big));
        assert!(Stored::Native(DType::F32).is_direct(big));
        assert!(!Stored::Native(DType::F32).is_direct(!big));
        assert!(!Stored::I8.is_direct(false));
    }
}
