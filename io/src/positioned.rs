//! Positioned reads: byte ranges read at known offsets (`pread`) straight
//! into the caller's buffer, the primitive every slab reader stands on.
//!
//! A positioned read does not move a shared file cursor, so a reader needs
//! no seek before each range, and a range the file does not hold is
//! reported as a truncation naming the byte range and what needed it.
//! [`Segments`] merges ranges that are adjacent both in the file and in
//! the destination, so a slab of a contiguously stored stack is one large
//! read however many strips or pages it spans.

use std::fs::File;
use std::path::Path;

use crate::error::IoError;

/// Fills `buf` from `file` at `offset`; a short file is an error naming
/// the range and `what` needed it.
pub(crate) fn read_exact_at(
    file: &File,
    path: &Path,
    offset: u64,
    buf: &mut [u8],
    what: impl FnOnce() -> String,
) -> Result<(), IoError> {
    match read_at_os(file, offset, buf) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            let end = offset + buf.len() as u64;
            Err(IoError::truncated(
                path,
                len,
                format!("{} needs {} more bytes (it spans bytes {offset}..{end})", what(), end.saturating_sub(len)),
            ))
        }
        Err(e) => Err(IoError::os(path, "read", e)),
    }
}

#[cfg(unix)]
fn read_at_os(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
}

#[cfg(windows)]
fn read_at_os(file: &File, mut offset: u64, mut buf: &mut [u8]) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// One range to copy: `len` bytes from file offset `file` to destination
/// offset `dst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub file: u64,
    pub dst: usize,
    pub len: usize,
}

/// Ranges to read, merged as they are pushed when a range continues the
/// previous one in the file and in the destination.
#[derive(Debug, Default)]
pub(crate) struct Segments(Vec<Segment>);

impl Segments {
    /// Adds a range, merging it into the last one when contiguous.
    pub(crate) fn push(&mut self, file: u64, dst: usize, len: usize) {
        if len == 0 {
            return;
        }
        if let Some(last) = self.0.last_mut() {
            if last.file + last.len as u64 == file && last.dst + last.len == dst {
                last.len += len;
                return;
            }
        }
        self.0.push(Segment { file, dst, len });
    }

    /// The merged ranges.
    pub(crate) fn as_slice(&self) -> &[Segment] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_ranges_merge() {
        let mut s = Segments::default();
        s.push(100, 0, 10);
        s.push(110, 10, 5);
        s.push(200, 15, 5); // gap in the file
        s.push(205, 30, 5); // gap in the destination
        s.push(210, 35, 0);
        assert_eq!(
            s.as_slice(),
            [
                Segment { file: 100, dst: 0, len: 15 },
                Segment { file: 200, dst: 15, len: 5 },
                Segment { file: 205, dst: 30, len: 5 }
            ]
        );
    }

    #[test]
    fn short_files_name_the_range() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.bin");
        std::fs::write(&p, [1u8, 2, 3, 4]).unwrap();
        let f = File::open(&p).unwrap();
        let mut buf = [0u8; 2];
        read_exact_at(&f, &p, 1, &mut buf, || "x".into()).unwrap();
        assert_eq!(buf, [2, 3]);
        let mut buf = [0u8; 6];
        let err = read_exact_at(&f, &p, 2, &mut buf, || "page 3".into()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("`{}`: truncated at byte 4: page 3 needs 4 more bytes (it spans bytes 2..8)", p.display())
        );
    }
}
