//! [`NpyReader`]: slabs of an `.npy` file read by offset.
//!
//! In C order a slab along axis 0 is one contiguous byte range, read with
//! one positioned read straight into the caller's buffer and converted in
//! place (byte swap for big-endian files, widening of bool, int8 and
//! float16). In Fortran order axis 0 varies fastest, so a slab is one run
//! of `len` elements every `shape[0]` elements: runs are read in batches
//! through a bounded scratch buffer and scattered into row-major order.

use std::fs::File;
use std::path::Path;

use plexus_plugin_api::default_axes;
use serde_json::Map;

use crate::element::{convert, expand_in_place, Stored};
use crate::error::IoError;
use crate::npy::header::read_header;
use crate::positioned::read_exact_at;
use crate::source::{check_slab, ChunkReader, SourceInfo};

/// Largest read buffered for a Fortran-order slab, in bytes.
const FORTRAN_SCRATCH: usize = 4 << 20;

/// An `.npy` file opened for reading slabs along axis 0.
#[derive(Debug)]
pub struct NpyReader {
    file: File,
    info: SourceInfo,
    stored: Stored,
    big_endian: bool,
    fortran: bool,
    data_offset: u64,
    /// Bytes buffered per batch of Fortran-order runs ([`FORTRAN_SCRATCH`];
    /// smaller in tests, to cross batch boundaries).
    scratch_limit: usize,
}

impl NpyReader {
    /// Opens `path` (of length `file_len`), reading and checking its header:
    /// the element type must be one Plexus reads and the file must hold all
    /// the data the header declares.
    pub(crate) fn open(path: &Path, file_len: u64) -> Result<NpyReader, IoError> {
        let mut file = File::open(path).map_err(|e| IoError::os(path, "open", e))?;
        let header = read_header(path, &mut file, file_len)?;
        let stored = header.stored(path)?;
        let data_len = header.data_len().ok_or_else(|| {
            IoError::malformed(path, None, format!("NPY shape {:?} is too large to address", header.shape))
        })?;
        let available = file_len - header.data_offset;
        if data_len > available {
            return Err(IoError::truncated(
                path,
                file_len,
                format!(
                    "shape {:?} of `{}` needs {data_len} bytes of data from byte {}, {} are missing",
                    header.shape,
                    header.descr,
                    header.data_offset,
                    data_len - available
                ),
            ));
        }
        // The delivered size must be addressable too (widening doubles it).
        let elements: usize = header.shape.iter().product();
        if elements.checked_mul(stored.dtype().size()).is_none_or(|n| n > isize::MAX as usize) {
            return Err(IoError::malformed(
                path,
                None,
                format!("NPY shape {:?} is too large to address", header.shape),
            ));
        }
        let info = SourceInfo {
            path: path.to_path_buf(),
            axes: default_axes(header.shape.len()),
            shape: header.shape,
            dtype: stored.dtype(),
            meta: Map::new(),
        };
        Ok(NpyReader {
            file,
            info,
            stored,
            big_endian: header.big_endian,
            fortran: header.fortran_order,
            data_offset: header.data_offset,
            scratch_limit: FORTRAN_SCRATCH,
        })
    }

    /// Elements in one slice along axis 0.
    fn slice_elements(&self) -> usize {
        self.info.shape.iter().skip(1).product()
    }

    fn what(&self, start: usize, len: usize) -> impl FnOnce() -> String {
        move || format!("the data of slices {start}..{} of axis 0", start + len)
    }

