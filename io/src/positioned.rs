//! Positioned reads: byte ranges read at known offsets (`pread`) straight
//! into the caller's buffer, the primitive every slab reader stands on.
//!
//! A positioned read does not move a shared file cursor, so a reader needs
//! no seek before each range, and a range the file does not hold is
//! reported as a truncation naming the byte range and what needed it.

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

#[cfg(test)]
mod tests {
    use super::*;

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