    /// A Fortran-order slab: for each position `k` of the other axes (in
    /// column-major order), the run of elements `start..start + len` of axis
    /// 0 begins at element `k * n0 + start`.
    fn read_fortran(&self, start: usize, len: usize, out: &mut [u8]) -> Result<(), IoError> {
        let shape = &self.info.shape;
        let n0 = shape[0];
        let rest = &shape[1..];
        let count: usize = rest.iter().product();
        let (s, o) = (self.stored.size(), self.stored.dtype().size());
        // Row-major strides of the other axes within one output slice.
        let mut c_stride = vec![1usize; rest.len()];
        for a in (0..rest.len().saturating_sub(1)).rev() {
            c_stride[a] = c_stride[a + 1] * rest[a + 1];
        }
        // Runs per batch: as many as fit the scratch buffer, at least one.
        let per_batch = (self.scratch_limit / (n0 * s).max(1)).clamp(1, count.max(1));
        let mut scratch = vec![0u8; ((per_batch - 1) * n0 + len) * s];
        let mut idx = vec![0usize; rest.len()];
        let mut c = 0usize;
        let mut k = 0;
        while k < count {
            let m = per_batch.min(count - k);
            let span = ((m - 1) * n0 + len) * s;
            let offset = self.data_offset + ((k * n0 + start) * s) as u64;
            let path = &self.info.path;
            read_exact_at(&self.file, path, offset, &mut scratch[..span], self.what(start, len))?;
            for j in 0..m {
                for i in 0..len {
                    let src = &scratch[(j * n0 + i) * s..(j * n0 + i + 1) * s];
                    let at = (i * count + c) * o;
                    convert(self.stored, self.big_endian, src, &mut out[at..at + o]);
                }
                // Next position in column-major order: the first axis fastest.
                for a in 0..rest.len() {
                    idx[a] += 1;
                    c += c_stride[a];
                    if idx[a] < rest[a] {
                        break;
                    }
                    c -= c_stride[a] * rest[a];
                    idx[a] = 0;
                }
            }
            k += m;
        }
        Ok(())
    }
}

impl ChunkReader for NpyReader {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read_into(&mut self, start: usize, len: usize, out: &mut [u8]) -> Result<(), IoError> {
        check_slab(&self.info, start, len, out.len())?;
        if out.is_empty() {
            return Ok(());
        }
        if self.fortran && self.info.shape.len() > 1 {
            return self.read_fortran(start, len, out);
        }
        let per = self.slice_elements();
        let s = self.stored.size();
        let offset = self.data_offset + (start * per * s) as u64;
        // Stored bytes go to the end of `out` and are widened in place.
        let tail = out.len() - len * per * s;
        read_exact_at(&self.file, &self.info.path, offset, &mut out[tail..], self.what(start, len))?;
        if !self.stored.is_direct(self.big_endian) {
            expand_in_place(self.stored, self.big_endian, out);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npy::header_bytes;

    /// A Fortran-order `<i4` file of shape (7, 3, 4) holding
    /// `100 i + 10 j + k` at (i, j, k), written at column-major offsets.
    fn fortran_file(dir: &Path) -> std::path::PathBuf {
        let (n0, n1, n2) = (7, 3, 4);
        let mut header = header_bytes(plexus_plugin_api::DType::I32, &[n0, n1, n2]);
        let text = String::from_utf8(header[10..].to_vec()).unwrap().replace("False", "True ");
        header.truncate(10);
        header.extend_from_slice(text.as_bytes());
        let mut data = vec![0i32; n0 * n1 * n2];
        for i in 0..n0 {
            for j in 0..n1 {
                for k in 0..n2 {
                    data[i + n0 * (j + n1 * k)] = (100 * i + 10 * j + k) as i32;
                }
            }
        }
        let p = dir.join("f.npy");
        let mut bytes = header;
        data.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn fortran_slabs_in_small_batches() {
        let dir = tempfile::tempdir().unwrap();
        let p = fortran_file(dir.path());
        let len = std::fs::metadata(&p).unwrap().len();
        // 1 byte forces one run per batch; 60 bytes two runs of 7 elements.
        for limit in [1, 60, FORTRAN_SCRATCH] {
            let mut r = NpyReader::open(&p, len).unwrap();
            r.scratch_limit = limit;
            for start in 0..7 {
                for n in 1..=7 - start {
                    let mut out = vec![0u8; n * 12 * 4];
                    r.read_into(start, n, &mut out).unwrap();
                    let got: Vec<i32> =
                        out.chunks_exact(4).map(|c| i32::from_ne_bytes(c.try_into().unwrap())).collect();
                    let want: Vec<i32> = (start..start + n)
                        .flat_map(|i| (0..3).flat_map(move |j| (0..4).map(move |k| (100 * i + 10 * j + k) as i32)))
                        .collect();
                    assert_eq!(got, want, "limit {limit}, slices {start}..{}", start + n);
                }
            }
        }
    }
}
